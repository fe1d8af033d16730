/**
 * What a format reader (CAdES, XAdES) hands to the format-neutral validation process
 * (EN 319 102-1 §5.3, §5.5): the facts the reader established about one signature, and nothing
 * it would have to decide about trust.
 */
import type { Integrity, Message, SigningCertificateReference } from "../cms/messages.js";
import type { Certificate } from "../pki/certificate.js";
import type { AlgorithmUse } from "../pki/key-info.js";
import type { TimestampToken } from "../timestamp/token.js";

export type { Integrity, Message, SigningCertificateReference } from "../cms/messages.js";

export type SignatureFormat = "CAdES" | "XAdES";

/** The contract's `signedData` entry. */
export interface SignedDataEntry {
  kind: "whole-document" | "element" | "detached" | "external";
  ref: string;
  /** SHA-256 of the signed bytes, hex; null when only another digest of them is known */
  sha256: string | null;
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
  /**
   * time-stamps, parsed and checked cryptographically: signature and content time-stamps, then the
   * evidence time-stamps (validation-data, refs, archive) in their order of appearance
   */
  timestamps: TimestampToken[];
  signedData: SignedDataEntry[];
  /** B-B, B-T, B-LT, B-LTA, or a legacy name (BES, EPES, T), or CMS for a signature that is no AdES */
  level: string;
  signaturePolicy: SignaturePolicyInfo | null;
  commitmentTypes: string[];
  /** CRLs the signature carries (CAdES SignedData.crls, revocation-values; XAdES RevocationValues), DER */
  embeddedCrls?: Uint8Array[];
  /** OCSP responses the signature carries (CAdES id-ri-ocsp-response, revocation-values; XAdES OCSPValues), DER OCSPResponse */
  embeddedOcsp?: Uint8Array[];
  /** the algorithms of the signature itself (digest, signature scheme with key size) */
  algorithms: AlgorithmUse[];
  /** structural problems: any of them makes the signature TOTAL_FAILED/FORMAT_FAILURE */
  formatErrors: Message[];
  errors: Message[];
  warnings: Message[];
  /** informational notes for the report (content-hints, policy, …) */
  hints: Message[];
}
