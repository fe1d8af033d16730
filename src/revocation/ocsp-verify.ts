/**
 * Whether an OCSP response may decide a certificate's status (RFC 6960 §3.2, §4.2.2.2): the
 * response is about this certificate (CertID), was signed by the certificate's issuer itself or
 * by a responder that issuer authorised (id-kp-OCSPSigning, issued by the same key), names its
 * signer correctly (ResponderID), echoes our nonce, and is current at the validation time.
 * Every refusal is a code and a sentence; nothing that fails here is ever "good".
 */
import { createHash, type KeyObject } from "node:crypto";
import { signatureAlgorithm, verifySignature } from "../pki/algorithms.js";
import { type Certificate, KeyUsage, publicKeyOf } from "../pki/certificate.js";
import { bytesEqual } from "../pki/path-builder.js";
import { type CertId, OCSP_OID, certIdOf, sameCertId, subjectPublicKeyBits } from "./ocsp-request.js";
import type { BasicOcspResponse, OcspResponse, SingleResponse } from "./ocsp-response.js";
import type { RevocationErrorCode, RevocationReason } from "./types.js";

export interface OcspVerifyInput {
  cert: Certificate;
  issuer: Certificate;
  /** the issuer's working public key when it differs from its certificate's own */
  issuerKey?: KeyObject;
  at: Date;
  /** tolerated clock difference for thisUpdate/nextUpdate, ms */
  skewMs: number;
  /** the nonce sent, hex; it must come back (null: none sent, e.g. a cached or supplied response) */
  nonce: string | null;
  /**
   * The delegated responder certificate's own status (§4.2.2.2.1): null when it is not revoked,
   * else why it cannot be trusted. Not called for a responder carrying id-pkix-ocsp-nocheck.
   */
  responderStatus(responder: Certificate): Promise<string | null>;
}

export type OcspVerdict =
  | { ok: true; status: "good" | "revoked"; revocationTime: Date | null; reason: RevocationReason | null; single: SingleResponse; producedAt: Date; signer: "issuer" | "delegated" }
  | { ok: false; code: RevocationErrorCode; message: string; producedAt?: Date };

const fail = (code: RevocationErrorCode, message: string, producedAt?: Date): OcspVerdict => ({ ok: false, code, message, ...(producedAt ? { producedAt } : {}) });

export async function verifyOcspResponse(res: OcspResponse, input: OcspVerifyInput): Promise<OcspVerdict> {
  if (res.responseStatus !== "successful" || !res.basic) {
    return fail("OCSP_ERROR_STATUS", `the responder answered ${res.responseStatus}`);
  }
  const basic = res.basic;
  const producedAt = basic.producedAt;
  if (basic.unknownCritical.length > 0) return fail("OCSP_MALFORMED", `the response has unrecognised critical extension(s) ${basic.unknownCritical.join(", ")}`, producedAt);
  // the CertID: recomputed with the hash the responder used (it may answer SHA-1 to a SHA-256 request)
  const ids = new Map<string, CertId>();
  const single = basic.responses.find((r) => {
    let id = ids.get(r.certId.hash);
    if (!id) ids.set(r.certId.hash, (id = certIdOf(input.cert, input.issuer, r.certId.hash)));
    return sameCertId(id, r.certId);
  });
  if (!single) return fail("OCSP_CERTID_MISMATCH", "the response holds no answer about this certificate (CertID mismatch)", producedAt);
  if (input.nonce !== null && basic.nonce !== input.nonce) {
    return fail("OCSP_NONCE_MISMATCH", basic.nonce === null ? "the responder did not echo the nonce sent" : "the nonce in the response is not the one sent", producedAt);
  }
  const auth = await authorisedSigner(basic, input);
  if ("problem" in auth) return fail(auth.problem.startsWith("signature") ? "OCSP_SIGNATURE_INVALID" : "OCSP_SIGNER_UNAUTHORISED", auth.problem, producedAt);
  const signer = auth.signer;
  const at = input.at.getTime();
  if (single.thisUpdate.getTime() > at + input.skewMs) {
    return fail("OCSP_NOT_YET_VALID", `the response was issued after the validation time (thisUpdate ${single.thisUpdate.toISOString()})`, producedAt);
  }
  // §4.2.2.1: without nextUpdate newer information is always available, so only a response
  // from (about) the validation time itself is current.
  const until = single.nextUpdate ?? single.thisUpdate;
  if (until.getTime() + input.skewMs < at) {
    return fail("OCSP_STALE", single.nextUpdate ? `the response was due for replacement at ${single.nextUpdate.toISOString()}` : `the response (thisUpdate ${single.thisUpdate.toISOString()}, no nextUpdate) is older than the allowed clock skew`, producedAt);
  }
  if (single.status === "unknown") return fail("OCSP_UNKNOWN", "the responder does not know this certificate (status unknown)", producedAt);
  return { ok: true, status: single.status, revocationTime: single.revocationTime, reason: single.reason, single, producedAt, signer };
}

