/**
 * CAdES validation (ETSI EN 319 122-1 signatures, validated per EN 319 102-1): every SignerInfo
 * of a CMS SignedData, and every countersignature, becomes a SignatureModel for the format-neutral
 * process; the outcomes become the contract's report. It sits in validation/ because it runs the
 * process: cades/ and cms/ below it only read and check bytes.
 */
import { hash } from "node:crypto";
import { Asn1Error, readRoot } from "../asn1/der.js";
import { UnsupportedAlgorithmError } from "../pki/algorithms.js";
import { type Certificate, CertificateError } from "../pki/certificate.js";
import { readTimestampToken, type TimestampToken } from "../timestamp/token.js";
import type { ValidationContext } from "./context.js";
import { type AlgorithmUse, certificateKeyInfo } from "./policy.js";
import { validateSignature } from "./process.js";
import { type SignatureReport, type ValidationReport, signatureReport, validationReport } from "./report.js";
import type { Message, SignatureModel, SignaturePolicyInfo, SignedDataEntry } from "./signature-model.js";
import { readCommitmentType, readContentHints, readSignaturePolicy } from "../cades/attributes.js";
import { parseBag, signerCandidates } from "../cms/candidates.js";
import { CmsFormatError, NotSignedDataError, type SignedData, type SignerInfo, findAttributes, parseSignedData, readSignerInfo } from "../cms/signed-data.js";
import { CMS } from "../cms/oids.js";
import { type ContentInput, type DetachedDigests, type SignerCheck, checkSigner, isDetachedDigests } from "../cms/signer.js";
import { type SignedDataParts, signedDataParts } from "../evidence/cms-parts.js";
import { addCadesEvidence } from "./evidence-model.js";

export { NotSignedDataError, CmsFormatError };
export type { ContentInput, DetachedDigests };

export interface CadesVerifyOptions {
  /** detached content: bytes, or digests of a file hashed as a stream (hashStream); ignored for enveloping signatures */
  contents?: readonly ContentInput[];
  /** names of the detached contents for the report's signedData `ref` (default content[i]) */
  contentNames?: readonly string[];
  /** validation time: an input, never defaulted in the core (the adapters supply "now") */
  at: Date;
  context: ValidationContext;
}

/** Countersignatures of countersignatures are followed this deep. */
const MAX_COUNTERSIGNATURE_DEPTH = 4;

/**
 * Validates every signature of a CAdES/CMS file. Throws NotSignedDataError when the bytes are not
 * CMS SignedData at all; a SignedData that is malformed gives a report with FORMAT_FAILURE.
 */
export async function verifyCades(bytes: Uint8Array, opts: CadesVerifyOptions): Promise<ValidationReport> {
  const at = opts.at;
  const ctx = opts.context;
  // one-shot digests: no Hash object per call (issue 15)
  const documentSha256 = hash("sha256", bytes, "hex");
  const given = opts.contents ?? [];
  let sd: SignedData;
  try {
    sd = parseSignedData(bytes);
  } catch (e) {
    if (e instanceof CmsFormatError) {
      return validationReport(at, { sha256: documentSha256, format: "CAdES", packaging: given.length > 0 ? "detached" : "enveloping" }, [formatFailure("S1", e.message)]);
    }
    throw e;
  }
  const packaging = sd.eContent ? "enveloping" : "detached";
  const documentWarnings: Message[] = [];
  if (sd.trailingZeros) documentWarnings.push({ code: "TRAILING_ZEROS", message: `${sd.trailingZeros} zero octets follow the signature; they were ignored` });
  const contents: readonly ContentInput[] = sd.eContent ? [sd.eContent] : given;
  if (sd.eContent && given.length > 0) {
    documentWarnings.push({ code: "CONTENT_IGNORED", message: "detached content was given, but the signature carries its own content" });
  }
  if (sd.signerInfos.length === 0) {
    return validationReport(at, { sha256: documentSha256, format: "CAdES", packaging }, [formatFailure("S1", "the SignedData has no signer (a certificate bag, not a signature)")]);
  }
  const bag = parseBag(sd.certificates, ctx, documentWarnings);
  const digest = memoDigest();
  const signedData = describeContents(contents, sd.eContent !== null, digest, sd.eContent ? [] : (opts.contentNames ?? []));

  const models: SignatureModel[] = [];
  sd.signerInfos.forEach((si, i) => collect(models, si, `S${i + 1}`, null, { sd, bag, contents, signedData, ctx, digest, parts: evidenceParts(bytes) }, 0));

  const reports: SignatureReport[] = [];
  for (const m of models) {
    m.warnings.unshift(...documentWarnings);
    reports.push(signatureReport(await validateSignature(m, ctx, at)));
  }
  return validationReport(at, { sha256: documentSha256, format: "CAdES", packaging }, reports);
}

