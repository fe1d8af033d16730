/**
 * RFC 3161 requests and responses: building a TimeStampReq, reading a TimeStampResp, and the
 * checks a signer makes before it embeds a token (status, imprint, nonce, TSA certificate and its
 * path). Pure: the HTTP exchange is in io/tsa-client.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Asn1Error, Tag, bytesOf, children, contentOf, readBitString, readBoolean, readOid, readRoot, readSmallInt, readString, hex } from "../asn1/der.js";
import { boolean, integer, octetString, oid, sequence, unsignedInteger } from "../asn1/writer.js";
import { HASH_OIDS } from "../pki/algorithms.js";
import type { CertificateSources } from "../cms/candidates.js";
import type { Message } from "../cms/messages.js";
import type { Indication, SubIndication } from "../pki/indication.js";
import { type TimestampToken, readTimestampToken } from "./token.js";

export const DIGEST_OIDS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(HASH_OIDS).map(([o, h]) => [h, o]));

import { TimestampError } from "./errors.js";
export { TimestampError, type TimestampErrorCode } from "./errors.js";

export interface TimestampRequest {
  der: Buffer;
  hash: string;
  digest: Buffer;
  /** the nonce as unsigned big-endian octets (no leading zero) */
  nonce: Buffer;
  certReq: boolean;
}

/** RFC 3161 §2.4.1 TimeStampReq over `data` (hashed here) with a 64-bit random nonce and certReq. */
export function buildTimestampRequest(data: Uint8Array, hash: string, opts: { certReq?: boolean; policy?: string; nonce?: Buffer } = {}): TimestampRequest {
  const hashOid = DIGEST_OIDS[hash];
  if (!hashOid) throw new TimestampError("TSA_BAD_RESPONSE", `no OID for digest ${hash}`);
  const digest = createHash(hash).update(data).digest();
  let nonce = opts.nonce ?? randomBytes(8);
  while (nonce.length > 1 && nonce[0] === 0) nonce = nonce.subarray(1);
  const certReq = opts.certReq ?? true;
  const der = sequence(
    integer(1),
    sequence(sequence(oid(hashOid)), octetString(digest)),
    ...(opts.policy ? [oid(opts.policy)] : []),
    unsignedInteger(nonce),
    ...(certReq ? [boolean(true)] : []),
  );
  return { der, hash, digest, nonce, certReq };
}

export interface ParsedRequest {
  /** Node digest name, or null when the algorithm is unknown */
  hash: string | null;
  hashOid: string;
  imprint: Uint8Array;
  /** DER of the MessageImprint, echoed into TSTInfo */
  messageImprintDer: Uint8Array;
  policy: string | null;
  /** DER INTEGER of the nonce, echoed into TSTInfo */
  nonceDer: Uint8Array | null;
  certReq: boolean;
  hasExtensions: boolean;
}

/** Reads a TimeStampReq (the TSA side). Throws Asn1Error when malformed. */
export function parseTimestampRequest(der: Uint8Array): ParsedRequest {
  const f = children(der, readRoot(der));
  const v = f[0];
  if (v?.tag !== Tag.INTEGER || readSmallInt(der, v) !== 1) throw new Asn1Error("TimeStampReq version is not 1");
  const mi = f[1];
  if (mi?.tag !== Tag.SEQUENCE) throw new Asn1Error("TimeStampReq without messageImprint");
  const [alg, hashNode] = children(der, mi);
  if (alg?.tag !== Tag.SEQUENCE || hashNode?.tag !== Tag.OCTET_STRING) throw new Asn1Error("MessageImprint malformed");
  const hashOid = readOid(der, children(der, alg)[0]!);
  const out: ParsedRequest = {
    hash: HASH_OIDS[hashOid] ?? null,
    hashOid,
    imprint: contentOf(der, hashNode),
    messageImprintDer: bytesOf(der, mi),
    policy: null,
    nonceDer: null,
    certReq: false,
    hasExtensions: false,
  };
  for (const n of f.slice(2)) {
    if (n.tag === Tag.OID) out.policy = readOid(der, n);
    else if (n.tag === Tag.INTEGER) out.nonceDer = bytesOf(der, n);
    else if (n.tag === Tag.BOOLEAN) out.certReq = readBoolean(der, n);
    else if (n.tag === 0xa0) out.hasExtensions = true;
    else throw new Asn1Error(`TimeStampReq: unexpected field 0x${n.tag.toString(16)}`);
  }
  return out;
}

export interface ParsedResponse {
  /** PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification */
  status: number;
  statusText: string[];
  /** PKIFailureInfo bit numbers set */
  failInfo: number[];
  /** DER ContentInfo of the token, when granted */
  token: Uint8Array | null;
}

const FAIL_NAMES: Record<number, string> = { 0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable", 15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure" };

