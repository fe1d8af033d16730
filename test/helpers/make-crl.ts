/**
 * Builds CRLs at run time for tests and benches: the header with the DER writer, the entries
 * with a small direct encoder (a million entries through Buffer.concat per node would take
 * seconds), signed with an RSA key from node:crypto. TEST DATA ONLY.
 */
import { type KeyObject, generateKeyPairSync, sign } from "node:crypto";
import { Tag } from "../../src/asn1/der.js";
import {
  boolean,
  explicit,
  generalizedTime,
  integer,
  nullValue,
  octetString,
  oid,
  sequence,
  setOf,
  tlv,
  unsignedInteger,
  x509Time,
} from "../../src/asn1/writer.js";

export const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

let cachedKey: { privateKey: KeyObject; publicKey: KeyObject } | null = null;

/** One RSA-2048 key per process: generating one costs up to a second. */
export function testKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  cachedKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return cachedKey;
}

const ATTR: Record<string, string> = { C: "2.5.4.6", O: "2.5.4.10", OU: "2.5.4.11", CN: "2.5.4.3" };

/** A Name from [type, value] pairs, most significant first: makeName(["C","BG"],["CN","Test CA"]). */
export function makeName(...rdns: Array<[keyof typeof ATTR | string, string]>): Buffer {
  return sequence(
    ...rdns.map(([t, v]) =>
      setOf(sequence(oid(ATTR[t] ?? t), tlv(t === "C" ? Tag.PRINTABLE_STRING : Tag.UTF8_STRING, Buffer.from(v, "utf8")))),
    ),
  );
}

export function extension(extnId: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? sequence(oid(extnId), boolean(true), octetString(value)) : sequence(oid(extnId), octetString(value));
}

/** GeneralNames holding one directoryName. */
export const directoryNames = (...names: Uint8Array[]): Buffer => sequence(...names.map((n) => explicit(4, n)));

export interface CrlEntrySpec {
  /** magnitude octets (encoded as a positive INTEGER) or a bigint (may be negative) */
  serial: Uint8Array | bigint;
  date: Date;
  /** CRLReason value (RFC 5280 §5.3.1) */
  reason?: number;
  invalidityDate?: Date;
  /** DER of a Name; becomes a critical certificateIssuer extension (RFC 5280 §5.3.3) */
  certificateIssuer?: Uint8Array;
  /** further Extension SEQUENCEs, e.g. an unknown critical one */
  extraExtensions?: Uint8Array[];
}

export interface MakeCrlOptions {
  issuer?: Uint8Array;
  thisUpdate?: Date;
  /** null: no nextUpdate field */
  nextUpdate?: Date | null;
  entries?: Iterable<CrlEntrySpec>;
  /** omit the revokedCertificates field when there are no entries (RFC 5280 §5.1.2.6); default true */
  omitEmptyList?: boolean;
  crlNumber?: bigint | null;
  deltaCrlIndicator?: bigint;
  /** DER of the IssuingDistributionPoint value */
  issuingDistributionPoint?: Uint8Array;
  /** further CRL Extension SEQUENCEs */
  extensions?: Uint8Array[];
  privateKey?: KeyObject;
  /** omit the version field (a v1 CRL); use without extensions */
  version1?: boolean;
}

export const DEFAULT_ISSUER = makeName(["C", "BG"], ["O", "podpis test"], ["CN", "Test CRL Issuer"]);

