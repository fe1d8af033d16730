/**
 * The timestamp layer's errors: what asking a TSA can end in. TSA_TIMEOUT, TSA_UNREACHABLE and
 * TSA_HTTP_ERROR are the TSA being unavailable (a dependency, answered 503 at the edge).
 */
import { PodpisError } from "../errors/base.js";

export type TimestampErrorCode = "TSA_TIMEOUT" | "TSA_UNREACHABLE" | "TSA_HTTP_ERROR" | "TSA_BAD_RESPONSE" | "TSA_REJECTED" | "TSA_MISMATCH" | "TSA_UNTRUSTED";

export class TimestampError extends PodpisError<TimestampErrorCode> {
  constructor(
    readonly code: TimestampErrorCode,
    message: string,
  ) {
    super(message);
  }
}
