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
import { createHash, randomBytes } from "node:crypto";
import type { KeyProvider, SigningHash, SigningScheme } from "../keys/provider.js";
import { parseCertificate } from "../pki/certificate.js";
import { SigningError, type Timestamper, issuerSerial } from "../cades/sign.js";
import { DIGEST_URI_OF, signatureUriFor } from "./algorithms.js";
import { canonicalize, escapeAttr, escapeText } from "./c14n.js";
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

function referenceXml(r: Ref, digestUri: string): string {
  const t = r.transforms.length ? `<ds:Transforms>${r.transforms.map((a) => `<ds:Transform Algorithm="${a}"/>`).join("")}</ds:Transforms>` : "";
  return `<ds:Reference Id="${r.id}"${r.type ? ` Type="${r.type}"` : ""} URI="${escapeAttr(r.uri)}">${t}<ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${r.digest}</ds:DigestValue></ds:Reference>`;
}

/** Builds and signs; returns the signed document (enveloped), the ds:Signature document (enveloping, detached), UTF-8. */
export async function signXades(opts: XadesSignOptions): Promise<Buffer> {
  const h = opts.hash ?? "sha256";
  const key = opts.key;
  const scheme = opts.scheme ?? key.schemes[0]!;
  if (!key.schemes.includes(scheme)) throw new SigningError("UNSUPPORTED_ALGORITHM", `this ${key.keyType.toUpperCase()} key cannot sign with ${scheme}`);
  const digestUri = DIGEST_URI_OF[h]!;
  const sigUri = signatureUriFor(scheme, h);
  const signer = parseCertificate(key.certificate);
  const signingTime = opts.signingTime ?? new Date();
  const tag = randomBytes(8).toString("hex");
  const id = (what: string) => `${what}-${tag}`;
  const sigId = id("Signature");
  const spId = id("SignedProperties");
  const digest = (data: string | Uint8Array) => createHash(h).update(data).digest("base64");

  const isXml = looksLikeXml(opts.content);
  const mimeType = opts.mimeType ?? (isXml ? "text/xml" : "application/octet-stream");
  let host: { source: string; insertAt: number; selfClosing: boolean; rootName: string } | null = null;
  let objectXml = "";
  const dataRef: Ref = { id: id("Reference"), uri: "", transforms: [], digest: "" };

  if (opts.packaging === "enveloped") {
    if (!isXml) throw new SigningError("NOT_XML", "an enveloped XAdES signature needs an XML document to go into");
    const doc = parseXml(opts.content);
    // XMLDSig §6.6.4 with exc-c14n: the document without the signature, which is not there yet
    dataRef.transforms = [ENVELOPED_SIGNATURE, EXC_C14N];
    dataRef.digest = digest(canonicalize(doc, EXC));
    const root = doc.root;
    const selfClosing = doc.source.slice(root.end - 2, root.end) === "/>";
    host = { source: doc.source, insertAt: selfClosing ? root.end - 2 : doc.source.lastIndexOf("</", root.end), selfClosing, rootName: root.name };
  } else if (opts.packaging === "enveloping") {
    const objId = id("Object");
    dataRef.uri = `#${objId}`;
    dataRef.transforms = [EXC_C14N];
    let inner: string;
    if (isXml) {
      const doc = parseXml(opts.content);
      inner = doc.source.slice(doc.root.start, doc.root.end);
      objectXml = `<ds:Object Id="${objId}" MimeType="${escapeAttr(mimeType)}">${inner}</ds:Object>`;
    } else {
      objectXml = `<ds:Object Id="${objId}" MimeType="${escapeAttr(mimeType)}" Encoding="http://www.w3.org/2000/09/xmldsig#base64">${b64(opts.content)}</ds:Object>`;
    }
    // digest filled in below, from the parsed signature (the Object's canonical form depends on its context)
  } else {
    dataRef.uri = encodeURIComponent(opts.name ?? "content");
    dataRef.digest = digest(opts.content);
  }

  const chainXml = key.chain.map((c) => `<ds:X509Certificate>${b64(c)}</ds:X509Certificate>`).join("");
  const signedProperties =
    `<xades:SignedProperties Id="${spId}">` +
    `<xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${dateTime(signingTime)}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${digest(signer.der)}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerialV2>${b64(issuerSerial(signer))}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>` +
    `</xades:SignedSignatureProperties>` +
    `<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#${dataRef.id}"><xades:MimeType>${escapeText(mimeType)}</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties>` +
    `</xades:SignedProperties>`;

  const assemble = (signedInfo: string, signatureValue: string, unsigned: string) =>
    `<ds:Signature xmlns:ds="${DS_NS}" Id="${sigId}">${signedInfo}` +
    `<ds:SignatureValue Id="${id("SignatureValue")}">${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data>${chainXml}</ds:X509Data></ds:KeyInfo>` +
    `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#${sigId}">${signedProperties}${unsigned}</xades:QualifyingProperties></ds:Object>` +
    objectXml +
    `</ds:Signature>`;
  const signedInfoXml = (refs: Ref[]) =>
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><ds:SignatureMethod Algorithm="${sigUri}"/>${refs.map((r) => referenceXml(r, digestUri)).join("")}</ds:SignedInfo>`;

  // Pass 1: the exclusive canonical forms of SignedProperties (and an enveloping Object) do not
  // depend on anything outside the ds:Signature element, so the signature is parsed on its own.
  const spRef: Ref = { id: id("Reference-SignedProperties"), uri: `#${spId}`, transforms: [EXC_C14N], digest: "", type: SIGNED_PROPERTIES_TYPE };
  const draft = parseXml(assemble(signedInfoXml([dataRef, spRef]), "", ""));
  spRef.digest = digest(canonicalize(findById(draft.root, spId), EXC));
  if (opts.packaging === "enveloping") dataRef.digest = digest(canonicalize(findById(draft.root, dataRef.uri.slice(1)), EXC));

  // Pass 2: the canonical SignedInfo is what is signed
  const signedInfo = signedInfoXml([dataRef, spRef]);
  const parsedSi = parseXml(assemble(signedInfo, "", "")).root.first(DS_NS, "SignedInfo")!;
  const tbs = Buffer.from(canonicalize(parsedSi, EXC), "utf8");
  const sigValue = b64(await key.sign({ data: tbs }, { scheme, hash: h, ecdsaEncoding: "raw" }));

  let unsigned = "";
  if (opts.timestamper) {
    // EN 319 132-1 §5.3: the time-stamped data is the canonicalized ds:SignatureValue element
    const sv = parseXml(assemble(signedInfo, sigValue, "")).root.first(DS_NS, "SignatureValue")!;
    const token = await opts.timestamper(Buffer.from(canonicalize(sv, EXC), "utf8"), h);
    unsigned =
      `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="${id("SignatureTimeStamp")}">` +
      `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp>` +
      `</xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`;
  }
  const signature = assemble(signedInfo, sigValue, unsigned);

  if (!host) return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${signature}\n`, "utf8");
  const { source, insertAt, selfClosing, rootName } = host;
  const out = selfClosing ? `${source.slice(0, insertAt)}>${signature}</${rootName}>${source.slice(insertAt + 2)}` : source.slice(0, insertAt) + signature + source.slice(insertAt);
  // the text is written as UTF-8 whatever the form's declaration said
  return Buffer.from(out.replace(/^(<\?xml[^?]*?encoding\s*=\s*)(["'])[^"']*\2/, "$1$2UTF-8$2"), "utf8");
}