interface Env {
  sd: SignedData;
  bag: Certificate[];
  contents: readonly ContentInput[];
  signedData: SignedDataEntry[];
  ctx: ValidationContext;
  digest(content: Uint8Array, algorithm: string): Uint8Array;
  /** the encodings archive time-stamps cover (null when they cannot be read), read on first use */
  parts(): SignedDataParts | null;
}

/**
 * Issue 15: the second reading of the SignedData (its encodings, for archive and CAdES-C
 * time-stamps) only for a signer that has unsigned attributes; a B-B signature never needs it.
 */
function evidenceParts(bytes: Uint8Array): () => SignedDataParts | null {
  let parts: SignedDataParts | null | undefined;
  return () => {
    if (parts !== undefined) return parts;
    try {
      parts = signedDataParts(bytes);
    } catch (e) {
      if (!isFormatError(e)) throw e;
      parts = null;
    }
    return parts;
  };
}

/** Each content is hashed once per algorithm, whether for the report or for a message digest. */
function memoDigest(): (content: Uint8Array, algorithm: string) => Uint8Array {
  const memo = new Map<Uint8Array, Map<string, Uint8Array>>();
  return (content, algorithm) => {
    let m = memo.get(content);
    if (!m) memo.set(content, (m = new Map()));
    let d = m.get(algorithm);
    if (!d) m.set(algorithm, (d = hash(algorithm, content, "buffer")));
    return d;
  };
}

function formatFailure(id: string, message: string): SignatureReport {
  return {
    id,
    format: "CAdES",
    indication: "TOTAL_FAILED",
    subIndication: "FORMAT_FAILURE",
    intact: false,
    level: "N/A",
    signer: null,
    qualification: "N/A",
    qualificationDetails: null,
    claimedSigningTime: null,
    bestSignatureTime: null,
    counterSignatureOf: null,
    signedData: [],
    chain: [],
    timestamps: [],
    signaturePolicy: null,
    commitmentTypes: [],
    errors: [{ code: "MALFORMED_CMS", message }],
    warnings: [],
    hints: [],
  };
}

function describeContents(contents: readonly ContentInput[], enveloped: boolean, digest: Env["digest"], names: readonly string[]): SignedDataEntry[] {
  return contents.map((c, i) => {
    if (isDetachedDigests(c)) {
      const d = c.digests.sha256;
      return { kind: "detached", ref: names[i] ?? c.name ?? `content[${i}]`, sha256: d ? Buffer.from(d).toString("hex") : null };
    }
    return {
      kind: enveloped ? "whole-document" : "detached",
      ref: enveloped ? "encapsulated content" : (names[i] ?? `content[${i}]`),
      sha256: Buffer.from(digest(c, "sha256")).toString("hex"),
    };
  });
}

/** A model for `si`, then for each of its countersignatures (RFC 5652 §11.4). */
function collect(models: SignatureModel[], si: SignerInfo, id: string, parent: string | null, env: Env, depth: number): void {
  const model = buildModel(si, id, parent, env);
  models.push(model);
  if (model.formatErrors.length > 0) return;
  const counters = findAttributes(si.unsignedAttrs, CMS.counterSignature).flatMap((a) => a.values);
  if (counters.length === 0) return;
  if (depth >= MAX_COUNTERSIGNATURE_DEPTH) {
    model.warnings.push({ code: "COUNTERSIGNATURES_TOO_DEEP", message: `countersignatures nested deeper than ${MAX_COUNTERSIGNATURE_DEPTH} were not validated` });
    return;
  }
  counters.forEach((v, i) => {
    const cid = `${id}-C${i + 1}`;
    let csi: SignerInfo;
    try {
      csi = readSignerInfo(v, readRoot(v, { ber: true, maxDepth: 64 }));
    } catch (e) {
      if (!isFormatError(e)) throw e;
      models.push(malformedModel(cid, id, `countersignature: ${(e as Error).message}`));
      return;
    }
    const counterEnv: Env = {
      ...env,
      contents: [si.signature],
      signedData: [{ kind: "element", ref: `signature value of ${id}`, sha256: hash("sha256", si.signature, "hex") }],
    };
    collect(models, csi, cid, id, counterEnv, depth + 1);
  });
}

