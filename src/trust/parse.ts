/**
 * Reads a TS 119 612 trusted list (v5 or v6) or the EU list of the lists from the hardened XML
 * parser's tree (src/xades/xml: no DTD, capped size, depth and nodes). What is malformed in a way
 * that leaves the list's meaning unclear (no sequence number, no territory, a service without a
 * status or starting time) makes it no list at all; a single unreadable certificate is left out
 * with a warning, as a relying party cannot use it anyway.
 */
import { createHash } from "node:crypto";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { type ParseOptions, XML_NS, type XmlDocument, type XmlElement, XmlError, parseXml } from "../xades/xml.js";
import { TrustListError } from "./errors.js";
import { readServiceExtensions } from "./extensions.js";
import {
  type DigitalIdentity,
  LOTL_TYPE,
  type OtherListPointer,
  TSL_ADDITIONAL_NS,
  TSL_NS,
  type TrustService,
  type TrustServiceProvider,
  type TrustedList,
  type ServiceVersion,
} from "./model.js";

export interface ParsedList {
  list: TrustedList;
  doc: XmlDocument;
}

/** Lists are big (the EU LOTL ~0.5 MB, a national list up to a few MB), never huge. */
export const LIST_PARSE_LIMITS: ParseOptions = { maxBytes: 16 * 1024 * 1024, maxNodes: 2_000_000 };

export function parseTrustedList(bytes: Uint8Array, opts: { doc?: XmlDocument } = {}): ParsedList {
  let doc: XmlDocument;
  try {
    doc = opts.doc ?? parseXml(bytes, LIST_PARSE_LIMITS);
  } catch (e) {
    if (e instanceof XmlError) throw new TrustListError("NOT_A_TRUSTED_LIST", `not a trusted list: ${e.message}`);
    throw e;
  }
  const root = doc.root;
  if (root.ns !== TSL_NS || root.local !== "TrustServiceStatusList") {
    throw new TrustListError("NOT_A_TRUSTED_LIST", `not a trusted list: the document element is ${root.name}, not TrustServiceStatusList in ${TSL_NS}`);
  }
  const warnings: string[] = [];
  const si = need(root, "SchemeInformation");
  const version = int(need(si, "TSLVersionIdentifier"), "TSLVersionIdentifier");
  if (version !== 5 && version !== 6) warnings.push(`TSLVersionIdentifier ${version}: read as version 5/6 lists are`);
  const type = need(si, "TSLType").text().trim();
  const nextUpdateEl = need(si, "NextUpdate").first(TSL_NS, "dateTime");
  const list: TrustedList = {
    kind: type === LOTL_TYPE || /EUlistofthelists$/.test(type) ? "LOTL" : "TL",
    version,
    sequenceNumber: int(need(si, "TSLSequenceNumber"), "TSLSequenceNumber"),
    type,
    schemeTerritory: need(si, "SchemeTerritory").text().trim(),
    operator: names(need(si, "SchemeOperatorName")),
    issueDate: date(need(si, "ListIssueDateTime")),
    nextUpdate: nextUpdateEl ? date(nextUpdateEl) : null,
    schemeInformationUris: (si.first(TSL_NS, "SchemeInformationURI")?.elements(TSL_NS, "URI") ?? []).map((u) => u.text().trim()),
    pointers: (si.first(TSL_NS, "PointersToOtherTSL")?.elements(TSL_NS, "OtherTSLPointer") ?? []).map((p) => pointer(p, warnings)),
    providers: (root.first(TSL_NS, "TrustServiceProviderList")?.elements(TSL_NS, "TrustServiceProvider") ?? []).map((p) => provider(p, warnings)),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    warnings,
  };
  if (!list.schemeTerritory) bad("SchemeTerritory is empty");
  return { list, doc };
}

function bad(message: string): never {
  throw new TrustListError("NOT_A_TRUSTED_LIST", `not a well-formed trusted list: ${message}`);
}

function need(parent: XmlElement, local: string): XmlElement {
  const e = parent.first(TSL_NS, local);
  if (!e) bad(`${parent.local} has no ${local}`);
  return e;
}

function int(e: XmlElement, what: string): number {
  const t = e.text().trim();
  if (!/^\d{1,9}$/.test(t)) bad(`${what} is not a number: "${t.slice(0, 40)}"`);
  return Number(t);
}

