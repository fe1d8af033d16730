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
 */

import { isUtf8 } from "node:buffer";
import { PodpisError } from "../errors/base.js";
import { codePointAt, compareCodePoints, encodeCodePoint, fromBinary, sequenceLength, toBinary } from "./binary.js";

export const XML_NS = "http://www.w3.org/XML/1998/namespace";
export const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

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

export interface ParseOptions {
  /** input size cap in bytes (UTF-16 units for string input); default 32 MiB */
  maxBytes?: number;
  /** element nesting cap; default 256 */
  maxDepth?: number;
  /** attributes (namespace declarations included) per element; default 256 */
  maxAttributes?: number;
  /** elements + text + comments + PIs; default 2,000,000 */
  maxNodes?: number;
}

export const DEFAULT_LIMITS: Required<ParseOptions> = {
  maxBytes: 32 * 1024 * 1024,
  maxDepth: 256,
  maxAttributes: 256,
  maxNodes: 2_000_000,
};

/** The decoded form of a name that is not plain ASCII (names repeat: see decodeName). */
function decoded(b: string, ascii: boolean): string {
  return ascii ? b : decodeName(b);
}

// (Fields of the node classes are `declare`d and assigned once in the constructor: a field
// declaration would first define each one as undefined on every node the parser makes.)
export class XmlAttribute {
  /** the qualified name as a binary string (binary.ts) */
  declare readonly qn: string;
  /** the prefix as a binary string */
  declare readonly bprefix: string;
  /** the local name as a binary string */
  declare readonly bl: string;
  /** namespace URI, "" for an unprefixed attribute */
  declare readonly ns: string;
  /** the value as a binary string (binary.ts), references replaced and whitespace normalised */
  declare readonly raw: string;
  /** the name is plain ASCII (binary and decoded forms are the same) */
  private declare readonly ascii: boolean;
  private declare v: string | undefined;
  constructor(qn: string, bprefix: string, bl: string, ns: string, raw: string, ascii: boolean) {
    this.qn = qn;
    this.bprefix = bprefix;
    this.bl = bl;
    this.ns = ns;
    this.raw = raw;
    this.ascii = ascii;
    this.v = undefined;
  }

  /** qualified name as written */
  get name(): string {
    return decoded(this.qn, this.ascii);
  }

  get prefix(): string {
    return decoded(this.bprefix, this.ascii);
  }

  get local(): string {
    return decoded(this.bl, this.ascii);
  }

  get value(): string {
    return (this.v ??= fromBinary(this.raw));
  }
}

/** A namespace declaration: prefix "" is the default namespace; uri "" undeclares it. */
export class NsDecl {
  private u: string | undefined = undefined;
  constructor(
    /** prefix and URI as binary strings (binary.ts) */
    readonly bp: string,
    readonly bu: string,
  ) {}

  get prefix(): string {
    return fromBinary(this.bp);
  }

  get uri(): string {
    return (this.u ??= internalize(fromBinary(this.bu)));
  }
}

/**
 * Namespace URIs as V8 internalized strings, by their text: every element's `ns` is compared with
 * constants (DS_NS, …), and an internalized string equals a constant of the same text as the same
 * object, so the comparison does not read the characters. Few per document, and bounded.
 */
const internalized = new Map<string, string>();

function internalize(uri: string): string {
  let v = internalized.get(uri);
  if (v === undefined) {
    // a property key is internalized; a copy besides, so no slice keeps its document alive
    v = Object.keys({ [uri]: 0 })[0] ?? uri;
    if (internalized.size >= 1_000) internalized.clear();
    internalized.set(v, v);
  }
  return v;
}

/** XmlElement.c14n: what of the element's source is already in canonical form (see c14n.ts) */
export const C14N_START_TAG = 1;
/** the whole element, as a non-apex element of inclusive c14n without comments */
export const C14N_SUBTREE = 2;
/** the same, with comments */
export const C14N_SUBTREE_COMMENTS = 4;
/**
 * With C14N_SUBTREE(_COMMENTS): the source of the element is also its exc-c14n form below the
 * apex, provided the namespaces the output ancestors rendered are as XmlElement.excNeeds says.
 * Every namespace declaration in the subtree is one exc-c14n renders there (its prefix is
 * visibly utilized by its element, and no declaration inside the subtree above it already
 * rendered the same binding), and every visibly utilized prefix not declared on its element is
 * declared above it within the subtree, or listed in excNeeds.
 */
export const C14N_EXC = 8;

/** excNeeds of an element that declares nothing and uses only the prefix of its name, by that prefix */
const USES_ONLY = new Map<string, readonly (string | null)[]>();
const NO_NEEDS: readonly (string | null)[] = [];
const NO_CHILDREN: XmlNode[] = [];
const USES_DEFAULT: readonly (string | null)[] = ["", null];

