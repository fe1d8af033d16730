/**
 * XMLDSig core (W3C XML Signature 1.1): read a ds:Signature, dereference and digest its
 * References (§4.4.3, §4.4.3.2 reference processing model), canonicalize SignedInfo and check
 * the SignatureValue.
 *
 * Safety against signature wrapping: same-document references resolve only through the
 * document's own ID-like attributes, and an ID that occurs more than once makes every reference
 * to it a format failure (there is no telling which element was meant). What each reference
 * covers is reported as a path into the document, so the caller can see exactly what was signed.
 */
import { createHash, type KeyObject } from "node:crypto";
import { PodpisError } from "../errors/base.js";
import { type SignatureAlgorithm, verifySignature } from "../pki/algorithms.js";
import { type C14nOptions, EXC_C14N_NS, c14nAlgorithm, canonicalBinary, canonicalDigest, canonicalOctets } from "./c14n.js";
import { PSS_NS, digestName, RSA_PSS_PARAMS_URI, SIGNATURE_URIS, type XmlSignatureAlgorithm, ecdsaRawToDer } from "./algorithms.js";
import { type XmlDocument, type XmlElement, XmlError, elementPath, parseXml } from "./xml.js";
import { digestBinary, digestOctets } from "./binary.js";
import { DEFAULT_VALIDATION_BUDGET, LimitExceededError } from "../limits/budgets.js";
import { FILTER2_NS, type FilterStep, applyFilters, readFilterSteps } from "./filter2.js";
import { XPathError } from "./xpath.js";

export const DS_NS = "http://www.w3.org/2000/09/xmldsig#";
export const ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
export const BASE64_TRANSFORM = "http://www.w3.org/2000/09/xmldsig#base64";
export const XPATH_TRANSFORM = "http://www.w3.org/TR/1999/REC-xpath-19991116";

/** What makes a signature unreadable (EN 319 102-1 FORMAT_FAILURE) rather than invalid. */
export class XmlDsigFormatError extends PodpisError<"FORMAT_FAILURE"> {
  readonly code = "FORMAT_FAILURE";
  constructor(message: string) {
    super(message);
    this.name = "XmlDsigFormatError";
  }
}

export type Transform =
  | { kind: "enveloped" }
  | { kind: "c14n"; c14n: C14nOptions; uri: string }
  | { kind: "base64" }
  /** XPath `not(ancestor-or-self::ds:Signature)`: every ds:Signature element is left out */
  | { kind: "exclude-signatures" }
  /** XPath Filter 2.0 (filter2.ts) */
  | { kind: "filter2"; steps: FilterStep[] };

export interface Reference {
  element: XmlElement;
  id: string | null;
  /** null when the URI attribute is absent (the application supplies the data) */
  uri: string | null;
  type: string | null;
  transforms: Transform[];
  digestUri: string;
  /** Node digest name */
  digest: string;
  digestValue: Buffer;
}

export interface Signature {
  element: XmlElement;
  id: string | null;
  signedInfo: XmlElement;
  c14n: C14nOptions;
  c14nUri: string;
  algorithm: XmlSignatureAlgorithm;
  signatureValue: Buffer;
  signatureValueElement: XmlElement;
  references: Reference[];
  /** DER certificates in KeyInfo/X509Data, in document order */
  keyInfoCertificates: Buffer[];
  keyInfo: XmlElement | null;
  objects: XmlElement[];
}

/**
 * A detached content with the name the reference URI is matched against: its bytes, or digests
 * of it computed while streaming a large file (usable for references without transforms).
 */
export interface DetachedContent {
  name?: string;
  bytes?: Uint8Array;
  /** Node digest name → digest */
  digests?: Readonly<Record<string, Uint8Array>>;
}

export type SignedDataKind = "whole-document" | "element" | "detached" | "external";

