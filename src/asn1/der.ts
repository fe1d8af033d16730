/**
 * A small zero-copy ASN.1 reader for the hot path.
 *
 * Why our own: asn1js builds an object per node and type-checks each one (about 0.35 ms per
 * certificate here) and caps parses at 10,000 nodes; a CRL of a national QTSP has a million
 * entries. A node here is four integers into the caller's buffer; nothing is copied until a
 * value is asked for.
 *
 * DER is what certificates and CRLs are; CMS may arrive as BER (indefinite lengths), which
 * `readNode` accepts when `ber` is set. Every length is checked against its enclosing node, so
 * truncated or lying input ends in an Asn1Error, never an out-of-range read.
 */

import { Asn1Error } from "./errors.js";

export { Asn1Error } from "./errors.js";

/** Tags as the first identifier octet (low-tag-number form). High tag numbers are 0x1000000 + … */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
} as const;

/** [n] IMPLICIT/EXPLICIT context tags. */
export const ctx = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) | n;

export interface Node {
  /** identifier octet (or 0x1000000 + class/constructed bits << 16 + number for high tag numbers) */
  readonly tag: number;
  /** offset of the identifier octet */
  readonly start: number;
  /** offset of the first content octet */
  readonly cs: number;
  /** offset just past the content (before the end-of-contents octets of an indefinite length) */
  readonly ce: number;
  /** offset just past the whole element */
  readonly end: number;
}

export interface ReadOptions {
  /** accept indefinite lengths (BER); certificates and CRLs are DER and never need it */
  ber?: boolean;
  /** nesting limit while scanning indefinite-length content */
  maxDepth?: number;
}

const DEFAULT_DEPTH = 64;

export function isConstructed(tag: number): boolean {
  return tag >= 0x1000000 ? ((tag >> 16) & 0x20) !== 0 : (tag & 0x20) !== 0;
}