function isFormatError(e: unknown): boolean {
  return e instanceof Asn1Error || e instanceof CmsFormatError || e instanceof UnsupportedAlgorithmError || e instanceof CertificateError || e instanceof NotSignedDataError;
}

function emptyModel(id: string, parent: string | null): SignatureModel {
  return {
    id,
    format: "CAdES",
    counterSignatureOf: parent,
    signingCertificate: null,
    certificates: [],
    signingCertificateReference: { attribute: null, digestAlgorithm: null, digestMatches: null, issuerSerialMatches: null },
    integrity: { dataIntact: null, signatureIntact: null },
    claimedSigningTime: null,
    timestamps: [],
    signedData: [],
    level: "N/A",
    signaturePolicy: null,
    commitmentTypes: [],
    algorithms: [],
    formatErrors: [],
    errors: [],
    warnings: [],
    hints: [],
  };
}

function malformedModel(id: string, parent: string | null, message: string): SignatureModel {
  const m = emptyModel(id, parent);
  m.formatErrors.push({ code: "MALFORMED_CMS", message });
  return m;
}

function buildModel(si: SignerInfo, id: string, parent: string | null, env: Env): SignatureModel {
  const m = emptyModel(id, parent);
  m.certificates = env.bag;
  try {
    fill(m, si, parent, env);
  } catch (e) {
    if (!isFormatError(e)) throw e;
    m.formatErrors.push({ code: "MALFORMED_CMS", message: (e as Error).message });
  }
  return m;
}

