/** The XML parser's one error type: a stable code and, when known, where in the document. */
import { PodpisError } from "../../errors/base.js";

export type XmlErrorCode = "MALFORMED_XML" | "XML_DTD_FORBIDDEN" | "XML_LIMIT_EXCEEDED" | "XML_ENCODING";

export class XmlError extends PodpisError<XmlErrorCode> {
  constructor(
    readonly code: XmlErrorCode,
    message: string,
    /** offset in the decoded text, when known */
    readonly offset: number | null = null,
  ) {
    super(offset === null ? message : `${message} (at offset ${offset})`);
  }
}
