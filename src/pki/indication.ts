/**
 * ETSI EN 319 102-1 §5.1.3 indications and subindications, as the reports name them (path
 * validation reports them too, hence they live in pki/).
 */
export type Indication = "TOTAL_PASSED" | "TOTAL_FAILED" | "INDETERMINATE";

export type SubIndication =
  // TOTAL_FAILED (§5.1.3 Table 5)
  | "FORMAT_FAILURE"
  | "HASH_FAILURE"
  | "SIG_CRYPTO_FAILURE"
  | "REVOKED"
  | "EXPIRED"
  | "NOT_YET_VALID"
  // INDETERMINATE (§5.1.3 Table 6)
  | "SIG_CONSTRAINTS_FAILURE"
  | "CHAIN_CONSTRAINTS_FAILURE"
  | "CERTIFICATE_CHAIN_GENERAL_FAILURE"
  | "CRYPTO_CONSTRAINTS_FAILURE"
  | "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
  | "POLICY_PROCESSING_ERROR"
  | "SIGNATURE_POLICY_NOT_AVAILABLE"
  | "TIMESTAMP_ORDER_FAILURE"
  | "NO_SIGNING_CERTIFICATE_FOUND"
  | "NO_CERTIFICATE_CHAIN_FOUND"
  | "REVOKED_NO_POE"
  | "REVOKED_CA_NO_POE"
  | "OUT_OF_BOUNDS_NO_POE"
  | "OUT_OF_BOUNDS_NOT_REVOKED"
  | "REVOCATION_OUT_OF_BOUNDS_NO_POE"
  | "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
  | "NO_POE"
  | "TRY_LATER"
  | "SIGNED_DATA_NOT_FOUND"
  | "GENERIC";

const RANK: Record<Indication, number> = { TOTAL_PASSED: 0, INDETERMINATE: 1, TOTAL_FAILED: 2 };

/** The worse of two indications (TOTAL_FAILED > INDETERMINATE > TOTAL_PASSED). */
export function worst(a: Indication, b: Indication): Indication {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Exit code of `verify` and `chain` (contract): 0 passed, 1 indeterminate, 2 failed. */
export function exitCodeFor(indication: Indication): number {
  return RANK[indication];
}
