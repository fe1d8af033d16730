/**
 * The index over a CRL's revokedCertificates (RFC 5280 §5.1.2.6, §5.3).
 *
 * A national QTSP's CRL has a million entries; an object per entry would cost hundreds of
 * megabytes (pkijs: 5.2 GB). Instead one pass over the DER validates every entry and records
 * two integers per entry: a 32-bit hash of its serial and the entry's offset. The pairs are
 * radix-sorted by hash, so a lookup is a binary search followed by an in-place comparison of the
 * serial bytes; only a hit is parsed into a RevokedEntry. Sorting by a hash rather than by the
 * serial itself keeps the sort a fixed two passes whatever the serials look like (CAs with
 * sequential or common-prefix serials would otherwise need a comparison sort), and equal hashes
 * stay in document order, so duplicate serials of an indirect CRL come back in CRL order.
 */
import { Asn1Error, type Node, readNode, readRoot, readTime } from "../asn1/der.js";
import { type GeneralName, parseGeneralNames } from "../pki/general-name.js";
import { CrlError } from "./crl-error.js";
import type { RevokedEntry } from "./crl-types.js";
import { CRL_REASONS } from "./types.js";

const REASONS = CRL_REASONS;

// Tags as local constants: the hot loop should not reach through a module binding per read.
const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const OID = 0x06;
const ENUMERATED = 0x0a;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

// Last octet of the id-ce (2.5.29) entry extensions the index understands (RFC 5280 §5.3).
const REASON_CODE = 0x15; // 2.5.29.21
const INVALIDITY_DATE = 0x18; // 2.5.29.24
const CERTIFICATE_ISSUER = 0x1d; // 2.5.29.29

/**
 * Reads TLV headers without allocating: `open` checks the tag, returns the content offset and
 * leaves the end of the element in `end`. Only single-octet tags and definite lengths: DER.
 */
class Cursor {
  end = 0;
  constructor(private readonly buf: Uint8Array) {}

