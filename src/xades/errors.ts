/**
 * The xades layer's error codes. The classes stay beside the code that throws them (the XML
 * parser, the XMLDSig reader) and are re-exported here, so the layer has one place that names
 * what it can throw.
 */
export { XmlError, type XmlErrorCode } from "./xml/errors.js";
export { XmlDsigFormatError } from "./xmldsig.js";
export { XPathError } from "./xpath.js";
import type { XmlErrorCode } from "./xml/errors.js";
import type { XmlDsigFormatError } from "./xmldsig.js";

export type XadesErrorCode = XmlErrorCode | XmlDsigFormatError["code"];
