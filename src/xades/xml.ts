/**
 * A hardened, non-validating XML 1.0 + Namespaces parser producing a compact tree.
 *
 * Why our own: signed forms arrive from anyone, so the parser is the first line of defence —
 * no DTD at all (no XXE, no entity expansion), hard caps on size, depth, attributes and nodes,
 * nothing is ever fetched — and it decides the speed of XAdES verification (a 15 KB form must
 * parse in tens of microseconds, and a 5 MB form linearly).
 *
 * What the tree keeps is what canonical XML needs (XML c14n 1.0 §2.1 data model): elements with
 * their namespace declarations and attributes in source order, text (CDATA merged as text,
 * entity and character references replaced), comments and processing instructions. The parser
 * reads the UTF-8 bytes as a binary string (binary.ts): offsets are byte offsets after line-end
 * normalisation (XML 1.0 §2.11), and values keep their raw form (for c14n) and are decoded only
 * when read.
 *
 * The parts, one job each, under xml/: errors (XmlError), chars (XML character classes), nodes
 * (the tree), encoding (BOM and declaration, decoding), exc-needs (the canonical-form facts
 * gathered while parsing), parser, paths (elementPath). This module is their public face.
 */

export { XmlError, type XmlErrorCode, XmlLimitError } from "./xml/errors.js";
export {
  C14N_EXC,
  C14N_START_TAG,
  C14N_SUBTREE,
  C14N_SUBTREE_COMMENTS,
  NsDecl,
  XML_NS,
  XMLNS_NS,
  XmlAttribute,
  XmlComment,
  type XmlDocument,
  XmlElement,
  type XmlNode,
  XmlPI,
  XmlText,
} from "./xml/nodes.js";
export { decodeXml } from "./xml/encoding.js";
export { DEFAULT_LIMITS, type ParseOptions, parseXml } from "./xml/parser.js";
export { elementPath } from "./xml/paths.js";
