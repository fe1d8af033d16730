/**
 * The parser: bytes (or text) in, an XmlDocument out, or an XmlError. No DTD at all, caps on size,
 * depth, attributes and nodes checked while reading, nothing fetched.
 */

import { codePointAt, compareCodePoints, encodeCodePoint, fromBinary, sequenceLength, toBinary } from "../binary.js";
import { type ScanResult, collapsible, scanCollapsible } from "./collapse.js";
import { NAME, codePointAtOctet, decodeName, firstInvalid, isNameCharCp, isNameStartCp, isSpace, isXmlChar } from "./chars.js";
import { binaryXml } from "./encoding.js";
import { DEFAULT_VALIDATION_BUDGET } from "../../limits/budgets.js";
import { XmlError, XmlLimitError } from "./errors.js";
import { canonicalReferences, mergeExcNeeds, ownExcNeeds } from "./exc-needs.js";
import {
  C14N_EXC,
  C14N_START_TAG,
  C14N_SUBTREE,
  C14N_SUBTREE_COMMENTS,
  type Expander,
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
} from "./nodes.js";

export interface ParseOptions {
  /** input size cap in bytes (UTF-16 units for string input); default 32 MiB */
  maxBytes?: number;
  /** element nesting cap; default 256 */
  maxDepth?: number;
  /** attributes (namespace declarations included) per element; default 256 */
  maxAttributes?: number;
  /** elements + text + comments + PIs, counted while parsing; default the budget's xmlNodes */
  maxNodes?: number;
  /** collapse plain canonical content (xml/collapse.ts; default true): false builds every node at once */
  collapse?: boolean;
}

export const DEFAULT_LIMITS: Required<ParseOptions> = {
  maxBytes: 32 * 1024 * 1024,
  maxDepth: 256,
  maxAttributes: 256,
  maxNodes: DEFAULT_VALIDATION_BUDGET.xmlNodes,
  collapse: true,
};

