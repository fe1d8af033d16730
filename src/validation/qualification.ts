/**
 * Qualification of a signature (eIDAS Art. 3, 28, 38): by ETSI TS 119 615 from the trusted lists
 * when a list's CA/QC service issued the certificate — at issuance and at signing time
 * (best-signature-time), src/trust/qualify.ts — and otherwise from the certificate's own
 * statements (EN 319 412-5 QcStatements; EN 319 411-2 policy OIDs), which any CA can write: those
 * give at most the "-QC" forms, with a warning, never QESig/QESeal.
 */
import type { Certificate } from "../pki/certificate.js";
import type { PathResult } from "../pki/path-types.js";
import { nameAttribute } from "../pki/name.js";
import type { TrustedListIndex } from "../trust/list-index.js";
import { type CertificateClaims, type CertificateType, labelOf, qualificationAt } from "../trust/qualify.js";
import type { Message } from "./signature-model.js";

export type Qualification = "QESig" | "QESeal" | "AdESig-QC" | "AdESeal-QC" | "AdESig" | "AdESeal" | "N/A";

export const QC = {
  compliance: "0.4.0.1862.1.1",
  sscd: "0.4.0.1862.1.4",
  type: "0.4.0.1862.1.6",
  typeEsign: "0.4.0.1862.1.6.1",
  typeEseal: "0.4.0.1862.1.6.2",
  typeWeb: "0.4.0.1862.1.6.3",
} as const;

/** EN 319 411-2 §5.3 policy identifiers, and the pre-eIDAS QCP/QCP+ of TS 101 456. */
const POLICY = {
  qcpNatural: "0.4.0.194112.1.0",
  qcpLegal: "0.4.0.194112.1.1",
  qcpNaturalQscd: "0.4.0.194112.1.2",
  qcpLegalQscd: "0.4.0.194112.1.3",
  qcpPublicSscd: "0.4.0.1456.1.1",
  qcpPublic: "0.4.0.1456.1.2",
} as const;

export interface QualificationFacts {
  qualified: boolean;
  qscd: boolean;
  /** signature (natural person) or seal (legal person) */
  kind: "sig" | "seal";
  notes: string[];
}

const factsCache = new WeakMap<Certificate, Map<boolean | undefined, QualificationFacts>>();

/** What the certificate (and its anchor's configuration) says; kept per certificate. */
export function certificateFacts(cert: Certificate, anchorQualified: boolean | undefined): QualificationFacts {
  let m = factsCache.get(cert);
  if (!m) factsCache.set(cert, (m = new Map()));
  let f = m.get(anchorQualified);
  if (!f) m.set(anchorQualified, (f = computeFacts(cert, anchorQualified)));
  return f;
}

function computeFacts(cert: Certificate, anchorQualified: boolean | undefined): QualificationFacts {
  const notes: string[] = [];
  const ids = new Set(cert.qcStatements?.ids ?? []);
  const types = cert.qcStatements?.types ?? [];
  const policies = new Set((cert.certificatePolicies ?? []).map((p) => p.oid));
  let kind: "sig" | "seal";
  if (types.includes(QC.typeEseal)) kind = "seal";
  else if (types.includes(QC.typeEsign)) kind = "sig";
  else if (policies.has(POLICY.qcpLegal) || policies.has(POLICY.qcpLegalQscd)) kind = "seal";
  else if (policies.has(POLICY.qcpNatural) || policies.has(POLICY.qcpNaturalQscd)) kind = "sig";
  else {
    // No statement says: a subject naming an organization but no person is a legal person's.
    const org = nameAttribute(cert.subject, "2.5.4.97") ?? nameAttribute(cert.subject, "2.5.4.10");
    const person = nameAttribute(cert.subject, "2.5.4.42") ?? nameAttribute(cert.subject, "2.5.4.4") ?? nameAttribute(cert.subject, "2.5.4.65");
    kind = org && !person && ids.size === 0 ? "seal" : "sig";
  }
  const claimsQualified =
    ids.has(QC.compliance) ||
    policies.has(POLICY.qcpNatural) ||
    policies.has(POLICY.qcpLegal) ||
    policies.has(POLICY.qcpNaturalQscd) ||
    policies.has(POLICY.qcpLegalQscd) ||
    policies.has(POLICY.qcpPublic) ||
    policies.has(POLICY.qcpPublicSscd);
  const qscd = ids.has(QC.sscd) || policies.has(POLICY.qcpNaturalQscd) || policies.has(POLICY.qcpLegalQscd) || policies.has(POLICY.qcpPublicSscd);
  let qualified = claimsQualified;
  if (claimsQualified && anchorQualified === false) {
    qualified = false;
    notes.push("the certificate claims to be qualified, but its trust anchor is not configured as a qualified CA");
  }
  if (types.includes(QC.typeWeb) && !types.includes(QC.typeEsign) && !types.includes(QC.typeEseal)) {
    notes.push("the certificate is a qualified website authentication certificate, not one for signatures or seals");
    qualified = false;
  }
  return { qualified, qscd: qualified && qscd, kind, notes };
}

