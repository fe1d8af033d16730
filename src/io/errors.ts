/**
 * The io adapters' errors: an input file that is missing, a directory or too large (a usage
 * error on the command line), and the TSA's serial store that cannot be used.
 */
import { PodpisError } from "../errors/base.js";

export type InputFileErrorCode = "INPUT_NOT_FOUND" | "INPUT_IS_DIRECTORY" | "INPUT_TOO_LARGE";

export class InputFileError extends PodpisError<InputFileErrorCode> {
  constructor(
    readonly code: InputFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class SerialStoreError extends PodpisError<"TSA_SERIAL_STORE"> {
  readonly code = "TSA_SERIAL_STORE";
}

export type IoErrorCode = InputFileErrorCode | SerialStoreError["code"];
