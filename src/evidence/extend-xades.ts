/**
 * XAdES augmentation (EN 319 132-1 §5.3–§5.5): new unsigned signature properties are written
 * into each top-level ds:Signature's xades:UnsignedSignatureProperties (made when missing), at the
 * end, so that what an archive time-stamp covers stays in order. Nothing else of the document is
 * changed: the text before and after each insertion is copied as parsed (UTF-8; line ends as
 * XML 1.0 §2.11 normalises them, which canonicalization does anyway), so ds:SignedInfo,
 * SignedProperties and every referenced element keep their canonical octets.
 *
 * Written: xades:SignatureTimeStamp (B-T, over the exc-c14n ds:SignatureValue, §5.3);
 * xades:CertificateValues and xades:RevocationValues for the signer's path and
 * xadesv141:TimeStampValidationData for the time-stamps' paths (B-LT, §5.4);
 * xadesv141:ArchiveTimeStamp (B-LTA, §5.5.2).
 */
import { createHash } from "node:crypto";
import type { Timestamper } from "../cms/write.js";
import { canonicalOctets } from "../xades/c14n.js";
import { DS_NS, findSignatures } from "../xades/xmldsig.js";
import { XADES141_NS, XADES_NS } from "../xades/properties.js";
import { type XmlDocument, type XmlElement, parseXml } from "../xades/xml.js";
import { ExtendError } from "./extend-errors.js";
import type { DataCollector, NewTimestamp, ValidationData } from "./extend-evidence.js";

export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC = { method: "exc-c14n", comments: false } as const;

/** One top-level signature and where its new unsigned properties go. */
export interface XadesTarget {
  signature: XmlElement;
  qp: XmlElement;
  /** the UnsignedSignatureProperties, when there is one */
  usp: XmlElement | null;
}

interface Edit {
  at: number;
  text: string;
}

/** the 1.4.1 elements always carry their own declaration: nothing above them binds that namespace */
const V = "xadesv141:";
const V141_DECL = `xmlns:xadesv141="${XADES141_NS}"`;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

export function parseForExtension(bytes: Uint8Array): { doc: XmlDocument; targets: XadesTarget[] } {
  const doc = parseXml(bytes);
  const targets = findSignatures(doc).map((signature) => {
    let qp: XmlElement | null = null;
    for (const obj of signature.elements(DS_NS, "Object")) qp ??= obj.first(XADES_NS, "QualifyingProperties");
    if (!qp) throw new ExtendError("EXTEND_UNSUPPORTED", `signature ${signature.attr("Id") ?? ""} is plain XMLDSig (no xades:QualifyingProperties, XAdES 1.3.2): there is nowhere to put unsigned properties`);
    const up = qp.first(XADES_NS, "UnsignedProperties");
    return { signature, qp, usp: up?.first(XADES_NS, "UnsignedSignatureProperties") ?? null };
  });
  if (targets.length === 0) throw new ExtendError("EXTEND_UNSUPPORTED", "the XML document holds no ds:Signature");
  return { doc, targets };
}

/** A prefix (with the colon) bound to `ns` at `el`, or `fallback` declared on the new element. */
function prefixAt(el: XmlElement, ns: string, candidates: string[], fallback: string): { p: string; decl: string } {
  for (const c of candidates) if (el.lookupNamespace(c) === ns) return { p: c ? c + ":" : "", decl: "" };
  return { p: fallback + ":", decl: ` xmlns:${fallback}="${ns}"` };
}

/**
 * An insertion at the end of the target's UnsignedSignatureProperties (made, with
 * UnsignedProperties, when missing). `render(x, ds, dsDecl)` writes the new properties with the
 * prefixes in scope there; `dsDecl` is a declaration the elements holding ds: children must carry
 * when no prefix is bound to the XMLDSig namespace at that point.
 */
