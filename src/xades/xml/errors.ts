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

/**
 * A parse cap was reached (XML_LIMIT_EXCEEDED), with the cap's name as src/limits/budgets.ts has it
 * (`xmlNodes`, …), its value and what was used when the parse stopped: the caller's budget error.
 */
export class XmlLimitError extends XmlError {
  constructor(
    readonly limit: "xmlBytes" | "xmlDepth" | "xmlAttributes" | "xmlNodes",
    readonly max: number,
    readonly used: number,
    message: string,
    offset: number | null = null,
  ) {
    super("XML_LIMIT_EXCEEDED", message, offset);
    this.name = "XmlLimitError";
  }
}
