/**
 * Canonical XML over the tree of xml.ts: inclusive c14n 1.0 (W3C REC 2001-03-15), c14n 1.1
 * (W3C REC 2008-05-02) and exclusive c14n 1.0 (W3C REC 2002-07-18), each with or without comments.
 *
 * The node-sets XMLDSig produces for same-document references are an element subtree (or the
 * whole document) minus comments when the reference is a bare name or "", minus any subtrees the
 * enveloped-signature transform removes. That is what is supported here: an apex (element or
 * document), an optional set of excluded element subtrees, and comments kept or dropped. In such
 * a node-set only the apex can have a parent outside the set, which is where namespace and xml:*
 * attribute context has to be brought in from the ancestors.
 */
import { OctetSink, binaryOctets, compareCodePoints, fromBinary, toBinary } from "./binary.js";

export { compareCodePoints };
import { nullPrototype } from "./algorithms.js";
import { C14N_EXC, C14N_START_TAG, C14N_SUBTREE, C14N_SUBTREE_COMMENTS, XML_NS, type XmlDocument, type XmlElement, type XmlNode } from "./xml.js";

export type C14nMethod = "c14n10" | "c14n11" | "exc-c14n";

export interface C14nAlgorithm {
  method: C14nMethod;
  comments: boolean;
}

/** Algorithm URIs (XMLDSig 1.1 §6.6, c14n 1.1 §1, exc-c14n §2.1); no prototype (algorithms.ts nullPrototype), look up with c14nAlgorithm() */
export const C14N_ALGORITHMS: Readonly<Record<string, C14nAlgorithm>> = nullPrototype({
  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": { method: "c14n10", comments: false },
  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": { method: "c14n10", comments: true },
  "http://www.w3.org/2006/12/xml-c14n11": { method: "c14n11", comments: false },
  "http://www.w3.org/2006/12/xml-c14n11#WithComments": { method: "c14n11", comments: true },
  "http://www.w3.org/2001/10/xml-exc-c14n#": { method: "exc-c14n", comments: false },
  "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": { method: "exc-c14n", comments: true },
});

const C14N_BY_URI: ReadonlyMap<string, C14nAlgorithm> = new Map(Object.entries(C14N_ALGORITHMS));

/** The canonicalization an Algorithm URI names, or undefined. */
export function c14nAlgorithm(uri: string | null | undefined): C14nAlgorithm | undefined {
  return uri == null ? undefined : C14N_BY_URI.get(uri);
}

export const EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#";

export interface C14nOptions extends C14nAlgorithm {
  /** exc-c14n InclusiveNamespaces PrefixList; "#default" stands for the default namespace */
  inclusivePrefixes?: readonly string[];
  /** element subtrees left out of the node-set (the enveloped-signature transform) */
  exclude?: ReadonlySet<XmlElement> | null;
  /** the apex element itself is not in the node-set, only its content (XPath Filter 2.0 `id('x')/node()`) */
  contentOnly?: boolean;
}

/** The document source and its octets (XmlDocument): canonicalDigest copies source spans as octets. */
export interface SourceOctets {
  source: string;
  octets: Uint8Array;
}

/** Canonicalizes an element subtree or a whole document; the result is to be encoded as UTF-8. */
export function canonicalize(target: XmlElement | XmlDocument, opts: C14nOptions): string {
  return fromBinary(new Canonicalizer(opts).run(target));
}

/** The canonical form as a binary string (binary.ts: one character per octet of its UTF-8). */
export function canonicalBinary(target: XmlElement | XmlDocument, opts: C14nOptions): string {
  return new Canonicalizer(opts).run(target);
}

/**
 * The digest of the canonical form and its length in octets: the pieces go straight to the
 * octets that are hashed, with no canonical string joined first.
 */
export function canonicalDigest(target: XmlElement | XmlDocument, opts: C14nOptions, alg: string, doc?: SourceOctets): { digest: Buffer; length: number } {
  const sink = new OctetSink();
  // (the canonical form is about as long as its source)
  sink.reserve("root" in target ? target.source.length : target.end - target.start);
  new Canonicalizer(opts, sink, doc ?? null).run(target);
  return { digest: sink.digest(alg), length: sink.length };
}

