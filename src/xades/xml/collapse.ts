/**
 * Collapsed subtrees (issue 12, speed on other producers' forms): most of a signed form is
 * content podpis never looks at node by node — rows of data that c14n copies as source
 * (XmlElement.c14n) and no walker enters. The parser checks such content with the scan below,
 * which builds nothing, and the nodes are built only if something reads `children`
 * (XmlElement.collapsed).
 *
 * The scan accepts only the plainest canonical form — the subtree's own grammar is a subset of
 * what parser.ts accepts, so that anything unusual is left to the full parser and its errors:
 * start tags `<P:name a="v" b="w">` with the root's prefix P, unprefixed attributes in canonical
 * order with double-quoted values holding no `&`, `<`, tab or line end, no namespace declaration,
 * no ID-like attribute (Id, ID, id: XmlDocument.ids stays complete), no empty-element tag, end
 * tags `</P:name>`, text holding no `&` or `>`, and no comment, PI or CDATA section. Everything it
 * accepts is well-formed and canonical below the apex, in inclusive and exclusive c14n alike.
 */

import { isNameCharCp, isNameStartCp, NAME, codePointAtOctet } from "./chars.js";
import { sequenceLength } from "../binary.js";

/**
 * Whether elements of a namespace may be collapsed: none of the W3C's (XMLDSig, XHTML, …) or
 * ETSI's (XAdES) — so no ds:Signature, ds:Manifest, ds:Object or XAdES property lies in a
 * collapsed subtree, and the walkers looking for them skip it.
 */
export function collapsible(ns: string): boolean {
  return !ns.startsWith("http://www.w3.org/") && !ns.startsWith("http://uri.etsi.org/");
}

/** What a scan found: set by scanCollapsible. */
export interface ScanResult {
  /** offset just past the subtree's end tag */
  end: number;
  /** nodes (elements and text) inside the subtree, the root not counted */
  nodes: number;
  /** elements inside the subtree */
  elements: number;
  /** on failure: the start offsets of the elements the scan had open where it stopped (each holds what stopped it) */
  open: number[];
  /** the open elements' name lengths (scratch) */
  lens: number[];
  /**
   * On failure: the subtrees the scan closed that are children of the elements in `open` and hold
   * elements (one holding only text is never collapsed), in document order, as quintuples (start,
   * end, nodes, elements, level) — what a scan from each of them would have
   * found, so the parser, which enters `open` and meets these as children, does not scan them
   * again (an enveloped form's root holds the rows and ds:Signature: its scan reads all the rows
   * before it stops at the signature).
   */
  done: number[];
  /** how many numbers of `done` are this scan's */
  doneLength: number;
  /** the open elements' node and element counts when they opened (scratch) */
  counts: number[];
}

/**
 * Scans the content of the element whose start tag spans `start`…`tagEnd` (name of `qnLen` octets
 * at start + 1, prefix of `preLen`) in the octets `b`. True when the whole content is of the
 * plain form above; `res` then says where it ends and what it holds. `depth`: how many elements
 * may still nest inside. (Octet by octet, with no string search: the pieces between markup are
 * short, and a call per piece costs more than reading it.)
 */
