/** The cms layer's errors: what parseSignedData throws (the readers turn them into FORMAT_FAILURE or a 422). */
import { PodpisError } from "../errors/base.js";

/** The input is CMS SignedData, but malformed: EN 319 102-1 FORMAT_FAILURE. */
export class CmsFormatError extends PodpisError<"MALFORMED_CMS"> {
  readonly code = "MALFORMED_CMS";
}

/** The input is not CMS SignedData at all (not even its outer ContentInfo). */
export class NotSignedDataError extends PodpisError<"NOT_A_SIGNATURE"> {
  readonly code = "NOT_A_SIGNATURE";
}

export type CmsErrorCode = CmsFormatError["code"] | NotSignedDataError["code"];
