/**
 * XAdES validation (ETSI EN 319 132-1 signatures, validated per EN 319 102-1): every
 * ds:Signature of an XML document is checked by check.ts, becomes a SignatureModel, and goes
 * through the same format-neutral process, report, qualification and identity as CAdES.
 */
import { LimitExceededError, type ValidationBudget, validationBudget } from "../limits/budgets.js";
import type { ValidationContext } from "./context.js";
import { validateSignature } from "./process.js";
import { type DocumentReport, type SignatureReport, type ValidationReport, signatureReport, validationReport } from "./report.js";
import { type XadesDocumentCheck, type XadesSignatureCheck, checkXadesDocument } from "../xades/check.js";
import { toSignatureModel } from "./xades-model.js";
import { addXadesEvidence } from "./evidence-model.js";
import type { DetachedContent } from "../xades/xmldsig.js";
import { type ParseOptions, type XmlDocument, XmlError, XmlLimitError, parseXml } from "../xades/xml.js";

/** Detached content: bytes, named bytes, or digests of a streamed file (CAdES's DetachedDigests shape). */
export type XadesContentInput = Uint8Array | DetachedContent;

export interface XadesVerifyOptions {
  contents?: readonly XadesContentInput[];
  /** validation time: an input, never defaulted in the core (the adapters supply "now") */
  at: Date;
  context: ValidationContext;
  /** limits of the hardened XML parser (its node cap defaults to the budget's xmlNodes) */
  parse?: ParseOptions;
  /** what the verification may cost (src/limits/budgets.ts); default DEFAULT_VALIDATION_BUDGET */
  budget?: Partial<ValidationBudget>;
  /** the document, parsed once by the caller (the receipt check): not parsed again */
  doc?: XmlDocument;
  /** SHA-256 (hex) of the only certificates that may be a signer (a receipt: this service's seals) */
  signers?: readonly string[];
  /** the caller has gone away: the work stops (checked between references and signatures) */
  signal?: AbortSignal;
}

/** The contract's signature report plus the portal's question: is the whole form covered? */
export type XadesSignatureReport = SignatureReport & { coversWholeDocument: boolean };

export interface XadesValidationReport extends ValidationReport {
  document: DocumentReport & {
    /** some intact signature covers the whole form (see XadesSignatureReport.coversWholeDocument) */
    coversWholeDocument: boolean;
  };
  signatures: XadesSignatureReport[];
}

import { NotXmlSignatureError } from "./errors.js";
export { NotXmlSignatureError } from "./errors.js";

function asContent(c: XadesContentInput): DetachedContent {
  return c instanceof Uint8Array ? { bytes: c } : c;
}

/**
 * Validates every signature of an XAdES (or plain XMLDSig) document. Throws NotXmlSignatureError
 * when the input is no well-formed XML or holds no ds:Signature; a signature that is malformed
 * gives a report with FORMAT_FAILURE.
 */
export async function verifyXades(bytes: Uint8Array, opts: XadesVerifyOptions): Promise<XadesValidationReport> {
  const at = opts.at;
  const ctx = opts.context;
  const budget = validationBudget(ctx.policy.budget, opts.budget);
  const doc = checkXadesDocument(bytes, {
    contents: (opts.contents ?? []).map(asContent),
    pool: ctx.untrusted,
    doc: opts.doc ?? parseBudgeted(bytes, budget, opts.parse),
    maxReferences: budget.xmlReferences,
    // the defaults' digest budget grows with the document (8×), as it always has; a route's stated one does not
    maxDigestBytes: opts.budget?.digestBytes ?? Math.max(budget.digestBytes, 8 * bytes.length),
    signers: opts.signers,
    signal: opts.signal,
    certificates: ctx.certificates,
  });
  if (doc.formatError) throw new NotXmlSignatureError(`${doc.formatError.code}: ${doc.formatError.message}`);
  // a route's budget (the receipt check's) holds for the format-neutral steps too: bag, path, fetches
  const routed = opts.budget ? { ...ctx, policy: { ...ctx.policy, budget } } : ctx;
  return reportFor(doc, routed, at, opts.signal, (opts.contents ?? []).map(asContent));
}

/**
 * The parse under the budget's node cap: a cap reached is the budget's error (the service's 4xx
 * naming the limit), other XML errors are the document's (NOT_A_SIGNATURE).
 */
export function parseBudgeted(bytes: Uint8Array, budget: Pick<ValidationBudget, "xmlNodes">, parse?: ParseOptions): XmlDocument {
  try {
    return parseXml(bytes, { maxNodes: budget.xmlNodes, ...parse });
  } catch (e) {
    if (e instanceof XmlLimitError) throw new LimitExceededError(e.limit, e.max, e.used, e.message);
    if (e instanceof XmlError) throw new NotXmlSignatureError(`${e.code}: ${e.message}`);
    throw e;
  }
}

async function reportFor(doc: XadesDocumentCheck, ctx: ValidationContext, at: Date, signal?: AbortSignal, contents: readonly DetachedContent[] = []): Promise<XadesValidationReport> {
  const reports: XadesSignatureReport[] = [];
  for (const s of doc.signatures) {
    signal?.throwIfAborted();
    const model = toSignatureModel(s, ctx);
    addXadesEvidence(model, s, doc.doc, contents, ctx);
    // (fresh objects, extended in place: the same keys in the same order as a copy would have)
    const report = signatureReport(await validateSignature(model, ctx, at)) as XadesSignatureReport;
    // intact is the XAdES reader's fact about bytes (value and every signed reference), kept
    // when a format, binding or wrapping check fails the signature (issue 12)
    report.intact = s.intact;
    // (covered by a signature that is intact, well-formed and bound to a certificate)
    report.coversWholeDocument = s.coversWholeDocument && report.intact && report.indication !== "TOTAL_FAILED" && report.subIndication !== "NO_SIGNING_CERTIFICATE_FOUND";
    reports.push(report);
  }
  const document = { sha256: doc.sha256, format: "XAdES", packaging: doc.packaging } as XadesValidationReport["document"];
  const base = validationReport(at, document, reports) as XadesValidationReport;
  document.coversWholeDocument = reports.some((r) => r.coversWholeDocument);
  return base;
}

export type { XadesSignatureCheck };