export interface ReferenceOutcome {
  reference: Reference;
  /** the digest matched */
  ok: boolean;
  /** FORMAT_FAILURE (bad reference), SIGNED_DATA_NOT_FOUND, or null when the digest was computed */
  error: { code: "FORMAT_FAILURE" | "SIGNED_DATA_NOT_FOUND"; message: string } | null;
  kind: SignedDataKind;
  /** element path, "" for the document, or the URI of detached content */
  ref: string;
  /** the element (or the document) the reference's node-set is, after its transforms */
  target: XmlElement | XmlDocument | null;
  /** the element (or the document) the URI dereferenced to, before any transform */
  dereferenced: XmlElement | XmlDocument | null;
  /** element subtrees the transforms left out (enveloped signature) */
  excluded: XmlElement[];
  /** all ds:Signature elements left out (the XPath transform) */
  excludesAllSignatures: boolean;
  /** SHA-256 of the octets that were digested */
  sha256: string;
  /** the digest computed with the reference's DigestMethod (null when none could be) */
  computed: Buffer | null;
}

export interface VerifyBudget {
  /** references per signature; default the budget's xmlReferences */
  maxReferences: number;
  /** characters canonicalized or bytes digested over a whole verification */
  maxDigestBytes: number;
}

// ---------------------------------------------------------------------------
// reading

/** Top-level ds:Signature elements (a signature nested in another one's content is that one's business). */
export function findSignatures(doc: XmlDocument): XmlElement[] {
  const out: XmlElement[] = [];
  collectSignatures(doc.root, out);
  return out;
}

function collectSignatures(e: XmlElement, out: XmlElement[]): void {
  if (e.ns === DS_NS && e.local === "Signature") {
    out.push(e);
    return;
  }
  // (a collapsed subtree holds no XMLDSig element: xml/collapse.ts)
  if (e.collapsed !== null) return;
  const children = e.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (c.type === 1) collectSignatures(c, out);
  }
}