function appendEdit(t: XadesTarget, render: (x: string, ds: string, dsDecl: string) => string): Edit {
  const up = t.qp.first(XADES_NS, "UnsignedProperties");
  const host = t.usp ?? up ?? t.qp;
  const x = prefixAt(host, XADES_NS, [...(t.usp ? [t.usp.prefix] : []), t.qp.prefix], "xades");
  const d = prefixAt(host, DS_NS, [t.signature.prefix, "ds"], "ds");
  const src = t.qp.source;
  const closeOf = (e: XmlElement): number | null => (src.slice(e.end - 2, e.end) === "/>" ? null : src.lastIndexOf("</", e.end - 1));
  if (t.usp) {
    const body = render(x.p, d.p, d.decl);
    const at = closeOf(t.usp);
    if (at === null) return { at: t.usp.end - 2, text: `>${body}</${t.usp.name}` };
    return { at, text: body };
  }
  // new wrappers carry the declarations the new properties need
  const decls = x.decl + (d.decl && d.p !== x.p ? d.decl : "");
  const body = render(x.p, d.p, "");
  const usp = (decl: string) => `<${x.p}UnsignedSignatureProperties${decl}>${body}</${x.p}UnsignedSignatureProperties>`;
  if (up) {
    // UnsignedSignatureProperties comes first in UnsignedProperties (XAdES schema)
    if (closeOf(up) === null) return { at: up.end - 2, text: `>${usp(decls)}</${up.name}` };
    return { at: up.tagEnd + 1, text: usp(decls) };
  }
  const at = closeOf(t.qp);
  if (at === null) throw new ExtendError("EXTEND_UNSUPPORTED", "xades:QualifyingProperties is empty");
  return { at, text: `<${x.p}UnsignedProperties${decls}>${usp("")}</${x.p}UnsignedProperties>` };
}