export class XmlElement {
  /** the qualified name as a binary string (binary.ts) */
  declare readonly qn: string;
  /** the prefix as a binary string */
  declare readonly bprefix: string;
  /** the local name as a binary string */
  declare readonly bl: string;
  declare readonly ns: string;
  /** attributes other than namespace declarations, in source order */
  declare readonly attrs: XmlAttribute[];
  /** namespace declarations made on this element, in source order; null when none */
  declare readonly nsDecls: NsDecl[] | null;
  declare readonly parent: XmlElement | null;
  /** offset of the `<` of the start tag */
  declare readonly start: number;
  /** document order among elements, 0 for the document element */
  declare readonly order: number;
  /** the document as a binary string (XmlDocument.source) */
  declare readonly source: string;
  /** the name is plain ASCII (binary and decoded forms are the same) */
  private declare readonly ascii: boolean;
  declare readonly type: 1;
  /** the child nodes in order (an element without any shares one empty array: only the parser adds children) */
  declare children: XmlNode[];
  /** offset just past the end tag (or the `/>` of an empty-element tag) */
  declare end: number;
  /**
   * Canonical-form facts, for inclusive c14n of the element below the apex (C14N_* bits):
   * C14N_START_TAG — the source from `start` to `tagEnd` is exactly the canonical start tag
   * without its closing `>` (attributes and namespace declarations in canonical order, none
   * redundant, one space before each, double quotes, nothing escaped or normalised);
   * C14N_SUBTREE(_COMMENTS) — the source from `start` to `end` is the element's canonical form.
   */
  declare c14n: number;
  /** offset of the `>` closing the start tag, or of the `/` of `/>` */
  declare tagEnd: number;
  /** positions of the element children among same-named siblings, built on first use (elementPath) */
  declare positions: Map<XmlElement, number> | null;
  /**
   * With C14N_EXC: what copying the subtree as its exc-c14n form assumes of the namespaces the
   * output ancestors rendered, as pairs of a binary prefix and a binary URI or null. A URI: the
   * subtree declares the prefix with that URI where nothing inside it rendered the prefix before,
   * so the rendered URI must differ (the declaration is rendered). Null: the subtree uses the prefix
   * where nothing inside it declares it, so the rendered URI must be the one in scope (nothing is
   * rendered). c14n.ts checks these against its state before copying.
   */
  declare excNeeds: readonly (string | null)[];
  constructor(
    qn: string,
    bprefix: string,
    bl: string,
    ns: string,
    attrs: XmlAttribute[],
    nsDecls: NsDecl[] | null,
    parent: XmlElement | null,
    start: number,
    order: number,
    source: string,
    ascii: boolean,
  ) {
    this.qn = qn;
    this.bprefix = bprefix;
    this.bl = bl;
    this.ns = ns;
    this.attrs = attrs;
    this.nsDecls = nsDecls;
    this.parent = parent;
    this.start = start;
    this.order = order;
    this.source = source;
    this.ascii = ascii;
    this.type = 1;
    this.children = NO_CHILDREN;
    this.end = 0;
    this.c14n = 0;
    this.tagEnd = 0;
    this.positions = null;
    this.excNeeds = NO_NEEDS;
  }

  /** qualified name as written */
  get name(): string {
    return decoded(this.qn, this.ascii);
  }

  get prefix(): string {
    return decoded(this.bprefix, this.ascii);
  }

  get local(): string {
    return decoded(this.bl, this.ascii);
  }

  attr(local: string, ns = ""): string | null {
    const a = this.attrs;
    for (let i = 0; i < a.length; i++) if (a[i]!.local === local && a[i]!.ns === ns) return a[i]!.value;
    return null;
  }

  /** Element children, optionally only those with the given namespace and local name. */
  elements(ns?: string, local?: string): XmlElement[] {
    const out: XmlElement[] = [];
    for (const c of this.children) {
      if (c.type === 1 && (ns === undefined || (c.ns === ns && (local === undefined || c.local === local)))) out.push(c);
    }
    return out;
  }

  first(ns: string, local: string): XmlElement | null {
    for (const c of this.children) if (c.type === 1 && c.ns === ns && c.local === local) return c;
    return null;
  }

  /** The concatenated text of all descendant text nodes (XPath string-value). */
  text(): string {
    return fromBinary(this.rawText());
  }

  /** text() as a binary string (binary.ts) */
  rawText(): string {
    const c = this.children;
    if (c.length === 1 && c[0]!.type === 3) return c[0]!.raw;
    let s = "";
    const walk = (e: XmlElement): void => {
      for (const c of e.children) {
        if (c.type === 3) s += c.raw;
        else if (c.type === 1) walk(c);
      }
    };
    walk(this);
    return s;
  }

  /** The namespace URI bound to `prefix` here ("" for the default namespace), or null. */
  lookupNamespace(prefix: string): string | null {
    if (prefix === "xml") return XML_NS;
    for (let e: XmlElement | null = this; e; e = e.parent) {
      if (e.nsDecls) for (const d of e.nsDecls) if (d.prefix === prefix) return d.uri;
    }
    return prefix === "" ? "" : null;
  }

  isDescendantOf(ancestor: XmlElement): boolean {
    for (let e = this.parent; e; e = e.parent) if (e === ancestor) return true;
    return false;
  }
}

export class XmlText {
  /** the text as a binary string (binary.ts), references replaced */
  declare readonly raw: string;
  declare readonly parent: XmlElement | null;
  declare readonly start: number;
  /** false when `raw` is known to hold none of the characters c14n escapes (& < > CR) */
  declare readonly special: boolean;
  declare readonly type: 3;
  private declare v: string | undefined;
  constructor(raw: string, parent: XmlElement | null, start: number, special = true) {
    this.raw = raw;
    this.parent = parent;
    this.start = start;
    this.special = special;
    this.type = 3;
    this.v = undefined;
  }

  get value(): string {
    return (this.v ??= fromBinary(this.raw));
  }
}

export class XmlComment {
  readonly type = 8 as const;
  private v: string | undefined = undefined;
  constructor(
    /** binary string (binary.ts) */
    readonly raw: string,
    readonly parent: XmlElement | null,
    readonly start: number,
  ) {}

  get value(): string {
    return (this.v ??= fromBinary(this.raw));
  }
}

