/**
 * The signature validation process of ETSI EN 319 102-1, format-neutral: the basic signature
 * validation (§5.3: format checking, identification of the signing certificate, X.509
 * certificate validation, cryptographic verification, signature acceptance) followed by the
 * validation with time-stamps (§5.5) and past signature validation (§5.6.2.4), where a valid
 * signature time-stamp is the proof of existence that lets a later revocation or expiry pass.
 */
import { createHash } from "node:crypto";
import { type Certificate, KeyUsage } from "../pki/certificate.js";
import { signatureAlgorithm } from "../pki/algorithms.js";
import type { PathResult } from "../pki/path-types.js";
import { CrlError, parseCrl } from "../revocation/crl.js";
import type { Crl } from "../revocation/crl-types.js";
import { OcspError, type OcspResponse, parseOcspResponse } from "../revocation/ocsp-response.js";
import { type TimestampValidation, validateTimestamp } from "./timestamp.js";
import { type EmbeddedRevocation, type ValidationContext, pathFor } from "./context.js";
import { pathAtControlTime } from "./past-path.js";
import type { Indication, SubIndication } from "./indication.js";
import { type AlgorithmUse, certificateKeyInfo, checkAlgorithms } from "./policy.js";
import { type Qualification, type QualificationFacts, certificateFacts, qualificationOf } from "./qualification.js";
import type { Message, SignatureModel } from "./signature-model.js";

export interface SignatureOutcome {
  model: SignatureModel;
  indication: Indication;
  subIndication: SubIndication | null;
  /** the signing certificate's path as it decided the outcome (at the validation time, or at the proof of existence) */
  path: PathResult | null;
  /** the earliest time a valid signature time-stamp proves the signature existed; null without one */
  bestSignatureTime: Date | null;
  /**
   * the earliest proof of existence of the signature: bestSignatureTime, or the genTime of a
   * valid archive (or validation-data) time-stamp when that is earlier; null without any
   */
  signaturePoe: Date | null;
  timestamps: TimestampValidation[];
  qualification: Qualification;
  errors: Message[];
  warnings: Message[];
}

/** Past this many milliseconds, a signing-time later than the time-stamp is reported (clocks differ a little). */
const SIGNING_TIME_TOLERANCE_MS = 5 * 60_000;