/** Who signed, when the signer is authorised (§4.2.2.2); else why not. */
async function authorisedSigner(basic: BasicOcspResponse, input: OcspVerifyInput): Promise<{ signer: "issuer" | "delegated" } | { problem: string }> {
  const issuerKey = input.issuerKey ?? keyOf(input.issuer);
  if (!issuerKey) return { problem: "the issuer's public key is unusable" };
  // 1. the CA itself
  if (names(basic, input.issuer, issuerKey)) {
    return signs(basic, issuerKey) ? { signer: "issuer" } : { problem: "signature of the response does not verify with the issuing CA's key" };
  }
  // 2. a delegated responder: carried in the response, named by the ResponderID
  const named = basic.certs.filter((c) => {
    const k = keyOf(c);
    return k !== null && names(basic, c, k);
  });
  if (named.length === 0) return { problem: "the response is signed neither by the certificate's issuer nor by a responder certificate it carries" };
  let why = "";
  for (const r of named) {
    const key = keyOf(r)!;
    if (!signs(basic, key)) {
      why ||= "signature of the response does not verify with the responder certificate's key";
      continue;
    }
    const problem = await delegationProblem(r, input, issuerKey);
    if (!problem) return { signer: "delegated" };
    why = problem;
  }
  return { problem: why };
}

/** §4.2.2.2: issued directly by the CA (its key), id-kp-OCSPSigning, valid, not revoked. */
async function delegationProblem(r: Certificate, input: OcspVerifyInput, issuerKey: KeyObject): Promise<string | null> {
  if (r.issuer.key !== input.issuer.subject.key || !certSignedBy(r, issuerKey)) return "the responder certificate was not issued by the certificate's issuer";
  if (!r.extKeyUsage?.includes(OCSP_OID.ocspSigning)) return "the responder certificate lacks extendedKeyUsage id-kp-OCSPSigning";
  if (r.keyUsage !== null && (r.keyUsage & ((1 << KeyUsage.digitalSignature) | (1 << KeyUsage.nonRepudiation))) === 0) return "the responder certificate's keyUsage allows no signatures";
  const at = input.at.getTime();
  if (r.notBefore.getTime() > at || r.notAfter.getTime() < at) return "the responder certificate is not valid at the validation time";
  if (r.unknownCritical.length > 0) return `the responder certificate has unrecognised critical extension(s) ${r.unknownCritical.join(", ")}`;
  if (r.extensions.some((e) => e.oid === OCSP_OID.noCheck)) return null;
  const status = await input.responderStatus(r);
  return status === null ? null : `the responder certificate's own revocation status: ${status}`;
}

/** The ResponderID names `c` (byName: its subject; byKey: SHA-1 of its subjectPublicKey, §4.2.1). */
function names(basic: BasicOcspResponse, c: Certificate, _key: KeyObject): boolean {
  const id = basic.responderId;
  if ("byName" in id) return id.byName.key === c.subject.key;
  return createHash("sha1").update(subjectPublicKeyBits(c)).digest("hex") === id.byKeyHash;
}

function signs(basic: BasicOcspResponse, key: KeyObject): boolean {
  try {
    return verifySignature(signatureAlgorithm(basic.signatureAlgorithm), key, basic.tbs, basic.signatureValue);
  } catch {
    return false;
  }
}

function certSignedBy(c: Certificate, key: KeyObject): boolean {
  if (c.signatureUnusedBits !== 0 || c.signatureAlgorithm.oid !== c.tbsSignatureAlgorithm.oid) return false;
  const pa = c.signatureAlgorithm.params;
  const pb = c.tbsSignatureAlgorithm.params;
  if ((pa === null) !== (pb === null) || (pa && pb && !bytesEqual(pa, pb))) {
    const isNull = (p: Uint8Array | null) => p === null || (p.length === 2 && p[0] === 5 && p[1] === 0);
    if (!(isNull(pa) && isNull(pb))) return false;
  }
  try {
    return verifySignature(signatureAlgorithm(c.signatureAlgorithm), key, c.tbs, c.signatureValue);
  } catch {
    return false;
  }
}

function keyOf(c: Certificate): KeyObject | null {
  try {
    return publicKeyOf(c);
  } catch {
    return null;
  }
}
