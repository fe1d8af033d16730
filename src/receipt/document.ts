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

type Attrs = ReadonlyArray<readonly [string, string | number | null | undefined]>;

/** How the receipt is written: the document itself, or its exclusive canonical form (for the seal) */
interface Writer {
  start(name: string, attrs?: Attrs): string;
  empty(name: string, attrs: Attrs): string;
  text(s: string): string;
}

const present = (attrs: Attrs) => attrs.filter((a): a is readonly [string, string | number] => a[1] !== null && a[1] !== undefined);

const documentWriter: Writer = {
  start: (name, attrs = []) => `<${name}${present(attrs).map(([k, v]) => ` ${k}="${esc(String(v))}"`).join("")}>`,
  empty: (name, attrs) => `<${name}${present(attrs).map(([k, v]) => ` ${k}="${esc(String(v))}"`).join("")}/>`,
  text: esc,
};

/** a value the canonical writer cannot write as a parser would read it back (line ends, tabs, non-characters): the seal parses the document instead */
const NEEDS_PARSER = /[\t\n\r\uD800-\uDFFF\uFFFE\uFFFF]/;

class NotCanonicalizable extends Error {}

/** anything the canonical writer has to look at; most values (digests, numbers, dates, names) have none */
const SPECIAL = /[&<>"\x00-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;

const controls = (s: string): string => {
  if (NEEDS_PARSER.test(s)) throw new NotCanonicalizable();
  return s.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, "\uFFFD");
};

/** c14n 1.0 §2.3: attributes in order of their (unqualified) names, text and attribute escaping, empty elements as start and end tag */
const canonicalWriter: Writer = {
  start: (name, attrs = []) =>
    `<${name}${present(attrs)
      .map(([k, v]) => [k, SPECIAL.test(String(v)) ? controls(String(v)).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;") : String(v)] as const)
      .sort((a, b) => (a[0] === "xmlns" ? -1 : b[0] === "xmlns" ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => ` ${k}="${v}"`)
      .join("")}>`,
  empty: (name, attrs) => canonicalWriter.start(name, attrs) + `</${name}>`,
  text: (s) => (SPECIAL.test(s) ? controls(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : s),
};

export function buildReceipt(r: ReceiptInput): string {
  return writeReceipt(r, documentWriter);
}

/**
 * The receipt and the exclusive canonical form of it that an enveloped signature covers (the root
 * element, before the signature is in; null when a value needs the parser to say how it reads) —
 * written from the same fields, so the seal need not parse podpis's own document back.
 */
export function buildReceiptForms(r: ReceiptInput): { xml: string; canonical: string | null } {
  const xml = writeReceipt(r, documentWriter);
  try {
    const c = writeReceipt(r, canonicalWriter);
    return { xml, canonical: c.slice(c.indexOf("\n") + 1, c.length - 1) };
  } catch (e) {
    if (e instanceof NotCanonicalizable) return { xml, canonical: null };
    throw e;
  }
}

function writeReceipt(r: ReceiptInput, w: Writer): string {
  const root = r.accepted ? ACKNOWLEDGED : NOT_ACKNOWLEDGED;
  const t = w.text;
  const L: string[] = [];
  L.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  L.push(w.start(root, [["xmlns", RECEIPT_NS], ["Id", `receipt-${r.submissionId}`]]));
  L.push(`<ElectronicServiceProvider><Name>${t(r.provider.name)}</Name>${r.provider.identifier ? `<Identifier>${t(r.provider.identifier)}</Identifier>` : ""}</ElectronicServiceProvider>`);
  L.push(`<TransportType>${t(r.transportType)}</TransportType>`);
  L.push(
    `<DocumentURI><RegisterIndex>${t(r.register)}</RegisterIndex><SequenceNumber>${r.sequence}</SequenceNumber>` +
      `<ReceiptOrSigningDate>${r.receivedAt.toISOString()}</ReceiptOrSigningDate><RegistrationNumber>${t(r.registrationNumber)}</RegistrationNumber></DocumentURI>`,
  );
  L.push(`<ReceiptTime>${r.receivedAt.toISOString()}</ReceiptTime>`);
  L.push(`<RegisteredBy>${t(r.registeredBy)}</RegisteredBy>`);
  if (r.accepted) L.push(`<CaseAccessIdentifier>${t(r.caseAccessIdentifier)}</CaseAccessIdentifier>`);
  L.push(`<SubmissionId>${t(r.submissionId)}</SubmissionId>`);
  if (r.log) L.push(w.empty("TransparencyLog", [["origin", r.log.origin], ["index", r.log.index]]));
  L.push(`<Applicant>${t(r.applicant)}</Applicant>`);
  L.push(`<DocumentType><URI>${t(r.documentType)}</URI></DocumentType>`);
  L.push(`<Files>`);
  for (const f of r.files) L.push(w.empty("File", [["role", f.role], ["sha256", f.sha256], ["size", f.size]]));
  L.push(`</Files>`);
  L.push(w.start("Validation", [["time", r.report.validationTime], ["indication", r.report.indication]]));
  for (const s of r.report.signatures) {
    L.push(w.start("Signature", [["id", s.id], ["indication", s.indication], ["subIndication", s.subIndication || null], ["qualification", s.qualification], ["level", s.level]]));
    if (s.signer) {
      L.push(`<Signer>${t(s.signer.commonName ?? s.signer.subject)}</Signer>`);
      const id = s.signer.identifier;
      if (id) L.push(`${w.start("Identifier", [["type", id.type], ["country", id.country]])}${t(maskIdentifier(id.type, id.value))}</Identifier>`);
      L.push(`<CertificateSha256>${t(s.signer.sha256)}</CertificateSha256>`);
    }
    if (s.claimedSigningTime) L.push(`<ClaimedSigningTime>${t(s.claimedSigningTime)}</ClaimedSigningTime>`);
    L.push(`</Signature>`);
  }
  // the trusted list versions the validation used (issue 14)
  for (const l of r.report.trustedLists ?? []) L.push(w.empty("TrustedList", [["kind", l.kind], ["territory", l.territory], ["sequenceNumber", l.sequenceNumber], ["sha256", l.sha256]]));
  L.push(`</Validation>`);
  if (!r.accepted) {
    L.push(`<Discrepancies>`);
    for (const d of r.reasons ?? rejectionReasons(r.report)) L.push(`${w.start("Discrepancy", [["code", d.code]])}${t(d.message)}</Discrepancy>`);
    L.push(`</Discrepancies>`);
  }
  L.push(`</${root}>`);
  return L.join("\n") + "\n";
}