export async function validateSignature(model: SignatureModel, ctx: ValidationContext, at: Date): Promise<SignatureOutcome> {
  const out: SignatureOutcome = {
    model,
    indication: "TOTAL_PASSED",
    subIndication: null,
    path: null,
    bestSignatureTime: null,
    signaturePoe: null,
    timestamps: [],
    qualification: "N/A",
    errors: [...model.errors],
    warnings: [...model.warnings],
  };

  // §5.2.2 format checking.
  if (model.formatErrors.length > 0) {
    out.errors.push(...model.formatErrors);
    return finish(out, "TOTAL_FAILED", "FORMAT_FAILURE");
  }
  // §5.2.7 cryptographic verification. A signature that does not verify is TOTAL_FAILED whatever
  // the other blocks say (§5.3.4): a tampered file from an unknown QTSP is still a tampered file.
  if (model.integrity.dataIntact === false) {
    return finish(out, "TOTAL_FAILED", "HASH_FAILURE", { code: "DIGEST_MISMATCH", message: "the signed data does not match the digest in the signature: it was changed after signing" });
  }
  if (model.integrity.signatureIntact === false) {
    return finish(out, "TOTAL_FAILED", "SIG_CRYPTO_FAILURE", { code: "SIGNATURE_INVALID", message: "the signature value does not verify with the signing certificate's public key" });
  }
  // §5.2.3 identification of the signing certificate.
  const cert = model.signingCertificate;
  if (!cert) {
    return finish(out, "INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", { code: "SIGNING_CERTIFICATE_NOT_FOUND", message: "the signer's certificate is neither in the signature nor among the known certificates" });
  }
  const ref = model.signingCertificateReference;
  if (ref.digestMatches === false || ref.issuerSerialMatches === false) {
    return finish(out, "INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", {
      code: "SIGNING_CERTIFICATE_MISMATCH",
      message: `the ${ref.attribute ?? "signing certificate"} reference does not match the certificate used (${ref.digestMatches === false ? "digest" : "issuer and serial"} differ)`,
    });
  }
  if (model.integrity.dataIntact === null) {
    return finish(out, "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", { code: "SIGNED_DATA_NOT_FOUND", message: "the signed data is not available (detached content missing)" });
  }
  if (model.integrity.signatureIntact === null) {
    return finish(out, "INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE", { code: "ALGORITHM_UNSUPPORTED", message: "the signature's algorithm is not supported, so its value could not be checked" });
  }

  // §5.4, §5.6.3 time-stamps: each valid one is a proof of existence (POE) of what it covers.
  const crls = embeddedRevocation(model, out.warnings);
  await validateTimestamps(out, ctx, at, crls);
  const poe = out.signaturePoe;
  const claimed = model.claimedSigningTime;
  if (claimed && claimed.getTime() > at.getTime() + SIGNING_TIME_TOLERANCE_MS) {
    out.warnings.push({ code: "SIGNING_TIME_AFTER_VALIDATION_TIME", message: `the claimed signing time ${claimed.toISOString()} is after the validation time` });
  }
  if (poe && claimed && claimed.getTime() > poe.getTime() + SIGNING_TIME_TOLERANCE_MS) {
    out.warnings.push({ code: "SIGNING_TIME_AFTER_TIMESTAMP", message: `the claimed signing time ${claimed.toISOString()} is after the signature time-stamp ${poe.toISOString()}` });
  }

  // §5.2.6 X.509 certificate validation at the validation time.
  const bagLimit = ctx.policy.budget.certificatesInBag;
  if (model.certificates.length > bagLimit) {
    out.warnings.push({ code: "CERTIFICATES_IN_BAG_LIMIT", message: `certificatesInBag: the signature carries ${model.certificates.length} certificates; path building used the first ${bagLimit} and the configured ones` });
  }
  const path = await pathFor(ctx, cert, model.certificates, at, crls);
  out.path = path;
  if (path.report.indication !== "TOTAL_PASSED") {
    const settled = await pastValidation(out, path, cert, ctx, crls, at);
    if (settled) return settled;
  }

  // The signature cannot predate its certificate (EN 319 102-1 §5.3.4): a claimed
  // signing time or a time-stamp before notBefore says the signature was made with a key not yet certified.
  if (claimed && claimed < cert.notBefore) {
    return finish(out, "TOTAL_FAILED", "NOT_YET_VALID", { code: "SIGNED_BEFORE_CERTIFICATE", message: `the claimed signing time ${claimed.toISOString()} is before the certificate's validity (${cert.notBefore.toISOString()})` });
  }
  if (poe && poe < cert.notBefore) {
    return finish(out, "TOTAL_FAILED", "NOT_YET_VALID", { code: "SIGNED_BEFORE_CERTIFICATE", message: `the signature time-stamp ${poe.toISOString()} is before the certificate's validity (${cert.notBefore.toISOString()})` });
  }

  // The signing certificate must be meant for signatures (EN 319 412-2 §4.3.2: nonRepudiation
  // or digitalSignature). A certificate constraint, hence CHAIN_CONSTRAINTS_FAILURE.
  if (cert.keyUsage !== null && !(cert.keyUsage & ((1 << KeyUsage.nonRepudiation) | (1 << KeyUsage.digitalSignature)))) {
    return finish(out, "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE", { code: "SIGNING_CERTIFICATE_KEY_USAGE", message: "the signer's certificate allows neither nonRepudiation nor digitalSignature" });
  }

  // §5.2.8 cryptographic constraints, at the proof of existence (or the validation time).
  const time = poe ?? at;
  const uses: AlgorithmUse[] = [...model.algorithms, ...chainAlgorithms(out.path!)];
  const failures = checkAlgorithms(ctx.policy.algorithms, uses, time);
  if (failures.length > 0) {
    for (const f of failures) out.errors.push({ code: "CRYPTO_CONSTRAINTS", message: f.message });
    return finish(out, "INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
  }
  if (model.signaturePolicy?.id) {
    out.warnings.push({ code: "SIGNATURE_POLICY_NOT_PROCESSED", message: `the signature names the signature policy ${model.signaturePolicy.id}; its rules were not applied` });
  }
  out.qualification = qualify(cert, out.path!, ctx);
  return finish(out, "TOTAL_PASSED", null);
}

function finish(out: SignatureOutcome, indication: Indication, subIndication: SubIndication | null, error?: Message): SignatureOutcome {
  out.indication = indication;
  out.subIndication = subIndication;
  if (error) out.errors.push(error);
  return out;
}

function qualify(cert: Certificate, path: PathResult, ctx: ValidationContext): Qualification {
  const anchor = path.certificates.at(-1) ?? null;
  const facts: QualificationFacts = certificateFacts(cert, anchor && ctx.isQualifiedAnchor ? ctx.isQualifiedAnchor(anchor) : undefined);
  return qualificationOf(facts, true);
}

/**
 * Carried CRLs and OCSP responses parsed before, by the SHA-256 of their encoding (each reading
 * of a file makes new slices, so the bytes, not the objects, are the key); bounded.
 */
const parsedCrls = new Map<string, Crl | null>();
const parsedOcsp = new Map<string, OcspResponse | null>();
const PARSED_MAX = 1_000;

function remember<T>(m: Map<string, T>, k: string, v: T): void {
  if (m.size >= PARSED_MAX) m.delete(m.keys().next().value!);
  m.set(k, v);
}

/** The revocation data a signature carries, parsed (once per encoding); malformed items are reported and left out. */
function embeddedRevocation(model: SignatureModel, warnings: Message[]): EmbeddedRevocation {
  const crls: Crl[] = [];
  for (const der of model.embeddedCrls ?? []) {
    const key = createHash("sha256").update(der).digest("base64");
    let crl = parsedCrls.get(key);
    if (crl === undefined) {
      try {
        crl = parseCrl(der);
      } catch (e) {
        if (!(e instanceof CrlError)) throw e;
        warnings.push({ code: "EMBEDDED_CRL_MALFORMED", message: `a CRL carried by the signature does not parse: ${e.message}` });
        crl = null;
      }
      remember(parsedCrls, key, crl);
    }
    if (crl) crls.push(crl);
  }
  const ocsp: OcspResponse[] = [];
  for (const der of model.embeddedOcsp ?? []) {
    const key = createHash("sha256").update(der).digest("base64");
    let r = parsedOcsp.get(key);
    if (r === undefined) {
      try {
        r = parseOcspResponse(der);
      } catch (e) {
        if (!(e instanceof OcspError)) throw e;
        warnings.push({ code: "EMBEDDED_OCSP_MALFORMED", message: `an OCSP response carried by the signature does not parse: ${e.message}` });
        r = null;
      }
      remember(parsedOcsp, key, r);
    }
    if (r) ocsp.push(r);
  }
  return { crls, ocsp };
}

/** Time-stamps that give the signature itself a proof of existence besides the signature time-stamp. */
const COVERS_SIGNATURE = new Set(["archive", "validation-data"]);

/**
 * EN 319 102-1 §5.6.3: the evidence time-stamps from the last to the first, each validated at
 * the time the ones after it prove (the validation time for the last): a valid archive
 * time-stamp proves everything before it existed at its genTime, so the one before it is
 * validated then, with the algorithms accepted then. The signature and content time-stamps come
 * last, at the earliest such proof. The report keeps the order of appearance.
 */
async function validateTimestamps(out: SignatureOutcome, ctx: ValidationContext, at: Date, carried: EmbeddedRevocation): Promise<void> {
  const stamps = out.model.timestamps;
  const results: TimestampValidation[] = new Array(stamps.length);
  let proof = at;
  for (let i = stamps.length - 1; i >= 0; i--) {
    const t = stamps[i]!;
    if (t.kind === "signature" || t.kind === "content") continue;
    const v = await validateTimestamp(t, ctx, at, carried, proof);
    results[i] = v;
    if (v.indication === "TOTAL_PASSED" && v.genTime && COVERS_SIGNATURE.has(t.kind) && v.genTime < proof) proof = v.genTime;
  }
  if (proof < at) out.signaturePoe = proof;
  for (let i = 0; i < stamps.length; i++) {
    const t = stamps[i]!;
    if (t.kind !== "signature" && t.kind !== "content") continue;
    const v = await validateTimestamp(t, ctx, at, carried, proof);
    results[i] = v;
    if (v.indication === "TOTAL_PASSED" && t.kind === "signature" && v.genTime && (!out.bestSignatureTime || v.genTime < out.bestSignatureTime)) out.bestSignatureTime = v.genTime;
  }
  if (out.bestSignatureTime && (!out.signaturePoe || out.bestSignatureTime < out.signaturePoe)) out.signaturePoe = out.bestSignatureTime;
  for (const v of results) {
    out.timestamps.push(v);
    if (v.indication === "TOTAL_PASSED") continue;
    const intact = v.token.imprintMatches !== false;
    out.warnings.push({
      code: intact ? "TIMESTAMP_NOT_VALID" : "TIMESTAMP_NOT_INTACT",
      message: `a ${v.token.kind} time-stamp was not usable: ${v.errors.at(-1)?.message ?? v.subIndication}`,
    });
  }
}

/** The signature algorithms of every certificate in the path but the anchor's own. */
function chainAlgorithms(path: PathResult): AlgorithmUse[] {
  const uses: AlgorithmUse[] = [];
  const certs = path.certificates;
  for (let i = 0; i + 1 < certs.length; i++) {
    let alg;
    try {
      alg = signatureAlgorithm(certs[i]!.signatureAlgorithm);
    } catch {
      continue; // an algorithm path validation accepted is one Node verified
    }
    const key = certificateKeyInfo(certs[i + 1]!);
    if (key) uses.push({ kind: "signature", scheme: alg.scheme, digest: alg.hash, key, what: `signature on certificate ${i === 0 ? "of the signer" : `#${i} of the chain`}` });
  }
  return uses;
}

/**
 * §5.6.2.4 past signature validation: the path failed at the validation time because a
 * certificate was revoked or expired since; with a proof of existence before that event the
 * signature stands. Returns a final outcome, or null when the signature may go on (out.path then
 * holds the path that passed).
 */
async function pastValidation(out: SignatureOutcome, path: PathResult, cert: Certificate, ctx: ValidationContext, crls: EmbeddedRevocation, at: Date): Promise<SignatureOutcome | null> {
  const sub = path.report.subIndication;
  const poe = out.signaturePoe;
  const claimed = out.model.claimedSigningTime;
  const contentTimes = out.timestamps.filter((v) => v.token.kind === "content" && v.indication === "TOTAL_PASSED" && v.genTime).map((v) => v.genTime!);
  const fail = (indication: Indication, subIndication: SubIndication | null, error?: Message): SignatureOutcome => {
    out.indication = indication;
    out.subIndication = subIndication;
    for (const e of path.report.errors) out.errors.push({ code: e.code, message: e.message });
    if (error) out.errors.push(error);
    return out;
  };
  const passWith = (p: PathResult, warning: Message): null => {
    out.path = p;
    out.warnings.push(warning);
    return null;
  };

  if (path.report.indication === "TOTAL_FAILED") return fail(path.report.indication, sub);

  if (sub === "REVOKED_NO_POE" || sub === "REVOKED_CA_NO_POE") {
    const idx = sub === "REVOKED_NO_POE" ? 0 : path.revocation.findIndex((r, i) => i > 0 && r.status === "revoked");
    const rev = path.revocation[idx];
    const revDate = rev?.revocationDate ?? null;
    if (revDate && sub === "REVOKED_NO_POE") {
      // EN 319 102-1 §5.3.4: the signature says (or a content time-stamp proves) it was made after the revocation.
      if (claimed && claimed >= revDate) {
        return fail("TOTAL_FAILED", "REVOKED", { code: "SIGNED_AFTER_REVOCATION", message: `the certificate was revoked on ${revDate.toISOString()}, before the claimed signing time ${claimed.toISOString()}` });
      }
      const late = contentTimes.find((t) => t >= revDate);
      if (late) {
        return fail("TOTAL_FAILED", "REVOKED", { code: "SIGNED_AFTER_REVOCATION", message: `the certificate was revoked on ${revDate.toISOString()}, before the content time-stamp ${late.toISOString()}` });
      }
    }
    if (revDate && poe && poe < revDate) {
      return passWith(path, {
        code: sub === "REVOKED_NO_POE" ? "REVOKED_AFTER_SIGNATURE_TIMESTAMP" : "CA_REVOKED_AFTER_SIGNATURE_TIMESTAMP",
        message: `${sub === "REVOKED_NO_POE" ? "the signer's certificate" : "a CA certificate of the chain"} was revoked on ${revDate.toISOString()}, after the signature time-stamp ${poe.toISOString()}`,
      });
    }
    if (poe) {
      const past = await pastPath(cert, out, ctx, poe, crls, at, path);
      if (past) return passWith(past, { code: "VALIDATED_AT_TIMESTAMP", message: `the certificate path was validated for the proof of existence ${poe.toISOString()}` });
    }
    return fail("INDETERMINATE", sub);
  }

  if (sub === "OUT_OF_BOUNDS_NO_POE" || sub === "OUT_OF_BOUNDS_NOT_REVOKED" || sub === "EXPIRED") {
    if (claimed && claimed < cert.notBefore) {
      return fail("TOTAL_FAILED", "NOT_YET_VALID", { code: "SIGNED_BEFORE_CERTIFICATE", message: `the claimed signing time ${claimed.toISOString()} is before the certificate's validity (${cert.notBefore.toISOString()})` });
    }
    const inValidity = poe !== null && path.certificates.length > 0 && path.certificates.every((c, i) => i === path.certificates.length - 1 || (poe >= c.notBefore && poe <= c.notAfter));
    if (poe && (inValidity || path.certificates.length === 0)) {
      if (sub === "OUT_OF_BOUNDS_NOT_REVOKED" && inValidity) {
        return passWith(path, { code: "EXPIRED_AFTER_SIGNATURE_TIMESTAMP", message: `the certificate expired after the signature time-stamp ${poe.toISOString()}` });
      }
      const past = await pastPath(cert, out, ctx, poe, crls, at, path);
      if (past) return passWith(past, { code: "EXPIRED_AFTER_SIGNATURE_TIMESTAMP", message: `the certificate path was valid for the proof of existence ${poe.toISOString()} and has expired since` });
    }
    return fail("INDETERMINATE", sub === "EXPIRED" ? "OUT_OF_BOUNDS_NO_POE" : sub);
  }

  // Revocation status unknown now: with a POE, status at that time (with revocation data fresh
  // relative to it) is what matters.
  if (sub === "TRY_LATER" && poe) {
    const past = await pastPath(cert, out, ctx, poe, crls, at, path);
    if (past) return passWith(past, { code: "VALIDATED_AT_TIMESTAMP", message: `the certificate path was validated for the proof of existence ${poe.toISOString()}` });
  }
  return fail(path.report.indication, sub);
}

/**
 * §5.6.2.1 past certificate validation: the path at the latest control time between the POE and
 * the validation time where it passes (past-path.ts); null when there is none.
 */
async function pastPath(cert: Certificate, out: SignatureOutcome, ctx: ValidationContext, poe: Date, carried: EmbeddedRevocation, at: Date, first: PathResult): Promise<PathResult | null> {
  const past = await pathAtControlTime(ctx, cert, out.model.certificates, poe, at, carried, poe, first);
  if (!past.controlTime) return null;
  if (past.controlTime.getTime() !== poe.getTime()) {
    out.warnings.push({ code: "PATH_VALIDATED_AT_CONTROL_TIME", message: `the certificate path was validated at ${past.controlTime.toISOString()} (revocation data carried by the signature), after its proof of existence ${poe.toISOString()}` });
  }
  return past.path;
}
