/**
 * "Binary strings": text held as one JavaScript character per byte of its UTF-8 encoding (what
 * Buffer's latin1 encoding reads and writes). The XML parser and the canonicalizer work on them:
 * reading bytes so costs no UTF-8 decoding, the canonical form goes back to octets with a plain
 * copy, and since UTF-8 keeps code point order, comparing two such strings orders them by code point.
 * Values are decoded into ordinary strings only where somebody reads them.
 */

import { createHash, hash } from "node:crypto";

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

/**
 * Where binary strings are written as octets to be hashed in one call (digestBinary, OctetSink).
 * Reused: a Hash object per digest costs a native handle that every young-generation collection
 * has to visit, and a fresh Buffer per digest an ArrayBuffer to sweep. It holds bytes only.
 */
let scratch: Buffer | null = null;
const SCRATCH_MAX = 1024 * 1024;

function scratchOf(n: number): Buffer {
  if (n > SCRATCH_MAX) return Buffer.allocUnsafeSlow(n);
  if (scratch === null || scratch.length < n) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(n, 64 * 1024)));
  return scratch;
}

/** The digest of a binary string's octets (binary.ts), without a Hash object or a per-call Buffer. */
export function digestBinary(alg: string, b: string): Buffer {
  const n = b.length;
  if (n > SCRATCH_MAX) return createHash(alg).update(b, "latin1").digest();
  const buf = scratchOf(n);
  latin1Write(buf, b, 0);
  return hash(alg, buf.subarray(0, n), "buffer");
}

/** The digest of octets in one call (no Hash object). */
export function digestOctets(alg: string, b: Uint8Array): Buffer {
  return hash(alg, b, "buffer");
}

type Latin1Writer = { latin1Write(s: string, offset: number, length: number): number };
/** Buffer's own latin1 writer where Node has it (Buffer#write checks and dispatches its arguments first). */
const directLatin1 = typeof (Buffer.prototype as unknown as Partial<Latin1Writer>).latin1Write === "function";

function latin1Write(buf: Buffer, b: string, at: number): number {
  return directLatin1 ? (buf as unknown as Latin1Writer).latin1Write(b, at, b.length) : buf.write(b, at, b.length, "latin1");
}

/**
 * Octets gathered from binary strings piece by piece, then digested: the pieces are written as
 * they come, so no joined string is built (and flattened) first. One at a time (it writes into
 * the shared scratch buffer until digest()).
 */
export class OctetSink {
  private buf: Buffer = scratchOf(0);
  /** octets written so far, not counting `small` */
  private written = 0;
  /**
   * Short pieces (tags such as "<x></x>" of empty elements) gathered as one string and written
   * together: each write into the buffer is a call into C++ that costs more than the few octets
   * it copies, and 100,000 empty elements made c14n run at a tenth of its usual speed.
   */
  private small = "";

  get length(): number {
    return this.written + this.small.length;
  }

  write(b: string): void {
    if (b.length < 64) {
      this.small += b;
      if (this.small.length >= 4096) this.flushSmall();
      return;
    }
    if (this.small.length !== 0) this.flushSmall();
    this.put(b);
  }

  private flushSmall(): void {
    const s = this.small;
    this.small = "";
    this.put(s);
  }

  private put(b: string): void {
    const n = this.written + b.length;
    if (n > this.buf.length) {
      const bigger = scratchOf(Math.max(n, this.buf.length * 2));
      if (bigger !== this.buf) this.buf.copy(bigger, 0, 0, this.written);
      this.buf = bigger;
    }
    this.written += latin1Write(this.buf, b, this.written);
  }

  /** Makes room for n octets in all (a digest of a known size is not regrown piece by piece). */
  reserve(n: number): void {
    if (n > this.buf.length && this.length === 0) this.buf = scratchOf(n);
  }

  /** Octets from..to of `b` (a binary string's octets: XmlDocument.octets), copied with no conversion. */
  writeOctets(b: Uint8Array, from: number, to: number): void {
    if (this.small.length !== 0) this.flushSmall();
    const n = this.written + (to - from);
    if (n > this.buf.length) {
      const bigger = scratchOf(Math.max(n, this.buf.length * 2));
      if (bigger !== this.buf) this.buf.copy(bigger, 0, 0, this.written);
      this.buf = bigger;
    }
    // a short span byte by byte: a subarray (an object) per span cost more than its copy
    if (to - from < 64) for (let i = from, j = this.written; i < to; i++, j++) this.buf[j] = b[i]!;
    else this.buf.set(b.subarray(from, to), this.written);
    this.written = n;
  }

  digest(alg: string): Buffer {
    if (this.small.length !== 0) this.flushSmall();
    return hash(alg, this.buf.subarray(0, this.written), "buffer");
  }
}
