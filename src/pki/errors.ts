/**
 * The pki layer's errors: certificates that do not parse, algorithms podpis does not implement,
 * a policy tree that grew past its cap, a signature that cannot be made with this key or input.
 * Also the codes path validation reports (not thrown: they are the path report's `errors`),
 * typed so that validate-path.ts maps each to its EN 319 102-1 outcome explicitly.
 */
import { PodpisError } from "../errors/base.js";

export class CertificateError extends PodpisError<"MALFORMED_CERTIFICATE"> {
  readonly code = "MALFORMED_CERTIFICATE";
}

export class UnsupportedAlgorithmError extends PodpisError<"UNSUPPORTED_ALGORITHM"> {
  readonly code = "UNSUPPORTED_ALGORITHM";
}

export class PolicyTreeTooLarge extends PodpisError<"POLICY_TREE_TOO_LARGE"> {
  readonly code = "POLICY_TREE_TOO_LARGE";
}

/** Why a CAdES/XAdES signature cannot be made (the key port itself is pki/signing-key.ts). */
export type SigningErrorCode = "UNSUPPORTED_ALGORITHM" | "CONTENT_REQUIRED" | "BAD_DIGEST" | "NOT_XML" | "XADES_INTERNAL";

export class SigningError extends PodpisError<SigningErrorCode> {
  constructor(
    readonly code: SigningErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type PkiErrorCode = CertificateError["code"] | UnsupportedAlgorithmError["code"] | PolicyTreeTooLarge["code"] | SigningErrorCode;

/** The codes of a path report's errors (RFC 5280 §6.1.3–6.1.5 failures, path building, revocation). */
export type PathErrorCode =
  /** the certificate to validate does not parse (validator.ts reports it as a path of its own) */
  | "MALFORMED_CERTIFICATE"
  | "NO_ISSUER_FOUND"
  | "PATH_BUILDING_LIMIT"
  | "CERT_SIGNATURE_INVALID"
  | "CERT_REVOKED"
  | "CA_REVOKED"
  | "CERT_NOT_YET_VALID"
  | "CERT_EXPIRED"
  | "REVOCATION_UNKNOWN"
  | "NAME_CHAINING"
  | "NAME_CONSTRAINTS_VIOLATION"
  | "EXPLICIT_POLICY_REQUIRED"
  | "INVALID_POLICY_MAPPING"
  | "POLICY_TREE_TOO_LARGE"
  | "UNKNOWN_CRITICAL_EXTENSION"
  | "NOT_A_CA"
  | "PATH_LENGTH_EXCEEDED"
  | "KEY_USAGE_NO_CERTSIGN"
  /** the anchor comes from a trusted list whose service was not in a trusted status then (validation/tl-anchor.ts) */
  | "TL_SERVICE_NOT_TRUSTED";
