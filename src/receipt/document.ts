/**
 * The receipt: podpis's own XML, modelled on the fields of the Bulgarian e-government
 * ReceiptAcknowledgedMessage (R-0009-000019) and ReceiptNotAcknowledgedMessage (R-0009-000017):
 * service provider, transport type, document URI (register index, sequence number, date),
 * receipt time, registered by, case access identifier, applicant, document type — plus what
 * podpis adds: the SHA-256 of every file handed in, and each signature's signer, identifier and
 * verdict. It is sealed afterwards (seal.ts) as enveloped XAdES over the whole document.
 */
import type { ValidationReport } from "../validation/report.js";

export const RECEIPT_NS = "urn:podpis:receipt:1";
export const ACKNOWLEDGED = "ReceiptAcknowledged";
export const NOT_ACKNOWLEDGED = "ReceiptNotAcknowledged";

export interface ReceiptFile {
  role: "signature" | "content";
  sha256: string;
  size: number;
}

export interface ReceiptInput {
  submissionId: string;
  accepted: boolean;
  provider: { name: string; identifier: string | null };
  transportType: string;
  registeredBy: string;
  register: string;
  sequence: number;
  registrationNumber: string;
  receivedAt: Date;
  caseAccessIdentifier: string;
  applicant: string;
  documentType: string;
  files: ReceiptFile[];
  report: ValidationReport;
  /** the receipt's place in the service's transparency log (issue 16): the log's origin line and the entry's index */
  log?: { origin: string; index: number };
  /** why a document was not acknowledged (beyond each signature's errors) */
  reasons?: Array<{ code: string; message: string }>;
}

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!).replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, "\uFFFD");

/**
 * A natural person's identifier (EGN, personal number) is shown masked: the receipt proves what
 * was received and who signed, and it is handed around; the archive keeps the full report.
 */
export function maskIdentifier(type: string, value: string): string {
  if (type === "PNO" || type === "IDC" || type === "PAS" || type === "TIN") return value.length > 4 ? "*".repeat(value.length - 4) + value.slice(-4) : "****";
  return value;
}

/** Messages name certificates by subject; a natural person's identifier in them is masked too. */
export function maskIdentifiersIn(text: string): string {
  return text.replace(/\b(PNO|IDC|PAS|TIN)([A-Z]{2})[-:]([0-9A-Za-z]+)/g, (_m, t: string, c: string, v: string) => `${t}${c}-${maskIdentifier(t, v)}`);
}

/** Why a document was not acknowledged, for the receipt (stable codes, one line each). */
export function rejectionReasons(report: ValidationReport): Array<{ code: string; message: string }> {
  const out: Array<{ code: string; message: string }> = [];
  const docErrors = (report as { errors?: Array<{ code: string; message: string }> }).errors;
  if (docErrors) out.push(...docErrors);
  if (report.signatures.length === 0 && out.length === 0) out.push({ code: "NO_SIGNATURE", message: "the document carries no signature" });
  for (const s of report.signatures) {
    if (s.indication === "TOTAL_PASSED") continue;
    const first = s.errors[0];
    out.push({ code: s.subIndication ?? s.indication, message: maskIdentifiersIn(`signature ${s.id}: ${s.indication}${s.subIndication ? "/" + s.subIndication : ""}${first ? ` — ${first.message}` : ""}`) });
  }
  return out;
}

export function buildReceipt(r: ReceiptInput): string {
  const root = r.accepted ? ACKNOWLEDGED : NOT_ACKNOWLEDGED;
  const L: string[] = [];
  L.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  L.push(`<${root} xmlns="${RECEIPT_NS}" Id="receipt-${esc(r.submissionId)}">`);
  L.push(`<ElectronicServiceProvider><Name>${esc(r.provider.name)}</Name>${r.provider.identifier ? `<Identifier>${esc(r.provider.identifier)}</Identifier>` : ""}</ElectronicServiceProvider>`);
  L.push(`<TransportType>${esc(r.transportType)}</TransportType>`);
  L.push(
    `<DocumentURI><RegisterIndex>${esc(r.register)}</RegisterIndex><SequenceNumber>${r.sequence}</SequenceNumber>` +
      `<ReceiptOrSigningDate>${r.receivedAt.toISOString()}</ReceiptOrSigningDate><RegistrationNumber>${esc(r.registrationNumber)}</RegistrationNumber></DocumentURI>`,
  );
  L.push(`<ReceiptTime>${r.receivedAt.toISOString()}</ReceiptTime>`);
  L.push(`<RegisteredBy>${esc(r.registeredBy)}</RegisteredBy>`);
  if (r.accepted) L.push(`<CaseAccessIdentifier>${esc(r.caseAccessIdentifier)}</CaseAccessIdentifier>`);
  L.push(`<SubmissionId>${esc(r.submissionId)}</SubmissionId>`);
  if (r.log) L.push(`<TransparencyLog origin="${esc(r.log.origin)}" index="${r.log.index}"/>`);
  L.push(`<Applicant>${esc(r.applicant)}</Applicant>`);
  L.push(`<DocumentType><URI>${esc(r.documentType)}</URI></DocumentType>`);
  L.push(`<Files>`);
  for (const f of r.files) L.push(`<File role="${f.role}" sha256="${f.sha256}" size="${f.size}"/>`);
  L.push(`</Files>`);
  L.push(`<Validation time="${esc(r.report.validationTime)}" indication="${esc(r.report.indication)}">`);
  for (const s of r.report.signatures) {
    const sub = s.subIndication ? ` subIndication="${esc(s.subIndication)}"` : "";
    L.push(`<Signature id="${esc(s.id)}" indication="${esc(s.indication)}"${sub} qualification="${esc(s.qualification)}" level="${esc(s.level)}">`);
    if (s.signer) {
      L.push(`<Signer>${esc(s.signer.commonName ?? s.signer.subject)}</Signer>`);
      const id = s.signer.identifier;
      if (id) L.push(`<Identifier type="${esc(id.type)}" country="${esc(id.country)}">${esc(maskIdentifier(id.type, id.value))}</Identifier>`);
      L.push(`<CertificateSha256>${s.signer.sha256}</CertificateSha256>`);
    }
    if (s.claimedSigningTime) L.push(`<ClaimedSigningTime>${s.claimedSigningTime}</ClaimedSigningTime>`);
    L.push(`</Signature>`);
  }
  // the trusted list versions the validation used (issue 14)
  for (const l of r.report.trustedLists ?? []) L.push(`<TrustedList kind="${esc(l.kind)}" territory="${esc(l.territory)}" sequenceNumber="${l.sequenceNumber}" sha256="${esc(l.sha256)}"/>`);
  L.push(`</Validation>`);
  if (!r.accepted) {
    L.push(`<Discrepancies>`);
    for (const d of r.reasons ?? rejectionReasons(r.report)) L.push(`<Discrepancy code="${esc(d.code)}">${esc(d.message)}</Discrepancy>`);
    L.push(`</Discrepancies>`);
  }
  L.push(`</${root}>`);
  return L.join("\n") + "\n";
}