function only(parent: XmlElement, local: string, required: true): XmlElement;
function only(parent: XmlElement, local: string, required: false): XmlElement | null;
function only(parent: XmlElement, local: string, required: boolean): XmlElement | null {
  let found: XmlElement | null = null;
  for (const c of parent.children) {
    if (c.type === 1 && c.ns === DS_NS && c.local === local) {
      if (found) throw new XmlDsigFormatError(`more than one ds:${local} in ds:${parent.local}`);
      found = c;
    }
  }
  if (!found && required) throw new XmlDsigFormatError(`ds:${parent.local} has no ds:${local}`);
  return found;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;


/**
 * Long base64 values already decoded (certificates and CRLs repeat from one signature to the
 * next), by their text. Looked up by length and tail, confirmed by comparing the whole text:
 * hashing kilobytes of text for a Map key would cost more than the lookup saves. The buffers
 * handed out are shared: callers must not write to them.
 */
const decodedBase64 = new Map<string, Array<{ text: string; bytes: Buffer }>>();
let decodedBase64Bytes = 0;

function base64Key(text: string): string {
  return text.length + ":" + text.slice(text.length - 40);
}

/** base64Binary content (XML Schema): whitespace ignored, anything else strict. */
export function decodeBase64(text: string, what: string): Buffer {
  const long = text.length >= 512 && text.length <= 65_536;
  let key = "";
  if (long) {
    key = base64Key(text);
    const bucket = decodedBase64.get(key);
    if (bucket) for (const e of bucket) if (e.text === text) return e.bytes;
  }
  const t = /[ \t\n\r]/.test(text) ? text.replace(/[ \t\n\r]+/g, "") : text;
  if (t.length % 4 !== 0 || !B64.test(t)) throw new XmlDsigFormatError(`${what} is not valid base64`);
  const out = Buffer.from(t, "base64");
  if (long) {
    if (decodedBase64.size >= 1_000 || decodedBase64Bytes > 16 * 1024 * 1024) {
      decodedBase64.clear();
      decodedBase64Bytes = 0;
    }
    // a copy of the text: a slice would keep the whole document it came from alive
    const entry = { text: Buffer.from(text, "latin1").toString("latin1"), bytes: out };
    const bucket = decodedBase64.get(key);
    if (bucket && bucket.length < 8) bucket.push(entry);
    else decodedBase64.set(key, [entry]);
    decodedBase64Bytes += text.length + out.length;
  }
  return out;
}

function c14nOf(el: XmlElement, what: string): { c14n: C14nOptions; uri: string } {
  const uri = el.attr("Algorithm");
  if (!uri) throw new XmlDsigFormatError(`${what} without an Algorithm`);
  const alg = c14nAlgorithm(uri);
  if (!alg) throw new XmlDsigFormatError(`unsupported canonicalization ${uri}`);
  const c14n: C14nOptions = { ...alg };
  if (alg.method === "exc-c14n") {
    const inc = el.first(EXC_C14N_NS, "InclusiveNamespaces");
    const list = inc?.attr("PrefixList");
    if (list) c14n.inclusivePrefixes = list.split(/[ \t\n]+/).filter(Boolean);
  }
  return { c14n, uri };
}

function signatureMethod(el: XmlElement): XmlSignatureAlgorithm {
  const uri = el.attr("Algorithm");
  if (!uri) throw new XmlDsigFormatError("ds:SignatureMethod without an Algorithm");
  if (el.first(DS_NS, "HMACOutputLength") || uri.includes("hmac")) throw new XmlDsigFormatError("HMAC signatures are not electronic signatures");
  const fixed = SIGNATURE_URIS.get(uri);
  if (fixed) return fixed;
  if (uri === RSA_PSS_PARAMS_URI) return pssParams(el, uri);
  throw new XmlDsigFormatError(`unsupported signature algorithm ${uri}`);
}

/** RFC 9231 §2.3.10 RSAPSSParams: DigestMethod (default SHA-256), MGF (MGF1 with that digest), SaltLength, TrailerField 1 */
function pssParams(el: XmlElement, uri: string): XmlSignatureAlgorithm {
  const p = el.first(PSS_NS, "RSAPSSParams");
  let hash = "sha256";
  let saltLength: number | null = null;
  if (p) {
    const dm = p.first(DS_NS, "DigestMethod");
    if (dm) {
      const h = digestName(dm.attr("Algorithm"));
      if (!h) throw new XmlDsigFormatError(`unsupported RSA-PSS digest ${dm.attr("Algorithm")}`);
      hash = h;
    }
    const mgf = p.first(PSS_NS, "MaskGenerationFunction");
    if (mgf) {
      const mdm = mgf.first(DS_NS, "DigestMethod");
      const mh = mdm ? digestName(mdm.attr("Algorithm")) : hash;
      if (mh !== hash) throw new XmlDsigFormatError("RSA-PSS with an MGF1 digest other than the message digest");
    }
    const sl = p.first(PSS_NS, "SaltLength");
    if (sl) {
      const t = sl.text().trim();
      if (!/^[0-9]{1,4}$/.test(t)) throw new XmlDsigFormatError("bad RSA-PSS SaltLength");
      saltLength = Number(t);
    }
    const tf = p.first(PSS_NS, "TrailerField");
    if (tf && tf.text().trim() !== "1") throw new XmlDsigFormatError("RSA-PSS TrailerField other than 1");
  }
  const hashLen = createHash(hash).digest().length;
  return { uri, scheme: "rsa-pss", hash, saltLength: saltLength ?? hashLen, name: `RSASSA-PSS-${hash}` };
}

const SIG_XPATH = /^not\(ancestor-or-self::([A-Za-z_][\w.-]*):Signature\)$/;

function transformsOf(ref: XmlElement): Transform[] {
  const ts = only(ref, "Transforms", false);
  if (!ts) return [];
  const out: Transform[] = [];
  for (const t of ts.children) {
    if (t.type !== 1) continue;
    if (t.ns !== DS_NS || t.local !== "Transform") throw new XmlDsigFormatError(`unexpected ${t.name} in ds:Transforms`);
    const uri = t.attr("Algorithm");
    if (!uri) throw new XmlDsigFormatError("ds:Transform without an Algorithm");
    if (uri === ENVELOPED_SIGNATURE) out.push({ kind: "enveloped" });
    else if (uri === BASE64_TRANSFORM) out.push({ kind: "base64" });
    else if (c14nAlgorithm(uri)) out.push({ kind: "c14n", ...c14nOf(t, "ds:Transform") });
    else if (uri === XPATH_TRANSFORM) {
      // Only the one XPath that multi-signature forms use; general XPath is not evaluated.
      const xp = t.first(DS_NS, "XPath");
      const expr = xp ? xp.text().replace(/\s+/g, "") : "";
      const m = SIG_XPATH.exec(expr);
      if (!m || xp!.lookupNamespace(m[1]!) !== DS_NS) throw new XmlDsigFormatError(`unsupported XPath transform "${expr}"`);
      out.push({ kind: "exclude-signatures" });
    } else if (uri === FILTER2_NS) {
      try {
        out.push({ kind: "filter2", steps: readFilterSteps(t) });
      } catch (e) {
        if (e instanceof XPathError) throw new XmlDsigFormatError(e.message);
        throw e;
      }
    } else throw new XmlDsigFormatError(`unsupported transform ${uri}`);
  }
  return out;
}

/** The ds:Reference children of a ds:SignedInfo or ds:Manifest (XMLDSig §4.4.3, §5.1), at most maxRefs of them. */
export function readReferences(container: XmlElement, maxRefs: number): Reference[] {
  const references: Reference[] = [];
  // counted before any of them is read: a plausible number is the cheapest check there is
  let count = 0;
  for (const r of container.children) if (r.type === 1 && r.ns === DS_NS && r.local === "Reference") count++;
  if (count > maxRefs) throw new LimitExceededError("xmlReferences", maxRefs, count, `ds:${container.local} holds ${count} references, more than the limit of ${maxRefs}`);
  for (const r of container.children) {
    if (r.type !== 1 || r.ns !== DS_NS || r.local !== "Reference") continue;
    const dm = only(r, "DigestMethod", true);
    const digestUri = dm.attr("Algorithm") ?? "";
    const digest = digestName(digestUri);
    if (!digest) throw new XmlDsigFormatError(`unsupported digest algorithm ${digestUri || "(none)"}`);
    const digestValue = decodeBase64(only(r, "DigestValue", true).rawText(), "ds:DigestValue");
    // a DigestValue of the wrong length is one that does not match (HASH_FAILURE), as DSS reads it
    references.push({ element: r, id: r.attr("Id"), uri: r.attr("URI"), type: r.attr("Type"), transforms: transformsOf(r), digestUri, digest, digestValue });
  }
  return references;
}

export function parseSignature(el: XmlElement, budget?: Partial<VerifyBudget>): Signature {
  const signedInfo = only(el, "SignedInfo", true);
  if (el.elements()[0] !== signedInfo) throw new XmlDsigFormatError("ds:SignedInfo must be the first child of ds:Signature");
  const sve = only(el, "SignatureValue", true);
  const { c14n, uri: c14nUri } = c14nOf(only(signedInfo, "CanonicalizationMethod", true), "ds:CanonicalizationMethod");
  const algorithm = signatureMethod(only(signedInfo, "SignatureMethod", true));
  const references = readReferences(signedInfo, budget?.maxReferences ?? DEFAULT_VALIDATION_BUDGET.xmlReferences);
  if (references.length === 0) throw new XmlDsigFormatError("ds:SignedInfo has no ds:Reference");
  const keyInfo = only(el, "KeyInfo", false);
  const keyInfoCertificates: Buffer[] = [];
  if (keyInfo) {
    for (const xd of keyInfo.elements(DS_NS, "X509Data")) {
      for (const c of xd.elements(DS_NS, "X509Certificate")) keyInfoCertificates.push(decodeBase64(c.rawText(), "ds:X509Certificate"));
    }
  }
  return {
    element: el,
    id: el.attr("Id"),
    signedInfo,
    c14n,
    c14nUri,
    algorithm,
    signatureValue: decodeBase64(sve.rawText(), "ds:SignatureValue"),
    signatureValueElement: sve,
    references,
    keyInfoCertificates,
    keyInfo,
    objects: el.elements(DS_NS, "Object"),
  };
}

// ---------------------------------------------------------------------------
// references

/** Resolves a same-document ID: exactly one element must carry it. */
export function resolveId(doc: XmlDocument, id: string): XmlElement {
  const hits = doc.ids.get(id);
  if (!hits || hits.length === 0) throw new XmlDsigFormatError(`no element with ID "${id}"`);
  if (hits.length > 1) throw new XmlDsigFormatError(`ID "${id}" occurs ${hits.length} times (possible signature wrapping)`);
  return hits[0]!;
}

interface NodeSet {
  apex: XmlDocument | XmlElement;
  comments: boolean;
  exclude: Set<XmlElement>;
  excludeAllSignatures: boolean;
  /** the apex's own tags are left out (XPath Filter 2.0 `id('x')/node()`) */
  contentOnly: boolean;
  /** a filter left nothing: no octets */
  empty: boolean;
}

function nodeSet(apex: XmlDocument | XmlElement, comments: boolean): NodeSet {
  return { apex, comments, exclude: new Set(), excludeAllSignatures: false, contentOnly: false, empty: false };
}

/**
 * Where the digesting stands: a budget shared by all references of a verification, charged
 * *before* each piece of work by its size (the source span of what is canonicalized, the length
 * of what is digested), so that an over-budget reference costs nothing; and the point where a
 * verification stops when its caller has gone away (the signal, checked at every charge).
 */
export class DigestMeter {
  used = 0;
  constructor(
    readonly limit: number,
    readonly signal?: AbortSignal,
  ) {}
  /** Charges n octets of work about to be done; throws (LimitExceededError, or the abort reason) instead. */
  add(n: number): void {
    this.signal?.throwIfAborted();
    if (this.used + n > this.limit) throw new LimitExceededError("digestBytes", this.limit, this.used + n, `references would canonicalize or digest ${this.used + n} octets, more than the limit of ${this.limit}`);
    this.used += n;
  }
  /** After work charged as `charged`: what it really produced beyond that (canonical form can be longer than its source). */
  settle(charged: number, actual: number): void {
    if (actual > charged) this.add(actual - charged);
  }
}

/** What canonicalizing a node-set will cost, before it is done: the source span of its apex. */
function sourceSpan(apex: XmlDocument | XmlElement): number {
  return "root" in apex ? apex.source.length : apex.end - apex.start;
}

/**
 * Every ds:Signature of the document, for the XPath `not(ancestor-or-self::ds:Signature)`: found
 * once per document (a walk over all its elements, charged once), not once per reference.
 */
const signaturesOf = new WeakMap<XmlDocument, ReadonlySet<XmlElement>>();

function allSignatureSet(doc: XmlDocument, meter: DigestMeter): ReadonlySet<XmlElement> {
  let set = signaturesOf.get(doc);
  if (set === undefined) {
    meter.add(doc.elementCount);
    set = new Set(allSignatures(doc));
    signaturesOf.set(doc, set);
  }
  return set;
}

function allSignatures(doc: XmlDocument): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.type !== 1) continue;
      if (c.ns === DS_NS && c.local === "Signature") out.push(c);
      else if (c.collapsed === null) walk(c);
    }
  };
  if (doc.root.ns === DS_NS && doc.root.local === "Signature") out.push(doc.root);
  else walk(doc.root);
  return out;
}

