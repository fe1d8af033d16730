/**
 * What a format reader (CAdES, XAdES) hands to the format-neutral validation process
 * (EN 319 102-1 §5.3, §5.5): the facts the reader established about one signature, and nothing
 * it would have to decide about trust.
 */
import type { Certificate } from "../pki/certificate.js";
import type { TimestampToken } from "../timestamp/token.js";
import type { AlgorithmUse } from "./policy.js";

/** An error, warning or hint with a stable code. */
export interface Message {
  code: string;
  message: string;
}

export type SignatureFormat = "CAdES" | "XAdES";

/** The contract's `signedData` entry. */
export interface SignedDataEntry {
  kind: "whole-document" | "element" | "detached" | "external";
  ref: string;
  /** SHA-256 of the signed bytes, hex; null when only another digest of them is known */
  sha256: string | null;
}

/**
 * How the signature binds its signing certificate: ESS signing-certificate(-v2) in CAdES,
 * SigningCertificate(V2) in XAdES (EN 319 102-1 §5.2.3.4).
 */
export interface SigningCertificateReference {
  /** the attribute or property that carried the reference; null when there is none */
  attribute: string | null;
  digestAlgorithm: string | null;
  /** the referenced digest equals the digest of the certificate used; null without a reference */
  digestMatches: boolean | null;
  /** the referenced issuer and serial equal the certificate's; null when the reference carries none */
  issuerSerialMatches: boolean | null;
}

/** The cryptographic truth, independent of trust (EN 319 102-1 §5.2.7). */
export interface Integrity {
  /** every message digest / signed reference matches; null when the signed data was not available */
  dataIntact: boolean | null;
  /** the signature value verifies with the signing certificate's key; null when no key or no supported algorithm */
  signatureIntact: boolean | null;
}

export interface SignaturePolicyInfo {
  /** policy OID or URN; null for an implied policy */
  id: string | null;
  hashAlgorithm: string | null;
  /** hex */
  hash: string | null;
  uri: string | null;
}

export interface SignatureModel {
  id: string;
  format: SignatureFormat;
  /** for a countersignature, the id of the signature it countersigns */
  counterSignatureOf: string | null;
  /** the certificate the signature identifies and verifies with, or null when none was found */
  signingCertificate: Certificate | null;
  /** certificates the signature carries: candidates for path building */
  certificates: Certificate[];
  signingCertificateReference: SigningCertificateReference;
  integrity: Integrity;
  claimedSigningTime: Date | null;
  /** signature timestamps (and content timestamps), parsed and checked cryptographically */
  timestamps: TimestampToken[];
  signedData: SignedDataEntry[];
  /** B-B, B-T, B-LT, B-LTA, or a legacy name (BES, EPES, T), or CMS for a signature that is no AdES */
  level: string;
  signaturePolicy: SignaturePolicyInfo | null;
  commitmentTypes: string[];
  /** CRLs the signature carries (CAdES SignedData.crls, revocation-values; XAdES RevocationValues), DER */
  embeddedCrls?: Uint8Array[];
  /** the algorithms of the signature itself (digest, signature scheme with key size) */
  algorithms: AlgorithmUse[];
  /** structural problems: any of them makes the signature TOTAL_FAILED/FORMAT_FAILURE */
  formatErrors: Message[];
  errors: Message[];
  warnings: Message[];
  /** informational notes for the report (content-hints, policy, …) */
  hints: Message[];
}
