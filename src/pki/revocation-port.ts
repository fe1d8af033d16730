/**
 * The seam between path validation and revocation checking (RFC 5280 §6.3, EN 319 102-1 §5.2.5):
 * the port path validation (pki/) calls, which revocation/ implements — so it is defined here.
 */
import type { FetchBudget } from "../limits/fetch-budget.js";
import type { KeyObject } from "node:crypto";
import type { Certificate } from "./certificate.js";

export type RevocationStatusValue = "good" | "revoked" | "unknown";

/** RFC 5280 §5.3.1 CRLReason names */
export type RevocationReason =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";

/** Why a status is unknown; stable codes that reports and the service show. */
export type RevocationErrorCode =
  | "CRL_MISSING" // no CRL in scope for this certificate was given or could be fetched
  | "CRL_STALE" // the only CRLs in scope are past nextUpdate at the validation time
  | "CRL_NOT_YET_VALID" // thisUpdate after the validation time
  | "CRL_SIGNATURE_INVALID"
  | "CRL_ISSUER_INVALID" // no valid path for the CRL signer, or it lacks cRLSign
  | "CRL_FETCH_FAILED" // the distribution point could not be fetched (timeout, size, HTTP error)
  | "FETCH_LIMIT" // the validation's fetch budget (fetches, fetchTimeMs) was spent before the status was settled
  | "CRL_MALFORMED"
  | "CRL_UNSUPPORTED" // an unknown critical CRL/entry extension
  | "REASONS_NOT_COVERED" // CRLs found do not cover all reasons (§6.3.3 (j))
  | "OCSP_MISSING" // no responder named (AIA id-ad-ocsp) or none may be asked (offline)
  | "OCSP_FETCH_FAILED" // the responder could not be reached, was slow, or answered HTTP errors
  | "OCSP_MALFORMED" // the answer is no (supported) OCSP response
  | "OCSP_ERROR_STATUS" // responseStatus other than successful (tryLater, internalError, …)
  | "OCSP_SIGNATURE_INVALID"
  | "OCSP_SIGNER_UNAUTHORISED" // signed neither by the CA nor by a responder it authorised (RFC 6960 §4.2.2.2)
  | "OCSP_CERTID_MISMATCH" // no single response about this certificate
  | "OCSP_NONCE_MISMATCH" // the nonce sent was not echoed
  | "OCSP_STALE" // nextUpdate before the validation time (beyond the clock skew)
  | "OCSP_NOT_YET_VALID" // thisUpdate after the validation time (beyond the clock skew)
  | "OCSP_UNKNOWN"; // the responder answered "unknown" for this certificate

export interface RevocationResult {
  status: RevocationStatusValue;
  source: "CRL" | "OCSP" | null;
  revocationDate?: Date;
  reason?: RevocationReason;
  errorCode?: RevocationErrorCode;
  message?: string;
  /** sha256 (hex) of every CRL consulted, so the service can archive exactly what was used */
  crls: string[];
  /** the deciding OCSP response: its producedAt and sha256 (source "OCSP") */
  producedAt?: Date;
  ocspResponse?: string;
  /** the deciding OCSP response's DER, so that it can be embedded (B-LT) or archived */
  ocspDer?: Uint8Array;
  /** the deciding CRL's thisUpdate (source "CRL") */
  thisUpdate?: Date;
  /** the deciding data came from inside the signature (B-LT/B-LTA values), not from the validator's own sources */
  embedded?: boolean;
}

export interface RevocationContext {
  /** validation time */
  at: Date;
  /** the certificate that issued `cert` in the path being validated (RFC 5280 working_issuer) */
  issuer: Certificate;
  /**
   * The working public key of `issuer` in that path when it differs from the certificate's own
   * (RFC 5280 §6.1.4 (f): a DSA key inheriting its parameters, PKITS 4.1.5); absent otherwise.
   */
  issuerPublicKey?: KeyObject;
  /**
   * Validates a CRL signer that is not `issuer` (indirect CRLs, separate CRL-signing keys,
   * key rollover, PKITS 4.4.19–21, 4.5, 4.14): builds and validates its path to the same trust
   * anchor at `at`, revocation included; resolves true only when that path passes.
   */
  validateCrlSigner(candidate: Certificate): Promise<boolean>;
  /** certificates that may have signed a CRL (the pool, the path, the anchors) */
  candidates: readonly Certificate[];
  /** when false, no network fetch is made (the CLI's --offline) */
  allowFetch: boolean;
  /** what fetching this validation may still do; shared by all its checks (default: a fresh default budget per check) */
  fetchBudget?: FetchBudget;
}

export interface RevocationChecker {
  check(cert: Certificate, ctx: RevocationContext): Promise<RevocationResult>;
}
