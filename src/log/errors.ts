/** The transparency log's errors: input that is no note/checkpoint/proof/tile, and a proof or signature that fails. */
import { PodpisError } from "../errors/base.js";

export type LogErrorCode =
  /** a note, checkpoint, tile, bundle, key or proof that cannot be read */
  | "LOG_MALFORMED"
  /** a signature by a known key does not verify, or no known key signed */
  | "LOG_SIGNATURE_INVALID"
  /** an inclusion or consistency proof does not verify */
  | "LOG_PROOF_FAILED"
  /** an entry over the 65,535 bytes an entry bundle can carry (C2SP tlog-tiles "Log entries") */
  | "LOG_ENTRY_TOO_LARGE";

export class LogError extends PodpisError<LogErrorCode> {
  constructor(
    readonly code: LogErrorCode,
    message: string,
  ) {
    super(message);
  }
}