/** Reads one element at `pos`; `limit` is the end of the enclosing content. */
export function readNode(buf: Uint8Array, pos: number, limit: number = buf.length, opts?: ReadOptions, depth = 0): Node {
  const start = pos;
  if (pos >= limit) throw new Asn1Error(`unexpected end of data at offset ${pos}`);
  const first = buf[pos++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let n = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit) throw new Asn1Error(`truncated tag at offset ${start}`);
      if (i > 3) throw new Asn1Error(`tag number too large at offset ${start}`);
      const b = buf[pos++]!;
      n = n * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    tag = 0x1000000 + ((first & 0xe0) << 16) + n;
  }
  if (pos >= limit) throw new Asn1Error(`truncated length at offset ${start}`);
  let len = buf[pos++]!;
  if (len === 0x80) {
    if (!opts?.ber) throw new Asn1Error(`indefinite length not allowed in DER at offset ${start}`);
    if ((first & 0x20) === 0) throw new Asn1Error(`indefinite length on a primitive element at offset ${start}`);
    if (depth >= (opts.maxDepth ?? DEFAULT_DEPTH)) throw new Asn1Error(`nesting deeper than ${opts.maxDepth ?? DEFAULT_DEPTH}`);
    const cs = pos;
    let p = cs;
    for (;;) {
      if (p + 2 <= limit && buf[p] === 0 && buf[p + 1] === 0) return { tag, start, cs, ce: p, end: p + 2 };
      p = readNode(buf, p, limit, opts, depth + 1).end;
    }
  }
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 6) throw new Asn1Error(`length of length ${n} too large at offset ${start}`);
    if (pos + n > limit) throw new Asn1Error(`truncated length at offset ${start}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++]!;
  }
  const end = pos + len;
  if (end > limit) throw new Asn1Error(`length ${len} at offset ${start} runs past the end of its container`);
  return { tag, start, cs: pos, ce: end, end };
}

/** Reads a whole buffer that must hold exactly one element. */
export function readRoot(buf: Uint8Array, opts?: ReadOptions): Node {
  const n = readNode(buf, 0, buf.length, opts);
  if (n.end !== buf.length) throw new Asn1Error(`${buf.length - n.end} bytes of trailing data after the element`);
  return n;
}

/** The children of a constructed element. */
export function children(buf: Uint8Array, node: Node, opts?: ReadOptions): Node[] {
  const out: Node[] = [];
  let p = node.cs;
  while (p < node.ce) {
    const c = readNode(buf, p, node.ce, opts);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Checks the tag and returns the node, with a message naming what was expected. */
export function expect(node: Node | undefined, tag: number, what: string): Node {
  if (!node) throw new Asn1Error(`${what}: missing`);
  if (node.tag !== tag) throw new Asn1Error(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** Children of a SEQUENCE/SET (checked), for destructuring. */
export function seq(buf: Uint8Array, node: Node | undefined, what: string, tag: number = Tag.SEQUENCE, opts?: ReadOptions): Node[] {
  return children(buf, expect(node, tag, what), opts);
}

export function bytesOf(buf: Uint8Array, node: Node): Uint8Array {
  return buf.subarray(node.start, node.end);
}

export function contentOf(buf: Uint8Array, node: Node): Uint8Array {
  return buf.subarray(node.cs, node.ce);
}

const oidCache = new Map<string, string>();

export function readOid(buf: Uint8Array, node: Node): string {
  if (node.tag !== Tag.OID) throw new Asn1Error(`expected OBJECT IDENTIFIER, found tag 0x${node.tag.toString(16)}`);
  const len = node.ce - node.cs;
  if (len === 0) throw new Asn1Error("empty OBJECT IDENTIFIER");
  let key = "";
  for (let i = node.cs; i < node.ce; i++) key += String.fromCharCode(buf[i]!);
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const parts: number[] = [];
  let v = 0;
  let started = false;
  for (let i = node.cs; i < node.ce; i++) {
    const b = buf[i]!;
    if (!started && b === 0x80) throw new Asn1Error("OBJECT IDENTIFIER with a non-minimal subidentifier");
    started = true;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw new Asn1Error("OBJECT IDENTIFIER subidentifier too large");
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
      started = false;
    }
  }
  if (started) throw new Asn1Error("truncated OBJECT IDENTIFIER");
  const oid = parts.join(".");
  if (oidCache.size < 10_000) oidCache.set(key, oid);
  return oid;
}

export function readBoolean(buf: Uint8Array, node: Node): boolean {
  if (node.tag !== Tag.BOOLEAN || node.ce - node.cs !== 1) throw new Asn1Error("malformed BOOLEAN");
  return buf[node.cs] !== 0;
}

/** INTEGER (or ENUMERATED, or an IMPLICIT-tagged integer) as a bigint. */
export function readBigInt(buf: Uint8Array, node: Node): bigint {
  const len = node.ce - node.cs;
  if (len === 0) throw new Asn1Error("empty INTEGER");
  let v = 0n;
  for (let i = node.cs; i < node.ce; i++) v = (v << 8n) | BigInt(buf[i]!);
  if (buf[node.cs]! & 0x80) v -= 1n << BigInt(len * 8);
  return v;
}

/** A small non-negative INTEGER (pathLen, version, skipCerts) as a number. */
export function readSmallInt(buf: Uint8Array, node: Node): number {
  const len = node.ce - node.cs;
  if (len === 0 || len > 6) throw new Asn1Error("INTEGER out of range");
  if (buf[node.cs]! & 0x80) throw new Asn1Error("negative INTEGER where a count was expected");
  let v = 0;
  for (let i = node.cs; i < node.ce; i++) v = v * 256 + buf[i]!;
  return v;
}

/** INTEGER content as lowercase hex without leading zero octets (how serial numbers are shown). */
export function readIntegerHex(buf: Uint8Array, node: Node): string {
  let i = node.cs;
  if (i >= node.ce) throw new Asn1Error("empty INTEGER");
  while (i < node.ce - 1 && buf[i] === 0) i++;
  return Buffer.from(buf.buffer, buf.byteOffset + i, node.ce - i).toString("hex");
}

export interface BitString {
  unusedBits: number;
  bytes: Uint8Array;
}

export function readBitString(buf: Uint8Array, node: Node): BitString {
  if ((node.tag & 0xdf) !== Tag.BIT_STRING && node.tag !== Tag.BIT_STRING) throw new Asn1Error("expected BIT STRING");
  if (node.tag & 0x20) throw new Asn1Error("constructed BIT STRING is not DER");
  if (node.ce - node.cs < 1) throw new Asn1Error("empty BIT STRING");
  const unusedBits = buf[node.cs]!;
  if (unusedBits > 7 || (unusedBits > 0 && node.ce - node.cs === 1)) throw new Asn1Error("malformed BIT STRING");
  return { unusedBits, bytes: buf.subarray(node.cs + 1, node.ce) };
}

/** Bit i (0 = most significant of the first octet) of a named-bit BIT STRING. */
export function bitSet(bits: BitString, i: number): boolean {
  const byte = i >> 3;
  if (byte >= bits.bytes.length) return false;
  if (byte === bits.bytes.length - 1 && 7 - (i & 7) < bits.unusedBits) return false;
  return (bits.bytes[byte]! & (0x80 >> (i & 7))) !== 0;
}

function digits(buf: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[p + i]! - 0x30;
    if (c < 0 || c > 9) throw new Asn1Error("non-digit in time value");
    v = v * 10 + c;
  }
  return v;
}

/**
 * UTCTime / GeneralizedTime as a Date. RFC 5280 §4.1.2.5 requires Zulu time with seconds;
 * fractional seconds are accepted in GeneralizedTime (timestamps carry them).
 */
export function readTime(buf: Uint8Array, node: Node): Date {
  const p = node.cs;
  const len = node.ce - node.cs;
  let year: number;
  let q: number;
  if (node.tag === Tag.UTC_TIME) {
    if (len !== 13) throw new Asn1Error("malformed UTCTime (RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ)");
    const yy = digits(buf, p, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
    q = p + 2;
  } else if (node.tag === Tag.GENERALIZED_TIME) {
    if (len < 15) throw new Asn1Error("malformed GeneralizedTime");
    year = digits(buf, p, 4);
    q = p + 4;
  } else throw new Asn1Error(`expected a time, found tag 0x${node.tag.toString(16)}`);
  const month = digits(buf, q, 2);
  const day = digits(buf, q + 2, 2);
  const hour = digits(buf, q + 4, 2);
  const minute = digits(buf, q + 6, 2);
  q += 8;
  let second = 0;
  let ms = 0;
  if (buf[q] !== 0x5a) {
    second = digits(buf, q, 2);
    q += 2;
    if (buf[q] === 0x2e && node.tag === Tag.GENERALIZED_TIME) {
      q++;
      let scale = 100;
      let any = false;
      while (q < node.ce && buf[q] !== 0x5a) {
        const c = buf[q]! - 0x30;
        if (c < 0 || c > 9) throw new Asn1Error("malformed fractional seconds");
        ms += c * scale;
        scale /= 10;
        any = true;
        q++;
      }
      if (!any) throw new Asn1Error("malformed fractional seconds");
      ms = Math.floor(ms);
    }
  }
  if (q !== node.ce - 1 || buf[q] !== 0x5a) throw new Asn1Error("time is not in Zulu (UTC) form");
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new Asn1Error("time value out of range");
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(t);
  if (d.getUTCDate() !== day) throw new Asn1Error("time value out of range");
  return d;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Any of the DirectoryString / IA5 / Printable string types as a JS string. */
export function readString(buf: Uint8Array, node: Node): string {
  const c = buf.subarray(node.cs, node.ce);
  switch (node.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8.decode(c);
      } catch {
        throw new Asn1Error("invalid UTF-8 in UTF8String");
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.NUMERIC_STRING:
    case Tag.VISIBLE_STRING:
    case Tag.TELETEX_STRING:
      return latin1.decode(c);
    case Tag.BMP_STRING: {
      if (c.length % 2) throw new Asn1Error("odd-length BMPString");
      let s = "";
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    case Tag.UNIVERSAL_STRING: {
      if (c.length % 4) throw new Asn1Error("malformed UniversalString");
      let s = "";
      for (let i = 0; i < c.length; i += 4) s += String.fromCodePoint(((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0);
      return s;
    }
    default:
      // IMPLICIT-tagged IA5 (GeneralName choices) and friends
      if ((node.tag & 0xc0) === 0x80) return latin1.decode(c);
      throw new Asn1Error(`expected a string, found tag 0x${node.tag.toString(16)}`);
  }
}

/** Hex of a byte range, for keys in maps (serials, key identifiers). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
