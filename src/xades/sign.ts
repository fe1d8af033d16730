/**
 * XAdES creation (ETSI EN 319 132-1 baseline B-B and B-T): an XMLDSig signature, enveloped into
 * an XML form, enveloping its content in a ds:Object, or detached over any file, with the
 * signed properties SigningTime, SigningCertificateV2 and DataObjectFormat, the signer's chain
 * in KeyInfo, exclusive canonicalization throughout, and — for B-T — a SignatureTimeStamp over
 * the canonicalized ds:SignatureValue (EN 319 132-1 §5.3).
 *
 * The signature is written as text and parsed back with podpis's own hardened parser, so the
 * digests are computed by the same canonicalizer that validation uses.
 */
import { createHash } from "node:crypto";
import type { KeyProvider, SigningHash, SigningScheme } from "../pki/signing-key.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { pooledRandom } from "../pki/random-pool.js";
import { SigningError, type Timestamper, issuerSerial } from "../cades/sign.js";
import { DIGEST_URI_OF, signatureUriFor } from "./algorithms.js";
import { fromBinary } from "./binary.js";
import { canonicalOctets, escapeAttr, escapeText } from "./c14n.js";
import { SIGNED_PROPERTIES_TYPE, XADES_NS } from "./properties.js";
import { DS_NS, ENVELOPED_SIGNATURE } from "./xmldsig.js";
import { type XmlElement, parseXml } from "./xml.js";

export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC = { method: "exc-c14n", comments: false } as const;

export interface XadesSignOptions {
  key: KeyProvider;
  packaging: "enveloped" | "enveloping" | "detached";
  /** the signed content: the XML form (enveloped; enveloping when XML), or any file's bytes */
  content: Uint8Array;
  /** detached: the name the reference URI gives (default "content") */
  name?: string;
  /** DataObjectFormat MIME type (default text/xml for XML content, else application/octet-stream) */
  mimeType?: string;
  hash?: SigningHash;
  scheme?: SigningScheme;
  signingTime?: Date;
  timestamper?: Timestamper;
  /** enveloped into the maker's own form: its exc-c14n octets (XadesSigningInput.canonicalForm) */
  canonicalForm?: Uint8Array;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

/** xsd:dateTime in UTC, whole seconds (what validators across the EU parse without trouble). */
const dateTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function looksLikeXml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString("utf8").replace(/^\uFEFF/, "").trimStart();
  return head.startsWith("<");
}

function findById(root: XmlElement, id: string): XmlElement {
  const stack = [root];
  while (stack.length) {
    const e = stack.pop()!;
    if (e.attr("Id") === id) return e;
    for (const c of e.children) if (c.type === 1) stack.push(c);
  }
  throw new SigningError("XADES_INTERNAL", `element ${id} not found in the signature being built`);
}

interface Ref {
  id: string;
  uri: string;
  transforms: string[];
  digest: string;
  type?: string;
}

/**
 * The exclusive canonical form (exc-c14n without comments) of an element podpis has just written
 * itself, without parsing it back: its text already escapes as c14n 1.0 §2.3 does, its
 * attributes are written in canonical order and it declares no namespace, so what remains is
 * what exc-c14n §3 adds — empty elements written as start and end tag, and the namespace
 * declarations visibly utilized: `apex` on the element itself, `inner` on each element of that
 * prefix below it (podpis never nests them inside one another there).
 */
