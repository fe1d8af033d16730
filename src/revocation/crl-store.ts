/**
 * An in-memory index of CRLs by issuer name (RFC 5280 §7.1 comparison, via Name.key).
 * No I/O here: files are read by io/crl-files.ts, the network by fetch.ts.
 */
import { parseCrls } from "./crl.js";
import type { Crl } from "./crl-types.js";

export class CrlStore {
  private readonly bySha = new Map<string, Crl>();
  private readonly issuers = new Map<string, Crl[]>();
  /** changes with every CRL added or removed: what was concluded from an older version may not stand */
  version = 0;

  constructor(crls: Iterable<Crl> = []) {
    for (const c of crls) this.add(c);
  }

  /** Adds a CRL unless one with the same DER (sha256) is stored; returns the stored one. */
  add(crl: Crl): Crl {
    const known = this.bySha.get(crl.sha256);
    if (known) return known;
    this.bySha.set(crl.sha256, crl);
    this.version++;
    const list = this.issuers.get(crl.issuer.key);
    if (list) {
      list.push(crl);
      // newest first: the checker usually wants the latest CRL in scope
      list.sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
    } else this.issuers.set(crl.issuer.key, [crl]);
    return crl;
  }

  /** Parses DER or PEM bytes (one or more CRLs) and adds them; throws CrlError when malformed. */
  addBytes(bytes: Uint8Array): Crl[] {
    return parseCrls(bytes).map((c) => this.add(c));
  }

  /** CRLs whose issuer name has this key (Name.key), newest thisUpdate first. */
  byIssuer(nameKey: string): Crl[] {
    return [...(this.issuers.get(nameKey) ?? [])];
  }

  /** Drops a CRL (e.g. one superseded by a newer fetch, so a long-running service does not keep every version). */
  remove(sha256: string): boolean {
    const crl = this.bySha.get(sha256);
    if (!crl) return false;
    this.bySha.delete(sha256);
    this.version++;
    const list = this.issuers.get(crl.issuer.key)!.filter((c) => c !== crl);
    if (list.length) this.issuers.set(crl.issuer.key, list);
    else this.issuers.delete(crl.issuer.key);
    return true;
  }

  bySha256(sha256: string): Crl | undefined {
    return this.bySha.get(sha256);
  }

  all(): Crl[] {
    return [...this.bySha.values()];
  }

  get size(): number {
    return this.bySha.size;
  }
}
