/**
 * "Binary strings": text held as one JavaScript character per byte of its UTF-8 encoding (what
 * Buffer's latin1 encoding reads and writes). The XML parser and the canonicalizer work on them:
 * reading bytes so costs no UTF-8 decoding, the canonical form goes back to octets with a plain
 * copy, and since UTF-8 keeps code point order, comparing two such strings orders them by code point.
 * Values are decoded into ordinary strings only where somebody reads them.
 */

const NON_ASCII = /[\x80-\xff]/;

/** An ordinary string from a binary one. */
export function fromBinary(b: string): string {
  return NON_ASCII.test(b) ? Buffer.from(b, "latin1").toString("utf8") : b;
}

/** A binary string from an ordinary one (UTF-8 encoded). */
export function toBinary(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, "utf8").toString("latin1");
  return s;
}

/** The octets of a binary string. */
export function binaryOctets(b: string): Buffer {
  return Buffer.from(b, "latin1");
}

/** The UTF-8 encoding of one code point, as a binary string. */
export function encodeCodePoint(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  return String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** Length in bytes of the UTF-8 sequence led by byte `b` (the input is known to be valid UTF-8). */
export function sequenceLength(b: number): number {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** The code point whose UTF-8 sequence starts at `i` of a binary string (NaN past the end). */
export function codePointAt(s: string, i: number): number {
  const b = s.charCodeAt(i);
  if (b < 0x80 || b !== b) return b;
  if (b < 0xe0) return ((b & 0x1f) << 6) | (s.charCodeAt(i + 1) & 0x3f);
  if (b < 0xf0) return ((b & 0x0f) << 12) | ((s.charCodeAt(i + 1) & 0x3f) << 6) | (s.charCodeAt(i + 2) & 0x3f);
  return ((b & 0x07) << 18) | ((s.charCodeAt(i + 1) & 0x3f) << 12) | ((s.charCodeAt(i + 2) & 0x3f) << 6) | (s.charCodeAt(i + 3) & 0x3f);
}

/**
 * String order by UCS code point (c14n 1.0 §2.2: "lexicographic … based on the UCS codepoint
 * values"), which differs from UTF-16 unit order only between surrogates and U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}
