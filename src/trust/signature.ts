/**
 * A list's own signature (TS 119 612 §5.7 and Annex B): one enveloped XAdES signature over the
 * whole list, checked with the project's XMLDSig/XAdES code (its reference processing resolves
 * only unambiguous IDs, refuses signed data hidden inside a signature, and asks that the reference
 * leave out nothing but this signature), and made by a certificate the caller trusts for the
 * list: one pinned with --tl-signer, or one named in the LOTL's pointer to the list.
 */
import { type Certificate } from "../pki/certificate.js";
import { nameToString } from "../pki/name.js";
import { checkXadesDocument } from "../xades/check.js";
import type { XmlDocument } from "../xades/xml.js";

export interface ListSignature {
  present: boolean;
  intact: boolean;
  signer: { subject: string; sha256: string } | null;
  /** null when nothing was pinned */
  trusted: boolean | null;
  /** why the signature does not make the list usable; null when it does */
  problem: string | null;
  signingCertificate: Certificate | null;
  /** the claimed signing time of the list's XAdES signature */
  signingTime: Date | null;
}

/** A signer is allowed when it is one of the certificates, or carries the same subject and key (a re-issued copy). */
export function isAllowedSigner(c: Certificate, allowed: readonly Certificate[]): boolean {
  return allowed.some((a) => a.sha256 === c.sha256 || (Buffer.compare(Buffer.from(a.spki), Buffer.from(c.spki)) === 0 && a.subject.key === c.subject.key));
}

export function checkListSignature(bytes: Uint8Array, doc: XmlDocument, allowed: readonly Certificate[] | null): ListSignature {
  const out: ListSignature = { present: false, intact: false, signer: null, trusted: null, problem: null, signingCertificate: null, signingTime: null };
  const check = checkXadesDocument(bytes, { doc, maxReferences: 10 });
  if (check.formatError || check.signatures.length === 0) {
    out.problem = "the list is not signed";
    return out;
  }
  out.present = true;
  if (check.signatures.length > 1) {
    out.problem = `the list carries ${check.signatures.length} signatures; TS 119 612 §5.7.1 allows one`;
    return out;
  }
  const s = check.signatures[0]!;
  if (s.signingCertificate) {
    out.signingCertificate = s.signingCertificate;
    out.signer = { subject: nameToString(s.signingCertificate.subject), sha256: s.signingCertificate.sha256 };
  }
  out.signingTime = s.claimedSigningTime;
  if (s.element.parent !== doc.root) out.problem = "the signature is not a child of TrustServiceStatusList (TS 119 612 §5.7.1: enveloped)";
  else if (!s.intact || s.verdict.indication !== "TOTAL_PASSED") out.problem = `the signature does not verify: ${[...s.formatErrors, ...s.errors][0]?.message ?? s.verdict.subIndication}`;
  else if (!s.coversWholeDocument) out.problem = "the signature does not cover the whole list";
  out.intact = out.problem === null;
  if (allowed !== null && out.signingCertificate) {
    out.trusted = isAllowedSigner(out.signingCertificate, allowed);
    if (out.intact && !out.trusted) out.problem = `the list is signed by ${out.signer!.subject} (sha256 ${out.signer!.sha256}), which is not among the certificates allowed to sign it`;
  } else if (allowed !== null) out.trusted = false;
  return out;
}