export class XmlPI {
  readonly type = 7 as const;
  private v: string | undefined = undefined;
  constructor(
    readonly target: string,
    /** the data as a binary string (binary.ts) */
    readonly raw: string,
    readonly parent: XmlElement | null,
    readonly start: number,
    /** the target as a binary string */
    readonly bt: string = target,
  ) {}

  get data(): string {
    return (this.v ??= fromBinary(this.raw));
  }
}

export type XmlNode = XmlElement | XmlText | XmlComment | XmlPI;

export interface XmlDocument {
  root: XmlElement;
  /** top-level nodes in order: comments and PIs around the document element, and the element */
  children: Array<XmlElement | XmlComment | XmlPI>;
  /**
   * The document as a binary string (binary.ts: one character per UTF-8 byte), newline-normalised;
   * offsets refer to it. fromBinary() turns a slice of it into text.
   */
  source: string;
  /**
   * Elements carrying an ID-like attribute (unprefixed Id, ID or id, or xml:id), by value. Without a
   * DTD nothing says which attributes are IDs; XMLDSig practice uses these, and collecting all of
   * them lets signature code refuse an ambiguous reference (signature wrapping).
   */
  ids: Map<string, XmlElement[]>;
  elementCount: number;
  nodeCount: number;
}

// ---------------------------------------------------------------------------

/** ASCII name characters: 1 = may start a name, 2 = may continue one (XML 1.0 §2.3, NameStartChar/NameChar) */
const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME[c] = 3;
  else if (/[0-9.\-]/.test(ch)) NAME[c] = 2;
}

/** what XML 1.0 §2.2 does not allow, in a binary string: C0 controls but tab and line ends, U+FFFE and U+FFFF */
const INVALID_SEQUENCES: string[] = ["\xEF\xBF\xBE", "\xEF\xBF\xBF"];
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) INVALID_SEQUENCES.push(String.fromCharCode(c));

/** The offset of the first character XML does not allow, or -1 (one native search per kind beats a regex scan). */
function firstInvalid(s: string): number {
  let first = -1;
  for (const seq of INVALID_SEQUENCES) {
    const i = s.indexOf(seq);
    if (i !== -1 && (first === -1 || i < first)) first = i;
  }
  return first;
}

/** Decoded names by their binary form: element names repeat within and across documents. */
const decodedNames = new Map<string, string>();

function decodeName(b: string): string {
  let n = decodedNames.get(b);
  if (n === undefined) {
    n = fromBinary(b);
    if (decodedNames.size >= 10_000) decodedNames.clear();
    decodedNames.set(b, n);
  }
  return n;
}

function isNameStartCp(c: number): boolean {
  return c < 128 ? (NAME[c]! & 1) !== 0 : c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x206f && c !== 0x200c && c !== 0x200d);
}

function isNameCharCp(c: number): boolean {
  return c < 128 ? NAME[c]! !== 0 : c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x203e && c !== 0x200c && c !== 0x200d);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** The declared (or BOM-given) encoding and the length of the BOM. */
function encodingOf(bytes: Uint8Array): { label: string; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { label: "utf-8", skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { label: "utf-16le", skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { label: "utf-16be", skip: 2 };
  if (bytes[0] === 0x3c && bytes[1] === 0x3f) {
    // an ASCII-compatible encoding: read the declaration's encoding name (XML 1.0 §4.3.3, Appendix F)
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString("latin1");
    const end = head.indexOf("?>");
    const m = /\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(end > 0 ? head.slice(0, end) : head);
    if (m) return { label: m[1]!.toLowerCase(), skip: 0 };
  }
  return { label: "utf-8", skip: 0 };
}

function decodeOther(bytes: Uint8Array, label: string, skip: number): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch {
    throw new XmlError("XML_ENCODING", `unsupported encoding ${label}`);
  }
  try {
    return decoder.decode(skip ? bytes.subarray(skip) : bytes);
  } catch {
    throw new XmlError("XML_ENCODING", `input is not valid ${label}`);
  }
}

/** Decodes bytes to text: BOM or XML declaration decide the encoding; bad sequences are errors. */
export function decodeXml(bytes: Uint8Array): string {
  const { label, skip } = encodingOf(bytes);
  if (label === "utf-8" || label === "utf8") {
    // Node's native check and decode are several times faster than a fatal TextDecoder
    const b = Buffer.from(bytes.buffer, bytes.byteOffset + skip, bytes.byteLength - skip);
    if (!isUtf8(b)) throw new XmlError("XML_ENCODING", "input is not valid utf-8");
    return b.toString("utf8");
  }
  return decodeOther(bytes, label, skip);
}

/**
 * The document as a binary string of its UTF-8 encoding (binary.ts), whatever it was encoded in,
 * and the UTF-8 bytes it was read from when they are its exact octets (null otherwise).
 */
function binaryXml(bytes: Uint8Array): { s: string; octets: Uint8Array | null } {
  const { label, skip } = encodingOf(bytes);
  if (label === "utf-8" || label === "utf8") {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset + skip, bytes.byteLength - skip);
    if (!isUtf8(b)) throw new XmlError("XML_ENCODING", "input is not valid utf-8");
    return { s: b.toString("latin1"), octets: b };
  }
  return { s: toBinary(decodeOther(bytes, label, skip)), octets: null };
}

