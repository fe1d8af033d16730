/**
 * Trust anchors (RFC 5280 §6.1.1 (d)). An anchor is a name and a public key; it arrives as a
 * certificate because that is how trusted lists and PEM bundles carry it, but nothing else in
 * that certificate is enforced: not its validity, basicConstraints, keyUsage, policies or name
 * constraints (§6.1 leaves that to the relying party; PKITS assumes it is not done).
 */
import { type Certificate, parseCertificates } from "./certificate.js";

export class TrustStore {
  private readonly bySha = new Map<string, Certificate>();
  private readonly bySubjectKey = new Map<string, Certificate[]>();
  private readonly bySkiMap = new Map<string, Certificate[]>();
  private readonly list: Certificate[] = [];
  private single: WeakMap<Certificate, TrustStore> | null = null;

  constructor(anchors: Iterable<Certificate> = []) {
    for (const a of anchors) this.add(a);
  }

  /** Anchors from DER or PEM bytes (several certificates per PEM file allowed). */
  static fromBytes(inputs: Iterable<Uint8Array>): TrustStore {
    const store = new TrustStore();
    for (const b of inputs) for (const c of parseCertificates(b)) store.add(c);
    return store;
  }

  /** Adds an anchor; false when the same certificate is already there. */
  add(cert: Certificate): boolean {
    if (this.bySha.has(cert.sha256)) return false;
    this.bySha.set(cert.sha256, cert);
    this.list.push(cert);
    push(this.bySubjectKey, cert.subject.key, cert);
    if (cert.subjectKeyIdentifier) push(this.bySkiMap, cert.subjectKeyIdentifier, cert);
    this.single = null;
    return true;
  }

  get size(): number {
    return this.list.length;
  }

  certificates(): readonly Certificate[] {
    return this.list;
  }

  /** Anchors whose subject equals the name with this RFC 5280 §7.1 key. */
  bySubject(nameKey: string): readonly Certificate[] {
    return this.bySubjectKey.get(nameKey) ?? EMPTY;
  }

  bySki(ski: string): readonly Certificate[] {
    return this.bySkiMap.get(ski) ?? EMPTY;
  }

  /** This very certificate is an anchor. */
  has(cert: Certificate): boolean {
    return this.bySha.has(cert.sha256);
  }

  /**
   * The anchor that `cert` stands for: the same certificate, or one with the same subject name and
   * public key (RFC 5280's anchor is name + key, so a re-issued or cross-certified copy of an
   * anchor's key under its name is that anchor).
   */
  anchorFor(cert: Certificate): Certificate | null {
    const same = this.bySha.get(cert.sha256);
    if (same) return same;
    for (const a of this.bySubject(cert.subject.key)) if (bytesEqual(a.spki, cert.spki)) return a;
    return null;
  }

  /**
   * A store holding only `anchor`: the path of a CRL signer must end at the trust anchor of the
   * certificate whose status it reports (RFC 5280 §6.3.3 (f)). Kept, so caches keyed on the store stay warm.
   */
  only(anchor: Certificate): TrustStore {
    if (this.list.length === 1 && this.list[0] === anchor) return this;
    this.single ??= new WeakMap();
    let s = this.single.get(anchor);
    if (!s) {
      s = new TrustStore([anchor]);
      this.single.set(anchor, s);
    }
    return s;
  }
}

const EMPTY: readonly Certificate[] = Object.freeze([]);

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
