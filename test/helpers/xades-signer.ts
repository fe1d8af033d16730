/**
 * A small XAdES / XMLDSig signer for fixtures and tests (not the product's signer): builds the
 * signature as text with placeholder digests, lets podpis's own canonicalizer compute the
 * digests over the final document, then signs the canonical SignedInfo.
 */
import { constants, createHash, sign as nodeSign, type KeyObject } from "node:crypto";
import { integer, sequence, tlv } from "../../src/asn1/writer.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { nameToString } from "../../src/pki/name.js";
import { DIGEST_URI_OF, signatureUriFor } from "../../src/xades/algorithms.js";
import { canonicalize } from "../../src/xades/c14n.js";
import { DigestMeter, findSignatures, parseSignature, processReferences, signedInfoOctets } from "../../src/xades/xmldsig.js";
import { parseXml } from "../../src/xades/xml.js";

export const C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
export const C14N11 = "http://www.w3.org/2006/12/xml-c14n11";
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";

export interface XadesSignOptions {
  key: KeyObject;
  /** DER certificates, the signer's first */
  certs: Buffer[];
  packaging: "enveloped" | "enveloping" | "detached";
  /** the form (an XML document without declaration) for enveloped / enveloping */
  document?: string;
  detached?: { name: string; bytes: Uint8Array };
  c14n?: string;
  digest?: string;
  /** signature hash */
  hash?: string;
  pss?: boolean;
  id?: string;
  /** false: plain XMLDSig */
  xades?:
    | false
    | {
        signingCertificate?: 1 | 2 | 0;
        /** the certificate SigningCertificate names (default: certs[0]) */
        boundCert?: Buffer;
        signingTime?: Date;
        policy?: { oid: string; digest: Buffer };
        timestamp?: (data: Buffer) => Buffer;
      };
  /** enveloped: leave every ds:Signature out (XPath transform), so later signatures do not break this one */
  excludeAllSignatures?: boolean;
  /** enveloped: reference this element ID instead of the whole document ("" URI) */
  referenceId?: string;
  /** enveloped: one reference per element ID (the many-references case) */
  referenceIds?: string[];
}

function b64(b: Uint8Array): string {
  return Buffer.from(b).toString("base64");
}

function placeholder(i: number, len: number): string {
  const b = Buffer.alloc(len, 0xa5);
  b.writeUInt32BE(i, 0);
  return b.toString("base64");
}

function issuerSerialV2(certDer: Buffer): Buffer {
  const c = parseCertificate(certDer);
  return sequence(sequence(tlv(0xa4, Buffer.from(c.issuer.der))), integer(BigInt("0x" + c.serialNumber)));
}