export function parseXml(input: Uint8Array | string, options?: ParseOptions): XmlDocument {
  const lim = options ? { ...DEFAULT_LIMITS, ...options } : DEFAULT_LIMITS;
  if (input.length > lim.maxBytes) throw new XmlError("XML_LIMIT_EXCEEDED", `document of ${input.length} bytes exceeds the limit of ${lim.maxBytes}`);
  let s: string;
  // the octets of `s` (one per character), for the parser's byte-wise scanning
  let octets: Uint8Array | null = null;
  if (typeof input === "string") {
    if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
    s = toBinary(input);
  } else ({ s, octets } = binaryXml(input));
  if (s.charCodeAt(0) === 0xef && s.charCodeAt(1) === 0xbb && s.charCodeAt(2) === 0xbf) {
    s = s.slice(3);
    octets = null;
  }
  if (s.indexOf("\r") !== -1) {
    s = s.replace(/\r\n?/g, "\n");
    octets = null;
  }
  const bad = firstInvalid(s);
  if (bad !== -1) {
    const cp = s.charCodeAt(bad) < 0x20 ? s.charCodeAt(bad) : codePointAt(s, bad);
    throw new XmlError("MALFORMED_XML", `character U+${cp.toString(16).padStart(4, "0")} is not allowed in XML`, bad);
  }
  return new Parser(s, octets ?? Buffer.from(s, "latin1"), lim).parse();
}

/** codePointAt (binary.ts) over the octets of a binary string: NaN past the end. */
function codePointAtOctet(b: Uint8Array, i: number): number {
  if (i >= b.length) return NaN;
  const c = b[i]!;
  if (c < 0x80) return c;
  if (c < 0xe0) return ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
  if (c < 0xf0) return ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
  return ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
}

class Parser {
  private pos = 0;
  private nodes = 0;
  private order = 0;
  /** whether the last name() read only ASCII */
  private ascii = true;
  /** current binary prefix → declaration, with an undo log per open element */
  private readonly bindings = new Map<string, NsDecl>([["xml", new NsDecl("xml", XML_NS)]]);
  /** bindings.get(""): the default namespace, looked up for most names */
  private dflt: NsDecl | undefined = undefined;
  /** the text or attribute value read last may hold something c14n escapes */
  private special = false;
  /** the text read last is written in the source as c14n writes it */
  private verbatim = true;
  private readonly undo: Array<[string, NsDecl | undefined]> = [];
  private readonly undoMarks: number[] = [];
  private readonly ids = new Map<string, XmlElement[]>();
  /** the current start tag's attributes (startTag), reused from tag to tag */
  private readonly anames: string[] = [];
  private readonly avalues: string[] = [];
  private readonly aascii: boolean[] = [];
  private readonly acolon: number[] = [];
  /** where the last name() has its colon: -1 none, MANY_COLONS more than one */
  private colon = -1;

  constructor(
    private readonly s: string,
    /**
     * The octets of `s`, one per character (s.charCodeAt(i) === b[i]): single characters are read
     * from here, which is several times cheaper than charCodeAt on a string; past the end reads
     * undefined, which compares like charCodeAt's NaN.
     */
    private readonly b: Uint8Array,
    private readonly lim: Required<ParseOptions>,
  ) {}

  private fail(message: string, at = this.pos): never {
    throw new XmlError("MALFORMED_XML", message, at);
  }

  private count(): void {
    if (++this.nodes > this.lim.maxNodes) throw new XmlError("XML_LIMIT_EXCEEDED", `more than ${this.lim.maxNodes} nodes`, this.pos);
  }

  parse(): XmlDocument {
    const s = this.s;
    const n = s.length;
    const top: Array<XmlElement | XmlComment | XmlPI> = [];
    let root: XmlElement | null = null;
    let cur: XmlElement | null = null;
    const stack: XmlElement[] = [];
    // The children of the open elements, each element's after its mark in `marks`: an element
    // gets them as one array of their exact size at its end tag (an array grown by push would
    // reserve room for seventeen). Only the parser adds children.
    const kids: XmlNode[] = [];
    const marks: number[] = [];
    let nk = 0;

    if (s.startsWith("<?xml") && isSpace(s.charCodeAt(5))) this.xmlDeclaration();

    while (this.pos < n) {
      const lt = s.indexOf("<", this.pos);
      const textEnd = lt === -1 ? n : lt;
      if (textEnd > this.pos) {
        if (cur) {
          this.count();
          const raw = this.text(this.pos, textEnd);
          if (!this.verbatim) cur.c14n &= C14N_START_TAG;
          kids[nk++] = new XmlText(raw, cur, this.pos, this.special);
        } else {
          for (let i = this.pos; i < textEnd; i++) if (!isSpace(this.b[i]!)) this.fail("text outside the document element", i);
        }
        this.pos = textEnd;
      }
      if (lt === -1) break;
      const c = this.b[lt + 1];
      if (c === 0x2f /* / */) {
        if (!cur) this.fail("end tag without a start tag", lt);
        this.endTag(cur);
        if (cur.nsDecls) this.popScope();
        stack.pop();
        const mark = marks.pop()!;
        if (nk > mark) {
          // (a copy by hand: cheaper than a call to slice for the few children most elements have)
          const len = nk - mark;
          const children: XmlNode[] = new Array(len);
          for (let i = 0; i < len; i++) children[i] = kids[mark + i]!;
          cur.children = children;
          nk = mark;
        }
        const closed = cur;
        cur = stack.length ? stack[stack.length - 1]! : null;
        if (cur) {
          cur.c14n &= closed.c14n | C14N_START_TAG;
          if ((cur.c14n & C14N_EXC) !== 0 && closed.excNeeds !== cur.excNeeds) mergeExcNeeds(cur, closed.excNeeds);
        }
      } else if (c === 0x21 /* ! */) {
        if (s.startsWith("<!--", lt)) {
          const node = this.comment(cur);
          if (cur) {
            kids[nk++] = node;
            cur.c14n &= ~C14N_SUBTREE;
          } else top.push(node);
        } else if (s.startsWith("<![CDATA[", lt)) {
          if (!cur) this.fail("CDATA section outside the document element", lt);
          const end = s.indexOf("]]>", lt + 9);
          if (end === -1) this.fail("unterminated CDATA section", lt);
          this.count();
          kids[nk++] = new XmlText(s.slice(lt + 9, end), cur, lt);
          cur.c14n &= C14N_START_TAG;
          this.pos = end + 3;
        } else if (s.startsWith("<!DOCTYPE", lt) || s.startsWith("<!ENTITY", lt)) {
          throw new XmlError("XML_DTD_FORBIDDEN", "document type declarations are not accepted (no DTDs, no entity declarations)", lt);
        } else this.fail("markup declaration not allowed", lt);
      } else if (c === 0x3f /* ? */) {
        const node = this.pi(cur);
        if (cur) {
          kids[nk++] = node;
          cur.c14n &= C14N_START_TAG;
        } else top.push(node);
      } else {
        if (!cur && root) this.fail("a second document element", lt);
        if (stack.length >= this.lim.maxDepth) throw new XmlError("XML_LIMIT_EXCEEDED", `elements nested deeper than ${this.lim.maxDepth}`, lt);
        const el = this.startTag(cur);
        if (cur) {
          kids[nk++] = el;
          if (el.end !== 0) cur.c14n &= C14N_START_TAG; // an empty-element tag is not canonical
        } else {
          root = el;
          top.push(el);
        }
        if (el.end !== 0) {
          if (el.nsDecls) this.popScope();
        } else {
          stack.push(el);
          marks.push(nk);
          cur = el;
        }
      }
    }
    if (cur) this.fail(`element <${cur.name}> is not closed`, n);
    if (!root) this.fail("no document element", n);
    return { root, children: top, source: s, ids: this.ids, elementCount: this.order, nodeCount: this.nodes };
  }

