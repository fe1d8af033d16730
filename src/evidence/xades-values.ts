/**
 * The long-term evidence a XAdES signature carries (EN 319 132-1 §5.5; TS 101 903 v1.3.2 §7.5–7.7,
 * v1.4.1 §8): CertificateValues, RevocationValues (CRLValues, OCSPValues), the
 * xadesv141:TimeStampValidationData containers, and the time-stamps over the evidence
 * (ArchiveTimeStamp of 1.4.1 and 1.3.2, SigAndRefsTimeStamp, RefsOnlyTimeStamp) with the octets
 * each one's message imprint must be over.
 */
import { type C14nOptions, c14nAlgorithm } from "../xades/c14n.js";
import { XADES141_NS } from "../xades/properties.js";
import { DS_NS, type DetachedContent, type Signature, decodeBase64 } from "../xades/xmldsig.js";
import type { XmlDocument, XmlElement } from "../xades/xml.js";
import { wrapBasicOcsp, type EmbeddedValues, type EvidenceTimestamp } from "./cades-values.js";
import { archiveTimestampData, refsOnlyTimestampData, sigAndRefsTimestampData } from "./xades-archive.js";

export interface XadesEvidence extends EmbeddedValues {
  timestamps: EvidenceTimestamp[];
}

const C14N_DEFAULT: C14nOptions = { method: "c14n10", comments: false };

function c14nOf(ts: XmlElement): C14nOptions | string {
  const cm = ts.first(DS_NS, "CanonicalizationMethod");
  if (!cm) return C14N_DEFAULT;
  const a = c14nAlgorithm(cm.attr("Algorithm"));
  return a ? { ...a } : `unsupported canonicalization ${cm.attr("Algorithm")}`;
}

/** An EncapsulatedOCSPValue holds an OCSPResponse; some producers put the BasicOCSPResponse alone. */
function ocspResponseOf(der: Buffer): Uint8Array {
  // OCSPResponse starts SEQUENCE { ENUMERATED …; BasicOCSPResponse starts SEQUENCE { SEQUENCE (tbsResponseData)
  const inner = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  return der[inner] === 0x0a ? der : wrapBasicOcsp(der);
}

function readValues(container: XmlElement, out: EmbeddedValues): void {
  const local = container.local;
  const each = (parent: XmlElement | null, name: string, f: (b: Buffer) => void) => {
    for (const e of parent?.elements() ?? []) {
      if (e.local !== name) continue;
      try {
        f(decodeBase64(e.rawText(), name));
      } catch (err) {
        out.problems.push(`${name}: ${(err as Error).message}`);
      }
    }
  };
  if (local === "CertificateValues") each(container, "EncapsulatedX509Certificate", (b) => out.certificates.push(b));
  if (local === "RevocationValues") {
    const child = (n: string) => container.elements().find((e) => e.local === n) ?? null;
    each(child("CRLValues"), "EncapsulatedCRLValue", (b) => out.crls.push(b));
    each(child("OCSPValues"), "EncapsulatedOCSPValue", (b) => out.ocsp.push(ocspResponseOf(b)));
  }
}

// a Map: an element named "constructor" or "toString" is no time-stamp (as an object's key it
// was Object's own function, and the element was read as a RefsOnlyTimeStamp)
const TIMESTAMP_TYPES = new Map<string, EvidenceTimestamp["type"]>([
  ["ArchiveTimeStamp", "archive"],
  ["SigAndRefsTimeStamp", "validation-data"],
  ["SigAndRefsTimeStampV2", "validation-data"],
  ["RefsOnlyTimeStamp", "refs"],
  ["RefsOnlyTimeStampV2", "refs"],
]);

/**
 * Reads the unsigned signature properties of `qp` in document order. The imprint data of each
 * evidence time-stamp is built here (it needs the document); a time-stamp whose data cannot be
 * built (detached content not given, an unsupported c14n) says why in `problems`.
 */
export function readXadesEvidence(doc: XmlDocument, sig: Signature, qp: XmlElement, contents: readonly DetachedContent[]): XadesEvidence {
  const out: XadesEvidence = { certificates: [], crls: [], ocsp: [], problems: [], timestamps: [] };
  const ns = qp.ns;
  const up = qp.first(ns, "UnsignedProperties");
  const usp = up?.first(ns, "UnsignedSignatureProperties");
  if (!usp) return out;
  usp.elements().forEach((p, position) => {
    if (p.ns !== ns && p.ns !== XADES141_NS) return;
    if (p.local === "CertificateValues" || p.local === "RevocationValues") readValues(p, out);
    else if (p.local === "TimeStampValidationData") for (const c of p.elements()) readValues(c, out);
    const type = TIMESTAMP_TYPES.get(p.local);
    if (!type) return;
    const enc = p.elements().find((e) => e.local === "EncapsulatedTimeStamp");
    if (!enc) {
      out.problems.push(`${p.local} without EncapsulatedTimeStamp (XMLTimeStamp is not supported)`);
      return;
    }
    let token: Buffer;
    try {
      token = decodeBase64(enc.rawText(), `${p.local} EncapsulatedTimeStamp`);
    } catch (e) {
      out.problems.push((e as Error).message);
      return;
    }
    const t: EvidenceTimestamp = { type, position, token, data: null, problems: [] };
    const c14n = c14nOf(p);
    if (typeof c14n === "string") t.problems.push(`${p.local}: ${c14n}`);
    else {
      try {
        t.data =
          type === "archive" ? archiveTimestampData(doc, sig, p, c14n, contents) : type === "validation-data" ? sigAndRefsTimestampData(sig, p, c14n) : refsOnlyTimestampData(p, c14n);
      } catch (e) {
        t.problems.push(`${p.local}: ${(e as Error).message}`);
      }
    }
    out.timestamps.push(t);
  });
  return out;
}