/** Grows by doubling; the entries are written straight into it. */
class Sink {
  buf = Buffer.allocUnsafe(1 << 16);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  write(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  header(tag: number, len: number): void {
    this.ensure(6);
    this.buf[this.len++] = tag;
    if (len < 0x80) this.buf[this.len++] = len;
    else if (len < 0x100) {
      this.buf[this.len++] = 0x81;
      this.buf[this.len++] = len;
    } else if (len < 0x10000) {
      this.buf[this.len++] = 0x82;
      this.buf.writeUInt16BE(len, this.len);
      this.len += 2;
    } else {
      this.buf[this.len++] = 0x84;
      this.buf.writeUInt32BE(len, this.len);
      this.len += 4;
    }
  }
}

/** revocationDate and crlEntryExtensions: the same for many entries, so encoded once each. */
function entryTail(e: CrlEntrySpec, memo: Map<string, Buffer>): Buffer {
  const simple = e.invalidityDate === undefined && e.certificateIssuer === undefined && e.extraExtensions === undefined;
  const key = simple ? `${e.date.getTime()}/${e.reason ?? ""}` : null;
  const hit = key === null ? undefined : memo.get(key);
  if (hit) return hit;
  const exts: Buffer[] = [];
  if (e.reason !== undefined) exts.push(extension("2.5.29.21", false, tlv(Tag.ENUMERATED, Buffer.from([e.reason]))));
  if (e.invalidityDate) exts.push(extension("2.5.29.24", false, generalizedTime(e.invalidityDate)));
  if (e.certificateIssuer) exts.push(extension("2.5.29.29", true, directoryNames(e.certificateIssuer)));
  if (e.extraExtensions) exts.push(...e.extraExtensions.map((x) => Buffer.from(x)));
  const tail = Buffer.concat([x509Time(e.date), ...(exts.length ? [sequence(...exts)] : [])]);
  if (key !== null && memo.size < 10_000) memo.set(key, tail);
  return tail;
}

function encodeEntries(entries: Iterable<CrlEntrySpec>): { body: Buffer; count: number } {
  const sink = new Sink();
  const memo = new Map<string, Buffer>();
  let count = 0;
  for (const e of entries) {
    const serial = typeof e.serial === "bigint" ? integer(e.serial) : unsignedInteger(e.serial);
    const tail = entryTail(e, memo);
    sink.header(Tag.SEQUENCE, serial.length + tail.length);
    sink.write(serial);
    sink.write(tail);
    count++;
  }
  return { body: sink.buf.subarray(0, sink.len), count };
}

/** Encodes and signs a CRL (sha256WithRSAEncryption). */
export function makeCrl(opts: MakeCrlOptions = {}): Buffer {
  const thisUpdate = opts.thisUpdate ?? new Date("2026-01-01T00:00:00Z");
  const nextUpdate = opts.nextUpdate === undefined ? new Date("2026-02-01T00:00:00Z") : opts.nextUpdate;
  const alg = sequence(oid(SHA256_WITH_RSA), nullValue());
  const { body, count } = encodeEntries(opts.entries ?? []);
  const exts: Buffer[] = [];
  if (opts.crlNumber !== null) exts.push(extension("2.5.29.20", false, integer(opts.crlNumber ?? 1n)));
  if (opts.deltaCrlIndicator !== undefined) exts.push(extension("2.5.29.27", true, integer(opts.deltaCrlIndicator)));
  if (opts.issuingDistributionPoint) exts.push(extension("2.5.29.28", true, opts.issuingDistributionPoint));
  if (opts.extensions) exts.push(...opts.extensions.map((x) => Buffer.from(x)));
  const tbsParts: Buffer[] = [...(opts.version1 ? [] : [integer(1)]), alg, Buffer.from(opts.issuer ?? DEFAULT_ISSUER), x509Time(thisUpdate)];
  if (nextUpdate) tbsParts.push(x509Time(nextUpdate));
  if (count > 0 || opts.omitEmptyList === false) {
    const head = new Sink();
    head.header(Tag.SEQUENCE, body.length);
    tbsParts.push(head.buf.subarray(0, head.len), body);
  }
  if (exts.length) tbsParts.push(explicit(0, sequence(...exts)));
  const tbs = sequence(...tbsParts);
  const signature = sign("sha256", tbs, opts.privateKey ?? testKey().privateKey);
  return sequence(tbs, alg, tlv(Tag.BIT_STRING, Buffer.from([0]), signature));
}

/**
 * n pseudo-random 16-octet positive serials (first octet 0x01–0x7f), deterministic per seed,
 * packed in one buffer: serial i is bytes [16 i, 16 i + 16).
 */
export function randomSerials(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n * 16);
  // xorshift32: reproducible without storing the serials next to the CRL
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32BE(x, i);
  }
  for (let i = 0; i < n; i++) out[i * 16] = (out[i * 16]! & 0x7f) | 0x01;
  return out;
}

const BENCH_REASONS = [1, 4, 5, 0, 3];

/** The entries of a big CRL: random serials, a few reason codes and dates, some without reason. */
export function* bigCrlEntries(serials: Buffer, dupEvery = 0): Generator<CrlEntrySpec> {
  const n = serials.length / 16;
  const base = Date.UTC(2025, 0, 1);
  for (let i = 0; i < n; i++) {
    const serial = serials.subarray(i * 16, i * 16 + 16);
    const date = new Date(base + (i % 97) * 86_400_000);
    const r = i % 7;
    yield r < BENCH_REASONS.length ? { serial, date, reason: BENCH_REASONS[r]! } : { serial, date };
    if (dupEvery && i % dupEvery === 0) yield { serial, date, reason: 6 };
  }
}

/** A signed CRL of n random-serial entries, plus the serials it holds. */
export function makeBigCrl(n: number, seed = 1, opts: MakeCrlOptions = {}): { der: Buffer; serials: Buffer } {
  const serials = randomSerials(n, seed);
  return { der: makeCrl({ ...opts, entries: bigCrlEntries(serials) }), serials };
}