/** The canonical form as octets (UTF-8), built without decoding the document's text. */
export function canonicalOctets(target: XmlElement | XmlDocument, opts: C14nOptions): Buffer {
  return binaryOctets(new Canonicalizer(opts).run(target));
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<"\t\n\r]/;

/** c14n 1.0 §2.3 text node escaping */
export function escapeText(t: string): string {
  if (!TEXT_SPECIAL.test(t)) return t;
  return t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;");
}

/** c14n 1.0 §2.3 attribute value escaping */
export function escapeAttr(v: string): string {
  if (!ATTR_SPECIAL.test(v)) return v;
  return v
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;");
}

/** An attribute to render: namespace URI as a string, local name, qualified name and value as binary strings. */
interface AttrOut {
  ns: string;
  bl: string;
  qn: string;
  raw: string;
}

const NONE: readonly string[] = [];

/** (UTF-8 binary order is code point order) */
function byNsThenLocal(a: AttrOut, b: AttrOut): number {
  return a.ns === b.ns ? (a.bl === b.bl ? 0 : a.bl < b.bl ? -1 : 1) : compareCodePoints(a.ns, b.ns);
}

function byPrefix(a: [string, string], b: [string, string]): number {
  return compareCodePoints(a[0], b[0]);
}

function inOrder<T>(list: readonly T[], cmp: (a: T, b: T) => number): boolean {
  for (let i = 1; i < list.length; i++) if (cmp(list[i - 1]!, list[i]!) >= 0) return false;
  return true;
}

/**
 * Sorts in place a list whose keys are all different (namespace prefixes; attributes, which the
 * parser keeps unique), so any sort gives the one order: a short list by insertion, which unlike
 * Array.prototype.sort allocates nothing.
 */
function sortUnique<T>(list: T[], cmp: (a: T, b: T) => number): T[] {
  if (list.length > 16) return list.sort(cmp);
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && cmp(list[j]!, x) > 0) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
  return list;
}

/**
 * Works on binary strings (binary.ts) throughout: prefixes, URIs, names and values as UTF-8
 * bytes, so the output is the canonical octets one character per byte. UTF-8 keeps code point
 * order, so sorting binary prefixes sorts them by code point as c14n requires.
 */
class Canonicalizer {
  private out = "";
  /** in-scope binary prefix → binary URI at the element being rendered ("" key: default namespace) */
  private readonly scope = new Map<string, string>();
  /** prefix → URI as rendered by the output ancestors */
  private readonly rendered = new Map<string, string>();
  private readonly undo: Array<Map<string, string> | string | undefined> = [];
  private readonly exclusive: boolean;
  private readonly inclusive: readonly string[];
  private readonly comments: boolean;
  private readonly exclude: ReadonlySet<XmlElement> | null;
  /** start offsets of the excluded elements, sorted (to tell whether a subtree holds one) */
  private excludedStarts: number[] | null = null;
  /** the XmlElement.c14n bit saying a whole subtree is canonical in this mode (with C14N_EXC for exc-c14n); 0: not usable */
  private readonly subtreeBit: number;

  constructor(
    private readonly opts: C14nOptions,
    /** where the output goes when not to a string */
    private readonly sink: OctetSink | null = null,
    /** with a sink: the octets of the source copied from */
    private readonly octets: SourceOctets | null = null,
  ) {
    this.exclusive = opts.method === "exc-c14n";
    this.inclusive = this.exclusive ? (opts.inclusivePrefixes ?? []).map((p) => (p === "#default" ? "" : toBinary(p))) : NONE;
    this.comments = opts.comments;
    this.exclude = opts.exclude && opts.exclude.size ? opts.exclude : null;
    // exc-c14n with an InclusiveNamespaces PrefixList renders those prefixes on every element: no copying then
    this.subtreeBit = this.exclusive && this.inclusive.length > 0 ? 0 : opts.comments ? C14N_SUBTREE_COMMENTS : C14N_SUBTREE;
  }

  /**
   * exc-c14n: whether the namespaces rendered so far are as XmlElement.excNeeds requires (the
   * conditions of namespaces() under which its declarations are rendered and its other visibly
   * utilized prefixes are not).
   */
  private excNeedsMet(needs: readonly (string | null)[]): boolean {
    for (let i = 0; i < needs.length; i += 2) {
      const p = needs[i]!;
      const u = needs[i + 1] as string | null;
      const r = this.rendered.get(p);
      if (u === null) {
        // used, not declared: must not be rendered
        const uri = this.scope.get(p);
        if (p === "" ? (r ?? "") !== (uri ?? "") : uri !== undefined && uri !== "" && r !== uri) return false;
      } else if (p === "" ? (r ?? "") === u : u === "" || r === u) return false; // declared: must be rendered
    }
    return true;
  }