function date(e: XmlElement): Date {
  const t = e.text().trim();
  // xsd:dateTime; TS 119 612 §5.1.4 wants UTC ("Z"), some lists write an offset
  const d = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.test(t) ? new Date(/Z|[+-]\d\d:\d\d$/.test(t) ? t : `${t}Z`) : new Date(NaN);
  if (Number.isNaN(d.getTime())) bad(`${e.local} is not a date: "${t.slice(0, 40)}"`);
  return d;
}

/** A multilingual name: the English one, else the first (TS 119 612 §5.1.4: English is always there). */
function names(e: XmlElement): string {
  const all = e.elements(TSL_NS, "Name");
  const en = all.find((n) => n.attr("lang", XML_NS) === "en");
  return (en ?? all[0])?.text().trim() ?? "";
}

function certificates(parent: XmlElement, warnings: string[], where: string): DigitalIdentity {
  const id: DigitalIdentity = { certificates: [], subjectNames: [], skis: [] };
  for (const sdi of [parent, ...parent.elements(TSL_NS, "ServiceDigitalIdentity")]) {
    for (const d of sdi.elements(TSL_NS, "DigitalId")) {
      const cert = d.first(TSL_NS, "X509Certificate");
      if (cert) {
        const c = readCertificate(cert.text(), warnings, where);
        if (c) id.certificates.push(c);
      }
      const sn = d.first(TSL_NS, "X509SubjectName");
      if (sn) id.subjectNames.push(sn.text().trim());
      const ski = d.first(TSL_NS, "X509SKI");
      if (ski) id.skis.push(Buffer.from(ski.text().replace(/\s+/g, ""), "base64").toString("hex"));
    }
  }
  return id;
}

function readCertificate(b64: string, warnings: string[], where: string): Certificate | null {
  try {
    return parseCertificate(Buffer.from(b64.replace(/\s+/g, ""), "base64"));
  } catch (e) {
    warnings.push(`${where}: a certificate cannot be read (${(e as Error).message}); left out`);
    return null;
  }
}

function pointer(p: XmlElement, warnings: string[]): OtherListPointer {
  const location = need(p, "TSLLocation").text().trim();
  const sdis = p.first(TSL_NS, "ServiceDigitalIdentities");
  const signers = sdis ? certificates(sdis, warnings, `pointer ${location}`).certificates : [];
  let territory: string | null = null;
  let mimeType: string | null = null;
  let type: string | null = null;
  for (const oi of p.first(TSL_NS, "AdditionalInformation")?.elements(TSL_NS, "OtherInformation") ?? []) {
    territory ??= oi.first(TSL_NS, "SchemeTerritory")?.text().trim() ?? null;
    mimeType ??= oi.first(TSL_ADDITIONAL_NS, "MimeType")?.text().trim() ?? null;
    type ??= oi.first(TSL_NS, "TSLType")?.text().trim() ?? null;
  }
  return { territory, location, mimeType, type, signers };
}

function provider(p: XmlElement, warnings: string[]): TrustServiceProvider {
  const info = need(p, "TSPInformation");
  const name = names(need(info, "TSPName"));
  const trade = info.first(TSL_NS, "TSPTradeName");
  return {
    name,
    tradeNames: trade ? trade.elements(TSL_NS, "Name").map((n) => n.text().trim()) : [],
    services: (p.first(TSL_NS, "TSPServices")?.elements(TSL_NS, "TSPService") ?? []).map((s) => service(s, name, warnings)),
  };
}

function service(s: XmlElement, tsp: string, warnings: string[]): TrustService {
  const info = need(s, "ServiceInformation");
  const current = version(info);
  const identity = certificates(need(info, "ServiceDigitalIdentity"), warnings, `service "${current.name}"`);
  const history = (s.first(TSL_NS, "ServiceHistory")?.elements(TSL_NS, "ServiceHistoryInstance") ?? []).map(version);
  const versions = [current, ...history].sort((a, b) => b.from.getTime() - a.from.getTime());
  return { tsp, identity, versions };
}

function version(e: XmlElement): ServiceVersion {
  const ext = readServiceExtensions(e.first(TSL_NS, "ServiceInformationExtensions"));
  return {
    type: need(e, "ServiceTypeIdentifier").text().trim(),
    name: names(need(e, "ServiceName")),
    status: need(e, "ServiceStatus").text().trim(),
    from: date(need(e, "StatusStartingTime")),
    ...ext,
  };
}
