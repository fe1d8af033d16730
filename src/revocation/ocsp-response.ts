/**
 * OCSP responses (RFC 6960 §4.2.1): OCSPResponse → ResponseBytes → BasicOCSPResponse, read with
 * the DER reader. Anything malformed, oversized or of another response type is an OcspError
 * (a typed error the checker turns into "unknown"), never a crash. Nothing here is trusted yet:
 * ocsp-verify.ts decides whether the answer may be used.
 */
import { createHash } from "node:crypto";
import { Asn1Error, type Node, Tag, bytesOf, children, readBigInt, readBitString, readBoolean, readOid, readRoot, readTime } from "../asn1/der.js";
import { PodpisError } from "../errors/base.js";
import { type AlgorithmIdentifier, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { type Name, parseName } from "../pki/name.js";
import { type CertId, OCSP_OID, readCertId } from "./ocsp-request.js";
import { CRL_REASONS, type RevocationReason } from "./types.js";

/** A response that is not a well-formed, supported OCSP response. */
export class OcspError extends PodpisError<"OCSP_MALFORMED"> {
  readonly code = "OCSP_MALFORMED";
}

/** §4.2.1 OCSPResponseStatus (4 is unused) */
export const RESPONSE_STATUS = ["successful", "malformedRequest", "internalError", "tryLater", null, "sigRequired", "unauthorized"] as const;
export type ResponseStatus = Exclude<(typeof RESPONSE_STATUS)[number], null>;

const REASONS = CRL_REASONS;

export interface SingleResponse {
  certId: CertId;
  status: "good" | "revoked" | "unknown";
  revocationTime: Date | null;
  reason: RevocationReason | null;
  thisUpdate: Date;
  nextUpdate: Date | null;
}

export type ResponderId = { byName: Name } | { byKeyHash: string };

export interface BasicOcspResponse {
  /** ResponseData as signed */
  tbs: Uint8Array;
  responderId: ResponderId;
  producedAt: Date;
  responses: SingleResponse[];
  /** the nonce extension's OCTET STRING content, hex; null when absent */
  nonce: string | null;
  /** critical response extensions not understood (§4.4: then the response must not be used) */
  unknownCritical: string[];
  signatureAlgorithm: AlgorithmIdentifier;
  signatureValue: Uint8Array;
  certs: Certificate[];
}

export interface OcspResponse {
  der: Uint8Array;
  sha256: string;
  responseStatus: ResponseStatus;
  basic: BasicOcspResponse | null;
}

export interface OcspParseLimits {
  /** default 1 MiB: a response is a few kilobytes, its certificates included */
  maxBytes?: number;
  /** SingleResponses at most (default 64) */
  maxResponses?: number;
  /** certificates in `certs` at most (default 16) */
  maxCerts?: number;
}

export function parseOcspResponse(der: Uint8Array, limits: OcspParseLimits = {}): OcspResponse {
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  if (der.length === 0) throw new OcspError("empty OCSP response");
  if (der.length > maxBytes) throw new OcspError(`OCSP response of ${der.length} bytes exceeds the limit of ${maxBytes}`);
  try {
    return parse(der, limits);
  } catch (e) {
    if (e instanceof OcspError) throw e;
    if (e instanceof Asn1Error || e instanceof PodpisError) throw new OcspError(`malformed OCSP response: ${e.message}`);
    throw new OcspError(`malformed OCSP response: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new OcspError(`malformed OCSP response: ${what}`);
}

function parse(der: Uint8Array, limits: OcspParseLimits): OcspResponse {
  const root = readRoot(der);
  need(root.tag === Tag.SEQUENCE, "OCSPResponse is not a SEQUENCE");
  const [statusNode, bytesNode, extra] = children(der, root);
  need(statusNode?.tag === Tag.ENUMERATED && !extra, "OCSPResponse must be responseStatus [responseBytes]");
  const code = Number(readBigInt(der, statusNode));
  const responseStatus = RESPONSE_STATUS[code];
  need(responseStatus != null, `unknown responseStatus ${code}`);
  const sha256 = createHash("sha256").update(der).digest("hex");
  if (responseStatus !== "successful") return { der, sha256, responseStatus, basic: null };
  need(bytesNode?.tag === 0xa0, "a successful response without responseBytes");
  const rb = children(der, bytesNode)[0];
  need(rb?.tag === Tag.SEQUENCE, "ResponseBytes is not a SEQUENCE");
  const [typeNode, octets] = children(der, rb);
  need(typeNode?.tag === Tag.OID && octets?.tag === Tag.OCTET_STRING, "ResponseBytes must be responseType, response");
  const type = readOid(der, typeNode);
  if (type !== OCSP_OID.basic) throw new OcspError(`unsupported OCSP response type ${type} (only id-pkix-ocsp-basic)`);
  const inner = der.subarray(octets.cs, octets.ce);
  return { der, sha256, responseStatus, basic: parseBasic(inner, limits) };
}

function parseBasic(b: Uint8Array, limits: OcspParseLimits): BasicOcspResponse {
  const root = readRoot(b);
  need(root.tag === Tag.SEQUENCE, "BasicOCSPResponse is not a SEQUENCE");
  const [tbsNode, algNode, sigNode, certsNode, extra] = children(b, root);
  need(tbsNode?.tag === Tag.SEQUENCE && algNode && sigNode && !extra, "BasicOCSPResponse must be tbsResponseData, signatureAlgorithm, signature [certs]");
  const sig = readBitString(b, sigNode);
  need(sig.unusedBits === 0, "signature BIT STRING with unused bits");
  const certs: Certificate[] = [];
  if (certsNode) {
    need(certsNode.tag === 0xa0, "unexpected element after the signature");
    const list = children(b, certsNode)[0];
    need(list?.tag === Tag.SEQUENCE, "certs is not a SEQUENCE OF Certificate");
    const nodes = children(b, list);
    const maxCerts = limits.maxCerts ?? 16;
    if (nodes.length > maxCerts) throw new OcspError(`OCSP response carries ${nodes.length} certificates; at most ${maxCerts} are read`);
    for (const n of nodes) certs.push(parseCertificate(bytesOf(b, n)));
  }
  const data = parseResponseData(b, tbsNode, limits);
  return { ...data, tbs: bytesOf(b, tbsNode), signatureAlgorithm: parseAlgorithmIdentifier(b, algNode), signatureValue: sig.bytes, certs };
}

function parseResponseData(b: Uint8Array, node: Node, limits: OcspParseLimits) {
  const parts = children(b, node);
  let i = 0;
  if (parts[i]?.tag === 0xa0) {
    const v = children(b, parts[i]!)[0];
    need(v?.tag === Tag.INTEGER && readBigInt(b, v) === 0n, "only ResponseData version v1 (0) is known");
    i++;
  }
  const rid = parts[i++];
  let responderId: ResponderId;
  if (rid?.tag === 0xa1) {
    const n = children(b, rid)[0];
    need(n?.tag === Tag.SEQUENCE, "ResponderID byName without a Name");
    responderId = { byName: parseName(b, n) };
  } else if (rid?.tag === 0xa2) {
    const k = children(b, rid)[0];
    need(k?.tag === Tag.OCTET_STRING && k.ce - k.cs === 20, "ResponderID byKey is not a 20-octet SHA-1 hash");
    responderId = { byKeyHash: Buffer.from(b.subarray(k.cs, k.ce)).toString("hex") };
  } else throw new OcspError("malformed OCSP response: ResponderID is neither byName [1] nor byKey [2]");
  const produced = parts[i++];
  need(produced?.tag === Tag.GENERALIZED_TIME, "producedAt is not a GeneralizedTime");
  const producedAt = readTime(b, produced);
  const list = parts[i++];
  need(list?.tag === Tag.SEQUENCE, "responses is not a SEQUENCE");
  const nodes = children(b, list);
  const maxResponses = limits.maxResponses ?? 64;
  if (nodes.length > maxResponses) throw new OcspError(`OCSP response holds ${nodes.length} single responses; at most ${maxResponses} are read`);
  const responses = nodes.map((n) => parseSingle(b, n));
  let nonce: string | null = null;
  const unknownCritical: string[] = [];
  const exts = parts[i];
  if (exts) {
    need(exts.tag === 0xa1 && !parts[i + 1], "unexpected element in ResponseData");
    for (const e of extensions(b, exts)) {
      if (e.oid === OCSP_OID.nonce) {
        // RFC 8954 §2.1: Nonce ::= OCTET STRING inside extnValue (some responders send the raw octets)
        const v = e.value;
        let inner: Uint8Array = v;
        try {
          const n = readRoot(v);
          if (n.tag === Tag.OCTET_STRING) inner = v.subarray(n.cs, n.ce);
        } catch {
          /* the raw octets */
        }
        nonce = Buffer.from(inner).toString("hex");
      } else if (e.critical) unknownCritical.push(e.oid);
    }
  }
  return { responderId, producedAt, responses, nonce, unknownCritical };
}

function parseSingle(b: Uint8Array, node: Node): SingleResponse {
  need(node.tag === Tag.SEQUENCE, "SingleResponse is not a SEQUENCE");
  const parts = children(b, node);
  const certId = parts[0] ? readCertId(b, parts[0]) : null;
  need(certId, "CertID malformed or hashed with an unsupported algorithm");
  const st = parts[1];
  need(st, "SingleResponse without certStatus");
  let status: SingleResponse["status"];
  let revocationTime: Date | null = null;
  let reason: RevocationReason | null = null;
  if (st.tag === 0x80 && st.ce === st.cs) status = "good";
  else if (st.tag === 0x82 && st.ce === st.cs) status = "unknown";
  else if (st.tag === 0xa1) {
    status = "revoked";
    const [t, r] = children(b, st);
    need(t?.tag === Tag.GENERALIZED_TIME, "RevokedInfo without revocationTime");
    revocationTime = readTime(b, t);
    if (r) {
      need(r.tag === 0xa0, "RevokedInfo: unexpected element");
      const e = children(b, r)[0];
      need(e?.tag === Tag.ENUMERATED, "revocationReason is not an ENUMERATED");
      const code = Number(readBigInt(b, e));
      reason = REASONS[code] ?? null;
      need(reason !== null, `unknown revocationReason ${code}`);
    }
  } else throw new OcspError("malformed OCSP response: certStatus is not good [0], revoked [1] or unknown [2]");
  const tu = parts[2];
  need(tu?.tag === Tag.GENERALIZED_TIME, "thisUpdate is not a GeneralizedTime");
  let nextUpdate: Date | null = null;
  let k = 3;
  if (parts[k]?.tag === 0xa0) {
    const n = children(b, parts[k]!)[0];
    need(n?.tag === Tag.GENERALIZED_TIME, "nextUpdate is not a GeneralizedTime");
    nextUpdate = readTime(b, n);
    k++;
  }
  if (parts[k]) {
    need(parts[k]!.tag === 0xa1 && !parts[k + 1], "unexpected element in SingleResponse");
    // §4.4: a critical single extension we do not know makes this answer unusable
    for (const e of extensions(b, parts[k]!)) if (e.critical) throw new OcspError(`SingleResponse has unrecognised critical extension ${e.oid}`);
  }
  return { certId, status, revocationTime, reason, thisUpdate: readTime(b, tu), nextUpdate };
}

function extensions(b: Uint8Array, wrapper: Node): Array<{ oid: string; critical: boolean; value: Uint8Array }> {
  const list = children(b, wrapper)[0];
  need(list?.tag === Tag.SEQUENCE, "Extensions is not a SEQUENCE");
  return children(b, list).map((n) => {
    const [o, c, v] = children(b, n);
    need(o?.tag === Tag.OID && c, "malformed Extension");
    const critical = c.tag === Tag.BOOLEAN ? readBoolean(b, c) : false;
    const value = c.tag === Tag.BOOLEAN ? v : c;
    need(value?.tag === Tag.OCTET_STRING, "Extension without extnValue");
    return { oid: readOid(b, o), critical, value: b.subarray(value.cs, value.ce) };
  });
}
