/** The cms layer's errors: what parseSignedData throws (the readers turn them into FORMAT_FAILURE or a 422). */
import { PodpisError } from "../errors/base.js";

/** The input is CMS SignedData, but malformed: EN 319 102-1 FORMAT_FAILURE. */
export class CmsFormatError extends PodpisError<"MALFORMED_CMS"> {
  readonly code = "MALFORMED_CMS";
}

/**
 * The input is no signature at all (the service's 422, the CLI's FORMAT_FAILURE report): one
 * code, one base, whichever reader found out (NotSignedDataError here, NotXmlSignatureError in
 * validation/errors.ts).
 */
export class NotASignatureError extends PodpisError<"NOT_A_SIGNATURE"> {
  readonly code = "NOT_A_SIGNATURE";
}

/** The input is not CMS SignedData at all (not even its outer ContentInfo). */
export class NotSignedDataError extends NotASignatureError {}

export type CmsErrorCode = CmsFormatError["code"] | NotASignatureError["code"];
