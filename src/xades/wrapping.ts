/**
 * Signature wrapping in every packaging (issue 12): where a reference's target may be, which Id
 * lookups a schema allows, Ids the signature's own parts share with anything else, and what a
 * ds:Manifest's references amount to. The enveloped-form defences (one element per Id,
 * SIGNED_DATA_HIDDEN in check.ts) are the same mechanism, extended here to enveloping and
 * detached forms and to manifests.
 */
import { QUALIFYING_PROPERTIES_NS, XADES141_NS } from "./properties.js";
import { DS_NS, type DetachedContent, type DigestMeter, type ReferenceOutcome, type Signature, XmlDsigFormatError, processReferences, readReferences } from "./xmldsig.js";
import { type XmlDocument, XmlElement, elementPath } from "./xml.js";

export const OBJECT_TYPE = "http://www.w3.org/2000/09/xmldsig#Object";
export const MANIFEST_TYPE = "http://www.w3.org/2000/09/xmldsig#Manifest";

/** XAdES 1.1.1 to 1.4.1 name the SignedProperties reference type with or without a version. */
export function isSignedPropertiesType(type: string | null): boolean {
  return type !== null && /^http:\/\/uri\.etsi\.org\/01903(\/v1\.[0-9.]+)?#SignedProperties$/.test(type);
}

function isDs(e: XmlElement | null, local: string): boolean {
  return e !== null && e.ns === DS_NS && e.local === local;
}

function within(e: XmlElement, local: string): XmlElement | null {
  for (let p: XmlElement | null = e; p; p = p.parent) if (isDs(p, local)) return p;
  return null;
}

/**
 * What is wrong with where a same-document reference led, or null. XMLDSig's schema puts a
 * ds:Object directly in a ds:Signature (§4.5) and a ds:Manifest directly in a ds:Object (§5.1);
 * a signed Type says which of the two the target is; nothing in a SignedInfo carries content; and
 * ds: and XAdES elements are identified by their `Id` attribute only, never `ID` or `id`.
 */
export function placementProblem(o: ReferenceOutcome): string | null {
  const t = o.dereferenced;
  if (!(t instanceof XmlElement)) return null;
  const uri = o.reference.uri ?? "";
  const xp = /^#xpointer\(id\((['"])([^'"]*)\1\)\)$/.exec(uri);
  const id = xp ? xp[2]! : uri.startsWith("#") && !uri.startsWith("#xpointer(") && uri.length > 1 ? uri.slice(1) : null;
  // (the path only for a message: most references have no problem)
  const path = { toString: () => elementPath(t) };
  if (within(t, "SignedInfo")) return `reference ${uri}: its target ${path} lies inside a ds:SignedInfo`;
  if (id !== null && (t.ns === DS_NS || QUALIFYING_PROPERTIES_NS.has(t.ns) || t.ns === XADES141_NS) && t.attr("Id") !== id) {
    return `reference ${uri}: ${path} is found by an attribute its schema does not declare an ID (only Id is)`;
  }
  const type = o.reference.type;
  const manifest = isDs(t, "Manifest");
  const inSignature = within(t.parent ?? t, "Signature");
  if (type === MANIFEST_TYPE && !manifest) return `reference ${uri} is typed Manifest, but its target ${path} is no ds:Manifest`;
  // (producers type a reference to the signature's own KeyInfo or SignatureProperties "Object" too)
  if (type === OBJECT_TYPE && !isDs(t, "Object") && !(t.ns === DS_NS && inSignature)) return `reference ${uri} is typed Object, but its target ${path} is no ds:Object`;
  // inside a signature, the schema's places only; outside one (a national envelope) the reader sees it anyway
  if (inSignature && manifest && !(isDs(t.parent, "Object") && isDs(t.parent!.parent, "Signature"))) return `the ds:Manifest ${path} is not where XMLDSig puts one (in a ds:Object of a ds:Signature)`;
  if (inSignature && isDs(t, "Object") && !isDs(t.parent, "Signature")) return `the ds:Object ${path} is not where XMLDSig puts one (a child of a ds:Signature)`;
  return null;
}

/**
 * Ids that the signature's own elements share with another element anywhere in the document: a
 * reader resolving one of them may be shown the other (a look-alike QualifyingProperties, Object
 * or Manifest). One pass over the document's Ids, only the repeated ones looked at.
 */
export function sharedIds(doc: XmlDocument, sig: XmlElement): string[] {
  const out: string[] = [];
  for (const [id, els] of doc.ids) {
    if (els.length < 2) continue;
    if (els.some((e) => e === sig || e.isDescendantOf(sig))) out.push(id);
  }
  return out;
}

/** A signed ds:Manifest's own references, dereferenced and digested under the same budgets. */
export interface ManifestOutcome {
  manifest: XmlElement;
  outcomes: ReferenceOutcome[];
}

export function processManifest(
  doc: XmlDocument,
  sig: Signature,
  manifest: XmlElement,
  contents: readonly DetachedContent[],
  meter: DigestMeter,
  /** references still allowed (the budget's xmlReferences less those already read) */
  maxRefs: number,
): ManifestOutcome {
  const refs = readReferences(manifest, maxRefs);
  if (refs.length === 0) throw new XmlDsigFormatError("a signed ds:Manifest without ds:Reference");
  return { manifest, outcomes: processReferences(doc, sig, contents, meter, refs) };
}
