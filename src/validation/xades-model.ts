/**
 * XAdES facts → the format-neutral SignatureModel that src/validation's process judges (here, not
 * in xades/, so that xades/ never imports validation/).
 */
import { publicKeyOf } from "../pki/certificate.js";
import { readTimestampToken, type TimestampToken } from "../timestamp/token.js";
import type { ValidationContext } from "./context.js";
import { type AlgorithmUse, publicKeyInfo } from "./policy.js";
import type { SignatureModel } from "./signature-model.js";
import type { XadesSignatureCheck } from "../xades/check.js";

export function toSignatureModel(check: XadesSignatureCheck, ctx: ValidationContext): SignatureModel {
  const q = check.properties;
  const timestamps: TimestampToken[] = check.signatureTimestamps.map((t) =>
    readTimestampToken(t.token, { kind: "signature", imprintedData: t.data, ctx, extraCertificates: check.certificates }),
  );
  const algorithms: AlgorithmUse[] = [];
  for (const d of check.algorithms.digests) algorithms.push({ kind: "digest", digest: d, what: "reference digest" });
  const sa = check.algorithms.signature;
  if (sa && check.signingCertificate) {
    algorithms.push({
      kind: "signature",
      scheme: sa.scheme,
      digest: sa.hash,
      key: publicKeyInfo(publicKeyOf(check.signingCertificate)),
      what: "signature",
    });
  }
  if (check.reference.digestAlgorithm) algorithms.push({ kind: "digest", digest: check.reference.digestAlgorithm, what: "signing certificate digest" });
  const hints = [];
  if (q?.dataObjectFormats.length) {
    for (const f of q.dataObjectFormats) hints.push({ code: "DATA_OBJECT_FORMAT", message: `${f.objectReference}: ${[f.mimeType, f.encoding, f.description].filter(Boolean).join(", ")}` });
  }
  hints.push({
    code: check.coversWholeDocument ? "WHOLE_DOCUMENT_COVERED" : "WHOLE_DOCUMENT_NOT_COVERED",
    message: check.coversWholeDocument ? "the signature covers the whole form" : "the signature does not cover the whole form: see signedData",
  });
  const warnings = [...check.warnings];
  if (!check.coversWholeDocument && check.intact) warnings.push({ code: "PARTIAL_COVERAGE", message: "the signature covers only part of the document (see signedData)" });
  // A XAdES signature that binds no certificate at all has no signing certificate to speak of.
  const unbound = check.verdict.subIndication === "NO_SIGNING_CERTIFICATE_FOUND" && check.reference.digestMatches !== false && check.reference.issuerSerialMatches !== false;
  return {
    id: check.id,
    format: "XAdES",
    counterSignatureOf: null,
    signingCertificate: unbound ? null : check.signingCertificate,
    certificates: check.certificates,
    signingCertificateReference: check.reference,
    integrity: { dataIntact: check.dataIntact, signatureIntact: check.signatureIntact },
    claimedSigningTime: check.claimedSigningTime,
    timestamps,
    signedData: check.signedData,
    level: check.level,
    signaturePolicy: q?.policy
      ? { id: q.policy.identifier, hashAlgorithm: q.policy.digest, hash: q.policy.digestValue?.toString("hex") ?? null, uri: q.policy.spuri }
      : null,
    commitmentTypes: q?.commitmentTypes ?? [],
    algorithms,
    formatErrors: check.formatErrors,
    errors: check.errors,
    warnings,
    hints,
  };
}
