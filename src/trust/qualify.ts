/**
 * A certificate's qualification at one time by ETSI TS 119 615 §4.3 (as EU DSS applies it): the
 * issuing CA/QC service's status then, the qualifiers of the Qualifications whose criteria the
 * certificate meets, and the certificate's own QcStatements where the qualifiers leave a question
 * open (QC status, type, QSCD "as in the certificate"). Pure: the certificate's claims come in.
 */
import { type Certificate, KeyUsage } from "../pki/certificate.js";
import { versionAt, type ServiceMatch } from "./list-index.js";
import { ADDITIONAL_INFO, type Criteria, QUALIFIED_STATUSES, QUALIFIER, SERVICE_TYPE } from "./model.js";

export type CertificateType = "ESig" | "ESeal" | "WSA";

/** What the certificate says of itself (EN 319 412-5 QcStatements, EN 319 411-2 policies). */
export interface CertificateClaims {
  qc: boolean;
  qscd: boolean;
  type: CertificateType | null;
}

export interface QualificationAtTime {
  qc: boolean;
  type: CertificateType | null;
  qscd: boolean;
  /** e.g. "QC for eSig with QSCD", "Not qualified: service withdrawn" */
  label: string;
  /** the service status in effect (URI), null without one */
  status: string | null;
}

// a Map, not an object literal: a KeyUsageBit named "constructor" or "toString" is no bit at all
const KU_BITS = new Map<string, number>([
  ["digitalSignature", KeyUsage.digitalSignature],
  ["nonRepudiation", KeyUsage.nonRepudiation],
  ["contentCommitment", KeyUsage.nonRepudiation],
  ["keyEncipherment", KeyUsage.keyEncipherment],
  ["dataEncipherment", KeyUsage.dataEncipherment],
  ["keyAgreement", KeyUsage.keyAgreement],
  ["keyCertSign", KeyUsage.keyCertSign],
  ["crlSign", KeyUsage.cRLSign],
  ["encipherOnly", KeyUsage.encipherOnly],
  ["decipherOnly", KeyUsage.decipherOnly],
]);

/** TS 119 612 §5.5.9.2.2: a CriteriaList's assertion over its criteria. */
export function criteriaMatch(c: Criteria, cert: Certificate): boolean {
  if (c.unknown > 0) return false;
  const policies = new Set((cert.certificatePolicies ?? []).map((p) => p.oid));
  const results: boolean[] = [
    ...c.keyUsage.map((bits) => bits.size > 0 && [...bits].every(([name, want]) => {
      const bit = KU_BITS.get(name);
      return bit !== undefined && ((cert.keyUsage ?? 0) & (1 << bit)) !== 0 === want;
    })),
    ...c.policySets.map((set) => set.length > 0 && set.every((p) => policies.has(p))),
    ...c.extendedKeyUsage.map((oid) => (cert.extKeyUsage ?? []).includes(oid)),
    ...c.nested.map((n) => criteriaMatch(n, cert)),
  ];
  if (c.assert === "all") return results.length > 0 && results.every(Boolean);
  if (c.assert === "atLeastOne") return results.some(Boolean);
  return !results.some(Boolean);
}

const TYPE_LABEL: Record<CertificateType, string> = { ESig: "eSig", ESeal: "eSeal", WSA: "WSA" };

export function labelOf(q: { qc: boolean; type: CertificateType | null; qscd: boolean }): string {
  const t = q.type ? ` for ${TYPE_LABEL[q.type]}` : "";
  if (!q.qc) return `Not qualified${t}`;
  return `QC${t}${q.qscd && q.type !== "WSA" ? " with QSCD" : ""}`;
}

/**
 * At `time`, under the first of `services` that is a CA/QC service (null: no list knows the issuer).
 * Returns null when no CA/QC service of the lists issued the certificate.
 */
export function qualificationAt(cert: Certificate, services: readonly ServiceMatch[], claims: CertificateClaims, time: Date): QualificationAtTime | null {
  const qcServices = services.filter((m) => m.service.versions.some((v) => v.type === SERVICE_TYPE.caQc));
  if (qcServices.length === 0) return null;
  let best: QualificationAtTime | null = null;
  for (const m of qcServices) {
    const q = atOne(cert, m, claims, time);
    if (!best || rank(q) > rank(best)) best = q;
  }
  return best;
}

const rank = (q: QualificationAtTime) => (q.qc ? 2 : 0) + (q.qscd ? 1 : 0);

function atOne(cert: Certificate, m: ServiceMatch, claims: CertificateClaims, time: Date): QualificationAtTime {
  const v = versionAt(m.service, time);
  if (!v || v.type !== SERVICE_TYPE.caQc) {
    return { qc: false, type: claims.type, qscd: false, status: v?.status ?? null, label: v ? `Not qualified: the service was no CA/QC service then` : `Not qualified: the service was not on the list yet` };
  }
  if (!QUALIFIED_STATUSES.has(v.status)) {
    return { qc: false, type: claims.type, qscd: false, status: v.status, label: `Not qualified: service ${v.status.split("/").pop()} since ${v.from.toISOString()}` };
  }
  const qualifiers = new Set<string>();
  for (const qe of v.qualifications) if (criteriaMatch(qe.criteria, cert)) for (const q of qe.qualifiers) qualifiers.add(q);
  // §4.3.2 QC status: the list's NotQualified / QCStatement overrule the certificate
  const qc = qualifiers.has(QUALIFIER.notQualified) ? false : qualifiers.has(QUALIFIER.qcStatement) ? true : claims.qc;
  // §4.3.3 type: the qualifier, else the certificate's QcType, else the only one the service issues
  let type: CertificateType | null = qualifiers.has(QUALIFIER.forESig)
    ? "ESig"
    : qualifiers.has(QUALIFIER.forESeal)
      ? "ESeal"
      : qualifiers.has(QUALIFIER.forWsa)
        ? "WSA"
        : claims.type;
  const asi = v.additionalInformation;
  const serves: CertificateType[] = [];
  if (asi.includes(ADDITIONAL_INFO.forESignatures)) serves.push("ESig");
  if (asi.includes(ADDITIONAL_INFO.forESeals)) serves.push("ESeal");
  if (asi.includes(ADDITIONAL_INFO.forWebSiteAuthentication)) serves.push("WSA");
  if (type === null && serves.length === 1) type = serves[0]!;
  if (qc && type !== null && serves.length > 0 && !serves.includes(type)) {
    return { qc: false, type, qscd: false, status: v.status, label: `Not qualified: the service issues no qualified certificates for ${TYPE_LABEL[type]}` };
  }
  // §4.3.4 QSCD
  const qscd = qualifiers.has(QUALIFIER.withSscd) || qualifiers.has(QUALIFIER.withQscd) || qualifiers.has(QUALIFIER.qscdManagedOnBehalf)
    ? true
    : qualifiers.has(QUALIFIER.noSscd) || qualifiers.has(QUALIFIER.noQscd)
      ? false
      : claims.qscd;
  const q = { qc, type, qscd: qc && qscd };
  return { ...q, status: v.status, label: labelOf(q) };
}

/** A TSA is qualified at `time` when a QTST service of the lists has it as identity, granted then (eIDAS Art. 42). */
export function qualifiedTimestampAt(services: readonly ServiceMatch[], time: Date): boolean {
  return services.some((m) => {
    const v = versionAt(m.service, time);
    return v !== null && v.type === SERVICE_TYPE.qtst && QUALIFIED_STATUSES.has(v.status);
  });
}
