/**
 * What XAdES long-term time-stamps are over, as octets:
 * - xadesv141:ArchiveTimeStamp (EN 319 132-1 §5.5.2; TS 101 903 v1.4.1 §8.2.1): every
 *   ds:Reference processed (XMLDSig §4.4.3.2; a node-set result canonicalized by the time-stamp's
 *   c14n), ds:SignedInfo, ds:SignatureValue, ds:KeyInfo, the unsigned signature properties before
 *   the time-stamp in document order, and every ds:Object but the QualifyingProperties one;
 * - XAdES 1.3.2 ArchiveTimeStamp (TS 101 903 v1.3.2 §7.7.1): the same, with only the ds:Objects
 *   no reference points at;
 * - SigAndRefsTimeStamp (§7.5.1) and RefsOnlyTimeStamp (§7.5.2) of the X forms.
 * The signature time-stamp's data (canonical SignatureValue) is xades/check.ts's.
 */
import { type C14nOptions, c14nAlgorithm, canonicalOctets } from "../xades/c14n.js";
import { XADES141_NS, findQualifyingProperties } from "../xades/properties.js";
import { type DetachedContent, DS_NS, type Reference, type Signature, XmlDsigFormatError, decodeBase64, parseSignature, resolveId } from "../xades/xmldsig.js";
import { type XmlDocument, XmlElement, parseXml } from "../xades/xml.js";

export type XadesArchiveForm = "1.4.1" | "1.3.2";

interface NodeSet {
  apex: XmlDocument | XmlElement;
  exclude: Set<XmlElement>;
  allSignatures: boolean;
  comments: boolean;
}

/** Every ds:Signature of the document (for the XPath `not(ancestor-or-self::ds:Signature)`). */
function signaturesIn(doc: XmlDocument): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.ns === DS_NS && e.local === "Signature") out.push(e);
    for (const c of e.children) if (c.type === 1) walk(c);
  };
  walk(doc.root);
  return out;
}

function canonical(doc: XmlDocument, ns: NodeSet, c14n: C14nOptions): Buffer {
  const exclude = new Set(ns.exclude);
  if (ns.allSignatures) for (const s of signaturesIn(doc)) exclude.add(s);
  return canonicalOctets(ns.apex, { ...c14n, comments: c14n.comments && ns.comments, exclude: exclude.size ? exclude : null });
}