function applyEdits(doc: XmlDocument, edits: Edit[]): Buffer {
  let s = doc.source;
  for (const e of [...edits].sort((a, b) => b.at - a.at)) s = s.slice(0, e.at) + e.text + s.slice(e.at);
  // the source is UTF-8 as a binary string, whatever the declaration said: say so
  s = s.replace(/^(<\?xml[^?]*?encoding\s*=\s*)(["'])[^"']*\2/, "$1$2UTF-8$2");
  return Buffer.from(s, "latin1");
}

const idOf = (t: XadesTarget, what: string): string => `${what}-${createHash("sha256").update(t.signature.attr("Id") ?? String(t.signature.start)).update(String(Date.now()) + Math.random()).digest("hex").slice(0, 16)}`;

const timeStampXml = (x: string, ds: string, token: Uint8Array | string): string =>
  `<${ds}CanonicalizationMethod Algorithm="${EXC_C14N}"/><${x}EncapsulatedTimeStamp>${typeof token === "string" ? token : b64(token)}</${x}EncapsulatedTimeStamp>`;

/** §5.3: a SignatureTimeStamp over each signature's exc-c14n ds:SignatureValue, where none is yet. */
export async function addXadesSignatureTimestamps(bytes: Uint8Array, timestamper: Timestamper, fresh?: NewTimestamp[]): Promise<{ bytes: Buffer; added: number }> {
  const { doc, targets } = parseForExtension(bytes);
  const edits: Edit[] = [];
  for (const [index, t] of targets.entries()) {
    if (t.usp?.first(XADES_NS, "SignatureTimeStamp")) continue;
    const sv = t.signature.first(DS_NS, "SignatureValue");
    if (!sv) throw new ExtendError("EXTEND_UNSUPPORTED", "a ds:Signature without ds:SignatureValue");
    const data = canonicalOctets(sv, EXC);
    const token = await timestamper(data, "sha256");
    fresh?.push({ index, token, data });
    edits.push(appendEdit(t, (x, ds, dsDecl) => `<${x}SignatureTimeStamp${dsDecl} Id="${idOf(t, "SignatureTimeStamp")}">${timeStampXml(x, ds, token)}</${x}SignatureTimeStamp>`));
  }
  return { bytes: edits.length ? applyEdits(doc, edits) : Buffer.from(bytes), added: edits.length };
}

/** Marks what the signature already carries (KeyInfo, earlier values) so it is not added twice. */
export function markXadesPresent(t: XadesTarget, into: DataCollector): void {
  const walk = (e: XmlElement): void => {
    const l = e.local;
    if (l === "X509Certificate" || l === "EncapsulatedX509Certificate" || l === "EncapsulatedCRLValue" || l === "EncapsulatedOCSPValue") {
      into.already(Buffer.from(e.text().replace(/\s+/g, ""), "base64"));
    }
    for (const c of e.elements()) walk(c);
  };
  const ki = t.signature.first(DS_NS, "KeyInfo");
  if (ki) walk(ki);
  if (t.usp) walk(t.usp);
}

function valuesXml(x: string, data: ValidationData): string {
  let out = "";
  if (data.certificates.length) out += `<${x}CertificateValues>${data.certificates.map((c) => `<${x}EncapsulatedX509Certificate>${b64(c)}</${x}EncapsulatedX509Certificate>`).join("")}</${x}CertificateValues>`;
  if (data.crls.length || data.ocsp.length) {
    out += `<${x}RevocationValues>`;
    if (data.crls.length) out += `<${x}CRLValues>${data.crls.map((c) => `<${x}EncapsulatedCRLValue>${b64(c)}</${x}EncapsulatedCRLValue>`).join("")}</${x}CRLValues>`;
    // XAdES 1.3.2 §7.6.4: the value of an OCSPResponse (RFC 6960), DER
    if (data.ocsp.length) out += `<${x}OCSPValues>${data.ocsp.map((c) => `<${x}EncapsulatedOCSPValue>${b64(c)}</${x}EncapsulatedOCSPValue>`).join("")}</${x}OCSPValues>`;
    out += `</${x}RevocationValues>`;
  }
  return out;
}

const isEmpty = (d: ValidationData): boolean => d.certificates.length + d.crls.length + d.ocsp.length === 0;

/**
 * §5.4: the signer's path data as CertificateValues/RevocationValues (when the signature has
 * none yet), the time-stamps' (and anything later) as a xadesv141:TimeStampValidationData.
 * `perSignature[i]` is for the i-th top-level signature.
 */
export function addXadesValidationData(bytes: Uint8Array, perSignature: ReadonlyArray<{ signer: ValidationData; timestamps: ValidationData }>): { bytes: Buffer; added: number } {
  const { doc, targets } = parseForExtension(bytes);
  const edits: Edit[] = [];
  let added = 0;
  targets.forEach((t, i) => {
    const d = perSignature[i];
    if (!d) return;
    const hasValues = !!(t.usp?.first(XADES_NS, "CertificateValues") || t.usp?.first(XADES_NS, "RevocationValues"));
    const signerHere = hasValues ? null : d.signer;
    const later: ValidationData = hasValues
      ? { certificates: [...d.signer.certificates, ...d.timestamps.certificates], crls: [...d.signer.crls, ...d.timestamps.crls], ocsp: [...d.signer.ocsp, ...d.timestamps.ocsp] }
      : d.timestamps;
    if ((!signerHere || isEmpty(signerHere)) && isEmpty(later)) return;
    for (const v of [signerHere, later]) if (v) added += v.certificates.length + v.crls.length + v.ocsp.length;
    edits.push(
      appendEdit(t, (x) => {
        let out = signerHere && !isEmpty(signerHere) ? valuesXml(x, signerHere) : "";
        if (!isEmpty(later)) out += `<${V}TimeStampValidationData ${V141_DECL} Id="${idOf(t, "TimeStampValidationData")}">${valuesXml(x, later)}</${V}TimeStampValidationData>`;
        return out;
      }),
    );
  });
  return { bytes: edits.length ? applyEdits(doc, edits) : Buffer.from(bytes), added };
}

/**
 * §5.5.2: a xadesv141:ArchiveTimeStamp for each signature, one signature at a time (another
 * signature's references may cover this one's properties). The element is first written with a
 * placeholder, so that `dataFor(doc, signature, ats)` sees the document as it will be (the
 * properties before `ats` are what it covers); then the token replaces the placeholder.
 */
export async function addXadesArchiveTimestamps(
  bytes: Uint8Array,
  timestamper: Timestamper,
  dataFor: (doc: XmlDocument, signature: XmlElement, ats: XmlElement) => Uint8Array,
): Promise<{ bytes: Buffer; added: number }> {
  let cur = Buffer.from(bytes);
  const n = parseForExtension(cur).targets.length;
  for (let i = 0; i < n; i++) {
    const { doc, targets } = parseForExtension(cur);
    const t = targets[i]!;
    const id = idOf(t, "ArchiveTimeStamp");
    const marker = `PODPIS-PENDING-${id}`;
    const pending = applyEdits(doc, [appendEdit(t, (x, ds, dsDecl) => `<${V}ArchiveTimeStamp ${V141_DECL}${dsDecl} Id="${id}">${timeStampXml(x, ds, marker)}</${V}ArchiveTimeStamp>`)]);
    const next = parseForExtension(pending);
    const sig = next.targets[i]!.signature;
    const ats = next.targets[i]!.usp?.elements(XADES141_NS, "ArchiveTimeStamp").find((e) => e.attr("Id") === id);
    if (!ats) throw new ExtendError("EXTEND_UNSUPPORTED", "the archive time-stamp could not be placed");
    const token = await timestamper(dataFor(next.doc, sig, ats), "sha256");
    const text = pending.toString("latin1");
    const at = text.indexOf(marker);
    cur = Buffer.from(text.slice(0, at) + b64(token) + text.slice(at + marker.length), "latin1");
  }
  return { bytes: cur, added: n };
}