export function parseXml(input: Uint8Array | string, options?: ParseOptions): XmlDocument {
  const lim = options ? { ...DEFAULT_LIMITS, ...options } : DEFAULT_LIMITS;
  if (input.length > lim.maxBytes) throw new XmlLimitError("xmlBytes", lim.maxBytes, input.length, `document of ${input.length} bytes exceeds the limit of ${lim.maxBytes}`);
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
  // (a document too short to hold more nodes than the cap is not scanned: `<a/>x` is 2.5 octets a node)
  if (s.length > 2.5 * lim.maxNodes) {
    const least = nodesAtLeast(s);
    if (least > lim.maxNodes) throw new XmlLimitError("xmlNodes", lim.maxNodes, least, `at least ${least} nodes, more than the limit of ${lim.maxNodes}`);
  }
  try {
    return new Parser(s, octets ?? Buffer.from(s, "latin1"), lim).parse();
  } finally {
    trimShared();
  }
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
  /** start offsets of elements not to collapse: a scan from an enclosing one stopped inside them */
  private readonly noCollapse = new Set<number>();
  private readonly scan: ScanResult = SHARED.scan;
  /**
   * What the last scan that stopped found of the subtrees inside it (ScanResult.done), in document
   * order, as quadruples (start, end, nodes, elements); the parser meets them in that order, so a
   * cursor (`nextPrescanned`) finds each. A scan that stops later starts past all of them.
   */
  private readonly prescanned: number[] = SHARED.prescanned;
  /** how many numbers of `prescanned` are this parse's (the array is shared: see SHARED) */
  private prescannedLength = 0;
  private nextPrescanned = 0;
  /** what builds this document's collapsed elements (made on first use) */
  private expander: Expander | null = null;

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
    if (++this.nodes > this.lim.maxNodes) throw new XmlLimitError("xmlNodes", this.lim.maxNodes, this.nodes, `more than ${this.lim.maxNodes} nodes`, this.pos);
  }

  /**
   * The document, or with `frag` (a collapsed element of this source, see collapse()) only that
   * element's content: its nodes are built as parsing the whole document would have built them.
   */
  parse(frag: XmlElement | null = null): XmlDocument {
    const s = this.s;
    const n = s.length;
    const top: Array<XmlElement | XmlComment | XmlPI> = [];
    let root: XmlElement | null = frag;
    let cur: XmlElement | null = frag;
    const stack: XmlElement[] = [];
    // The children of the open elements, each element's after its mark in `marks`: an element
    // gets them as one array of their exact size at its end tag (an array grown by push would
    // reserve room for seventeen). Only the parser adds children.
    const kids: XmlNode[] = [];
    const marks: number[] = [];
    let nk = 0;

    if (frag !== null) this.enter(frag, stack, marks);
    else if (s.startsWith("<?xml") && isSpace(s.charCodeAt(5))) this.xmlDeclaration();

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
          cur.kids = children;
          nk = mark;
        }
        const closed = cur;
        cur = stack.length ? stack[stack.length - 1]! : null;
        if (frag !== null && cur === null) break;
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
        if (stack.length >= this.lim.maxDepth) throw new XmlLimitError("xmlDepth", this.lim.maxDepth, stack.length + 1, `elements nested deeper than ${this.lim.maxDepth}`, lt);
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
        } else if ((el.c14n & C14N_SUBTREE) !== 0 && this.lim.collapse && collapsible(el.ns) && !this.noCollapse.has(el.start) && this.collapse(el, stack.length)) {
          // (closed as at its end tag below)
          if (el.nsDecls) this.popScope();
          if (cur) {
            cur.c14n &= el.c14n | C14N_START_TAG;
            if ((cur.c14n & C14N_EXC) !== 0 && el.excNeeds !== cur.excNeeds) mergeExcNeeds(cur, el.excNeeds);
          }
        } else {
          stack.push(el);
          marks.push(nk);
          cur = el;
        }
      }
    }
    if (cur) this.fail(`element <${cur.name}> is not closed`, n);
    if (!root) this.fail("no document element", n);
    return { root, children: top, source: s, octets: this.b, ids: this.ids, elementCount: this.order, nodeCount: this.nodes };
  }

  /**
   * Collapses an element whose start tag was just read and whose content is of the plain form
   * collapse.ts scans (`ancestors` open around it): counts its nodes and reserves their document
   * order, as building them would; false (nothing changed) when the content is of any other form,
   * or would exceed a cap — the full parser then reads it and reports what it has to.
   */
  private collapse(el: XmlElement, ancestors: number): boolean {
    const s = this.s;
    const from = el.tagEnd + 1;
    // (an element holding only text gains nothing: one node either way)
    const lt = s.indexOf("<", from);
    if (lt === -1 || this.b[lt + 1] === 0x2f) return false;
    const r = this.scan;
    const pre = this.prescanned;
    let k = this.nextPrescanned;
    const preLength = this.prescannedLength;
    while (k < preLength && pre[k]! < el.start) k += 4;
    this.nextPrescanned = k;
    let end: number;
    let nodes: number;
    let elements: number;
    if (k < preLength && pre[k] === el.start) {
      end = pre[k + 1]!;
      nodes = pre[k + 2]!;
      elements = pre[k + 3]!;
    } else if (scanCollapsible(this.b, el.start, el.tagEnd, el.qn.length, el.bprefix.length, this.lim.maxDepth - ancestors - 1, this.lim.maxAttributes, r)) {
      end = r.end;
      nodes = r.nodes;
      elements = r.elements;
    } else {
      // the elements open where the scan stopped would stop a scan at the same place; those it
      // closed inside them would pass one
      for (const o of r.open) this.noCollapse.add(o);
      const d = r.done;
      if (r.doneLength !== 0) {
        let m = 0;
        for (let i = 0; i < r.doneLength; i += 5, m += 4) {
          pre[m] = d[i]!;
          pre[m + 1] = d[i + 1]!;
          pre[m + 2] = d[i + 2]!;
          pre[m + 3] = d[i + 3]!;
        }
        this.prescannedLength = m;
        this.nextPrescanned = 0;
      }
      return false;
    }
    if (this.nodes + nodes > this.lim.maxNodes) return false;
    this.nodes += nodes;
    this.order += elements;
    this.pos = end;
    el.end = end;
    el.collapsed = this.expander ??= new ContentBuilder(s, this.b, this.lim);
    // what its element children would have added to its exc-c14n facts (same prefix, declaring nothing)
    if ((el.c14n & C14N_EXC) !== 0 && elements !== 0) mergeExcNeeds(el, ownExcNeeds(el.bprefix, NO_ATTRS, null)!);
    return true;
  }

  /** Starts parsing the content of a collapsed element (parse(frag)): its scope and its place among the open elements. */
  private enter(el: XmlElement, stack: XmlElement[], marks: number[]): void {
    // the subtree uses only the element's prefix, bound above it or on it (collapse())
    const p = el.bprefix;
    for (let e: XmlElement | null = el; e; e = e.parent) {
      const d = e.nsDecls?.find((x) => x.bp === p);
      if (d !== undefined) {
        this.bindings.set(p, d);
        if (p === "") this.dflt = d;
        break;
      }
    }
    if (el.nsDecls) this.undoMarks.push(this.undo.length);
    stack.push(el);
    marks.push(0);
    this.order = el.order + 1;
    this.pos = el.tagEnd + 1;
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
      if (count++ >= this.lim.maxAttributes) throw new XmlLimitError("xmlAttributes", this.lim.maxAttributes, count, `more than ${this.lim.maxAttributes} attributes on <${fromBinary(qn)}>`, start);
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

/**
 * The scan's result and the parser's copy of what a stopped scan closed, shared by every parse:
 * a parse runs to its end without yielding, and a collapsed element is built (ContentBuilder) only
 * after its document's parse — so one parse uses them at a time, and the arrays, written by index,
 * keep their room from one document to the next instead of growing anew in each (~12 KB a form).
 */
const SHARED: { scan: ScanResult; prescanned: number[] } = {
  scan: { end: 0, nodes: 0, elements: 0, open: [], lens: [], done: [], doneLength: 0, counts: [] },
  prescanned: [],
};

/** After a parse: arrays a large document grew are let go (a form's need a few thousand numbers). */
function trimShared(): void {
  const r = SHARED.scan;
  if (r.done.length > 65_536 || SHARED.prescanned.length > 65_536 || r.open.length > 4_096) {
    SHARED.scan = { end: 0, nodes: 0, elements: 0, open: [], lens: [], done: [], doneLength: 0, counts: [] };
    SHARED.prescanned = [];
  }
}

/** Builds the nodes of a collapsed element of one document, on first use (XmlElement.collapsed). */
class ContentBuilder implements Expander {
  constructor(
    private readonly s: string,
    private readonly b: Uint8Array,
    private readonly lim: Required<ParseOptions>,
  ) {}

  expand(el: XmlElement): XmlNode[] {
    // (parsing the content again merges the children's facts into the element: they are already there)
    const { c14n, excNeeds, end } = el;
    try {
      new Parser(this.s, this.b, this.lim).parse(el);
    } finally {
      trimShared();
    }
    el.c14n = c14n;
    el.excNeeds = excNeeds;
    el.end = end;
    return el.kids;
  }
}

/** "\n" followed by n spaces, by n: the text between the elements of an indented document */
const INDENTS: string[] = Array.from({ length: 64 }, (_, n) => "\n" + " ".repeat(n));

/**
 * A lower bound of the nodes the parser would count, by native searches only (no tree): every
 * start tag, comment, processing instruction and CDATA section is one node, and so is text that
 * ends where markup starts when its last character is not `>` (text cannot hold `<`). What a
 * comment, PI or CDATA section holds is skipped. A document over the node cap is refused for the
 * price of this scan, before any node is made (issue 11: 1.9M empty elements cost seconds and
 * hundreds of megabytes when the cap was reached only by building them).
 */
function nodesAtLeast(s: string): number {
  let n = 0;
  for (let lt = s.indexOf("<"); lt !== -1; ) {
    const c = s.charCodeAt(lt + 1);
    let next = lt + 1;
    if (lt > 0 && s.charCodeAt(lt - 1) !== 0x3e /* > */) n++;
    if (c === 0x21 /* ! */) {
      const cdata = s.startsWith("<![CDATA[", lt);
      const end = s.startsWith("<!--", lt) ? s.indexOf("-->", lt + 4) : cdata ? s.indexOf("]]>", lt + 9) : lt;
      if (end === -1) break;
      if (end !== lt) {
        n++;
        next = end + 3;
      }
    } else if (c === 0x3f /* ? */) {
      const end = s.indexOf("?>", lt + 2);
      if (end === -1) break;
      if (lt !== 0) n++;
      next = end + 2;
    } else if (c !== 0x2f /* / */) n++;
    lt = s.indexOf("<", next);
  }
  return n;
}

/** name() found more than one colon */
const MANY_COLONS = -2;

/** A qualified name (binary) with its colon at `i` (as name() says): both parts non-empty, no second colon, the local part a name. */
function splitCheck(qname: string, i: number, at: number): void {
  if (i === -1) return;
  if (i === MANY_COLONS || i === 0 || i === qname.length - 1 || !isNameStartCp(codePointAt(qname, i + 1)))
    throw new XmlError("MALFORMED_XML", `bad qualified name ${fromBinary(qname)}`, at);
}