/** The contract's qualification value for a signature that passed; N/A for any other outcome. */
export function qualificationOf(facts: QualificationFacts | null, passed: boolean): Qualification {
  if (!facts || !passed) return "N/A";
  if (facts.qualified && facts.qscd) return facts.kind === "seal" ? "QESeal" : "QESig";
  if (facts.qualified) return facts.kind === "seal" ? "AdESeal-QC" : "AdESig-QC";
  return facts.kind === "seal" ? "AdESeal" : "AdESig";
}

/** The report's qualificationDetails (contract: "Validation report"). */
export interface QualificationDetails {
  atIssuance: string;
  atSigning: string;
  source: "TL" | "certificate";
  list: { territory: string; sequenceNumber: number; sha256: string } | null;
}

export interface SignatureQualification {
  qualification: Qualification;
  details: QualificationDetails;
  warnings: Message[];
}

/** The type the certificate states (QcType, else a QCP policy); null when it states none. */
function claimedType(cert: Certificate): CertificateType | null {
  const types = cert.qcStatements?.types ?? [];
  if (types.includes(QC.typeEseal)) return "ESeal";
  if (types.includes(QC.typeEsign)) return "ESig";
  if (types.includes(QC.typeWeb)) return "WSA";
  const policies = new Set((cert.certificatePolicies ?? []).map((p) => p.oid));
  if (policies.has(POLICY.qcpLegal) || policies.has(POLICY.qcpLegalQscd)) return "ESeal";
  if (policies.has(POLICY.qcpNatural) || policies.has(POLICY.qcpNaturalQscd)) return "ESig";
  return null;
}

/**
 * TS 119 615 §4.4 with EN 319 102-1's best-signature-time as the signing time: qualified
 * (QESig/QESeal) when the certificate was a QC of that type with QSCD at issuance and still at
 * signing; a QC without the QSCD at either time gives the "-QC" form; anything else AdES.
 */
export function qualifySignature(
  cert: Certificate,
  path: PathResult,
  ctx: { trustedLists?: TrustedListIndex; isQualifiedAnchor?(anchor: Certificate): boolean | undefined },
  signingTime: Date,
): SignatureQualification {
  const anchor = path.certificates.at(-1) ?? null;
  const facts = certificateFacts(cert, anchor && ctx.isQualifiedAnchor ? ctx.isQualifiedAnchor(anchor) : undefined);
  const claims: CertificateClaims = { qc: facts.qualified, qscd: facts.qscd, type: claimedType(cert) };
  const adesOf = (t: CertificateType | null): Qualification => ((t ?? (facts.kind === "seal" ? "ESeal" : "ESig")) === "ESeal" ? "AdESeal" : "AdESig");
  const index = ctx.trustedLists;
  const services = index ? index.issuersOf(cert, path.certificates[1] ?? null) : [];
  const atIssuance = index ? qualificationAt(cert, services, claims, cert.notBefore) : null;
  const atSigning = index ? qualificationAt(cert, services, claims, signingTime) : null;
  if (atIssuance && atSigning) {
    const m = services.find((x) => x.service.versions.some((v) => v.type.endsWith("/CA/QC")))!;
    const details: QualificationDetails = {
      atIssuance: atIssuance.label,
      atSigning: atSigning.label,
      source: "TL",
      list: { territory: m.list.schemeTerritory, sequenceNumber: m.list.sequenceNumber, sha256: m.list.sha256 },
    };
    const type = atIssuance.type ?? atSigning.type;
    let q: Qualification;
    if (atIssuance.qc && atSigning.qc && (type === "ESig" || type === "ESeal") && atSigning.type === atIssuance.type) {
      const qscd = atIssuance.qscd && atSigning.qscd;
      q = type === "ESeal" ? (qscd ? "QESeal" : "AdESeal-QC") : qscd ? "QESig" : "AdESig-QC";
    } else q = adesOf(type === "WSA" ? null : type);
    return { qualification: q, details, warnings: [] };
  }
  // No list knows the issuer: the certificate's word, capped below qualified (issue 14).
  const own = qualificationOf(facts, true);
  const capped: Qualification = own === "QESig" ? "AdESig-QC" : own === "QESeal" ? "AdESeal-QC" : own;
  const label = labelOf({ qc: facts.qualified, type: claims.type, qscd: facts.qscd });
  const warnings: Message[] = [];
  if (facts.qualified) {
    warnings.push({
      code: "QUALIFICATION_NOT_CONFIRMED",
      message: index
        ? "the certificate says it is qualified, but no CA/QC service of the trusted lists issued it: its QcStatements are not confirmed"
        : "the certificate says it is qualified, but no trusted list was given (--tl) to confirm it: at most AdES with a qualified certificate",
    });
  }
  return { qualification: capped, details: { atIssuance: label, atSigning: label, source: "certificate", list: null }, warnings };
}
