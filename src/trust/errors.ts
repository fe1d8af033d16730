/**
 * The trust layer's errors: bytes that are no TS 119 612 list, and a list that cannot be had (a
 * fetch that failed, a cache entry that is missing). Lists that parse but fail their signature are
 * no error: they are reported (signature.ts) and contribute nothing.
 */
import { PodpisError } from "../errors/base.js";

export type TrustErrorCode = "NOT_A_TRUSTED_LIST" | "TL_UNAVAILABLE";

export class TrustListError extends PodpisError<TrustErrorCode> {
  constructor(
    readonly code: TrustErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