export function signXades(o: XadesSignOptions): string {
  const id = o.id ?? "Signature-1";
  const c14n = o.c14n ?? C14N10;
  const digest = o.digest ?? "sha256";
  const hash = o.hash ?? "sha256";
  const dlen = createHash(digest).digest().length;
  const dm = `<ds:DigestMethod Algorithm="${DIGEST_URI_OF[digest]}"/>`;
  const keyType = o.key.asymmetricKeyType;
  const scheme = keyType === "ec" ? "ecdsa" : o.pss || keyType === "rsa-pss" ? "rsa-pss" : "rsa-pkcs1";
  const xades = o.xades === false ? null : (o.xades ?? {});

  let refs = "";
  let objects = "";
  const tr = (enveloped: boolean): string =>
    `<ds:Transforms>${
      !enveloped
        ? ""
        : o.excludeAllSignatures
          ? `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>`
          : `<ds:Transform Algorithm="${DS}enveloped-signature"/>`
    }<ds:Transform Algorithm="${c14n}"/></ds:Transforms>`;
  let n = 0;
  if (o.packaging === "enveloped" && o.referenceIds) {
    for (const rid of o.referenceIds) {
      refs += `<ds:Reference URI="#${rid}"><ds:Transforms><ds:Transform Algorithm="${c14n}"/></ds:Transforms>${dm}<ds:DigestValue>${placeholder(n++, dlen)}</ds:DigestValue></ds:Reference>`;
    }
  } else if (o.packaging === "enveloped") {
    const uri = o.referenceId ? "#" + o.referenceId : "";
    refs += `<ds:Reference Id="${id}-ref0" URI="${uri}">${tr(true)}${dm}<ds:DigestValue>${placeholder(n++, dlen)}</ds:DigestValue></ds:Reference>`;
  }
  else if (o.packaging === "enveloping") {
    refs += `<ds:Reference Id="${id}-ref0" URI="#${id}-object">${tr(false)}${dm}<ds:DigestValue>${placeholder(n++, dlen)}</ds:DigestValue></ds:Reference>`;
    objects += `<ds:Object Id="${id}-object" MimeType="text/xml">${o.document}</ds:Object>`;
  } else {
    refs += `<ds:Reference Id="${id}-ref0" URI="${encodeURI(o.detached!.name)}">${dm}<ds:DigestValue>${placeholder(n++, dlen)}</ds:DigestValue></ds:Reference>`;
  }
  if (xades) {
    refs += `<ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#${id}-signedprops"><ds:Transforms><ds:Transform Algorithm="${c14n}"/></ds:Transforms>${dm}<ds:DigestValue>${placeholder(n++, dlen)}</ds:DigestValue></ds:Reference>`;
    const bound = xades.boundCert ?? o.certs[0]!;
    let sc = "";
    const certDigest = `<xades:CertDigest>${dm}<ds:DigestValue>${b64(createHash(digest).update(bound).digest())}</ds:DigestValue></xades:CertDigest>`;
    if ((xades.signingCertificate ?? 2) === 2) {
      sc = `<xades:SigningCertificateV2><xades:Cert>${certDigest}<xades:IssuerSerialV2>${b64(issuerSerialV2(bound))}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>`;
    } else if (xades.signingCertificate === 1) {
      const c = parseCertificate(bound);
      sc = `<xades:SigningCertificate><xades:Cert>${certDigest}<xades:IssuerSerial><ds:X509IssuerName>${escapeXml(nameToString(c.issuer))}</ds:X509IssuerName><ds:X509SerialNumber>${BigInt("0x" + c.serialNumber).toString(10)}</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate>`;
    }
    const st = `<xades:SigningTime>${(xades.signingTime ?? new Date("2026-05-20T09:30:00Z")).toISOString().replace(/\.\d{3}Z$/, "Z")}</xades:SigningTime>`;
    const policy = xades.policy
      ? `<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId><xades:Identifier Qualifier="OIDAsURN">urn:oid:${xades.policy.oid}</xades:Identifier></xades:SigPolicyId><xades:SigPolicyHash>${dm}<ds:DigestValue>${b64(xades.policy.digest)}</ds:DigestValue></xades:SigPolicyHash></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>`
      : "";
    const mime = o.packaging === "detached" ? "application/pdf" : "text/xml";
    objects += `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES}" Target="#${id}"><xades:SignedProperties Id="${id}-signedprops"><xades:SignedSignatureProperties>${st}${sc}${policy}</xades:SignedSignatureProperties><xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#${id}-ref0"><xades:MimeType>${mime}</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties></xades:SignedProperties><!--UNSIGNED--></xades:QualifyingProperties></ds:Object>`;
  }
  const sigAlg = signatureUriFor(scheme, hash);
  const keyInfo = `<ds:KeyInfo><ds:X509Data>${o.certs.map((c) => `<ds:X509Certificate>${b64(c)}</ds:X509Certificate>`).join("")}</ds:X509Data></ds:KeyInfo>`;
  const sigXml =
    `<ds:Signature xmlns:ds="${DS}" Id="${id}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${c14n}"/><ds:SignatureMethod Algorithm="${sigAlg}"/>${refs}</ds:SignedInfo>` +
    `<ds:SignatureValue Id="${id}-value">U0lHTkFUVVJFVkFMVUU=</ds:SignatureValue>${keyInfo}${objects}</ds:Signature>`;

  let xml: string;
  if (o.packaging === "enveloped") {
    const doc = o.document!;
    const close = doc.lastIndexOf("</");
    xml = doc.slice(0, close) + sigXml + doc.slice(close);
  } else xml = sigXml;

  // digests over the document as it now stands
  const parsed = parseXml(xml);
  const sigEl = findSignatures(parsed).find((e) => e.attr("Id") === id)!;
  const sig = parseSignature(sigEl);
  const contents = o.detached ? [{ name: o.detached.name, bytes: o.detached.bytes }] : [];
  const outcomes = processReferences(parsed, sig, contents, new DigestMeter(1 << 30));
  const values = new Map<string, string>();
  outcomes.forEach((out, i) => {
    if (!out.computed) throw new Error(`cannot digest reference ${i}: ${out.error?.message}`);
    values.set(placeholder(i, dlen), b64(out.computed));
  });
  // one pass, so 900 references stay linear
  xml = xml.replace(/<ds:DigestValue>([^<]*)<\/ds:DigestValue>/g, (m, v: string) => (values.has(v) ? `<ds:DigestValue>${values.get(v)}</ds:DigestValue>` : m));

  const parsed2 = parseXml(xml);
  const sig2 = parseSignature(findSignatures(parsed2).find((e) => e.attr("Id") === id)!);
  const si = signedInfoOctets(sig2);
  let value: Buffer;
  if (scheme === "ecdsa") value = nodeSign(hash, si, { key: o.key, dsaEncoding: "ieee-p1363" });
  else if (scheme === "rsa-pss") value = nodeSign(hash, si, { key: o.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(hash).digest().length });
  else value = nodeSign(hash, si, o.key);
  xml = xml.replace("U0lHTkFUVVJFVkFMVUU=", b64(value));

  let unsigned = "";
  if (xades && xades.timestamp) {
    const parsed3 = parseXml(xml);
    const sig3 = parseSignature(findSignatures(parsed3).find((e) => e.attr("Id") === id)!);
    const data = Buffer.from(canonicalize(sig3.signatureValueElement, { method: "c14n10", comments: false }), "utf8");
    const token = xades.timestamp(data);
    unsigned = `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="${id}-ts"><ds:CanonicalizationMethod Algorithm="${C14N10}"/><xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`;
  }
  return xml.replace("<!--UNSIGNED-->", unsigned);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