/** Reads a TimeStampResp (RFC 3161 §2.4.2). Throws TimestampError TSA_BAD_RESPONSE when malformed. */
export function parseTimestampResponse(der: Uint8Array): ParsedResponse {
  try {
    const [statusInfo, token] = children(der, readRoot(der));
    const s = children(der, statusInfo!);
    if (s[0]?.tag !== Tag.INTEGER) throw new Asn1Error("PKIStatusInfo without status");
    const out: ParsedResponse = { status: readSmallInt(der, s[0]), statusText: [], failInfo: [], token: token ? bytesOf(der, token) : null };
    for (const n of s.slice(1)) {
      if (n.tag === Tag.SEQUENCE) out.statusText = children(der, n).map((t) => readString(der, t));
      else if (n.tag === Tag.BIT_STRING) {
        const b = readBitString(der, n);
        for (let i = 0; i < b.bytes.length * 8 - b.unusedBits; i++) if (b.bytes[i >> 3]! & (0x80 >> (i & 7))) out.failInfo.push(i);
      }
    }
    return out;
  } catch (e) {
    if (e instanceof TimestampError) throw e;
    throw new TimestampError("TSA_BAD_RESPONSE", `the TSA's answer is not an RFC 3161 response: ${(e as Error).message}`);
  }
}

export function describeFailure(r: ParsedResponse): string {
  const names = r.failInfo.map((b) => FAIL_NAMES[b] ?? `bit ${b}`);
  return [`status ${r.status}`, names.length ? names.join(", ") : null, r.statusText.length ? `"${r.statusText.join(" ")}"` : null].filter(Boolean).join(", ");
}

/** How a request reaches a TSA (the port; io/tsa-client.ts has the HTTP one, tests an in-process TSA). */
export type TsaTransport = (url: string, body: Buffer) => Promise<Buffer>;

/**
 * Whether a TSA's token is to be trusted: where its certificate may be found, and the
 * EN 319 102-1 §5.4 check (validation/timestamp.ts), passed in so that timestamp/ stays below
 * validation/.
 */
export interface TokenTrust {
  sources: CertificateSources;
  validate(token: TimestampToken, at: Date): Promise<{ indication: Indication; subIndication: SubIndication | null; errors: Message[] }>;
}

export interface CheckOptions {
  /** what was time-stamped */
  data: Uint8Array;
  /** trust store, CRLs and algorithm policy the TSA's certificate is checked against */
  trust: TokenTrust;
  /** when the check is made: an input, never defaulted in the core */
  at: Date;
}

/**
 * Everything a signer checks before embedding a token: granted, a token present, the imprint and
 * nonce of this request, the TSA certificate included and fit for time-stamping, the token's
 * signature intact, and the TSA's path valid against the trust store. Returns the token DER.
 */
export async function checkTimestampResponse(respDer: Uint8Array, req: TimestampRequest, opts: CheckOptions): Promise<Uint8Array> {
  const resp = parseTimestampResponse(respDer);
  if (resp.status !== 0 && resp.status !== 1) throw new TimestampError("TSA_REJECTED", `the TSA refused the request (${describeFailure(resp)})`);
  if (!resp.token) throw new TimestampError("TSA_BAD_RESPONSE", "the TSA granted the request but sent no token");
  const token = readTimestampToken(resp.token, { kind: "signature", imprintedData: opts.data, ctx: opts.trust.sources });
  if (token.formatErrors.length || !token.tstInfo) throw new TimestampError("TSA_BAD_RESPONSE", `the TSA's token is malformed: ${token.formatErrors[0]?.message ?? "no TSTInfo"}`);
  const tst = token.tstInfo;
  if (tst.imprintAlgorithm !== req.hash) throw new TimestampError("TSA_MISMATCH", `the token's imprint uses ${tst.imprintAlgorithm}, the request asked for ${req.hash}`);
  if (token.imprintMatches !== true || !timingSafeEqual(Buffer.from(tst.imprint), req.digest)) throw new TimestampError("TSA_MISMATCH", "the token's message imprint is not the digest that was sent");
  if (tst.nonce === null || BigInt("0x" + tst.nonce) !== BigInt("0x" + hex(req.nonce))) throw new TimestampError("TSA_MISMATCH", "the token's nonce is not the request's (a replayed or foreign token)");
  if (req.certReq && !token.certificates.some((c) => c === token.tsaCertificate || c.sha256 === token.tsaCertificate?.sha256)) {
    throw new TimestampError("TSA_BAD_RESPONSE", "certReq was set, but the token does not carry the TSA's certificate");
  }
  const at = opts.at;
  // the TSA's clock may run a little ahead of ours: check at the later of the two times
  const checkAt = new Date(Math.max(at.getTime(), tst.genTime.getTime()));
  const v = await opts.trust.validate(token, checkAt);
  if (v.indication !== "TOTAL_PASSED") {
    const why = v.errors[0]?.message ?? v.subIndication ?? v.indication;
    const code = v.subIndication === "HASH_FAILURE" || v.subIndication === "SIG_CRYPTO_FAILURE" || v.subIndication === "FORMAT_FAILURE" ? "TSA_BAD_RESPONSE" : "TSA_UNTRUSTED";
    throw new TimestampError(code, `the TSA's token is not acceptable: ${why}`);
  }
  return resp.token;
}