/** The canonical node-set as a binary string (binary.ts): digested as latin1, no Buffer made. */
function nodeSetOctets(doc: XmlDocument, ns: NodeSet, c14n: C14nOptions, meter: DigestMeter): string {
  if (ns.empty) return "";
  const charged = sourceSpan(ns.apex);
  meter.add(charged);
  const octets = canonicalBinary(ns.apex, nodeSetC14n(doc, ns, c14n, meter));
  meter.settle(charged, octets.length);
  return octets;
}

function nodeSetC14n(doc: XmlDocument, ns: NodeSet, c14n: C14nOptions, meter: DigestMeter): C14nOptions {
  let exclude: ReadonlySet<XmlElement> = ns.exclude;
  if (ns.excludeAllSignatures) {
    const all = allSignatureSet(doc, meter);
    // (c14n sorts the excluded elements' offsets once per canonicalization)
    meter.add(all.size);
    if (exclude.size === 0) exclude = all;
    else {
      const both = new Set(all);
      for (const e of exclude) both.add(e);
      exclude = both;
    }
  }
  // (written out rather than spread: one object shape for every caller)
  return { method: c14n.method, comments: c14n.comments && ns.comments, inclusivePrefixes: c14n.inclusivePrefixes, exclude: exclude.size ? exclude : null, contentOnly: ns.contentOnly };
}

