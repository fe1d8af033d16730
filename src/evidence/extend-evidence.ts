/**
 * The validation data a verdict rested on, gathered so that it can be embedded (EN 319 122-1
 * §5.4 / EN 319 132-1 §5.4, B-LT) or archived: for every certificate whose revocation status was
 * checked, its DER, its issuer's, and the CRLs or the OCSP response that decided it.
 *
 * The recorder wraps a validator's revocation checker and keeps one record per certificate for
 * the validator's lifetime (bounded): a path result served from the validator's cache skips the
 * checker, so what the first validation of that path recorded has to be still there.
 */
import { createHash } from "node:crypto";
import type { Certificate } from "../pki/certificate.js";
import type { RevocationChecker, RevocationResult } from "../revocation/types.js";

/** Certificates, CRLs and OCSP responses (DER each), without duplicates. */
export interface ValidationData {
  certificates: Uint8Array[];
  crls: Uint8Array[];
  ocsp: Uint8Array[];
}

/** A signature time-stamp extend has just added: the signature's index (SignerInfo or ds:Signature order), the token and what it covers */
export interface NewTimestamp {
  index: number;
  token: Uint8Array;
  data: Uint8Array;
}

/** How a time-stamp just made validates (what the ExtendEnv's checker reports of it) */
export interface TimestampCheck {
  indication: string;
  subIndication: string | null;
  /** the TSA certificate (SHA-256 hex) whose path the check validated */
  tsa: { sha256: string } | null;
  errors: ReadonlyArray<{ code: string; message: string }>;
}

interface CertRecord {
  der: Uint8Array;
  issuerSha256: string;
  issuerDer: Uint8Array;
  crls: readonly string[];
  ocsp: Uint8Array | null;
}

/** What the recorder reads besides its records: CRLs by SHA-256, and the certificates known to the validator. */
export interface DataSources {
  crl(sha256: string): Uint8Array | undefined;
  certificate(sha256: string): Uint8Array | undefined;
}

const MAX_RECORDS = 20_000;
const PATH_DEPTH = 16;

export const sha256Hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export class EvidenceRecorder {
  private readonly records = new Map<string, CertRecord>();

  /** A checker that behaves as `inner` and notes what decided each status. */
  wrap(inner: RevocationChecker): RevocationChecker {
    return {
      check: async (cert, ctx) => {
        const r = await inner.check(cert, ctx);
        this.note(cert, ctx.issuer, r);
        return r;
      },
    };
  }

  note(cert: Certificate, issuer: Certificate, r: RevocationResult): void {
    if (r.status !== "good") return;
    const ocsp = r.source === "OCSP" && r.ocspDer ? r.ocspDer : null;
    // a decision by CRL keeps the CRLs consulted; one by OCSP keeps the response
    const rec: CertRecord = { der: cert.der, issuerSha256: issuer.sha256, issuerDer: issuer.der, crls: r.source === "CRL" ? r.crls : [], ocsp };
    this.records.delete(cert.sha256);
    if (this.records.size >= MAX_RECORDS) this.records.delete(this.records.keys().next().value!);
    this.records.set(cert.sha256, rec);
  }

  /**
   * The data of the path from `leaf` (SHA-256 hex) upwards: each certificate, and what decided
   * its status, following the issuers recorded until a certificate without a record (the trust
   * anchor, or one whose status was settled by data the signature already carries).
   */
  pathData(leaf: string, sources: DataSources, into: DataCollector): void {
    let sha: string | undefined = leaf;
    for (let depth = 0; sha && depth < PATH_DEPTH; depth++) {
      const rec = this.records.get(sha);
      if (!rec) {
        const der = sources.certificate(sha);
        if (der) into.certificate(der);
        return;
      }
      into.certificate(rec.der);
      for (const c of rec.crls) {
        const der = sources.crl(c);
        if (der) into.crl(der);
      }
      if (rec.ocsp) into.ocsp(rec.ocsp);
      if (rec.issuerSha256 === sha) return;
      if (!this.records.has(rec.issuerSha256)) into.certificate(rec.issuerDer);
      sha = rec.issuerSha256;
    }
  }
}

/**
 * Collects validation data once per item (the same octets), in the order first met. Items are
 * compared octet for octet among those of the same length — a few certificates and CRLs per
 * signature, where hashing each one (as this did) cost more than the comparisons (issue 15).
 */
export class DataCollector {
  private readonly seen = new Map<number, Uint8Array[]>();
  readonly data: ValidationData = { certificates: [], crls: [], ocsp: [] };

  /** true when `der` was new */
  private mark(der: Uint8Array): boolean {
    const same = this.seen.get(der.length);
    if (!same) {
      this.seen.set(der.length, [der]);
      return true;
    }
    for (const d of same) if (d === der || Buffer.compare(d, der) === 0) return false;
    same.push(der);
    return true;
  }
  private add(list: Uint8Array[], der: Uint8Array): void {
    if (this.mark(der)) list.push(der);
  }
  certificate(der: Uint8Array): void {
    this.add(this.data.certificates, der);
  }
  crl(der: Uint8Array): void {
    this.add(this.data.crls, der);
  }
  ocsp(der: Uint8Array): void {
    this.add(this.data.ocsp, der);
  }
  /** marks items already present (in the signature) so that they are not added again */
  already(der: Uint8Array): void {
    this.mark(der);
  }
  get empty(): boolean {
    return this.data.certificates.length + this.data.crls.length + this.data.ocsp.length === 0;
  }
}
