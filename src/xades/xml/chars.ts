/**
 * Character classes of XML 1.0 (§2.2 Char, §2.3 NameStartChar/NameChar) over binary strings and
 * their octets (binary.ts), and the cache of decoded names.
 */

import { fromBinary } from "../binary.js";

/** ASCII name characters: 1 = may start a name, 2 = may continue one (XML 1.0 §2.3, NameStartChar/NameChar) */
export const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME[c] = 3;
  else if (/[0-9.\-]/.test(ch)) NAME[c] = 2;
}

/** what XML 1.0 §2.2 does not allow, in a binary string: C0 controls but tab and line ends, U+FFFE and U+FFFF */
const INVALID_SEQUENCES: string[] = ["\xEF\xBF\xBE", "\xEF\xBF\xBF"];
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) INVALID_SEQUENCES.push(String.fromCharCode(c));

/** The offset of the first character XML does not allow, or -1 (one native search per kind beats a regex scan). */
export function firstInvalid(s: string): number {
  let first = -1;
  for (const seq of INVALID_SEQUENCES) {
    const i = s.indexOf(seq);
    if (i !== -1 && (first === -1 || i < first)) first = i;
  }
  return first;
}

/** Decoded names by their binary form: element names repeat within and across documents. */
const decodedNames = new Map<string, string>();

export function decodeName(b: string): string {
  let n = decodedNames.get(b);
  if (n === undefined) {
    n = fromBinary(b);
    if (decodedNames.size >= 10_000) decodedNames.clear();
    decodedNames.set(b, n);
  }
  return n;
}

export function isNameStartCp(c: number): boolean {
  return c < 128 ? (NAME[c]! & 1) !== 0 : c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x206f && c !== 0x200c && c !== 0x200d);
}

export function isNameCharCp(c: number): boolean {
  return c < 128 ? NAME[c]! !== 0 : c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x203e && c !== 0x200c && c !== 0x200d);
}

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** codePointAt (binary.ts) over the octets of a binary string: NaN past the end. */
export function codePointAtOctet(b: Uint8Array, i: number): number {
  if (i >= b.length) return NaN;
  const c = b[i]!;
  if (c < 0x80) return c;
  if (c < 0xe0) return ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
  if (c < 0xf0) return ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
  return ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
}
