/**
 * ds:KeyInfo without a certificate (XMLDSig 1.1 §4.5): what identifies the signer's certificate
 * (X509IssuerSerial, X509SKI, X509SubjectName) so a known one can be found, and a bare key
 * (RSAKeyValue §4.5.2.2, dsig11:ECKeyValue §4.5.2.3) that can say whether the bytes are intact
 * but binds no one.
 */
import { type KeyObject, createPublicKey } from "node:crypto";
import type { Certificate } from "../pki/certificate.js";
import { DS_NS, type Signature, decodeBase64 } from "./xmldsig.js";
import type { XmlElement } from "./xml.js";

export const DSIG11_NS = "http://www.w3.org/2009/xmldsig11#";

/** Named curves of ECKeyValue (RFC 5480 OIDs as URNs) → JWK curve names. */
const CURVES: Readonly<Record<string, string>> = {
  "urn:oid:1.2.840.10045.3.1.7": "P-256",
  "urn:oid:1.3.132.0.34": "P-384",
  "urn:oid:1.3.132.0.35": "P-521",
};

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

/** The public key of the KeyInfo's KeyValue, or null when there is none podpis reads. */
export function keyValueOf(sig: Signature): KeyObject | null {
  const kv = sig.keyInfo?.first(DS_NS, "KeyValue");
  if (!kv) return null;
  try {
    const rsa = kv.first(DS_NS, "RSAKeyValue");
    if (rsa) {
      const n = rsa.first(DS_NS, "Modulus");
      const e = rsa.first(DS_NS, "Exponent");
      if (!n || !e) return null;
      return createPublicKey({ key: { kty: "RSA", n: b64url(decodeBase64(n.rawText(), "Modulus")), e: b64url(decodeBase64(e.rawText(), "Exponent")) }, format: "jwk" });
    }
    const ec = kv.first(DSIG11_NS, "ECKeyValue");
    if (ec) {
      const crv = CURVES[ec.first(DSIG11_NS, "NamedCurve")?.attr("URI") ?? ""];
      const pk = ec.first(DSIG11_NS, "PublicKey");
      if (!crv || !pk) return null;
      const point = decodeBase64(pk.rawText(), "ECKeyValue PublicKey");
      const len = (point.length - 1) / 2;
      if (point[0] !== 4 || !Number.isInteger(len)) return null;
      return createPublicKey({ key: { kty: "EC", crv, x: b64url(point.subarray(1, 1 + len)), y: b64url(point.subarray(1 + len)) }, format: "jwk" });
    }
  } catch {
    // a key that does not import is no key (the signature then has none)
    return null;
  }
  return null;
}

function decimalToHex(dec: string): string | null {
  if (!/^[0-9]+$/.test(dec)) return null;
  let h = BigInt(dec).toString(16);
  if (h.length % 2) h = "0" + h;
  return h.replace(/^(00)+(?=..)/, "");
}

/**
 * Whether a known certificate is the one the KeyInfo's X509Data names; true when it names none
 * (the signature value then decides which known certificate, if any, is the signer's).
 */
export function keyMatchesKeyInfo(c: Certificate, sig: Signature): boolean {
  const xds: XmlElement[] = sig.keyInfo?.elements(DS_NS, "X509Data") ?? [];
  let named = false;
  for (const xd of xds) {
    for (const is of xd.elements(DS_NS, "X509IssuerSerial")) {
      named = true;
      const serial = is.first(DS_NS, "X509SerialNumber")?.text().trim() ?? "";
      if (decimalToHex(serial) === c.serialNumber) return true;
    }
    for (const ski of xd.elements(DS_NS, "X509SKI")) {
      named = true;
      try {
        if (c.subjectKeyIdentifier && decodeBase64(ski.rawText(), "X509SKI").toString("hex") === c.subjectKeyIdentifier.toLowerCase()) return true;
      } catch {
        /* a malformed SKI names nothing */
      }
    }
  }
  return !named;
}
