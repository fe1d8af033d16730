/**
 * Qualification of a signature as far as the certificate and the trust store tell it
 * (eIDAS Art. 3; ETSI EN 319 412-5 QcStatements; EN 319 411-2 policy OIDs). Trusted lists
 * (TS 119 615) will refine this later; until then an anchor may be configured as a qualified CA.
 */
import type { Certificate } from "../pki/certificate.js";
import { nameAttribute } from "../pki/name.js";

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