function fill(m: SignatureModel, si: SignerInfo, parent: string | null, env: Env): void {
  const check: SignerCheck = checkSigner(si, {
    contents: env.contents,
    eContentType: parent === null ? env.sd.eContentType : null,
    candidates: (sid) => signerCandidates(sid, env.bag, env.ctx),
    digest: env.digest,
  });
  m.formatErrors.push(...check.formatErrors);
  m.errors.push(...check.errors);
  m.warnings.push(...check.warnings);
  m.signingCertificate = check.signingCertificate;
  m.signingCertificateReference = check.reference;
  m.integrity = { dataIntact: check.dataIntact, signatureIntact: check.signatureIntact };
  m.claimedSigningTime = check.signingTime;
  m.signedData = check.matchedContent !== null ? [env.signedData[check.matchedContent]!] : env.signedData;
  if (env.contents.length === 0) m.errors.push({ code: "DETACHED_CONTENT_MISSING", message: "the signature is detached and no content was given" });
  if (si.signedAttrs && !check.reference.attribute) {
    m.warnings.push({ code: "SIGNING_CERTIFICATE_ATTRIBUTE_MISSING", message: "no ESS signing-certificate(-v2) attribute binds the signer's certificate (EN 319 122-1 §5.2.2)" });
  }
  if (check.reference.attribute === "signingCertificate" && check.digest && check.digest !== "sha1") {
    m.warnings.push({ code: "SIGNING_CERTIFICATE_V1", message: "signing-certificate (v1, SHA-1) is used where signing-certificate-v2 is expected" });
  }

  const algorithms: AlgorithmUse[] = [];
  if (check.digest) algorithms.push({ kind: "digest", digest: check.digest, what: "message digest" });
  const key = check.signingCertificate ? certificateKeyInfo(check.signingCertificate) : null;
  if (check.signature && key) algorithms.push({ kind: "signature", scheme: check.signature.scheme, digest: check.signature.hash, key, what: "signature" });
  m.algorithms = algorithms;

  // Signed attributes beyond the core ones (EN 319 122-1 §5.2).
  let policy = false;
  for (const a of si.signedAttrs ?? []) {
    const v = a.values[0]!;
    switch (a.oid) {
      case CMS.sigPolicyId: {
        let p: ReturnType<typeof readSignaturePolicy>;
        try {
          p = readSignaturePolicy(v);
        } catch (e) {
          if (!isFormatError(e)) throw e;
          m.formatErrors.push({ code: "MALFORMED_SIGNATURE_POLICY", message: `the signature-policy-identifier attribute does not parse: ${(e as Error).message}` });
          break;
        }
        const info: SignaturePolicyInfo = { id: p.oid, hashAlgorithm: p.hashAlgorithm, hash: p.hash ? Buffer.from(p.hash).toString("hex") : null, uri: p.uri };
        m.signaturePolicy = info;
        policy = true;
        m.hints.push({ code: "SIGNATURE_POLICY", message: p.oid ? `signature policy ${p.oid}${p.uri ? ` (${p.uri})` : ""}` : "implied signature policy" });
        break;
      }
      case CMS.contentHint: {
        // RFC 2634 §2.9: a hint for the reader, no part of what is checked; a malformed one is reported, not fatal
        let h: ReturnType<typeof readContentHints>;
        try {
          h = readContentHints(v);
        } catch (e) {
          if (!isFormatError(e)) throw e;
          m.warnings.push({ code: "CONTENT_HINTS_MALFORMED", message: `the content-hints attribute does not parse: ${(e as Error).message}` });
          break;
        }
        m.hints.push({ code: "CONTENT_HINTS", message: `content: ${h.description ?? "(no description)"} [${h.contentType}]` });
        break;
      }
      case CMS.commitmentType:
        for (const cv of a.values) m.commitmentTypes.push(readCommitmentType(cv));
        break;
    }
  }

  // Time-stamps: signature-time-stamp over the signature value, content-time-stamp over the content.
  const stamps: TimestampToken[] = [];
  for (const a of findAttributes(si.unsignedAttrs, CMS.signatureTimeStampToken)) {
    for (const v of a.values) stamps.push(readTimestampToken(v, { kind: "signature", imprintedData: si.signature, ctx: env.ctx, extraCertificates: env.bag }));
  }
  for (const a of findAttributes(si.signedAttrs, CMS.contentTimestamp)) {
    const content = check.matchedContent !== null ? env.contents[check.matchedContent] : undefined;
    if (!content || isDetachedDigests(content)) {
      m.warnings.push({ code: "CONTENT_TIMESTAMP_NOT_CHECKED", message: "a content-time-stamp could not be checked without the content bytes" });
      continue;
    }
    for (const v of a.values) stamps.push(readTimestampToken(v, { kind: "content", imprintedData: content, ctx: env.ctx, extraCertificates: env.bag }));
  }
  m.timestamps = stamps;
  m.level = levelOf(si, env.sd, check, policy, stamps.some((t) => t.kind === "signature"));
  // B-LT/B-LTA evidence (src/evidence/): values for path and revocation, archive and CAdES-C time-stamps
  if (parent === null) {
    const content = check.matchedContent !== null ? env.contents[check.matchedContent] : undefined;
    addCadesEvidence(m, env.sd, si, env.parts, content && !isDetachedDigests(content) ? content : null, env.ctx);
  }
}

/**
 * EN 319 122-1 §6 baseline levels when the signature has an ESS signing-certificate and a
 * signing-time (B-B's mandatory attributes); otherwise the TS 101 733 names (BES, EPES, T, …);
 * CMS for a signature without the ESS binding, which is no AdES.
 */
function levelOf(si: SignerInfo, sd: SignedData, check: SignerCheck, policy: boolean, timestamped: boolean): string {
  const has = (oid: string) => findAttributes(si.unsignedAttrs, oid).length > 0;
  const archive = has(CMS.archiveTimestampV3) || has(CMS.archiveTimestampV2) || has(CMS.archiveTimestampV1);
  if (!check.reference.attribute) return timestamped ? "CMS-T" : "CMS";
  if (check.signingTime) {
    const ltData = sd.crls.length > 0 || sd.otherRevocationInfo.length > 0 || has(CMS.revocationValues);
    if (timestamped && ltData && archive) return "B-LTA";
    if (timestamped && ltData) return "B-LT";
    if (timestamped) return "B-T";
    return "B-B";
  }
  if (archive) return "A";
  if (timestamped && has(CMS.certValues) && has(CMS.revocationValues)) return "XL";
  if (timestamped && (has(CMS.certificateRefs) || has(CMS.revocationRefs))) return has(CMS.escTimeStamp) || has(CMS.certCRLTimestamp) ? "X" : "C";
  if (timestamped) return "T";
  return policy ? "EPES" : "BES";
}
