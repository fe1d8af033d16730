/**
 * Validation of a time-stamp token as a proof of existence (EN 319 102-1 §5.4): intact, made by
 * a TSA whose certificate is fit for time-stamping and chains to a trust anchor, with algorithms
 * the policy still accepts. "When" is the token's own proof of existence (§5.6.2.2, §5.6.3): the
 * validation time, or the time a later (archive) time-stamp over it proves — the TSA's path is
 * validated at the latest control time up to then where it passes (past-path.ts), and the
 * algorithms' sunset dates apply at that proof.
 */
import { OID as CERT_OID, type Certificate } from "../pki/certificate.js";
import type { PathResult } from "../pki/path-types.js";
import type { Crl } from "../revocation/crl-types.js";
import { type EmbeddedRevocation, type ValidationContext } from "./context.js";
import { pathAtControlTime } from "./past-path.js";
import type { Indication, SubIndication } from "./indication.js";
import { checkAlgorithms } from "./policy.js";
import type { Message } from "./signature-model.js";
import type { TimestampToken } from "../timestamp/token.js";
import { qualifiedTimestampAt } from "../trust/qualify.js";

export const ID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

export interface TimestampValidation {
  token: TimestampToken;
  indication: Indication;
  subIndication: SubIndication | null;
  genTime: Date | null;
  path: PathResult | null;
  /** made by a TSA that a trusted list's QTST service names, granted at genTime (eIDAS Art. 42); null without lists */
  qualified: boolean | null;
  /** when the token is proven to exist (the validation time, or a later time-stamp's genTime) */
  proofTime: Date;
  /** the control time the TSA's path passed at (earlier than proofTime when it has expired or been revoked since) */
  controlTime: Date | null;
  errors: Message[];
  warnings: Message[];
}

/** RFC 3161 §2.3: exactly the timeStamping purpose, in a critical extendedKeyUsage. */
export function tsaUsageProblem(cert: Certificate): string | null {
  const ext = cert.extensions.find((e) => e.oid === CERT_OID.extKeyUsage);
  if (!ext || !cert.extKeyUsage) return "the TSA certificate has no extendedKeyUsage extension";
  if (!cert.extKeyUsage.includes(ID_KP_TIME_STAMPING)) return "the TSA certificate's extendedKeyUsage does not include timeStamping";
  if (cert.extKeyUsage.length !== 1) return "the TSA certificate's extendedKeyUsage must hold timeStamping only";
  if (!ext.critical) return "the TSA certificate's extendedKeyUsage must be critical";
  return null;
}

/**
 * `carried`: the revocation data the enclosing signature carries (B-LT), consulted for the TSA's
 * path too; `proofTime`: when the token is proven to exist (default: the validation time `at`).
 */
export async function validateTimestamp(
  token: TimestampToken,
  ctx: ValidationContext,
  at: Date,
  carried: readonly Crl[] | EmbeddedRevocation = [],
  proofTime: Date = at,
): Promise<TimestampValidation> {
  const ev: EmbeddedRevocation = Array.isArray(carried) ? { crls: carried as readonly Crl[], ocsp: [] } : (carried as EmbeddedRevocation);
  const out: TimestampValidation = {
    token,
    indication: "TOTAL_PASSED",
    subIndication: null,
    genTime: token.tstInfo?.genTime ?? null,
    path: null,
    qualified: null,
    proofTime,
    controlTime: null,
    errors: [...token.errors],
    warnings: [...token.warnings],
  };
  const result = (indication: Indication, subIndication: SubIndication, code: string, message: string): TimestampValidation => {
    out.indication = indication;
    out.subIndication = subIndication;
    out.errors.push({ code, message });
    return out;
  };
  if (token.formatErrors.length > 0 || !token.tstInfo) {
    out.errors.push(...token.formatErrors);
    out.indication = "TOTAL_FAILED";
    out.subIndication = "FORMAT_FAILURE";
    return out;
  }
  if (token.imprintMatches === false) return result("TOTAL_FAILED", "HASH_FAILURE", "TIMESTAMP_IMPRINT_MISMATCH", "the time-stamp's message imprint is not the digest of the time-stamped data");
  if (token.integrity.dataIntact === false) return result("TOTAL_FAILED", "HASH_FAILURE", "TIMESTAMP_DIGEST_MISMATCH", "the time-stamp token's message digest does not match its TSTInfo");
  if (token.integrity.signatureIntact === false) return result("TOTAL_FAILED", "SIG_CRYPTO_FAILURE", "TIMESTAMP_SIGNATURE_INVALID", "the time-stamp token's signature does not verify");
  const tsa = token.tsaCertificate;
  if (!tsa) return result("INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", "TSA_CERTIFICATE_NOT_FOUND", "the TSA's certificate is neither in the token nor among the known certificates");
  if (token.signingCertificateReference.digestMatches === false || token.signingCertificateReference.issuerSerialMatches === false) {
    return result("INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", "TSA_CERTIFICATE_MISMATCH", "the token's signing-certificate attribute does not reference the TSA certificate used");
  }
  if (token.integrity.signatureIntact === null) return result("INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE", "TIMESTAMP_ALGORITHM_UNSUPPORTED", "the time-stamp token's signature algorithm is not supported");
  const genTime = token.tstInfo.genTime;
  if (genTime.getTime() > at.getTime()) return result("INDETERMINATE", "GENERIC", "TIMESTAMP_AFTER_VALIDATION_TIME", `the time-stamp's time ${genTime.toISOString()} is after the validation time`);
  const usage = tsaUsageProblem(tsa);
  if (usage) return result("INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE", "TSA_KEY_USAGE", usage);
  if (genTime < tsa.notBefore || genTime > tsa.notAfter) {
    return result("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE", "TIMESTAMP_OUTSIDE_TSA_VALIDITY", "the time-stamp was made outside the TSA certificate's validity period");
  }
  const past = await pathAtControlTime(ctx, tsa, token.certificates, genTime, proofTime, ev, proofTime);
  const path = past.path;
  out.path = path;
  out.controlTime = past.controlTime;
  if (past.controlTime === null) {
    out.indication = path.report.indication;
    out.subIndication = path.report.subIndication;
    for (const e of path.report.errors) out.errors.push({ code: e.code, message: `TSA certificate path: ${e.message}` });
    return out;
  }
  const failures = checkAlgorithms(ctx.policy.algorithms, token.algorithms, proofTime);
  if (failures.length > 0) {
    out.indication = "INDETERMINATE";
    out.subIndication = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE";
    for (const f of failures) out.errors.push({ code: "CRYPTO_CONSTRAINTS", message: f.message });
  }
  if (ctx.trustedLists) out.qualified = out.indication === "TOTAL_PASSED" && qualifiedTimestampAt(ctx.trustedLists.servicesOf(tsa), genTime);
  return out;
}