/** The SHA-256 digest of the canonical node-set, hashed as it is canonicalized (nodeSetOctets, then a digest). */
function nodeSetSha256(doc: XmlDocument, ns: NodeSet, c14n: C14nOptions, meter: DigestMeter): Buffer {
  if (ns.empty) return createHash("sha256").digest();
  const charged = sourceSpan(ns.apex);
  meter.add(charged);
  const { digest, length } = canonicalDigest(ns.apex, nodeSetC14n(doc, ns, c14n, meter), "sha256", doc);
  meter.settle(charged, length);
  return digest;
}

function stringValue(ns: NodeSet): string {
  if (ns.empty) return "";
  if ("root" in ns.apex) return stringValueOf(ns.apex.root, ns.exclude);
  return stringValueOf(ns.apex, ns.exclude);
}

function stringValueOf(el: XmlElement, exclude: Set<XmlElement>): string {
  if (exclude.has(el)) return "";
  let s = "";
  for (const c of el.children) {
    if (c.type === 3) s += c.value;
    else if (c.type === 1) s += stringValueOf(c, exclude);
  }
  return s;
}

function findContent(uri: string | null, contents: readonly DetachedContent[], externalCount: number): DetachedContent | null {
  if (uri !== null) {
    let name = uri;
    try {
      name = decodeURIComponent(uri);
    } catch {
      /* keep it as written */
    }
    const base = name.replace(/^.*[/\\]/, "");
    for (const c of contents) if (c.name !== undefined && (c.name === uri || c.name === name || c.name.replace(/^.*[/\\]/, "") === base)) return c;
  }
  const unnamed = contents.filter((c) => c.name === undefined);
  if (externalCount === 1 && contents.length === 1) return contents[0]!;
  if (externalCount === 1 && unnamed.length === 1) return unnamed[0]!;
  return null;
}

