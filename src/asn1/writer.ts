/**
 * Minimal DER encoder: enough to assemble the structures podpis creates or re-encodes
 * (SubjectPublicKeyInfo with inherited parameters, signed attributes, CMS, requests).
 */
import { Tag } from "./der.js";

/** One TLV from a tag octet and content parts, written into one buffer (no intermediate copies). */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  let len = 0;
  for (const c of content) len += c.length;
  // X.690 §8.1.3: short form below 128, else the fewest length octets
  const n = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4;
  const out = Buffer.allocUnsafe(2 + n + len);
  out[0] = tag;
  out[1] = n === 0 ? len : 0x80 | n;
  for (let i = 0; i < n; i++) out[2 + i] = (len >>> (8 * (n - 1 - i))) & 0xff;
  let o = 2 + n;
  for (const c of content) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export const sequence = (...c: Uint8Array[]): Buffer => tlv(Tag.SEQUENCE, ...c);

/** SET OF with its elements in DER order (X.690 §11.6). */
export function setOf(...c: Uint8Array[]): Buffer {
  const sorted = [...c].sort((a, b) => Buffer.compare(a, b));
  return tlv(Tag.SET, ...sorted);
}

export const octetString = (b: Uint8Array): Buffer => tlv(Tag.OCTET_STRING, b);
export const nullValue = (): Buffer => Buffer.from([Tag.NULL, 0]);
export const bitString = (b: Uint8Array, unused = 0): Buffer => tlv(Tag.BIT_STRING, Buffer.from([unused]), b);
export const explicit = (n: number, ...c: Uint8Array[]): Buffer => tlv(0xa0 | n, ...c);
export const utf8String = (s: string): Buffer => tlv(Tag.UTF8_STRING, Buffer.from(s, "utf8"));
export const boolean = (v: boolean): Buffer => Buffer.from([Tag.BOOLEAN, 1, v ? 0xff : 0]);

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER; the few hundred distinct ones podpis writes are encoded once (callers only read the result) */
export function oid(dotted: string): Buffer {
  const known = oidCache.get(dotted);
  if (known) return known;
  const der = encodeOid(dotted);
  if (oidCache.size < 4096) oidCache.set(dotted, der);
  return der;
}

function encodeOid(dotted: string): Buffer {
  const parts = dotted.split(".").map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`bad OID ${dotted}`);
    return Number(p);
  });
  if (parts.length < 2) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const stack = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  };
  push(parts[0]! * 40 + parts[1]!);
  for (const p of parts.slice(2)) push(p);
  return tlv(Tag.OID, Buffer.from(out));
}

export function integer(v: bigint | number): Buffer {
  let n = BigInt(v);
  const bytes: number[] = [];
  if (n === 0n) bytes.push(0);
  const neg = n < 0n;
  while (neg ? n < -1n || bytes.length === 0 || !(bytes[0]! & 0x80) : n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
    if (neg && n === -1n && bytes[0]! & 0x80) break;
  }
  if (!neg && bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(Tag.INTEGER, Buffer.from(bytes));
}

/** INTEGER from unsigned big-endian magnitude bytes (serial numbers, r/s values). */
export function unsignedInteger(mag: Uint8Array): Buffer {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.subarray(i);
  return tlv(Tag.INTEGER, m[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}

export function generalizedTime(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-01-01T00:00:00.000Z
  let s = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
  const ms = d.getUTCMilliseconds();
  if (ms) s += "." + String(ms).padStart(3, "0").replace(/0+$/, "");
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(s + "Z", "latin1"));
}

export function utcTime(d: Date): Buffer {
  const iso = d.toISOString();
  const s = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + "Z";
  return tlv(Tag.UTC_TIME, Buffer.from(s, "latin1"));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050 ? utcTime(d) : generalizedTime(d);
}
