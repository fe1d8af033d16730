/**
 * XAdES validation (ETSI EN 319 132-1 signatures, validated per EN 319 102-1): every
 * ds:Signature of an XML document is checked by check.ts, becomes a SignatureModel, and goes
 * through the same format-neutral process, report, qualification and identity as CAdES.
 */
import type { ValidationContext } from "./context.js";
import { validateSignature } from "./process.js";
import { type DocumentReport, type SignatureReport, type ValidationReport, signatureReport, validationReport } from "./report.js";
import { type XadesDocumentCheck, type XadesSignatureCheck, checkXadesDocument } from "../xades/check.js";
import { toSignatureModel } from "./xades-model.js";
import type { DetachedContent } from "../xades/xmldsig.js";
import type { ParseOptions } from "../xades/xml.js";

/** Detached content: bytes, named bytes, or digests of a streamed file (CAdES's DetachedDigests shape). */
export type XadesContentInput = Uint8Array | DetachedContent;

export interface XadesVerifyOptions {
  contents?: readonly XadesContentInput[];
  /** validation time: an input, never defaulted in the core (the adapters supply "now") */
  at: Date;
  context: ValidationContext;
  /** limits of the hardened XML parser */
  parse?: ParseOptions;
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
  const doc = checkXadesDocument(bytes, {
    contents: (opts.contents ?? []).map(asContent),
    pool: ctx.untrusted,
    parse: opts.parse,
    certificates: ctx.certificates,
  });
  if (doc.formatError) throw new NotXmlSignatureError(`${doc.formatError.code}: ${doc.formatError.message}`);
  return reportFor(doc, ctx, at);
}

async function reportFor(doc: XadesDocumentCheck, ctx: ValidationContext, at: Date): Promise<XadesValidationReport> {
  const reports: XadesSignatureReport[] = [];
  for (const s of doc.signatures) {
    const model = toSignatureModel(s, ctx);
    // (fresh objects, extended in place: the same keys in the same order as a copy would have)
    const report = signatureReport(await validateSignature(model, ctx, at)) as XadesSignatureReport;
    report.coversWholeDocument = s.coversWholeDocument && report.intact;
    reports.push(report);
  }
  const document = { sha256: doc.sha256, format: "XAdES", packaging: doc.packaging } as XadesValidationReport["document"];
  const base = validationReport(at, document, reports) as XadesValidationReport;
  document.coversWholeDocument = reports.some((r) => r.coversWholeDocument);
  return base;
}

export type { XadesSignatureCheck };