  /**
   * Source copied to the output is kept as a pending range while the next copy continues it, so
   * adjacent canonical nodes become one slice (fewer, longer pieces to join and to hash).
   */
  private src = "";
  private pendFrom = -1;
  private pendTo = -1;

  private copy(source: string, from: number, to: number): void {
    if (this.pendTo === from && this.src === source) {
      this.pendTo = to;
      return;
    }
    this.flush();
    this.src = source;
    this.pendFrom = from;
    this.pendTo = to;
  }

  private flush(): void {
    if (this.pendFrom !== -1) {
      if (this.sink !== null) {
        if (this.octets !== null && this.src === this.octets.source) this.sink.writeOctets(this.octets.octets, this.pendFrom, this.pendTo);
        else this.sink.write(this.src.slice(this.pendFrom, this.pendTo));
      }
      else this.out += this.src.slice(this.pendFrom, this.pendTo);
      this.pendFrom = -1;
      this.pendTo = -1;
    }
  }

  private emit(text: string): void {
    if (this.pendFrom !== -1) this.flush();
    if (this.sink !== null) this.sink.write(text);
    else this.out += text;
  }

  private result(): string {
    this.flush();
    return this.out;
  }

  /** Whether an excluded element lies strictly inside `el`. */
  private holdsExcluded(el: XmlElement): boolean {
    if (this.exclude === null) return false;
    let starts = this.excludedStarts;
    if (starts === null) {
      starts = [];
      for (const x of this.exclude) starts.push(x.start);
      starts.sort((a, b) => a - b);
      this.excludedStarts = starts;
    }
    // the first excluded start after el.start
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= el.start) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length && starts[lo]! < el.end;
  }

  run(target: XmlElement | XmlDocument): string {
    if ("root" in target) {
      // c14n 1.0 §2.1: nodes around the document element are separated from it by #xA
      let seenRoot = false;
      for (const node of target.children) {
        if (node.type === 1) {
          if (!this.excluded(node)) this.element(node, true);
          seenRoot = true;
        } else if (node.type === 8 && !this.comments) continue;
        else {
          if (seenRoot) this.emit("\n");
          this.other(node);
          if (!seenRoot) this.emit("\n");
        }
      }
      return this.result();
    }
    if (this.excluded(target)) return "";
    // bring in the namespace context of the omitted ancestors
    const chain: XmlElement[] = [];
    for (let e = target.parent; e; e = e.parent) chain.push(e);
    for (let i = chain.length - 1; i >= 0; i--) {
      const decls = chain[i]!.nsDecls;
      if (decls) for (const d of decls) this.scope.set(d.bp, d.bu);
    }
    if (this.opts.contentOnly) {
      // each child is rendered as an apex: its parent is not in the node-set (c14n 1.0 §2.3)
      if (target.nsDecls) for (const d of target.nsDecls) this.scope.set(d.bp, d.bu);
      const above = [target, ...chain];
      for (const c of target.children) {
        if (c.type === 1) {
          if (!this.excluded(c)) this.element(c, true, above);
        } else if (c.type === 3) {
          if (c.special) this.emit(escapeText(c.raw));
          else this.copy(target.source, c.start, c.start + c.raw.length);
        } else if (c.type === 7 || this.comments) this.other(c);
      }
      return this.result();
    }
    this.element(target, true, chain);
    return this.result();
  }

  private excluded(el: XmlElement): boolean {
    return this.exclude !== null && this.exclude.has(el);
  }

  private set(map: Map<string, string>, k: string, v: string): void {
    this.undo.push(map, k, map.get(k));
    map.set(k, v);
  }

  /** The namespace nodes to render on `el` (c14n 1.0 §2.3 / §4.7; exc-c14n §3), in any order. */
  private namespaces(el: XmlElement, apex: boolean): Array<[string, string]> | null {
    let nsOut: Array<[string, string]> | null = null;
    if (this.exclusive) {
      const seen: string[] = [el.bprefix];
      nsOut = this.consider(el.bprefix, nsOut);
      for (const a of el.attrs) {
        if (a.bprefix !== "" && a.bprefix !== "xml" && !seen.includes(a.bprefix)) {
          seen.push(a.bprefix);
          nsOut = this.consider(a.bprefix, nsOut);
        }
      }
      for (const p of this.inclusive) {
        if (!seen.includes(p)) {
          seen.push(p);
          nsOut = this.consider(p, nsOut);
        }
      }
    } else if (apex) {
      for (const p of this.scope.keys()) nsOut = this.consider(p, nsOut);
      if (!this.scope.has("")) nsOut = this.consider("", nsOut);
    } else if (el.nsDecls) {
      for (const d of el.nsDecls) nsOut = this.consider(d.bp, nsOut);
    }
    return nsOut;
  }

  /** Adds the namespace node of prefix `p` to `nsOut` when it is to be rendered here. */
  private consider(p: string, nsOut: Array<[string, string]> | null): Array<[string, string]> | null {
    if (p === "xml") return nsOut;
    const uri = this.scope.get(p);
    if (p === "") {
      const v = uri ?? "";
      if ((this.rendered.get("") ?? "") !== v) (nsOut ??= []).push(["", v]);
    } else if (uri !== undefined && uri !== "" && this.rendered.get(p) !== uri) {
      (nsOut ??= []).push([p, uri]);
    }
    return nsOut;
  }

  private element(el: XmlElement, apex: boolean, ancestors?: XmlElement[]): void {
    // Below the apex of inclusive c14n, source the parser found canonical is copied as it is
    // (XmlElement.c14n): the output ancestors have rendered exactly the namespaces in scope.
    const fast = !apex && this.subtreeBit !== 0 ? el.c14n : 0;
    if ((fast & this.subtreeBit) !== 0 && (!this.exclusive || ((fast & C14N_EXC) !== 0 && this.excNeedsMet(el.excNeeds))) && !this.holdsExcluded(el)) {
      this.copy(el.source, el.start, el.end);
      return;
    }
    const mark = this.undo.length;
    if (el.nsDecls) for (const d of el.nsDecls) this.set(this.scope, d.bp, d.bu);
    if ((fast & C14N_START_TAG) !== 0 && !this.exclusive) {
      // inclusive c14n: every declaration on the tag is rendered (none repeats what is in scope)
      if (el.nsDecls) for (const d of el.nsDecls) this.set(this.rendered, d.bp, d.bu);
      // (an empty-element tag `<a/>` ends at its `/`: its `>` is written)
      if (el.source.charCodeAt(el.tagEnd) === 0x3e) this.copy(el.source, el.start, el.tagEnd + 1);
      else {
        this.copy(el.source, el.start, el.tagEnd);
        this.emit(">");
      }
      this.children(el);
      this.emit("</" + el.qn + ">");
      this.restore(mark);
      return;
    }

    // Outside exc-c14n, an element below the apex that declares nothing renders no namespace node.
    const nsOut = this.exclusive || apex || el.nsDecls ? this.namespaces(el, apex) : null;

    // attribute axis, plus xml:* attributes of omitted ancestors at the apex (c14n 1.0 §2.4, c14n 1.1 §2.4)
    let attrs: readonly AttrOut[] = el.attrs;
    if (apex && ancestors && ancestors.length && !this.exclusive) attrs = this.inheritXmlAttrs(el, ancestors);

    let s = "<" + el.qn;
    if (nsOut !== null) {
      const list: Array<[string, string]> = nsOut;
      if (list.length > 1) sortUnique(list, byPrefix);
      for (const [p, uri] of list) {
        s += p === "" ? ' xmlns="' + escapeAttr(uri) + '"' : " xmlns:" + p + '="' + escapeAttr(uri) + '"';
        this.set(this.rendered, p, uri);
      }
    }
    if (attrs.length) {
      if (attrs.length > 1 && !inOrder(attrs, byNsThenLocal)) attrs = sortUnique(attrs.slice(), byNsThenLocal);
      for (const a of attrs) s += " " + a.qn + '="' + escapeAttr(a.raw) + '"';
    }
    this.emit(s + ">");
    this.children(el);
    this.emit("</" + el.qn + ">");
    this.restore(mark);
  }

  private children(el: XmlElement): void {
    const children = el.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      switch (c.type) {
        case 3:
          // text without anything to escape is its source (XmlText.special)
          if (c.special) this.emit(escapeText(c.raw));
          else this.copy(el.source, c.start, c.start + c.raw.length);
          break;
        case 1:
          if (!this.excluded(c)) this.element(c, false);
          break;
        case 8:
          if (this.comments) this.other(c);
          break;
        case 7:
          this.other(c);
          break;
      }
    }
  }

  private restore(mark: number): void {
    const undo = this.undo;
    while (undo.length > mark) {
      const prev = undo.pop() as string | undefined;
      const k = undo.pop() as string;
      const map = undo.pop() as Map<string, string>;
      if (prev === undefined) map.delete(k);
      else map.set(k, prev);
    }
  }

  private inheritXmlAttrs(el: XmlElement, ancestors: XmlElement[]): AttrOut[] {
    const v11 = this.opts.method === "c14n11";
    const own = new Set<string>();
    for (const a of el.attrs) if (a.ns === XML_NS) own.add(a.local);
    const extra: AttrOut[] = [];
    const bases: string[] = [];
    for (const anc of ancestors) {
      for (const a of anc.attrs) {
        if (a.ns !== XML_NS) continue;
        if (v11) {
          // c14n 1.1 §2.4: xml:id is not inherited; xml:base is joined, not copied
          if (a.local === "id") continue;
          if (a.local === "base") {
            bases.push(a.value);
            continue;
          }
          if (a.local !== "lang" && a.local !== "space") continue;
        }
        if (own.has(a.local) || extra.some((x) => x.bl === a.bl)) continue;
        extra.push({ ns: XML_NS, bl: a.bl, qn: "xml:" + a.bl, raw: a.raw });
      }
    }
    let attrs: AttrOut[] = el.attrs;
    if (v11 && bases.length) {
      // nearest ancestor last in `bases` order reversed: resolve from the outermost inwards
      let base = bases[bases.length - 1]!;
      for (let i = bases.length - 2; i >= 0; i--) base = joinUri(base, bases[i]!);
      const ownBase = el.attr("base", XML_NS);
      const value = ownBase === null ? base : joinUri(base, ownBase);
      attrs = attrs.filter((a) => !(a.ns === XML_NS && a.bl === "base"));
      extra.push({ ns: XML_NS, bl: "base", qn: "xml:base", raw: toBinary(value) });
    }
    return extra.length ? [...attrs, ...extra] : attrs;
  }

  private other(node: XmlNode): void {
    if (node.type === 8) this.emit("<!--" + node.raw + "-->");
    else if (node.type === 7) this.emit("<?" + node.bt + (node.raw ? " " + node.raw : "") + "?>");
  }
}

