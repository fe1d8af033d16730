/**
 * The long-term evidence of a signature (src/evidence/) put into its SignatureModel: the
 * certificates and revocation data it carries become path-building and revocation inputs, and
 * each evidence time-stamp becomes a token checked against exactly what it covers. A time-stamp
 * whose coverage cannot be established is marked not intact, never left out.
 */
import { CertificateError } from "../pki/certificate.js";
import type { SignedData, SignerInfo } from "../cms/signed-data.js";
import { type SignedDataParts } from "../evidence/cms-parts.js";
import { type EmbeddedValues, type EvidenceTimestamp, cadesEvidenceTimestamps, readCadesValues } from "../evidence/cades-values.js";
import { readXadesEvidence } from "../evidence/xades-values.js";
import type { DetachedContent } from "../xades/xmldsig.js";
import type { XadesSignatureCheck } from "../xades/check.js";
import type { XmlDocument } from "../xades/xml.js";
import { readTimestampToken } from "../timestamp/token.js";
import type { ValidationContext } from "./context.js";
import type { SignatureModel } from "./signature-model.js";

function addValues(m: SignatureModel, v: EmbeddedValues, ctx: ValidationContext): void {
  const known = new Set(m.certificates.map((c) => c.sha256));
  for (const der of v.certificates) {
    try {
      const c = ctx.certificates.get(der);
      if (!known.has(c.sha256)) {
        known.add(c.sha256);
        m.certificates = [...m.certificates, c];
      }
    } catch (e) {
      if (!(e instanceof CertificateError) && (e as { code?: string }).code !== "MALFORMED_CERTIFICATE") throw e;
      m.warnings.push({ code: "EMBEDDED_CERTIFICATE_MALFORMED", message: `a certificate carried by the signature does not parse: ${(e as Error).message}` });
    }
  }
  if (v.crls.length) m.embeddedCrls = [...(m.embeddedCrls ?? []), ...v.crls];
  if (v.ocsp.length) m.embeddedOcsp = [...(m.embeddedOcsp ?? []), ...v.ocsp];
  for (const p of v.problems) m.warnings.push({ code: "EMBEDDED_VALUES_MALFORMED", message: p });
}

function addTimestamps(m: SignatureModel, stamps: readonly EvidenceTimestamp[], ctx: ValidationContext): void {
  for (const s of stamps) {
    const token = readTimestampToken(s.token, { kind: s.type, imprintedData: s.data, ctx, extraCertificates: m.certificates });
    if (s.problems.length > 0 || s.data === null) {
      // what the time-stamp covers is not all there (or could not be rebuilt): its imprint proves nothing
      token.imprintMatches = false;
      for (const p of s.problems) token.errors.push({ code: "TIMESTAMP_COVERAGE", message: p });
    }
    m.timestamps.push(token);
  }
}

/**
 * CAdES: signer `si` of `sd`; `partsOf` reads the same SignedData's encodings (null when they do
 * not parse), asked only when the signer has unsigned attributes — every time-stamp read from
 * them is one; `detached` its content, when given as bytes.
 */
export function addCadesEvidence(m: SignatureModel, sd: SignedData, si: SignerInfo, partsOf: () => SignedDataParts | null, detached: Uint8Array | null, ctx: ValidationContext): void {
  addValues(m, readCadesValues(sd, si), ctx);
  if (!si.unsignedAttrs?.length) return;
  const parts = partsOf();
  if (!parts) return;
  const index = parts.signerInfos.findIndex((p) => Buffer.from(p.der).equals(si.der));
  if (index < 0) return;
  addTimestamps(m, cadesEvidenceTimestamps(parts, index, detached), ctx);
}

/** XAdES: the evidence in the signature's unsigned signature properties. */
export function addXadesEvidence(m: SignatureModel, check: XadesSignatureCheck, doc: XmlDocument | null, contents: readonly DetachedContent[], ctx: ValidationContext): void {
  const qp = check.properties;
  if (!qp || !check.signature || !doc || check.formatErrors.length > 0) return;
  const ev = readXadesEvidence(doc, check.signature, qp.element, contents);
  addValues(m, ev, ctx);
  addTimestamps(m, ev.timestamps, ctx);
}
