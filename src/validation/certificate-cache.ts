/**
 * Parsed certificates by their DER, so that a signature's certificate bag is parsed once per
 * validator, not once per verification — bounded by bytes, not by count (issue 11.3: 120
 * certificates with 16 MB extensions held 1 GB under a count cap of 10,000).
 *
 * Three kinds of entry: `pinned` (what the operator configured: anchors, --untrusted; never
 * dropped), `chained` (certificates that were part of a path to an anchor; kept, least recently
 * used dropped first when the cache is full) and `transient` (everything else a signature carried:
 * its own, smaller share of the bytes, so that certificates that never chain cannot push out
 * those that did).
 *
 * Looked up by length and signature tail, confirmed by comparing the whole encoding (cheaper than
 * hashing it, and no two different encodings ever share an entry).
 */
import { type Certificate, parseCertificate } from "../pki/certificate.js";

type Tier = "pinned" | "chained" | "transient";

interface Entry {
  key: string;
  cert: Certificate;
  bytes: number;
  tier: Tier;
}

/** What an entry costs besides its DER: the parsed fields, names, the map entries. */
const OVERHEAD = 2048;

export interface CertificateCacheOptions {
  /** bytes all entries may take (DER plus a fixed overhead each); default 32 MiB */
  maxBytes?: number;
  /** bytes certificates that never chained may take; default a quarter of maxBytes */
  transientBytes?: number;
}

export class CertificateCache {
  private readonly map = new Map<string, Entry[]>();
  /** insertion order is recency: the first entry is the least recently used */
  private readonly chained = new Set<Entry>();
  private readonly transient = new Set<Entry>();
  private total = 0;
  private transientTotal = 0;
  private entries = 0;
  readonly maxBytes: number;
  readonly maxTransientBytes: number;

  constructor(opts: CertificateCacheOptions | number = {}) {
    // (a number is the former count cap: taken as that many certificates of a typical 2 KB)
    const o = typeof opts === "number" ? { maxBytes: opts * 2 * OVERHEAD } : opts;
    this.maxBytes = o.maxBytes ?? 32 * 1024 * 1024;
    this.maxTransientBytes = Math.min(o.transientBytes ?? Math.floor(this.maxBytes / 4), this.maxBytes);
  }

  private static key(der: Uint8Array): string {
    const n = der.length;
    let k = n.toString(36) + ":";
    for (let i = Math.max(0, n - 24); i < n; i++) k += String.fromCharCode(der[i]!);
    return k;
  }

  private find(key: string, der: Uint8Array): Entry | null {
    const bucket = this.map.get(key);
    if (bucket) for (const e of bucket) if (Buffer.compare(e.cert.der, der) === 0) return e;
    return null;
  }

  private touch(e: Entry): void {
    const set = e.tier === "chained" ? this.chained : e.tier === "transient" ? this.transient : null;
    if (set) {
      set.delete(e);
      set.add(e);
    }
  }

  private drop(e: Entry): void {
    const bucket = this.map.get(e.key);
    if (bucket) {
      const rest = bucket.filter((x) => x !== e);
      if (rest.length) this.map.set(e.key, rest);
      else this.map.delete(e.key);
    }
    if (e.tier === "chained") this.chained.delete(e);
    if (e.tier === "transient") {
      this.transient.delete(e);
      this.transientTotal -= e.bytes;
    }
    this.total -= e.bytes;
    this.entries--;
  }

  private insert(key: string, cert: Certificate, tier: Tier): void {
    const e: Entry = { key, cert, bytes: cert.der.length + OVERHEAD, tier };
    // One certificate larger than its tier's share is parsed for this use and not kept.
    if (tier === "transient" && e.bytes > this.maxTransientBytes) return;
    if (tier === "chained" && e.bytes > this.maxBytes) return;
    const bucket = this.map.get(key);
    // A bucket only fills with look-alike encodings (same length and tail): keep it short.
    if (bucket && bucket.length >= 8) this.drop(bucket.find((x) => x.tier !== "pinned") ?? bucket[0]!);
    const b = this.map.get(key);
    if (b) b.push(e);
    else this.map.set(key, [e]);
    this.total += e.bytes;
    this.entries++;
    if (tier === "transient") {
      this.transient.add(e);
      this.transientTotal += e.bytes;
    } else if (tier === "chained") this.chained.add(e);
    this.evict();
  }

  private evict(): void {
    while (this.transientTotal > this.maxTransientBytes) this.drop(this.transient.values().next().value!);
    while (this.total > this.maxBytes && this.transient.size > 0) this.drop(this.transient.values().next().value!);
    while (this.total > this.maxBytes && this.chained.size > 0) this.drop(this.chained.values().next().value!);
  }

  /** The parsed certificate for these DER bytes; throws CertificateError when they do not parse. */
  get(der: Uint8Array): Certificate {
    const key = CertificateCache.key(der);
    const hit = this.find(key, der);
    if (hit) {
      this.touch(hit);
      return hit.cert;
    }
    // Copied: the cached certificate must not keep the caller's (possibly large) input buffer alive.
    const cert = parseCertificate(Buffer.from(der));
    this.insert(key, cert, "transient");
    return cert;
  }

  /** Keeps an operator-configured certificate (anchors, --untrusted) for good: bags that repeat it reuse it. */
  put(cert: Certificate): Certificate {
    const key = CertificateCache.key(cert.der);
    const hit = this.find(key, cert.der);
    if (hit) {
      if (hit.tier !== "pinned") {
        this.drop(hit);
        this.insert(key, hit.cert, "pinned");
      }
      return hit.cert;
    }
    this.insert(key, cert, "pinned");
    return cert;
  }

  /** Marks a certificate as part of a path to an anchor: it moves to the long-lived share. */
  chainedTo(cert: Certificate): void {
    const key = CertificateCache.key(cert.der);
    const hit = this.find(key, cert.der);
    if (hit?.tier === "chained") this.touch(hit);
    else if (hit?.tier === "transient") {
      this.drop(hit);
      this.insert(key, hit.cert, "chained");
    } else if (!hit) this.insert(key, cert, "chained");
  }

  /** whether these DER bytes are held (no recency change) */
  has(der: Uint8Array): boolean {
    return this.find(CertificateCache.key(der), der) !== null;
  }

  /** certificates held */
  get size(): number {
    return this.entries;
  }

  /** bytes accounted for all entries (DER plus overhead) */
  get bytes(): number {
    return this.total;
  }

  /** bytes accounted for certificates that never chained */
  get transientBytes(): number {
    return this.transientTotal;
  }

  clear(): void {
    this.map.clear();
    this.chained.clear();
    this.transient.clear();
    this.total = 0;
    this.transientTotal = 0;
    this.entries = 0;
  }
}