export function ownCanonical(xml: string, apex: { prefix: string; uri: string }, inner?: { prefix: string; uri: string }): string {
  let out = xml.replace(/<([\w:-]+)((?: [\w:-]+="[^"]*")*)\/>/g, "<$1$2></$1>");
  out = out.replace(new RegExp(`^<${apex.prefix}:([\\w-]+)`), `<${apex.prefix}:$1 xmlns:${apex.prefix}="${apex.uri}"`);
  if (inner) out = out.replace(new RegExp(`<${inner.prefix}:([\\w-]+)`, "g"), `<${inner.prefix}:$1 xmlns:${inner.prefix}="${inner.uri}"`);
  return out;
}

function referenceXml(r: Ref, digestUri: string): string {
  const t = r.transforms.length ? `<ds:Transforms>${r.transforms.map((a) => `<ds:Transform Algorithm="${a}"/>`).join("")}</ds:Transforms>` : "";
  return `<ds:Reference Id="${r.id}"${r.type ? ` Type="${r.type}"` : ""} URI="${escapeAttr(r.uri)}">${t}<ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${r.digest}</ds:DigestValue></ds:Reference>`;
}

/** What a XAdES signature is built from, apart from the signature value. */
export interface XadesSigningInput {
  /** the signer's certificate, DER */
  certificate: Uint8Array;
  /** the certificates for KeyInfo, signer first (DER) */
  chain: readonly Uint8Array[];
  packaging: "enveloped" | "enveloping" | "detached";
  /** the signed content; a detached signature may be prepared from the content's digest under `hash` alone */
  content: Uint8Array | { digest: Uint8Array };
  name?: string;
  mimeType?: string;
  hash: SigningHash;
  scheme: SigningScheme;
  signingTime: Date;
  /** the suffix of the element Ids (default random): the same input and tag give the same octets */
  idTag?: string;
  /**
   * enveloped, when the form is the maker's own: its exc-c14n octets as the enveloped-signature
   * transform sees them (no signature yet), so the form is not parsed (receipt/document.ts)
   */
  canonicalForm?: Uint8Array;
}

const parsedSigners = new WeakMap<Uint8Array, Certificate>();

/** The signer's certificate, parsed once per key (a seal key signs every receipt); the octets are compared, not trusted to stay */
function signerCertificate(der: Uint8Array): Certificate {
  const known = parsedSigners.get(der);
  if (known && Buffer.compare(known.der, der) === 0) return known;
  const cert = parseCertificate(der);
  parsedSigners.set(der, cert);
  return cert;
}

interface SignerXml {
  chain: readonly Uint8Array[];
  chainXml: string;
  certDigest: string;
  issuerSerialB64: string;
}
const signerXmls = new WeakMap<Certificate, Map<SigningHash, SignerXml>>();

/**
 * What a key's every signature writes of its certificate and chain (KeyInfo, CertDigest,
 * IssuerSerialV2), made once per certificate, chain and hash (a seal key signs every receipt);
 * the chain is compared octet for octet, not trusted to stay.
 */
function signerXml(signer: Certificate, chain: readonly Uint8Array[], h: SigningHash): SignerXml {
  let byHash = signerXmls.get(signer);
  const known = byHash?.get(h);
  if (known && known.chain.length === chain.length && known.chain.every((c, i) => Buffer.compare(c, chain[i]!) === 0)) return known;
  const made: SignerXml = {
    chain: chain.map((c) => Buffer.from(c)),
    chainXml: chain.map((c) => `<ds:X509Certificate>${b64(c)}</ds:X509Certificate>`).join(""),
    certDigest: createHash(h).update(signer.der).digest("base64"),
    issuerSerialB64: b64(issuerSerial(signer)),
  };
  if (!byHash) signerXmls.set(signer, (byHash = new Map()));
  byHash.set(h, made);
  return made;
}

/** 8 random octets in hex, the default Id suffix (from a pool refilled every 128 signatures, issue 15) */
const randomTag = pooledRandom(8, 128);

/** Where a signature goes in a form podpis wrote itself: before the root's end tag (the root has content) */
function ownFormHost(content: Uint8Array): NonNullable<PreparedXades["host"]> {
  const source = Buffer.from(content).toString("latin1");
  const end = source.lastIndexOf("</");
  const rootName = /^<\/([^\s>]+)\s*>/.exec(source.slice(end))?.[1];
  if (end < 0 || !rootName) throw new SigningError("XADES_INTERNAL", "the form given with its canonical octets has no root end tag");
  return { source, insertAt: end, selfClosing: false, rootName };
}

/** A XAdES signature waiting for its signature value. */
export interface PreparedXades {
  input: XadesSigningInput;
  idTag: string;
  mimeType: string;
  /** the canonical (exc-c14n) ds:SignedInfo: what the signature value covers */
  toBeSigned: Buffer;
  /** ds:SignatureMethod */
  signatureMethod: string;
  /** the ds:Signature element with the given SignatureValue (base64) and UnsignedProperties */
  render(signatureValue: string, unsigned: string): string;
  /** enveloped: where the ds:Signature goes in the form */
  host: { source: string; insertAt: number; selfClosing: boolean; rootName: string } | null;
}

/**
 * The SignedInfo of a XAdES-B-B signature, and what is needed to finish it. `ownHost`: where the
 * signature goes in a form given with its canonical octets (null: the caller inserts it, signOwnFormText).
 */
export function prepareXades(opts: XadesSigningInput, ownHost: (content: Uint8Array) => PreparedXades["host"] = ownFormHost): PreparedXades {
  const h = opts.hash;
  const scheme = opts.scheme;
  const digestUri = DIGEST_URI_OF[h]!;
  const sigUri = signatureUriFor(scheme, h);
  const signer = signerCertificate(opts.certificate);
  const signingTime = opts.signingTime;
  const tag = opts.idTag ?? randomTag();
  if (!/^[\w-]{1,64}$/.test(tag)) throw new SigningError("XADES_INTERNAL", "the Id suffix must be a short token");
  const id = (what: string) => `${what}-${tag}`;
  const sigId = id("Signature");
  const spId = id("SignedProperties");
  const digest = (data: string | Uint8Array) => createHash(h).update(data).digest("base64");

  const given = opts.content;
  const content = given instanceof Uint8Array ? given : null;
  if (!content && opts.packaging !== "detached") throw new SigningError("CONTENT_REQUIRED", `an ${opts.packaging} signature needs the content, not only its digest`);
  const isXml = content !== null && looksLikeXml(content);
  const mimeType = opts.mimeType ?? (isXml ? "text/xml" : "application/octet-stream");
  let host: PreparedXades["host"] = null;
  let objectXml = "";
  const dataRef: Ref = { id: id("Reference"), uri: "", transforms: [], digest: "" };

  if (opts.packaging === "enveloped" && opts.canonicalForm) {
    if (!isXml) throw new SigningError("NOT_XML", "an enveloped XAdES signature needs an XML document to go into");
    dataRef.transforms = [ENVELOPED_SIGNATURE, EXC_C14N];
    dataRef.digest = digest(opts.canonicalForm);
    host = ownHost(content!);
  } else if (opts.packaging === "enveloped") {
    if (!isXml) throw new SigningError("NOT_XML", "an enveloped XAdES signature needs an XML document to go into");
    const doc = parseXml(content!);
    // XMLDSig §6.6.4 with exc-c14n: the document without the signature, which is not there yet
    dataRef.transforms = [ENVELOPED_SIGNATURE, EXC_C14N];
    dataRef.digest = digest(canonicalOctets(doc, EXC));
    const root = doc.root;
    const selfClosing = doc.source.slice(root.end - 2, root.end) === "/>";
    // source and offsets are binary (xml.ts): the pieces around the insertion point are decoded below
    host = { source: doc.source, insertAt: selfClosing ? root.end - 2 : doc.source.lastIndexOf("</", root.end), selfClosing, rootName: root.name };
  } else if (opts.packaging === "enveloping") {
    const objId = id("Object");
    dataRef.uri = `#${objId}`;
    dataRef.transforms = [EXC_C14N];
    let inner: string;
    if (isXml) {
      const doc = parseXml(content!);
      inner = fromBinary(doc.source.slice(doc.root.start, doc.root.end));
      objectXml = `<ds:Object Id="${objId}" MimeType="${escapeAttr(mimeType)}">${inner}</ds:Object>`;
    } else {
      objectXml = `<ds:Object Id="${objId}" MimeType="${escapeAttr(mimeType)}" Encoding="http://www.w3.org/2000/09/xmldsig#base64">${b64(content!)}</ds:Object>`;
    }
    // digest filled in below, from the parsed signature (the Object's canonical form depends on its context)
  } else {
    dataRef.uri = encodeURIComponent(opts.name ?? "content");
    dataRef.digest = content ? digest(content) : b64((given as { digest: Uint8Array }).digest);
  }

  const { chainXml, certDigest, issuerSerialB64 } = signerXml(signer, opts.chain, h);
  const signedProperties =
    `<xades:SignedProperties Id="${spId}">` +
    `<xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${dateTime(signingTime)}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${certDigest}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerialV2>${issuerSerialB64}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>` +
    `</xades:SignedSignatureProperties>` +
    `<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#${dataRef.id}"><xades:MimeType>${escapeText(mimeType)}</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties>` +
    `</xades:SignedProperties>`;

  let signedInfo = "";
  const render = (signatureValue: string, unsigned: string) =>
    `<ds:Signature xmlns:ds="${DS_NS}" Id="${sigId}">${signedInfo}` +
    `<ds:SignatureValue Id="${id("SignatureValue")}">${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data>${chainXml}</ds:X509Data></ds:KeyInfo>` +
    `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#${sigId}">${signedProperties}${unsigned}</xades:QualifyingProperties></ds:Object>` +
    objectXml +
    `</ds:Signature>`;
  const signedInfoXml = (refs: Ref[]) =>
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><ds:SignatureMethod Algorithm="${sigUri}"/>${refs.map((r) => referenceXml(r, digestUri)).join("")}</ds:SignedInfo>`;

  // SignedProperties and SignedInfo are podpis's own text: their exclusive canonical forms are
  // written directly (ownCanonical). An enveloping Object holds the signer's content: that one
  // is parsed, with the ds:Signature around it (its canonical form does not depend on more).
  const spRef: Ref = { id: id("Reference-SignedProperties"), uri: `#${spId}`, transforms: [EXC_C14N], digest: "", type: SIGNED_PROPERTIES_TYPE };
  spRef.digest = digest(ownCanonical(signedProperties, { prefix: "xades", uri: XADES_NS }, { prefix: "ds", uri: DS_NS }));
  if (opts.packaging === "enveloping") {
    signedInfo = signedInfoXml([dataRef, spRef]);
    dataRef.digest = digest(canonicalOctets(findById(parseXml(render("", "")).root, dataRef.uri.slice(1)), EXC));
  }
  signedInfo = signedInfoXml([dataRef, spRef]);
  const toBeSigned = Buffer.from(ownCanonical(signedInfo, { prefix: "ds", uri: DS_NS }), "utf8");
  return { input: opts, idTag: tag, mimeType, toBeSigned, signatureMethod: sigUri, render, host };
}

/** B-T: the xades:UnsignedProperties with a SignatureTimeStamp; B-B (no time-stamper): none */
async function unsignedProperties(prepared: PreparedXades, sigValue: string, timestamper: Timestamper | undefined): Promise<string> {
  if (!timestamper) return "";
  // EN 319 132-1 §5.3: the time-stamped data is the canonicalized ds:SignatureValue element (podpis's own text)
  const sv = ownCanonical(`<ds:SignatureValue Id="SignatureValue-${prepared.idTag}">${sigValue}</ds:SignatureValue>`, { prefix: "ds", uri: DS_NS });
  const token = await timestamper(Buffer.from(sv, "utf8"), prepared.input.hash);
  return (
    `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="SignatureTimeStamp-${prepared.idTag}">` +
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp>` +
    `</xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
  );
}

/**
 * The signed document around a signature value over `prepared.toBeSigned` (ECDSA as r || s,
 * XMLDSig 1.1 §6.4.3): the form with the signature in it (enveloped), or the ds:Signature
 * document (enveloping, detached), UTF-8.
 */
export async function assembleXades(prepared: PreparedXades, signature: Uint8Array, opts: { timestamper?: Timestamper } = {}): Promise<Buffer> {
  const sigValue = b64(signature);
  const element = prepared.render(sigValue, await unsignedProperties(prepared, sigValue, opts.timestamper));

  if (!prepared.host) return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${element}\n`, "utf8");
  const { source, insertAt, selfClosing, rootName } = prepared.host;
  const before = fromBinary(source.slice(0, insertAt));
  const out = selfClosing ? `${before}>${element}</${rootName}>${fromBinary(source.slice(insertAt + 2))}` : before + element + fromBinary(source.slice(insertAt));
  return Buffer.from(declaredUtf8(out), "utf8");
}

/** The text is written as UTF-8 whatever the form's XML declaration said. */
const declaredUtf8 = (text: string): string => text.replace(/^(<\?xml[^?]*?encoding\s*=\s*)(["'])[^"']*\2/, "$1$2UTF-8$2");

/** The hash and scheme a signing call uses (the key's first scheme unless one is asked for), refused when the key cannot. */
function signingChoice(key: KeyProvider, opts: { hash?: SigningHash; scheme?: SigningScheme }): { hash: SigningHash; scheme: SigningScheme } {
  const scheme = opts.scheme ?? key.schemes[0]!;
  if (!key.schemes.includes(scheme)) throw new SigningError("UNSUPPORTED_ALGORITHM", `this ${key.keyType.toUpperCase()} key cannot sign with ${scheme}`);
  return { hash: opts.hash ?? "sha256", scheme };
}

/** The signature value over a prepared SignedInfo (ECDSA as r || s, XMLDSig 1.1 §6.4.3). */
const signPrepared = (key: KeyProvider, p: PreparedXades): Promise<Uint8Array> =>
  key.sign({ data: p.toBeSigned }, { scheme: p.input.scheme, hash: p.input.hash, ecdsaEncoding: "raw" });

/** Builds and signs; returns the signed document (enveloped), the ds:Signature document (enveloping, detached), UTF-8. */
export async function signXades(opts: XadesSignOptions): Promise<Buffer> {
  const key = opts.key;
  const { hash, scheme } = signingChoice(key, opts);
  const prepared = prepareXades({
    certificate: key.certificate,
    chain: key.chain,
    packaging: opts.packaging,
    content: opts.content,
    name: opts.name,
    mimeType: opts.mimeType,
    hash,
    scheme,
    signingTime: opts.signingTime ?? new Date(),
    ...(opts.canonicalForm ? { canonicalForm: opts.canonicalForm } : {}),
  });
  return assembleXades(prepared, await signPrepared(key, prepared), { timestamper: opts.timestamper });
}

/**
 * signXades for an enveloped signature into a form the caller wrote itself and holds as text,
 * with its exclusive canonical form (the receipt seal, issue 15): the same document, returned as
 * text — the form is inserted into, not decoded from UTF-8 and encoded again.
 */
export async function signOwnFormText(opts: Omit<XadesSignOptions, "packaging" | "content" | "canonicalForm"> & { form: string; canonicalForm: Uint8Array; idTag?: string }): Promise<string> {
  const key = opts.key;
  const { hash, scheme } = signingChoice(key, opts);
  const end = opts.form.lastIndexOf("</");
  if (end < 0 || !/^<\/[^\s>]+\s*>/.test(opts.form.slice(end))) throw new SigningError("XADES_INTERNAL", "the form given with its canonical octets has no root end tag");
  // the form's head decides "is it XML" as in prepareXades; its octets are not needed (the digest is over canonicalForm)
  const prepared = prepareXades({
    certificate: key.certificate, chain: key.chain, packaging: "enveloped", content: Buffer.from(opts.form.slice(0, 512), "utf8"), name: opts.name, mimeType: opts.mimeType,
    hash, scheme, signingTime: opts.signingTime ?? new Date(), canonicalForm: opts.canonicalForm, ...(opts.idTag ? { idTag: opts.idTag } : {}),
  }, () => null);
  const sigValue = b64(await signPrepared(key, prepared));
  const element = prepared.render(sigValue, await unsignedProperties(prepared, sigValue, opts.timestamper));
  // a lone surrogate becomes U+FFFD, as signXades's trip through UTF-8 makes it (and as the canonical octets have it)
  const out = (opts.form.slice(0, end) + element + opts.form.slice(end)) as string & { toWellFormed(): string };
  return declaredUtf8(out.toWellFormed());
}