export function scanCollapsible(b: Uint8Array, start: number, tagEnd: number, qnLen: number, preLen: number, depth: number, maxAttributes: number, res: ScanResult): boolean {
  const n = b.length;
  const nameFrom = start + 1;
  const open = res.open;
  const lens = res.lens;
  const done = res.done;
  const counts = res.counts;
  open.length = 0;
  lens.length = 0;
  counts.length = 0;
  // (`done` is written by index and never shortened: setting an array's length is a runtime call)
  let nd = 0;
  res.doneLength = 0;
  open.push(start);
  lens.push(qnLen);
  counts.push(0, 0);
  let nodes = 0;
  let elements = 0;
  let p = tagEnd + 1;
  // (four octets at a time where they can be: text and end tags are most of a form's rows)
  const words = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const wordsEnd = n - 4;
  for (;;) {
    // text up to the next markup: nothing c14n escapes (`&`, `>`; no CR is left in the source)
    const from = p;
    let c = 0;
    while (p <= wordsEnd && !markupInWord(words.getUint32(p, true))) p += 4;
    while (p < n) {
      c = b[p]!;
      if (c === 0x3c || c === 0x3e || c === 0x26) break;
      p++;
    }
    if (p >= n || c !== 0x3c) return false;
    if (p > from) nodes++;
    const lt = p;
    let q = lt + 1;
    c = b[q]!;
    if (c === 0x2f /* / */) {
      // an end tag: exactly the open element's name, then `>`
      const at = open[open.length - 1]! + 1;
      const len = lens[lens.length - 1]!;
      q++;
      if (q + len >= n) return false;
      let i = 0;
      for (; i + 4 <= len; i += 4) if (words.getUint32(q + i, true) !== words.getUint32(at + i, true)) return false;
      for (; i < len; i++) if (b[q + i] !== b[at + i]) return false;
      q += len;
      if (b[q] !== 0x3e) return false;
      p = q + 1;
      const opened = open.pop()!;
      lens.pop();
      const elementsBefore = counts.pop()!;
      const nodesBefore = counts.pop()!;
      const level = open.length;
      if (level === 0) break;
      // (its descendants' records are subsumed by its own)
      while (nd !== 0 && done[nd - 1]! > level) nd -= 5;
      res.doneLength = nd;
      if (elements === elementsBefore) continue;
      done[nd] = opened;
      done[nd + 1] = p;
      done[nd + 2] = nodes - nodesBefore;
      done[nd + 3] = elements - elementsBefore;
      done[nd + 4] = level;
      res.doneLength = nd += 5;
      continue;
    }
    // a start tag: the root's prefix and colon, then a local name without a colon
    if (preLen !== 0) {
      for (let i = 0; i < preLen; i++) if (b[q + i] !== b[nameFrom + i]) return false;
      if (b[q + preLen] !== 0x3a) return false;
      q += preLen + 1;
    }
    q = localName(b, words, q, n);
    if (q === -1) return false;
    const nameLen = q - lt - 1;
    // attributes: one space before each, `name="value"`, in canonical order
    let prev = -1;
    let prevLen = 0;
    let na = 0;
    for (;;) {
      c = b[q]!;
      if (c === 0x3e /* > */) {
        q++;
        break;
      }
      if (c !== 0x20) return false;
      const af = q + 1;
      q = localName(b, words, af, n);
      if (q === -1) return false;
      const al = q - af;
      if (b[q] !== 0x3d || b[q + 1] !== 0x22) return false;
      // a namespace declaration, or an ID-like attribute: left to the parser
      if (al === 5 && b[af] === 0x78 && b[af + 1] === 0x6d && b[af + 2] === 0x6c && b[af + 3] === 0x6e && b[af + 4] === 0x73) return false;
      if (al === 2 && (b[af]! | 0x20) === 0x69 && (b[af + 1]! | 0x20) === 0x64) return false;
      if (prev !== -1 && !after(b, af, al, prev, prevLen)) return false;
      if (++na > maxAttributes) return false;
      prev = af;
      prevLen = al;
      // the value: up to the closing quote, none of `<` `&` tab line end
      q += 2;
      while (q < n) {
        c = b[q]!;
        if (c === 0x22 || c === 0x3c || c === 0x26 || c === 0x09 || c === 0x0a) break;
        q++;
      }
      if (q >= n || c !== 0x22) return false;
      q++;
    }
    if (open.length > depth) return false;
    open.push(lt);
    lens.push(nameLen);
    elements++;
    nodes++;
    counts.push(nodes, elements);
    p = q;
  }
  res.end = p;
  res.nodes = nodes;
  res.elements = elements;
  return true;
}

/**
 * Whether one of the four octets of `x` is `<`, `>` or `&` (where a scanned text ends). A byte is
 * zero in v exactly when `(v - 0x01010101) & ~v & 0x80808080` is non-zero (the borrow cannot
 * reach the top bit of a byte above a non-zero one without one below being zero); `<` (0x3c) and
 * `>` (0x3e) both become 0x3e when bit 1 is set.
 */
function markupInWord(x: number): boolean {
  const angle = (x | 0x02020202) ^ 0x3e3e3e3e;
  const amp = x ^ 0x26262626;
  return ((((angle - 0x01010101) & ~angle) | ((amp - 0x01010101) & ~amp)) & 0x80808080) !== 0;
}

/**
 * Whether the four octets of `x`, read at the start of a UTF-8 sequence, are two two-octet
 * sequences of name characters (U+0080–U+07FF but the sequences led by 0xC3, which hold U+00D7
 * and U+00F7: what name() takes without decoding). In valid UTF-8 four octets in 0x80–0xDF from a
 * sequence start are lead, continuation, lead, continuation; a continuation is never 0xC3.
 */
function twoOctetNameChars(x: number): boolean {
  const c3 = x ^ 0xc3c3c3c3;
  return ((x & 0x80808080) ^ 0x80808080) === 0 && (x & (x << 1) & (x << 2) & 0x80808080) === 0 && (((c3 - 0x01010101) & ~c3) & 0x80808080) === 0;
}

/** The end of an unprefixed name (XML 1.0 §2.3, as parser.ts name() reads it) starting at q, or -1. */
function localName(b: Uint8Array, words: DataView, q: number, n: number): number {
  if (q >= n) return -1;
  let c = b[q]!;
  if (c < 128) {
    if ((NAME[c]! & 1) === 0 || c === 0x3a) return -1;
    q++;
  } else {
    if (!isNameStartCp(codePointAtOctet(b, q))) return -1;
    q += sequenceLength(c);
  }
  const wordsEnd = n - 4;
  while (q <= wordsEnd && twoOctetNameChars(words.getUint32(q, true))) q += 4;
  while (q < n) {
    c = b[q]!;
    if (c < 128) {
      if (NAME[c] === 0) break;
      if (c === 0x3a) return -1;
      q++;
    } else if (c < 0xe0 && c !== 0xc3) q += 2;
    else {
      if (!isNameCharCp(codePointAtOctet(b, q))) break;
      q += sequenceLength(c);
    }
  }
  return q;
}

/** Whether the octets at a (length al) sort after those at b (length bl): c14n attribute order, strictly. */
function after(o: Uint8Array, a: number, al: number, b: number, bl: number): boolean {
  const m = al < bl ? al : bl;
  for (let i = 0; i < m; i++) {
    const x = o[a + i]!;
    const y = o[b + i]!;
    if (x !== y) return x > y;
  }
  return al > bl;
}
