/**
 * Is this a receipt podpis issued, unaltered? The seal must be intact, cover the whole receipt
 * (enveloped, URI=""), and be made with one of this service's seal certificates — a valid
 * XAdES by anyone else over a look-alike receipt is not a receipt of this service.
 *
 * Anyone may ask (no key), so the check is cheap first (issue 11): the receipt is parsed once,
 * under RECEIPT_CHECK_BUDGET, and that tree is what the validator gets; the validator is told that
 * only this service's seal certificates may be the signer, so a look-alike's references are
 * never digested.
 */
import { LimitExceededError, RECEIPT_CHECK_BUDGET, type ValidationBudget, validationBudget } from "../limits/budgets.js";
import type { ValidationReport } from "../validation/report.js";
import { type XmlDocument, XmlError, XmlLimitError, parseXml } from "../xades/xml.js";
import { ACKNOWLEDGED, NOT_ACKNOWLEDGED, RECEIPT_NS } from "./document.js";

const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";

export interface ReceiptCheck {
  valid: boolean;
  registrationNumber: string | null;
  submissionId: string | null;
  accepted: boolean | null;
  /** why not valid (stable codes) */
  problems: Array<{ code: string; message: string }>;
}

export interface ReceiptFields {
  registrationNumber: string | null;
  submissionId: string | null;
  accepted: boolean | null;
  /** the transparency log the receipt says it is in, and its index there (issue 16); null for receipts before the log */
  log?: { origin: string; index: number } | null;
}

/** A receipt as parsed once: the tree (null when the bytes are no XML) and its fields (null when no podpis receipt). */
export interface ParsedReceipt {
  doc: XmlDocument | null;
  fields: ReceiptFields | null;
}

/**
 * Parses a presented receipt once under the receipt budget (default RECEIPT_CHECK_BUDGET): a node
 * cap reached is a LimitExceededError (the service's 4xx naming it), other bad XML is no receipt.
 */
export function parseReceipt(xml: Uint8Array | string, budget: Partial<ValidationBudget> = RECEIPT_CHECK_BUDGET): ParsedReceipt {
  let doc: XmlDocument;
  try {
    doc = parseXml(xml, { maxNodes: validationBudget(budget).xmlNodes });
  } catch (e) {
    if (e instanceof XmlLimitError) throw new LimitExceededError(e.limit, e.max, e.used, e.message);
    if (e instanceof XmlError) return { doc: null, fields: null };
    throw e;
  }
  return { doc, fields: fieldsOf(doc) };
}

/** Reads the receipt's own fields; null when the bytes are no podpis receipt. */
export function readReceipt(xml: Uint8Array | string): ReceiptFields | null {
  let doc;
  try {
    doc = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlError) return null;
    throw e;
  }
  return fieldsOf(doc);
}

function fieldsOf(doc: XmlDocument): ReceiptFields | null {
  const root = doc.root;
  if (root.ns !== RECEIPT_NS || (root.local !== ACKNOWLEDGED && root.local !== NOT_ACKNOWLEDGED)) return null;
  const uri = root.first(RECEIPT_NS, "DocumentURI");
  const tl = root.first(RECEIPT_NS, "TransparencyLog");
  const index = tl?.attr("index");
  const origin = tl?.attr("origin");
  return {
    log: origin && index && /^(0|[1-9]\d{0,15})$/.test(index) ? { origin, index: Number(index) } : null,
    registrationNumber: uri?.first(RECEIPT_NS, "RegistrationNumber")?.text() ?? null,
    submissionId: root.first(RECEIPT_NS, "SubmissionId")?.text() ?? null,
    accepted: root.local === ACKNOWLEDGED,
  };
}

/**
 * `receipt` is the receipt (bytes, or as parseReceipt read it: then it is not parsed again);
 * `report` the validator's report of it; `sealCertificates` the SHA-256 of this service's seal certificates.
 */
export function checkReceipt(receipt: Uint8Array | string | ParsedReceipt, report: ValidationReport, sealCertificates: readonly string[]): ReceiptCheck {
  const problems: ReceiptCheck["problems"] = [];
  const { doc, fields } = typeof receipt === "string" || receipt instanceof Uint8Array ? parseReceipt(receipt, {}) : receipt;
  if (!fields || !doc) {
    return { valid: false, registrationNumber: null, submissionId: null, accepted: null, problems: [{ code: "NOT_A_RECEIPT", message: "the document is not a podpis receipt" }] };
  }
  const sigs = doc.root.elements(DSIG_NS, "Signature");
  if (report.signatures.length !== 1 || sigs.length !== 1) problems.push({ code: "SEAL_COUNT", message: `a receipt carries exactly one seal, as a child of its root (found ${report.signatures.length})` });
  const s = report.signatures[0];
  if (s) {
    if (!s.intact) problems.push({ code: "SEAL_BROKEN", message: "the seal does not verify: the receipt was altered after sealing" });
    if (!(s as { coversWholeDocument?: boolean }).coversWholeDocument) problems.push({ code: "SEAL_PARTIAL", message: "the seal does not cover the whole receipt" });
    if (!s.signer || !sealCertificates.includes(s.signer.sha256)) problems.push({ code: "NOT_THIS_SERVICE", message: "the receipt was not sealed by this service" });
    if (s.indication !== "TOTAL_PASSED") problems.push({ code: "SEAL_NOT_VALID", message: `the seal's validation is ${s.indication}${s.subIndication ? "/" + s.subIndication : ""}` });
  }
  return { valid: problems.length === 0, ...fields, problems };
}
