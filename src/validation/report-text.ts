/**
 * The human summary of a validation report: one line per signature — who signed, when, and the
 * verdict with its reason in plain words. EGNs are masked (personal data, shown only in part).
 */
import { maskEgn } from "../pki/identifier.js";
import type { SubIndication } from "./indication.js";
import type { SignatureReport, ValidationReport } from "./report.js";

const REASONS: Partial<Record<SubIndication, string>> = {
  FORMAT_FAILURE: "the signature is malformed",
  HASH_FAILURE: "the signed content was changed after signing",
  SIG_CRYPTO_FAILURE: "the signature value does not match the signer's key",
  REVOKED: "the certificate had been revoked before the signature was made",
  EXPIRED: "the certificate had expired when the signature was made",
  NOT_YET_VALID: "the signature is dated before its certificate was valid",
  NO_SIGNING_CERTIFICATE_FOUND: "the signer's certificate is missing or does not match the signature",
  NO_CERTIFICATE_CHAIN_FOUND: "the certificate does not chain to a trusted authority",
  CERTIFICATE_CHAIN_GENERAL_FAILURE: "the certificate chain is broken",
  CHAIN_CONSTRAINTS_FAILURE: "a certificate does not meet the rules for signing",
  REVOKED_NO_POE: "the certificate is revoked and nothing proves the signature was made before that",
  REVOKED_CA_NO_POE: "a certificate authority in the chain is revoked and nothing proves the signature was made before that",
  OUT_OF_BOUNDS_NO_POE: "the certificate is expired or not yet valid and nothing proves when the signature was made",
  OUT_OF_BOUNDS_NOT_REVOKED: "the certificate has expired and nothing proves the signature was made before that",
  TRY_LATER: "the certificate's revocation status is not available now",
  CRYPTO_CONSTRAINTS_FAILURE_NO_POE: "an algorithm or key size is no longer considered secure",
  CRYPTO_CONSTRAINTS_FAILURE: "an algorithm or key size is not considered secure",
  SIGNED_DATA_NOT_FOUND: "the signed content was not provided",
  SIG_CONSTRAINTS_FAILURE: "the signature does not meet the validation rules",
  POLICY_PROCESSING_ERROR: "the signature policy could not be processed",
  GENERIC: "the signature could not be validated",
};

const QUALIFICATION: Record<string, string> = {
  QESig: "qualified electronic signature",
  QESeal: "qualified electronic seal",
  "AdESig-QC": "advanced signature with a qualified certificate",
  "AdESeal-QC": "advanced seal with a qualified certificate",
  AdESig: "advanced electronic signature",
  AdESeal: "advanced electronic seal",
};

function who(s: SignatureReport): string {
  if (!s.signer) return "unknown signer";
  const name = s.signer.commonName ?? s.signer.subject;
  const id = s.signer.identifier;
  if (!id) return name;
  const value = id.type === "PNO" && id.country === "BG" ? maskEgn(id.value) : id.value;
  const label = id.type === "PNO" && id.country === "BG" ? "EGN" : id.type === "NTR" && id.country === "BG" ? "EIK" : `${id.type}${id.country}`;
  return `${name} (${label} ${value})`;
}

function when(s: SignatureReport): string {
  if (s.bestSignatureTime) return `time-stamped ${s.bestSignatureTime.replace(".000Z", "Z")}`;
  if (s.claimedSigningTime) return `signed ${s.claimedSigningTime.replace(".000Z", "Z")} (claimed)`;
  return "signing time not stated";
}

export function verdictLine(s: SignatureReport): string {
  const role = s.counterSignatureOf ? `countersignature of ${s.counterSignatureOf}` : null;
  const head = `${s.id}${role ? ` (${role})` : ""}: ${who(s)}, ${when(s)}`;
  if (s.indication === "TOTAL_PASSED") {
    const q = QUALIFICATION[s.qualification];
    return `${head} — VALID${q ? `: ${q}` : ""} (${s.level})`;
  }
  const reason = (s.subIndication && REASONS[s.subIndication]) ?? s.errors[0]?.message ?? "no reason given";
  const verdict = s.indication === "TOTAL_FAILED" ? "INVALID" : "INDETERMINATE";
  return `${head} — ${verdict}: ${reason}${s.subIndication ? ` (${s.subIndication})` : ""}`;
}

export function renderText(r: ValidationReport): string {
  const lines = [`${r.document.format} ${r.document.packaging}, ${r.signatures.length} signature(s), validated at ${r.validationTime}: ${r.indication}`];
  for (const s of r.signatures) lines.push("  " + verdictLine(s));
  return lines.join("\n") + "\n";
}