function detachedFor(ref: Reference, contents: readonly DetachedContent[]): Uint8Array {
  const uri = ref.uri;
  const base = (s: string) => s.replace(/^.*[/\\]/, "");
  const named = contents.find((c) => c.bytes && c.name !== undefined && uri !== null && (c.name === uri || base(c.name) === base(decodeURIComponentSafe(uri))));
  const c = named ?? (contents.length === 1 ? contents[0] : undefined);
  if (!c?.bytes) throw new XmlDsigFormatError(`the archive time-stamp covers detached content "${uri ?? ""}", which was not given as bytes`);
  return c.bytes;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A reference's output (XMLDSig §4.4.3.2): octets, or a node-set canonicalized with `c14n`
 * (the time-stamp's), as the archive time-stamp takes it.
 */
export function referenceOutput(doc: XmlDocument, sig: Signature, ref: Reference, contents: readonly DetachedContent[], c14n: C14nOptions): Buffer {
  let data: NodeSet | Buffer;
  const uri = ref.uri;
  if (uri === null || (uri !== "" && !uri.startsWith("#"))) data = Buffer.from(detachedFor(ref, contents));
  else if (uri === "" || uri === "#xpointer(/)") data = { apex: doc, exclude: new Set(), allSignatures: false, comments: uri !== "" };
  else {
    const xp = /^#xpointer\(id\((['"])([^'"]*)\1\)\)$/.exec(uri);
    data = { apex: resolveId(doc, xp ? xp[2]! : uri.slice(1)), exclude: new Set(), allSignatures: false, comments: !!xp };
  }
  for (const t of ref.transforms) {
    switch (t.kind) {
      case "enveloped":
        if (Buffer.isBuffer(data)) throw new XmlDsigFormatError("enveloped-signature transform on octets");
        data.exclude.add(sig.element);
        break;
      case "exclude-signatures":
        if (Buffer.isBuffer(data)) throw new XmlDsigFormatError("XPath transform on octets");
        data.allSignatures = true;
        break;
      case "c14n":
        if (Buffer.isBuffer(data)) {
          const parsed = parseXml(data);
          data = canonicalOctets(parsed, t.c14n);
        } else data = canonical(doc, data, t.c14n);
        break;
      case "base64": {
        const text = Buffer.isBuffer(data) ? data.toString("latin1") : textOf(data);
        data = Buffer.from(decodeBase64(text, "base64 transform input"));
        break;
      }
    }
  }
  return Buffer.isBuffer(data) ? data : canonical(doc, data, c14n);
}

function textOf(ns: NodeSet): string {
  const walk = (e: XmlElement): string => {
    if (ns.exclude.has(e)) return "";
    let s = "";
    for (const c of e.children) {
      if (c.type === 3) s += c.value;
      else if (c.type === 1) s += walk(c);
    }
    return s;
  };
  return walk("root" in ns.apex ? ns.apex.root : ns.apex);
}

/** The unsigned signature properties before `ts` (its parent's element children), in document order. */
function propertiesBefore(ts: XmlElement): XmlElement[] {
  const parent = ts.parent;
  if (!parent) return [];
  const out: XmlElement[] = [];
  for (const c of parent.children) {
    if (c === ts) break;
    if (c.type === 1) out.push(c);
  }
  return out;
}

function isQualifyingObject(obj: XmlElement): boolean {
  return obj.elements().some((e) => e.local === "QualifyingProperties");
}

/** The octets an archive time-stamp's message imprint is the digest of (validation: `ts` is in the document). */
export function archiveTimestampData(
  doc: XmlDocument,
  sig: Signature,
  ts: XmlElement,
  c14n: C14nOptions,
  contents: readonly DetachedContent[] = [],
  form: XadesArchiveForm = ts.ns === XADES141_NS ? "1.4.1" : "1.3.2",
): Buffer {
  return archiveData(doc, sig, propertiesBefore(ts), c14n, contents, form);
}

/**
 * Creation (`extend`, renewal): the octets a new xadesv141:ArchiveTimeStamp, to be appended as
 * the last child of the signature's UnsignedSignatureProperties, must time-stamp — every unsigned
 * signature property present now is covered (previous archive time-stamps and
 * TimeStampValidationData too). `c14nUri`: what the new time-stamp's ds:CanonicalizationMethod names.
 */
export function newArchiveTimestampData(doc: XmlDocument, signatureElement: XmlElement, c14nUri: string, contents: readonly DetachedContent[] = []): Buffer {
  const c14n = c14nAlgorithm(c14nUri);
  if (!c14n) throw new XmlDsigFormatError(`unsupported canonicalization ${c14nUri}`);
  const sig = parseSignature(signatureElement);
  const qp = findQualifyingProperties(sig);
  if (!qp) throw new XmlDsigFormatError("the signature has no xades:QualifyingProperties");
  const usp = qp.first(qp.ns, "UnsignedProperties")?.first(qp.ns, "UnsignedSignatureProperties");
  return archiveData(doc, sig, usp ? usp.elements() : [], { ...c14n }, contents, "1.4.1");
}

function archiveData(doc: XmlDocument, sig: Signature, before: readonly XmlElement[], c14n: C14nOptions, contents: readonly DetachedContent[], form: XadesArchiveForm): Buffer {
  const parts: Buffer[] = sig.references.map((r) => referenceOutput(doc, sig, r, contents, c14n));
  parts.push(canonicalOctets(sig.signedInfo, c14n), canonicalOctets(sig.signatureValueElement, c14n));
  if (sig.keyInfo) parts.push(canonicalOctets(sig.keyInfo, c14n));
  for (const p of before) parts.push(canonicalOctets(p, c14n));
  const referenced = new Set(sig.references.map((r) => (r.uri?.startsWith("#") ? r.uri.slice(1) : null)).filter((x): x is string => x !== null));
  for (const obj of sig.objects) {
    if (isQualifyingObject(obj)) continue;
    const id = obj.attr("Id");
    if (form === "1.3.2" && id && referenced.has(id)) continue;
    parts.push(canonicalOctets(obj, c14n));
  }
  return Buffer.concat(parts);
}

const REFS = new Set(["CompleteCertificateRefs", "CompleteCertificateRefsV2", "CompleteRevocationRefs", "AttributeCertificateRefs", "AttributeCertificateRefsV2", "AttributeRevocationRefs"]);
const SIG_TIMESTAMPS = new Set(["SignatureTimeStamp"]);

/** SigAndRefsTimeStamp(V2) (TS 101 903 §7.5.1): SignatureValue, then the signature time-stamps and refs before it. */
export function sigAndRefsTimestampData(sig: Signature, ts: XmlElement, c14n: C14nOptions): Buffer {
  const parts = [canonicalOctets(sig.signatureValueElement, c14n)];
  for (const p of propertiesBefore(ts)) if (SIG_TIMESTAMPS.has(p.local) || REFS.has(p.local)) parts.push(canonicalOctets(p, c14n));
  return Buffer.concat(parts);
}

/** RefsOnlyTimeStamp(V2) (TS 101 903 §7.5.2): the refs properties before it. */
export function refsOnlyTimestampData(ts: XmlElement, c14n: C14nOptions): Buffer {
  return Buffer.concat(propertiesBefore(ts).filter((p) => REFS.has(p.local)).map((p) => canonicalOctets(p, c14n)));
}

export { XmlElement };
