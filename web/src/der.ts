/**
 * A small BER/DER reader for the browser (PKCS#12 files and certificates): a node is its tag and
 * the offsets of its header and content in the caller's bytes. Every length is checked against
 * the enclosing node, so a truncated or lying file ends in an Asn1Error, never a wrong read.
 * (src/asn1/der.ts is the server's; this one has no Buffer.)
 */
export class Asn1Error extends Error {}

export interface Node {
  tag: number;
  /** start of the header */
  start: number;
  /** start and end of the content */
  cs: number;
  ce: number;
  /** end of the whole node (after an end-of-contents for indefinite lengths) */
  end: number;
}

export const SEQUENCE = 0x30;
export const SET = 0x31;
export const INTEGER = 0x02;
export const OCTET_STRING = 0x04;
export const OID = 0x06;
export const BIT_STRING = 0x03;

const MAX_DEPTH = 32;

export function readNode(b: Uint8Array, at: number, limit: number, depth = 0): Node {
  if (depth > MAX_DEPTH) throw new Asn1Error("nested too deep");
  if (at + 2 > limit) throw new Asn1Error("truncated");
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error("high tag numbers are not used here");
  let p = at + 1;
  const first = b[p++]!;
  if (first === 0x80) {
    // indefinite length (BER): the content ends at the matching end-of-contents
    if (!(tag & 0x20)) throw new Asn1Error("indefinite length on a primitive");
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new Asn1Error("unterminated indefinite length");
      if (b[q] === 0 && b[q + 1] === 0) return { tag, start: at, cs: p, ce: q, end: q + 2 };
      q = readNode(b, q, limit, depth + 1).end;
    }
  }
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4 || p + n > limit) throw new Asn1Error("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) throw new Asn1Error("length beyond the enclosing value");
  return { tag, start: at, cs: p, ce: p + len, end: p + len };
}

export const root = (b: Uint8Array): Node => readNode(b, 0, b.length);

export function children(b: Uint8Array, n: Node): Node[] {
  const out: Node[] = [];
  for (let p = n.cs; p < n.ce; ) {
    const c = readNode(b, p, n.ce);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const content = (b: Uint8Array, n: Node): Uint8Array => b.subarray(n.cs, n.ce);
export const whole = (b: Uint8Array, n: Node): Uint8Array => b.subarray(n.start, n.end);

/** OCTET STRING content, joining the segments of a BER constructed one. */
export function octets(b: Uint8Array, n: Node): Uint8Array {
  if (n.tag === OCTET_STRING || n.tag === 0x80) return content(b, n);
  if (n.tag === 0x24 || n.tag === 0xa0) return concat(children(b, n).map((c) => octets(b, c)));
  throw new Asn1Error(`expected an OCTET STRING, found tag ${n.tag}`);
}

export function oid(b: Uint8Array, n: Node): string {
  if (n.tag !== OID) throw new Asn1Error("expected an OBJECT IDENTIFIER");
  const c = content(b, n);
  const parts: number[] = [];
  let v = 0;
  for (const x of c) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

export function smallInt(b: Uint8Array, n: Node): number {
  if (n.tag !== INTEGER) throw new Asn1Error("expected an INTEGER");
  const c = content(b, n);
  if (c.length > 6 || c.length === 0 || c[0]! & 0x80) throw new Asn1Error("integer out of range");
  let v = 0;
  for (const x of c) v = v * 256 + x;
  return v;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