  open(pos: number, limit: number, tag: number, what: string): number {
    const buf = this.buf;
    if (pos + 2 > limit) throw new CrlError(`${what}: truncated at offset ${pos}`);
    if (buf[pos] !== tag) {
      throw new CrlError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${buf[pos]!.toString(16)} at offset ${pos}`);
    }
    let len = buf[pos + 1]!;
    let p = pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new CrlError(`${what}: indefinite length at offset ${pos} is not DER`);
      if (n > 4) throw new CrlError(`${what}: length of length ${n} at offset ${pos} is too large`);
      if (p + n > limit) throw new CrlError(`${what}: truncated length at offset ${pos}`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    }
    if (p + len > limit) throw new CrlError(`${what}: length ${len} at offset ${pos} runs past the end of its container`);
    this.end = p + len;
    return p;
  }

  /** `open` for either time type (Time ::= CHOICE { utcTime, generalTime }). */
  openTime(pos: number, limit: number, what: string): number {
    return this.open(pos, limit, this.buf[pos] === GENERALIZED_TIME ? GENERALIZED_TIME : UTC_TIME, what);
  }
}

function twoDigits(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 0x30;
  const b = buf[p + 1]! - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Validates a time without building a Date. The common RFC 5280 §4.1.2.5 forms
 * (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ) are checked here; anything else goes to readTime, the same
 * function a lookup later uses, so an entry that passed here always parses on a hit.
 */
function checkTime(buf: Uint8Array, tag: number, cs: number, ce: number, what: string): void {
  const len = ce - cs;
  let year = -1;
  let p = cs;
  if (tag === UTC_TIME && len === 13) {
    const yy = twoDigits(buf, p);
    if (yy >= 0) year = yy >= 50 ? 1900 + yy : 2000 + yy;
    p += 2;
  } else if (tag === GENERALIZED_TIME && len === 15) {
    const cc = twoDigits(buf, p);
    const yy = twoDigits(buf, p + 2);
    if (cc >= 0 && yy >= 0) year = cc * 100 + yy;
    p += 4;
  }
  if (year >= 0 && buf[ce - 1] === 0x5a) {
    const mo = twoDigits(buf, p);
    const d = twoDigits(buf, p + 2);
    const h = twoDigits(buf, p + 4);
    const mi = twoDigits(buf, p + 6);
    const s = twoDigits(buf, p + 8);
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(year, mo) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59) return;
  }
  try {
    readTime(buf, { tag, start: cs, cs, ce, end: ce });
  } catch (e) {
    if (e instanceof Asn1Error) throw new CrlError(`${what} at offset ${cs}: ${e.message}`);
    throw e;
  }
}

/** FNV-1a over a byte range: cheap, and spreads sequential serials well. */
function hashBytes(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/** The serial's significant octets start after leading zero octets (how readIntegerHex shows them). */
/**
 * Where the minimal two's-complement form of an INTEGER starts: only sign-extension octets are
 * dropped, so serial 00 FF (255) and FF (-1) stay different (PKITS 4.4.14). lookup() takes the
 * same minimal form (serialKeyOf in checker.ts).
 */
function keyStart(buf: Uint8Array, cs: number, ce: number): number {
  while (cs < ce - 1 && ((buf[cs] === 0 && buf[cs + 1]! < 0x80) || (buf[cs] === 0xff && buf[cs + 1]! >= 0x80))) cs++;
  return cs;
}

/**
 * Stable LSD radix sort of the first n (hash, offset) pairs by hash, 16 bits per pass. The
 * result arrays are exactly n long (the inputs may have spare capacity).
 */
function sortByHash(hashes: Uint32Array, offsets: Uint32Array, n: number): [Uint32Array, Uint32Array] {
  const counts = new Uint32Array(65536);
  const pass = (h: Uint32Array, o: Uint32Array, shift: number, h2: Uint32Array, o2: Uint32Array): void => {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(h[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const v = h[i]!;
      const at = counts[(v >>> shift) & 0xffff]!++;
      h2[at] = v;
      o2[at] = o[i]!;
    }
  };
  const h1 = new Uint32Array(n);
  const o1 = new Uint32Array(n);
  pass(hashes, offsets, 0, h1, o1);
  // The second pass writes back into the input when its spare capacity is small (saves 8 n octets
  // at the peak); otherwise into exact-size arrays so the spare capacity is not kept.
  const reuse = hashes.length - n <= n >>> 4;
  const h2 = reuse ? hashes.subarray(0, n) : new Uint32Array(n);
  const o2 = reuse ? offsets.subarray(0, n) : new Uint32Array(n);
  pass(h1, o1, 16, h2, o2);
  return [h2, o2];
}

/** The (hash, offset) pairs of the single pass, whose count is known only at its end. */
class PairBuffer {
  hashes: Uint32Array;
  offsets: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.hashes = new Uint32Array(Math.max(capacity, 16));
    this.offsets = new Uint32Array(Math.max(capacity, 16));
  }
  /** Grows to `capacity` (at least by half) when full; the caller estimates from what it has read. */
  push(hash: number, offset: number, capacity: () => number): void {
    if (this.length === this.hashes.length) {
      const size = Math.max(capacity(), Math.ceil(this.length * 1.5));
      const h = new Uint32Array(size);
      const o = new Uint32Array(size);
      h.set(this.hashes);
      o.set(this.offsets);
      this.hashes = h;
      this.offsets = o;
    }
    this.hashes[this.length] = hash;
    this.offsets[this.length] = offset;
    this.length++;
  }
}

export class RevokedIndex {
  private constructor(
    private readonly der: Uint8Array,
    /** hashes in ascending order */
    private readonly hashes: Uint32Array,
    /** entry offsets, parallel to `hashes` */
    private readonly offsets: Uint32Array,
    /** offsets of the entries that carry certificateIssuer, in document order */
    private readonly issuerChangeAt: number[],
    private readonly issuerChangeNames: GeneralName[][],
  ) {
    this.cursor = new Cursor(der);
  }

  private readonly cursor: Cursor;

  static readonly EMPTY = new RevokedIndex(new Uint8Array(0), new Uint32Array(0), new Uint32Array(0), [], []);

  get count(): number {
    return this.hashes.length;
  }

  /**
   * One pass over the content [cs, ce) of revokedCertificates: validates every entry (tags,
   * lengths, serial, time formats, and the values of the entry extensions a lookup reads) and
   * indexes it.
   */
  static build(der: Uint8Array, cs: number, ce: number): RevokedIndex {
    if (ce > 0xffffffff) throw new CrlError("CRL larger than 4 GiB");
    const cur = new Cursor(der);
    // ~48 octets is an entry with a 16-octet serial and a reason code; when that guess runs
    // out, the entries read so far tell how many the rest of the list holds.
    const pairs = new PairBuffer(Math.ceil((ce - cs) / 48));
    let p = cs;
    const estimate = (): number => Math.ceil((pairs.length * (ce - cs)) / (p - cs) * 1.02) + 16;
    const changeAt: number[] = [];
    const changeNames: GeneralName[][] = [];
    while (p < ce) {
      const entryStart = p;
      // Messages are built only on failure: a template string per entry would double the pass.
      try {
        const bodyStart = cur.open(p, ce, SEQUENCE, "revokedCertificates entry");
        const entryEnd = cur.end;
        const serialStart = cur.open(bodyStart, entryEnd, INTEGER, "userCertificate");
        const serialEnd = cur.end;
        if (serialStart === serialEnd) throw new CrlError("empty serial number");
        const hash = hashBytes(der, keyStart(der, serialStart, serialEnd), serialEnd);

        const dateStart = cur.openTime(serialEnd, entryEnd, "revocationDate");
        checkTime(der, der[serialEnd]!, dateStart, cur.end, "revocationDate");

        if (cur.end < entryEnd) {
          const extsStart = cur.open(cur.end, entryEnd, SEQUENCE, "crlEntryExtensions");
          if (cur.end !== entryEnd) throw new CrlError("unexpected data after crlEntryExtensions");
          const names = scanEntryExtensions(der, cur, extsStart, entryEnd);
          if (names) {
            changeAt.push(entryStart);
            changeNames.push(names);
          }
        }
        pairs.push(hash, entryStart, estimate);
        p = entryEnd;
      } catch (e) {
        if (e instanceof CrlError) throw new CrlError(`revokedCertificates entry ${pairs.length + 1} (offset ${entryStart}): ${e.message}`);
        throw e;
      }
    }
    const [hashes, offsets] = sortByHash(pairs.hashes, pairs.offsets, pairs.length);
    return new RevokedIndex(der, hashes, offsets, changeAt, changeNames);
  }

  /** Entries whose serial (hex, leading zero octets ignored) matches, in CRL order. */
  lookup(serialHex: string): RevokedEntry[] {
    const key = serialKey(serialHex);
    if (!key || this.hashes.length === 0) return [];
    const h = hashBytes(key, 0, key.length);
    const hashes = this.hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const out: RevokedEntry[] = [];
    for (let i = lo; i < hashes.length && hashes[i] === h; i++) {
      const at = this.offsets[i]!;
      if (this.serialEquals(at, key)) out.push(this.entryAt(at));
    }
    return out;
  }

  private serialEquals(entryStart: number, key: Uint8Array): boolean {
    const der = this.der;
    const cur = this.cursor;
    const cs = cur.open(entryStart, der.length, SEQUENCE, "revokedCertificates entry");
    const serialStart = cur.open(cs, cur.end, INTEGER, "userCertificate");
    const ks = keyStart(der, serialStart, cur.end);
    if (cur.end - ks !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (der[ks + i] !== key[i]) return false;
    return true;
  }

  /** Parses the entry at `entryStart`; build() has validated everything read here. */
  private entryAt(entryStart: number): RevokedEntry {
    const der = this.der;
    const entry = readNode(der, entryStart);
    const serial = readNode(der, entry.cs, entry.ce);
    const date = readNode(der, serial.end, entry.ce);
    const ks = keyStart(der, serial.cs, serial.ce);
    const out: RevokedEntry = {
      serialNumber: Buffer.from(der.buffer, der.byteOffset + ks, serial.ce - ks).toString("hex"),
      revocationDate: readTime(der, date),
      reason: null,
      invalidityDate: null,
      certificateIssuer: this.issuerFor(entryStart),
      unknownCriticalExtension: null,
    };
    if (date.end < entry.ce) {
      const exts = readNode(der, date.end, entry.ce);
      for (let p = exts.cs; p < exts.ce; ) {
        const ext = readNode(der, p, exts.ce);
        p = ext.end;
        const oid = readNode(der, ext.cs, ext.ce);
        let v = readNode(der, oid.end, ext.ce);
        let critical = false;
        if (v.tag === BOOLEAN) {
          critical = der[v.cs] !== 0;
          v = readNode(der, v.end, ext.ce);
        }
        const known = idCe(der, oid);
        if (known === REASON_CODE) out.reason = REASONS[der[v.cs + 2]!] ?? null;
        else if (known === INVALIDITY_DATE) out.invalidityDate = readTime(der, readNode(der, v.cs, v.ce));
        else if (known !== CERTIFICATE_ISSUER && critical && out.unknownCriticalExtension === null) {
          out.unknownCriticalExtension = oidString(der, oid);
        }
      }
    }
    return out;
  }

  /** RFC 5280 §5.3.3: the certificateIssuer of this or the nearest preceding entry carrying one. */
  private issuerFor(entryStart: number): GeneralName[] | null {
    const at = this.issuerChangeAt;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! <= entryStart) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : this.issuerChangeNames[lo - 1]!;
  }
}

/** The last arc when the OID is 2.5.29.x with a one-octet x (55 1d xx), else -1. */
function idCe(der: Uint8Array, oid: Node): number {
  return oid.ce - oid.cs === 3 && der[oid.cs] === 0x55 && der[oid.cs + 1] === 0x1d ? der[oid.cs + 2]! : -1;
}

function oidString(der: Uint8Array, oid: Node): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = oid.cs; i < oid.ce; i++) {
    v = v * 128 + (der[i]! & 0x7f);
    if ((der[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

/**
 * Validates one entry's Extensions [from, to) and the values of reasonCode, invalidityDate and
 * certificateIssuer; returns the certificateIssuer names when the entry carries them.
 */
function scanEntryExtensions(der: Uint8Array, cur: Cursor, from: number, to: number): GeneralName[] | null {
  let names: GeneralName[] | null = null;
  let seen = 0;
  for (let p = from; p < to; ) {
    const extStart = cur.open(p, to, SEQUENCE, "Extension");
    const extEnd = cur.end;
    p = extEnd;
    const oidStart = cur.open(extStart, extEnd, OID, "extnID");
    const oidEnd = cur.end;
    if (oidStart === oidEnd || (der[oidEnd - 1]! & 0x80) !== 0) throw new CrlError("malformed extnID");
    let q = oidEnd;
    if (der[q] === BOOLEAN) {
      const b = cur.open(q, extEnd, BOOLEAN, "critical");
      if (cur.end - b !== 1) throw new CrlError("malformed critical flag");
      q = cur.end;
    }
    const vs = cur.open(q, extEnd, OCTET_STRING, "extnValue");
    const ve = cur.end;
    if (ve !== extEnd) throw new CrlError("unexpected data after extnValue");

    const known = oidEnd - oidStart === 3 && der[oidStart] === 0x55 && der[oidStart + 1] === 0x1d ? der[oidStart + 2]! : -1;
    if (known === REASON_CODE || known === INVALIDITY_DATE || known === CERTIFICATE_ISSUER) {
      const bit = 1 << (known & 0x0f);
      if (seen & bit) throw new CrlError(`extension 2.5.29.${known} appears twice`);
      seen |= bit;
    }
    if (known === REASON_CODE) {
      // CRLReason ::= ENUMERATED, one content octet for every defined value
      if (ve - vs !== 3 || der[vs] !== ENUMERATED || der[vs + 1] !== 1 || REASONS[der[vs + 2]!] == null) {
        throw new CrlError("malformed or unknown reasonCode");
      }
    } else if (known === INVALIDITY_DATE) {
      const ts = cur.open(vs, ve, GENERALIZED_TIME, "invalidityDate");
      if (cur.end !== ve) throw new CrlError("unexpected data after invalidityDate");
      checkTime(der, GENERALIZED_TIME, ts, ve, "invalidityDate");
    } else if (known === CERTIFICATE_ISSUER) {
      try {
        const value = der.subarray(vs, ve);
        const root = readRoot(value);
        if (root.tag !== SEQUENCE || root.cs === root.ce) throw new CrlError("certificateIssuer is no GeneralNames");
        names = parseGeneralNames(value, root);
      } catch (e) {
        if (e instanceof Asn1Error) throw new CrlError(`certificateIssuer: ${e.message}`);
        throw e;
      }
    }
  }
  return names;
}

/** Hex serial → significant octets, or null when it is no hex. */
function serialKey(serialHex: string): Uint8Array | null {
  let s = serialHex.toLowerCase();
  if (s.length === 0 || !/^[0-9a-f]+$/.test(s)) return null;
  if (s.length % 2) s = "0" + s;
  const b = Buffer.from(s, "hex");
  return b.subarray(keyStart(b, 0, b.length));
}
