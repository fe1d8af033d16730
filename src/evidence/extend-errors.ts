/**
 * What augmenting a signature (`podpis extend`, evidence at receipt, `archive renew`) can end in.
 * A signature that does not validate now is not given evidence it does not deserve: refused with
 * EXTEND_REFUSED (worst TOTAL_FAILED: exit 2) or EXTEND_REFUSED_INDETERMINATE (exit 1, as
 * `verify` would end), and no output is written.
 */
import { PodpisError } from "../errors/base.js";

export type ExtendErrorCode =
  | "EXTEND_REFUSED" // a signature is TOTAL_FAILED now
  | "EXTEND_REFUSED_INDETERMINATE" // a signature is INDETERMINATE now (revocation unknown, untrusted chain, …)
  | "EXTEND_UNSUPPORTED"; // the file is a signature, but not one extend can add to (plain XMLDSig, no SignerInfo)

export class ExtendError extends PodpisError<ExtendErrorCode> {
  constructor(
    readonly code: ExtendErrorCode,
    message: string,
  ) {
    super(message);
  }
}