  private xmlDeclaration(): void {
    const end = this.s.indexOf("?>");
    if (end === -1) this.fail("unterminated XML declaration", 0);
    const decl = this.s.slice(5, end);
    if (!/^\s+version\s*=\s*["']1\.[0-9]+["']/.test(decl)) this.fail("XML declaration without a version", 0);
    this.pos = end + 2;
  }

  /**
   * Text content between markup: references replaced, `]]>` refused (XML 1.0 §2.4). Sets
   * this.special (the text may hold what c14n escapes) and this.verbatim (the source is written
   * as c14n writes the text: no `>`, and only references c14n would write the same).
   */
  private text(from: number, to: number): string {
    const b = this.b;
    if (b[from] === 0x0a && to - from <= INDENTS.length) {
      // a line end and indentation: the shared string of that length
      let p = from + 1;
      while (p < to && b[p] === 0x20) p++;
      if (p === to) {
        this.special = false;
        this.verbatim = true;
        return INDENTS[to - from - 1]!;
      }
    }
    const raw = this.s.slice(from, to);
    const gt = raw.indexOf(">");
    if (gt !== -1 && raw.indexOf("]]>", gt - 2) !== -1) this.fail("']]>' in character data", from + raw.indexOf("]]>"));
    if (raw.indexOf("&") === -1) {
      this.special = gt !== -1;
      this.verbatim = gt === -1;
      return raw;
    }
    const value = this.references(raw, from);
    this.special = true;
    this.verbatim = gt === -1 && canonicalReferences(raw);
    return value;
  }

  /** Replaces the five predefined entities and character references; any other reference is an error. */
  private references(raw: string, at: number): string {
    let out = "";
    let last = 0;
    for (let amp = raw.indexOf("&"); amp !== -1; amp = raw.indexOf("&", last)) {
      const semi = raw.indexOf(";", amp + 1);
      if (semi === -1 || semi - amp > 12) this.fail("malformed reference", at + amp);
      out += raw.slice(last, amp);
      const name = raw.slice(amp + 1, semi);
      switch (name) {
        case "lt":
          out += "<";
          break;
        case "gt":
          out += ">";
          break;
        case "amp":
          out += "&";
          break;
        case "apos":
          out += "'";
          break;
        case "quot":
          out += '"';
          break;
        default: {
          let cp = NaN;
          if (/^#x[0-9a-fA-F]+$/.test(name)) cp = parseInt(name.slice(2), 16);
          else if (/^#[0-9]+$/.test(name)) cp = parseInt(name.slice(1), 10);
          else if (/^[A-Za-z_][\w.-]*$/.test(name)) this.fail(`undeclared entity &${name}; (no DTD entities are accepted)`, at + amp);
          else this.fail("malformed reference", at + amp);
          if (!isXmlChar(cp)) this.fail(`character reference &${name}; to a character not allowed in XML`, at + amp);
          out += encodeCodePoint(cp);
        }
      }
      last = semi + 1;
    }
    return out + raw.slice(last);
  }

  /** A name as a binary string; this.ascii tells whether it is plain ASCII, this.colon where its colon is. */
  private name(): string {
    const b = this.b;
    const n = b.length;
    const start = this.pos;
    let p = start;
    let colon = -1;
    this.ascii = true;
    if (p >= n) this.fail("expected a name");
    let c = b[p]!;
    if (c < 128) {
      if (!(NAME[c]! & 1)) this.fail("expected a name");
      if (c === 0x3a) colon = 0;
      p++;
    } else {
      if (!isNameStartCp(codePointAtOctet(b, p))) this.fail("expected a name");
      p += sequenceLength(c);
      this.ascii = false;
    }
    while (p < n) {
      c = b[p]!;
      if (c < 128) {
        if (NAME[c] === 0) break;
        if (c === 0x3a) colon = colon === -1 ? p - start : MANY_COLONS;
        p++;
      } else if (c < 0xe0 && c !== 0xc3) {
        // a two-byte sequence (U+0080–U+07FF) other than the one holding U+00D7 and U+00F7: a name character
        p += 2;
        this.ascii = false;
      } else {
        if (!isNameCharCp(codePointAtOctet(b, p))) break;
        p += sequenceLength(c);
        this.ascii = false;
      }
    }
    this.pos = p;
    this.colon = colon;
    return this.s.slice(start, p);
  }

  private skipSpace(): boolean {
    const b = this.b;
    const start = this.pos;
    let p = start;
    while (p < b.length && isSpace(b[p]!)) p++;
    this.pos = p;
    return p > start;
  }

  /** The element of a start tag; its `end` is set (non-zero) when it was an empty-element tag. */
  private startTag(parent: XmlElement | null): XmlElement {
    const s = this.s;
    const b = this.b;
    const start = this.pos;
    this.pos++;
    const qn = this.name();
    const qascii = this.ascii;
    const colon = this.colon;
    // attribute names, values and ASCII-ness gathered in the parser's arrays (no arrays per tag)
    const names = this.anames;
    const values = this.avalues;
    const asciis = this.aascii;
    const colons = this.acolon;
    let na = 0;
    let nsDecls: NsDecl[] | null = null;
    let count = 0;
    let empty = false;
    // whether the tag is written as c14n writes it (XmlElement.c14n); attribute order is checked below
    let plain = true;
    for (;;) {
      const before = this.pos;
      const hadSpace = this.skipSpace();
      const c = b[this.pos];
      if (c === 0x3e /* > */) {
        if (hadSpace) plain = false;
        this.pos++;
        break;
      }
      if (c === 0x2f /* / */ && b[this.pos + 1] === 0x3e) {
        if (hadSpace) plain = false;
        this.pos += 2;
        empty = true;
        break;
      }
      if (this.pos >= s.length) this.fail(`unterminated start tag <${fromBinary(qn)}>`, start);
      if (!hadSpace) this.fail("expected whitespace between attributes");
      if (this.pos !== before + 1 || b[before] !== 0x20) plain = false;
      const an = this.name();
      const ascii = this.ascii;
      const acolon = this.colon;
      if (this.skipSpace()) plain = false;
      if (b[this.pos] !== 0x3d /* = */) this.fail(`attribute ${fromBinary(an)} without a value`);
      this.pos++;
      if (this.skipSpace()) plain = false;
      const value = this.attrValue();
      if (this.special) plain = false;
      if (count++ >= this.lim.maxAttributes) throw new XmlError("XML_LIMIT_EXCEEDED", `more than ${this.lim.maxAttributes} attributes on <${fromBinary(qn)}>`, start);
      if (an.charCodeAt(0) === 0x78 /* x */ && an.startsWith("xmlns") && (an.length === 5 || an.charCodeAt(5) === 0x3a)) {
        const bp = an.length === 5 ? "" : an.slice(6);
        this.checkNsDecl(bp, value, start);
        if (nsDecls) {
          for (const o of nsDecls) if (o.bp === bp) this.fail(`duplicate namespace declaration ${fromBinary(an)}`, start);
          // c14n: namespace declarations first, by prefix; none that repeats the binding in scope
          if (plain && (na !== 0 || !(nsDecls[nsDecls.length - 1]!.bp < bp))) plain = false;
        } else {
          nsDecls = [];
          if (na !== 0) plain = false;
        }
        if (plain) {
          const prev = this.bindings.get(bp);
          if (bp === "xml" || (prev === undefined ? bp === "" && value === "" : prev.bu === value)) plain = false;
        }
        nsDecls.push(new NsDecl(bp, value));
      } else {
        names[na] = an;
        values[na] = value;
        asciis[na] = ascii;
        colons[na] = acolon;
        na++;
      }
    }
    // Scope: declarations on this element apply to its own name and attributes (Namespaces §6.1).
    // (only an element that declares something changes the bindings, and has them restored at its end)
    if (nsDecls) {
      this.undoMarks.push(this.undo.length);
      for (const d of nsDecls) {
        this.undo.push([d.bp, this.bindings.get(d.bp)]);
        this.bindings.set(d.bp, d);
        if (d.bp === "") this.dflt = d;
      }
    }
    splitCheck(qn, colon, start);
    const bprefix = colon === -1 ? "" : qn.slice(0, colon);
    const ns = this.resolve(bprefix, qn, start, true);
    let attrs: XmlAttribute[] = NO_ATTRS;
    if (na !== 0) {
      attrs = new Array(na);
      for (let i = 0; i < na; i++) {
        const an = names[i]!;
        const ac = colons[i]!;
        splitCheck(an, ac, start);
        const abp = ac === -1 ? "" : an.slice(0, ac);
        const al = ac === -1 ? an : an.slice(ac + 1);
        const ans = ac === -1 ? "" : this.resolve(abp, an, start, false);
        for (let j = 0; j < i; j++) {
          const o = attrs[j]!;
          if (o.qn === an || (o.bl === al && o.ns === ans)) this.fail(`duplicate attribute ${fromBinary(an)} on <${fromBinary(qn)}>`, start);
        }
        // c14n order: by namespace URI, then local name (UTF-8 binary order is code point order)
        if (plain && i > 0) {
          const o = attrs[i - 1]!;
          const cmp = o.ns === ans ? (o.bl < al ? -1 : 1) : compareCodePoints(o.ns, ans);
          if (cmp >= 0) plain = false;
        }
        attrs[i] = new XmlAttribute(an, abp, al, ans, values[i]!, asciis[i]!);
      }
    }
    this.count();
    const el = new XmlElement(qn, bprefix, colon === -1 ? qn : qn.slice(colon + 1), ns, attrs, nsDecls, parent, start, this.order++, s, qascii);
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      const l = a.bl;
      if ((a.ns === "" && (l === "Id" || l === "ID" || l === "id")) || (a.ns === XML_NS && l === "id")) {
        const list = this.ids.get(a.value);
        if (list) list.push(el);
        else this.ids.set(a.value, [el]);
      }
    }
    if (empty) {
      el.end = this.pos;
      el.tagEnd = this.pos - 2;
      if (plain) el.c14n = C14N_START_TAG;
    } else {
      el.tagEnd = this.pos - 1;
      if (plain) {
        el.c14n = C14N_START_TAG | C14N_SUBTREE | C14N_SUBTREE_COMMENTS;
        const needs = ownExcNeeds(bprefix, attrs, nsDecls);
        if (needs !== null) {
          el.excNeeds = needs;
          el.c14n |= C14N_EXC;
        }
      }
    }
    return el;
  }

  /** Namespaces §3 constraints on a declaration (binary prefix and URI: the names compared are ASCII). */
  private checkNsDecl(prefix: string, uri: string, at: number): void {
    if (prefix === "xmlns") this.fail("the xmlns prefix must not be declared", at);
    if (prefix === "xml" ? uri !== XML_NS : uri === XML_NS) this.fail("the xml prefix and namespace belong only to each other", at);
    if (uri === XMLNS_NS) this.fail("the xmlns namespace must not be declared", at);
    if (prefix !== "" && uri === "") this.fail(`xmlns:${fromBinary(prefix)}="" is not allowed in XML 1.0 namespaces`, at);
    if (prefix.indexOf(":") !== -1) this.fail(`bad namespace prefix ${fromBinary(prefix)}`, at);
  }

  /** The namespace URI of a binary prefix (qname: the binary qualified name, for the message). */
  private resolve(prefix: string, qname: string, at: number, element: boolean): string {
    const d = prefix === "" ? this.dflt : this.bindings.get(prefix);
    if (d === undefined) {
      if (prefix === "" && element) return "";
      this.fail(`namespace prefix of ${fromBinary(qname)} is not declared`, at);
    }
    return d.uri;
  }

  private popScope(): void {
    const mark = this.undoMarks.pop()!;
    while (this.undo.length > mark) {
      const [p, prev] = this.undo.pop()!;
      if (prev === undefined) this.bindings.delete(p);
      else this.bindings.set(p, prev);
      if (p === "") this.dflt = prev;
    }
  }

  /**
   * AttValue with CDATA normalisation (XML 1.0 §3.3.3): literal whitespace becomes a space. Sets
   * this.special unless the value is written as c14n writes it (double quotes, nothing replaced).
   */
  private attrValue(): string {
    const s = this.s;
    const b = this.b;
    const q = b[this.pos];
    if (q !== 0x22 && q !== 0x27) this.fail("attribute value must be quoted");
    const start = this.pos + 1;
    let p = start;
    let refs = false;
    let ws = false;
    for (;;) {
      if (p >= b.length) this.fail("unterminated attribute value", start);
      const c = b[p];
      if (c === q) break;
      if (c === 0x3c) this.fail("'<' in an attribute value", p);
      if (c === 0x26) refs = true;
      else if (c === 0x0a || c === 0x09) ws = true;
      p++;
    }
    this.pos = p + 1;
    this.special = refs || ws || q !== 0x22;
    let v = s.slice(start, p);
    if (ws) v = v.replace(/[\n\t]/g, " ");
    return refs ? this.references(v, start) : v;
  }

  private endTag(cur: XmlElement): void {
    const at = this.pos;
    this.pos += 2;
    // the name as the start tag wrote it, compared in place
    const b = this.b;
    const len = cur.qn.length;
    const nameEnd = this.pos + len;
    let same = nameEnd <= b.length;
    for (let i = 0, x = this.pos, y = cur.start + 1; same && i < len; i++) same = b[x + i] === b[y + i];
    if (!same || (nameEnd < b.length && isNameCharCp(codePointAtOctet(b, nameEnd)))) this.fail(`end tag does not match <${cur.name}>`, at);
    this.pos = nameEnd;
    if (this.skipSpace()) cur.c14n &= C14N_START_TAG;
    if (b[this.pos] !== 0x3e) this.fail("malformed end tag", at);
    this.pos++;
    cur.end = this.pos;
  }

  private comment(parent: XmlElement | null): XmlComment {
    const start = this.pos;
    const end = this.s.indexOf("--", start + 4);
    if (end === -1) this.fail("unterminated comment", start);
    if (this.s.charCodeAt(end + 2) !== 0x3e) this.fail("'--' inside a comment", end);
    this.count();
    this.pos = end + 3;
    return new XmlComment(this.s.slice(start + 4, end), parent, start);
  }

  private pi(parent: XmlElement | null): XmlPI {
    const start = this.pos;
    this.pos += 2;
    const bt = this.name();
    const target = this.ascii ? bt : decodeName(bt);
    if (target.toLowerCase() === "xml") this.fail("XML declaration not at the start of the document", start);
    if (target.indexOf(":") !== -1) this.fail("colon in a processing instruction target", start);
    const end = this.s.indexOf("?>", this.pos);
    if (end === -1) this.fail("unterminated processing instruction", start);
    let data = "";
    if (end > this.pos) {
      if (!isSpace(this.s.charCodeAt(this.pos))) this.fail("malformed processing instruction", start);
      this.skipSpace();
      data = this.s.slice(Math.min(this.pos, end), end);
    }
    this.count();
    this.pos = end + 2;
    return new XmlPI(target, data, parent, start, bt);
  }
}

const NO_ATTRS: XmlAttribute[] = [];

/** "\n" followed by n spaces, by n: the text between the elements of an indented document */
const INDENTS: string[] = Array.from({ length: 64 }, (_, n) => "\n" + " ".repeat(n));


/**
 * The excNeeds of one element on its own (see XmlElement.excNeeds): its visibly utilized prefixes
 * (exc-c14n §3: the element's, and its attributes' but xml), each with the URI it declares for it
 * or null; null when it declares a prefix it does not use (exc-c14n would leave that out).
 */
function ownExcNeeds(prefix: string, attrs: readonly XmlAttribute[], nsDecls: readonly NsDecl[] | null): readonly (string | null)[] | null {
  let extra: string[] | null = null;
  for (const a of attrs) {
    const p = a.bprefix;
    if (p !== "" && p !== "xml" && p !== prefix && (extra === null || !extra.includes(p))) (extra ??= []).push(p);
  }
  if (nsDecls === null && extra === null) {
    if (prefix === "") return USES_DEFAULT;
    if (prefix === "xml") return NO_NEEDS;
    let n = USES_ONLY.get(prefix);
    if (n === undefined) {
      if (USES_ONLY.size >= 1_000) USES_ONLY.clear();
      n = [prefix, null];
      USES_ONLY.set(prefix, n);
    }
    return n;
  }
  const used = prefix === "xml" ? [] : [prefix];
  if (extra) used.push(...extra);
  if (nsDecls) for (const d of nsDecls) if (!used.includes(d.bp)) return null;
  const needs: (string | null)[] = [];
  for (const p of used) needs.push(p, nsDecls?.find((d) => d.bp === p)?.bu ?? null);
  return needs;
}

/**
 * Adds a closed child's excNeeds to its parent's (which has C14N_EXC): a need for a prefix the
 * parent declares is settled here — the parent's declaration is what the child's part of the
 * output sees rendered — and clears C14N_EXC when it is not met; the others become the parent's.
 */
function mergeExcNeeds(parent: XmlElement, child: readonly (string | null)[]): void {
  let list = parent.excNeeds;
  let copied = false;
  for (let i = 0; i < child.length; i += 2) {
    const p = child[i]!;
    const u = child[i + 1] as string | null;
    const decl = parent.nsDecls?.find((d) => d.bp === p);
    if (decl !== undefined) {
      if (u !== null && u === decl.bu) {
        parent.c14n &= ~C14N_EXC;
        return;
      }
      continue;
    }
    let known = false;
    for (let j = 0; j < list.length; j += 2) {
      if (list[j] === p && list[j + 1] === u) {
        known = true;
        break;
      }
    }
    if (!known) {
      if (!copied) {
        list = list.slice();
        copied = true;
      }
      (list as (string | null)[]).push(p, u);
    }
  }
  parent.excNeeds = list;
}

/**
 * Whether text source without a literal `>` is written as canonical XML writes its value (c14n 1.0
 * §2.3; c14n.ts escapeText): then its only references are the four c14n writes (`&amp;` `&lt;`
 * `&gt;` `&#xD;`), since every `&` `<` `>` and CR of the value came from one of its references.
 */
function canonicalReferences(raw: string): boolean {
  for (let amp = raw.indexOf("&"); amp !== -1; amp = raw.indexOf("&", amp + 1)) {
    if (!(raw.startsWith("amp;", amp + 1) || raw.startsWith("lt;", amp + 1) || raw.startsWith("gt;", amp + 1) || raw.startsWith("#xD;", amp + 1))) return false;
  }
  return true;
}

/** name() found more than one colon */
const MANY_COLONS = -2;

/** A qualified name (binary) with its colon at `i` (as name() says): both parts non-empty, no second colon, the local part a name. */
function splitCheck(qname: string, i: number, at: number): void {
  if (i === -1) return;
  if (i === MANY_COLONS || i === 0 || i === qname.length - 1 || !isNameStartCp(codePointAt(qname, i + 1)))
    throw new XmlError("MALFORMED_XML", `bad qualified name ${fromBinary(qname)}`, at);
}

/**
 * Position of an element among same-named siblings. A parent with many children has them
 * counted once (elementPath for many references stays linear), kept on the parent rather than
 * in a WeakMap: young WeakMap keys keep every parsed tree alive through scavenges.
 */
function positionOf(e: XmlElement, parent: XmlElement): number {
  const kids = parent.children;
  if (kids.length <= 64) {
    let i = 0;
    for (const c of kids) {
      if (c.type === 1 && c.qn === e.qn) {
        i++;
        if (c === e) return i;
      }
    }
    return 1;
  }
  let m = parent.positions;
  if (!m) {
    m = new Map();
    const counts = new Map<string, number>();
    for (const c of kids) {
      if (c.type !== 1) continue;
      const i = (counts.get(c.qn) ?? 0) + 1;
      counts.set(c.qn, i);
      m.set(c, i);
    }
    parent.positions = m;
  }
  return m.get(e) ?? 1;
}

/** An XPath-like path of an element: `/Заявление/Данни[1]` (position among same-named siblings). */
export function elementPath(el: XmlElement): string {
  let path = "";
  for (let e: XmlElement | null = el; e; e = e.parent) {
    path = e.parent ? `/${e.name}[${positionOf(e, e.parent)}]${path}` : `/${e.name}${path}`;
  }
  return path;
}
