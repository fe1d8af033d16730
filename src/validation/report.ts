/**
 * The validation report of the contract (`verify --json`, `POST /api/v1/verify`): one entry per
 * signature with EN 319 102-1 indications, who signed, the chain, and what was signed.
 */
import { type Certificate } from "../pki/certificate.js";
import { subjectIdentity } from "../pki/identifier.js";
import { nameAttribute, nameToString } from "../pki/name.js";
import type { PathEntryReport } from "../pki/path-types.js";
import type { TimestampKind } from "../timestamp/token.js";
import { type Indication, type SubIndication, worst } from "./indication.js";
import type { SignatureOutcome } from "./process.js";
import type { Qualification, QualificationDetails } from "./qualification.js";
import type { UsedList } from "../trust/list-index.js";
import type { Message, SignatureFormat, SignaturePolicyInfo, SignedDataEntry } from "./signature-model.js";

export interface IdentifierReport {
  type: string;
  country: string;
  value: string;
}

export interface SignerReport {
  subject: string;
  commonName: string | null;
  serialNumber: string;
  sha256: string;
  identifier: IdentifierReport | null;
  /** a natural person's certificate that also names an organization */
  organizationIdentifier: IdentifierReport | null;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

export interface TimestampReport {
  /** what the time-stamp is over (contract): signature, archive, content, validation-data, refs */
  type: TimestampKind;
  /** the message imprint is the digest of what the time-stamp covers (for ATSv3, its hash index matches too) */
  intact: boolean;
  /** intact, and the TSA's path and signature check (indication TOTAL_PASSED) */
  valid: boolean;
  /** the same as type (kept from before the contract named it type) */
  kind: TimestampKind;
  genTime: string | null;
  indication: Indication;
  subIndication: SubIndication | null;
  tsa: { subject: string; sha256: string } | null;
  /** SHA-256 of the token */
  sha256: string;
  /** a qualified time-stamp: its TSA is a trusted list's QTST service, granted at genTime; null when no list was given */
  qualified: boolean | null;
  errors: Message[];
}

export interface SignatureReport {
  id: string;
  format: SignatureFormat;
  indication: Indication;
  subIndication: SubIndication | null;
  /** signature value and every signed reference / message digest verify */
  intact: boolean;
  level: string;
  signer: SignerReport | null;
  qualification: Qualification;
  /** TS 119 615: qualification at issuance and at best-signature-time, and from where (issue 14); null when not decided */
  qualificationDetails: QualificationDetails | null;
  claimedSigningTime: string | null;
  /** the earliest time a valid signature time-stamp proves; null without one */
  bestSignatureTime: string | null;
  counterSignatureOf: string | null;
  signedData: SignedDataEntry[];
  chain: ChainEntryReport[];
  timestamps: TimestampReport[];
  signaturePolicy: SignaturePolicyInfo | null;
  commitmentTypes: string[];
  errors: Message[];
  warnings: Message[];
  hints: Message[];
}

/** A path entry with where its revocation status came from: `embedded` when from inside the signature. */
export type ChainEntryReport = PathEntryReport & { revocation: PathEntryReport["revocation"] & { embedded: boolean } };

export interface DocumentReport {
  sha256: string;
  format: SignatureFormat;
  packaging: "enveloping" | "enveloped" | "detached";
}

export interface ValidationReport {
  validationTime: string;
  /** the worst over all signatures */
  indication: Indication;
  document: DocumentReport;
  signatures: SignatureReport[];
  /** the trusted list versions the validation used (issue 14); absent when none was configured */
  trustedLists?: UsedList[];
}

/** ISO strings of the last few instants (the same validation and signing times recur); strings only. */
const isoTimes: Array<number | string> = [NaN, "", NaN, "", NaN, "", NaN, ""];
let isoNext = 0;

function isoString(d: Date): string {
  const t = d.getTime();
  for (let i = 0; i < isoTimes.length; i += 2) if (isoTimes[i] === t) return isoTimes[i + 1] as string;
  const s = d.toISOString();
  isoTimes[isoNext] = t;
  isoTimes[isoNext + 1] = s;
  isoNext = (isoNext + 2) % isoTimes.length;
  return s;
}

const iso = (d: Date | null | undefined): string | null => (d ? isoString(d) : null);

const signers = new WeakMap<Certificate, { report: SignerReport; warnings: Message[] }>();

/** Who the certificate names; kept per certificate (a validator sees the same signers again and again). */
export function signerReport(cert: Certificate, warnings?: Message[]): SignerReport {
  let hit = signers.get(cert);
  if (!hit) {
    hit = buildSignerReport(cert);
    signers.set(cert, hit);
  }
  if (warnings) warnings.push(...hit.warnings);
  return { ...hit.report };
}

function buildSignerReport(cert: Certificate): { report: SignerReport; warnings: Message[] } {
  const id = subjectIdentity(cert);
  const warnings = id.warnings.map((w) => ({ code: w.code, message: w.message }));
  const strip = (i: typeof id.identifier): IdentifierReport | null => (i ? { type: i.type, country: i.country, value: i.value } : null);
  const report: SignerReport = {
    subject: nameToString(cert.subject),
    commonName: nameAttribute(cert.subject, "2.5.4.3"),
    serialNumber: cert.serialNumber,
    sha256: cert.sha256,
    identifier: strip(id.identifier),
    organizationIdentifier: strip(id.organizationIdentifier),
    issuer: nameToString(cert.issuer),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
  };
  return { report, warnings };
}

export function signatureReport(o: SignatureOutcome): SignatureReport {
  const m = o.model;
  const warnings = [...o.warnings];
  const signer = m.signingCertificate ? signerReport(m.signingCertificate, warnings) : null;
  return {
    id: m.id,
    format: m.format,
    indication: o.indication,
    subIndication: o.subIndication,
    // a fact about bytes (contract): a CAdES reader's format errors (a duplicated attribute, a
    // wrong ESS reference) never change what verified; XAdES keeps them, as a wrapped document's
    // references can verify over data the reader is not shown
    intact: m.integrity.dataIntact === true && m.integrity.signatureIntact === true && (m.format === "CAdES" || m.formatErrors.length === 0),
    level: m.level,
    signer,
    qualification: o.qualification,
    qualificationDetails: o.qualificationDetails,
    claimedSigningTime: iso(m.claimedSigningTime),
    bestSignatureTime: iso(o.bestSignatureTime),
    counterSignatureOf: m.counterSignatureOf,
    signedData: m.signedData,
    chain: chainReport(o),
    timestamps: o.timestamps.map((t) => ({
      type: t.token.kind,
      intact: t.token.formatErrors.length === 0 && t.token.imprintMatches !== false && t.token.integrity.dataIntact === true && t.token.integrity.signatureIntact === true,
      valid: t.indication === "TOTAL_PASSED",
      kind: t.token.kind,
      genTime: iso(t.genTime),
      indication: t.indication,
      subIndication: t.subIndication,
      tsa: t.token.tsaCertificate ? { subject: nameToString(t.token.tsaCertificate.subject), sha256: t.token.tsaCertificate.sha256 } : null,
      sha256: t.token.sha256,
      qualified: t.qualified,
      errors: t.errors,
    })),
    signaturePolicy: m.signaturePolicy,
    commitmentTypes: m.commitmentTypes,
    errors: dedupe(o.errors),
    warnings: dedupe(warnings),
    hints: m.hints,
  };
}

function chainReport(o: SignatureOutcome): ChainEntryReport[] {
  const path = o.path;
  if (!path) return [];
  return path.report.path.map((e, i) => ({ ...e, revocation: { ...e.revocation, embedded: path.revocation[i]?.embedded === true } }));
}

function dedupe(list: Message[]): Message[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const k = m.code + "\u0000" + m.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function validationReport(at: Date, document: DocumentReport, signatures: SignatureReport[]): ValidationReport {
  let indication: Indication = signatures.length === 0 ? "TOTAL_FAILED" : "TOTAL_PASSED";
  for (const s of signatures) indication = worst(indication, s.indication);
  return { validationTime: isoString(at), indication, document, signatures };
}
