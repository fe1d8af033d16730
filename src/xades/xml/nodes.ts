/**
 * The parsed tree: what canonical XML needs (XML c14n 1.0 §2.1 data model). Elements keep their
 * namespace declarations and attributes in source order; text has CDATA merged and references
 * replaced; comments and processing instructions are kept. Names and values are binary strings
 * (binary.ts) decoded only when read.
 */

import { fromBinary } from "../binary.js";
import { decodeName } from "./chars.js";

export const XML_NS = "http://www.w3.org/XML/1998/namespace";
export const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

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

/** excNeeds of an element that needs nothing (shared) */
export const NO_NEEDS: readonly (string | null)[] = [];
const NO_CHILDREN: XmlNode[] = [];

/** Builds the nodes of a collapsed element (the parser, which nodes.ts does not import). */
export interface Expander {
  expand(el: XmlElement): XmlNode[];
}

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
  /**
   * The child nodes in order (an element without any shares one empty array: only the parser
   * adds children); `children` reads them, building them first for a collapsed element.
   */
  declare kids: XmlNode[];
  /**
   * Set on a collapsed element (parser.ts collapse()): its content was checked well-formed but its
   * nodes are built only when `children` is first read. Such a subtree is canonical (C14N_SUBTREE,
   * so c14n.ts copies it without reading its nodes), declares no namespace, uses only its root's
   * prefix, and holds no ID-like attribute (XmlDocument.ids is complete) and no element of an
   * XMLDSig or XAdES namespace (walkers looking for ds:Signature may skip it).
   */
  declare collapsed: Expander | null;
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
    this.kids = NO_CHILDREN;
    this.collapsed = null;
    this.end = 0;
    this.c14n = 0;
    this.tagEnd = 0;
    this.positions = null;
    this.excNeeds = NO_NEEDS;
  }

  get children(): XmlNode[] {
    const x = this.collapsed;
    if (x !== null) {
      this.collapsed = null;
      this.kids = x.expand(this);
    }
    return this.kids;
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
  /** the octets of `source`, one per character (copied source goes from here to a digest as it is) */
  octets: Uint8Array;
  /**
   * Elements carrying an ID-like attribute (unprefixed Id, ID or id, or xml:id), by value. Without a
   * DTD nothing says which attributes are IDs; XMLDSig practice uses these, and collecting all of
   * them lets signature code refuse an ambiguous reference (signature wrapping).
   */
  ids: Map<string, XmlElement[]>;
  elementCount: number;
  nodeCount: number;
}