/**
 * RFC 3986 §5.2 reference resolution as c14n 1.1 §2.4 uses it for xml:base fix-up, where both
 * values may be relative: leading ".." segments of a relative result are kept.
 */
export function joinUri(base: string, ref: string): string {
  if (ref === "") return base.replace(/#.*$/, "");
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) return ref;
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(\?[^#]*)?/.exec(base)!;
  const scheme = m[1] !== undefined ? m[1] + ":" : "";
  const authority = m[2] !== undefined ? "//" + m[2] : "";
  const bpath = m[3] ?? "";
  if (ref.startsWith("//")) return scheme + ref;
  if (ref.startsWith("?")) return scheme + authority + bpath + ref;
  if (ref.startsWith("#")) return scheme + authority + bpath + (m[4] ?? "") + ref;
  let path: string;
  const q = ref.search(/[?#]/);
  const rpath = q === -1 ? ref : ref.slice(0, q);
  const rest = q === -1 ? "" : ref.slice(q);
  if (rpath.startsWith("/")) path = rpath;
  else if (authority && bpath === "") path = "/" + rpath;
  else path = bpath.slice(0, bpath.lastIndexOf("/") + 1) + rpath;
  return scheme + authority + removeDotSegments(path) + rest;
}

function removeDotSegments(path: string): string {
  const absolute = path.startsWith("/");
  const segs = path.split("/");
  if (absolute) segs.shift();
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === ".") {
      if (last) out.push("");
    } else if (s === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      if (last) out.push("");
    } else out.push(s);
  }
  return (absolute ? "/" : "") + out.join("/");
}