function isOctets(data: NodeSet | Buffer | string): data is Buffer | string {
  return typeof data === "string" || Buffer.isBuffer(data);
}

function digestOf(alg: string, data: Buffer | string): Buffer {
  return typeof data === "string" ? digestBinary(alg, data) : digestOctets(alg, data);
}

/** Dereferences, transforms and digests one Reference (XMLDSig §4.4.3.2). */
export function processReference(
  doc: XmlDocument,
  sig: Signature,
  ref: Reference,
  contents: readonly DetachedContent[],
  meter: DigestMeter,
  externalCount: number,
): ReferenceOutcome {
  const outcome: ReferenceOutcome = {
    reference: ref,
    ok: false,
    error: null,
    kind: "element",
    ref: "",
    target: null,
    dereferenced: null,
    excluded: [],
    excludesAllSignatures: false,
    sha256: "",
    computed: null,
  };
  try {
    // an octet stream is a Buffer, or a binary string (binary.ts) when it is canonical XML
    let data: NodeSet | Buffer | string;
    const uri = ref.uri;
    if (uri === null || (uri !== "" && !uri.startsWith("#"))) {
      outcome.kind = "detached";
      outcome.ref = uri ?? "";
      const c = findContent(uri, contents, externalCount);
      if (!c) {
        outcome.error = { code: "SIGNED_DATA_NOT_FOUND", message: `detached content for reference "${uri ?? ""}" was not supplied` };
        return outcome;
      }
      if (!c.bytes) {
        const d = c.digests?.[ref.digest];
        if (ref.transforms.length > 0 || !d) {
          outcome.error = { code: "SIGNED_DATA_NOT_FOUND", message: `detached content for reference "${uri ?? ""}" was given only as digests, and this reference needs ${ref.transforms.length ? "its bytes" : ref.digest}` };
          return outcome;
        }
        outcome.computed = Buffer.from(d);
        outcome.ok = outcome.computed.equals(ref.digestValue);
        outcome.sha256 = c.digests?.sha256 ? Buffer.from(c.digests.sha256).toString("hex") : "";
        return outcome;
      }
      data = Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
    } else if (uri === "" || uri === "#xpointer(/)" || uri === "#") {
      // "#" is a same-document reference with an empty fragment (RFC 3986 §4.4): the document, as ""
      outcome.kind = "whole-document";
      outcome.ref = "/";
      outcome.target = doc;
      outcome.dereferenced = doc;
      data = nodeSet(doc, uri !== "" && uri !== "#");
    } else {
      let id = uri.slice(1);
      let comments = false;
      const xp = /^xpointer\(id\((['"])([^'"]*)\1\)\)$/.exec(id);
      if (xp) {
        id = xp[2]!;
        comments = true;
      } else if (id.startsWith("xpointer(")) throw new XmlDsigFormatError(`unsupported XPointer ${uri}`);
      if (!doc.ids.has(id)) {
        // EN 319 102-1 §5.2.7: data that cannot be obtained is SIGNED_DATA_NOT_FOUND, not a malformed signature
        outcome.error = { code: "SIGNED_DATA_NOT_FOUND", message: `no element with ID "${id}" (reference ${uri})` };
        return outcome;
      }
      const el = resolveId(doc, id);
      outcome.target = el;
      outcome.dereferenced = el;
      outcome.ref = elementPath(el);
      data = nodeSet(el, comments);
    }

    // a SHA-256 reference whose last step is canonicalizing a node-set is digested as it is canonicalized
    const ts = ref.transforms;
    const last = ts.length - 1;
    const hashAtEnd = ref.digest === "sha256";
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (i === last && hashAtEnd && t.kind === "c14n" && !isOctets(data)) {
        return sha256Outcome(outcome, ref, nodeSetSha256(doc, data, t.c14n, meter));
      }
      switch (t.kind) {
        case "enveloped":
          if (isOctets(data)) throw new XmlDsigFormatError("enveloped-signature transform on octets");
          data.exclude.add(sig.element);
          outcome.excluded.push(sig.element);
          break;
        case "exclude-signatures":
          if (isOctets(data)) throw new XmlDsigFormatError("XPath transform on octets");
          data.excludeAllSignatures = true;
          outcome.excludesAllSignatures = true;
          break;
        case "c14n":
          if (isOctets(data)) {
            // an octet stream is parsed (hardened) and canonicalized as a document (XMLDSig §4.4.3.2)
            meter.add(data.length);
            const parsed = parseXml(typeof data === "string" ? Buffer.from(data, "latin1") : data);
            data = nodeSetOctets(parsed, nodeSet(parsed, true), t.c14n, meter);
          } else data = nodeSetOctets(doc, data, t.c14n, meter);
          break;
        case "filter2":
          if (isOctets(data)) throw new XmlDsigFormatError("XPath Filter 2.0 transform on octets");
          try {
            applyFilters(doc, data, t.steps, 8 * doc.nodeCount + 10_000);
          } catch (e) {
            if (e instanceof XPathError) throw new XmlDsigFormatError(e.message);
            throw e;
          }
          if (!data.empty && data.apex !== doc && data.apex !== outcome.target) {
            outcome.target = data.apex;
            outcome.kind = "element";
            outcome.ref = elementPath(data.apex as XmlElement);
          }
          if (data.contentOnly && !outcome.ref.endsWith("/node()")) outcome.ref += "/node()";
          for (const x of data.exclude) if (!outcome.excluded.includes(x)) outcome.excluded.push(x);
          break;
        case "base64":
          if (!isOctets(data)) meter.add(sourceSpan(data.apex));
          data = decodeBase64(typeof data === "string" ? data : Buffer.isBuffer(data) ? data.toString("latin1") : stringValue(data), "base64 transform input");
          break;
      }
    }
    if (!isOctets(data) && hashAtEnd) return sha256Outcome(outcome, ref, nodeSetSha256(doc, data, { method: "c14n10", comments: false }, meter));
    if (!isOctets(data)) data = nodeSetOctets(doc, data, { method: "c14n10", comments: false }, meter);
    else meter.add(data.length);
    const digest = digestOf(ref.digest, data);
    outcome.computed = digest;
    outcome.ok = digest.equals(ref.digestValue);
    outcome.sha256 = ref.digest === "sha256" ? digest.toString("hex") : digestOf("sha256", data).toString("hex");
    return outcome;
  } catch (e) {
    if (e instanceof XmlDsigFormatError || e instanceof XmlError) {
      outcome.error = { code: "FORMAT_FAILURE", message: e.message };
      return outcome;
    }
    throw e;
  }
}

function sha256Outcome(outcome: ReferenceOutcome, ref: Reference, digest: Buffer): ReferenceOutcome {
  outcome.computed = digest;
  outcome.ok = digest.equals(ref.digestValue);
  outcome.sha256 = digest.toString("hex");
  return outcome;
}

export function processReferences(
  doc: XmlDocument,
  sig: Signature,
  contents: readonly DetachedContent[],
  meter: DigestMeter,
  /** the references to process: the SignedInfo's, or a ds:Manifest's */
  references: readonly Reference[] = sig.references,
): ReferenceOutcome[] {
  const external = references.filter((r) => r.uri === null || (r.uri !== "" && !r.uri.startsWith("#"))).length;
  // The same URI through the same transforms and digest gives the same octets: computed once. A
  // signature repeating one whole-document reference a thousand times costs one reference (issue 11).
  // (a signature with a few references, as honest ones have, skips the bookkeeping)
  if (references.length <= 16) {
    return references.map((r) => {
      meter.signal?.throwIfAborted();
      return processReference(doc, sig, r, contents, meter, external);
    });
  }
  const done = new Map<string, ReferenceOutcome>();
  return references.map((r) => {
    meter.signal?.throwIfAborted();
    const key = referenceKey(r);
    const same = done.get(key);
    if (same) return { ...same, reference: r, ok: same.computed !== null && same.computed.equals(r.digestValue) && same.error === null };
    const outcome = processReference(doc, sig, r, contents, meter, external);
    done.set(key, outcome);
    return outcome;
  });
}

/** What determines a reference's octets and digest: its URI, its transforms in order, its digest. */
function referenceKey(r: Reference): string {
  let k = `${r.uri === null ? "\u0000" : "=" + r.uri}\u0000${r.digest}`;
  for (const t of r.transforms) {
    k += "\u0000" + (t.kind === "c14n" ? `c14n ${t.uri} ${t.c14n.inclusivePrefixes?.join(" ") ?? ""}` : t.kind);
    // (here() depends on where the expression is: its position is part of the key)
    if (t.kind === "filter2") for (const f of t.steps) k += ` ${f.filter}@${f.holder.start}`;
  }
  return k;
}

// ---------------------------------------------------------------------------
// signature value

/** The canonical SignedInfo, the octets the SignatureValue is over (XMLDSig §4.4.1); charged to the meter when given. */
export function signedInfoOctets(sig: Signature, meter?: DigestMeter): Buffer {
  const charged = sourceSpan(sig.signedInfo);
  meter?.add(charged);
  const octets = canonicalOctets(sig.signedInfo, sig.c14n);
  meter?.settle(charged, octets.length);
  return octets;
}

/** Checks the SignatureValue with a key; false for a wrong signature or a key of the wrong type. */
export function verifySignatureValue(sig: Signature, key: KeyObject, signedInfo: Buffer = signedInfoOctets(sig)): boolean {
  const alg: SignatureAlgorithm = sig.algorithm;
  if (alg.scheme === "ecdsa") {
    const der = ecdsaRawToDer(sig.signatureValue);
    if (!der) return false;
    return verifySignature(alg, key, signedInfo, der);
  }
  try {
    return verifySignature(alg, key, signedInfo, sig.signatureValue);
  } catch {
    return false;
  }
}
