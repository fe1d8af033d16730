/**
 * OCSP requests (RFC 6960 §4.1): one CertID per request, SHA-1 (what every responder answers,
 * §4.3) or SHA-256, and a nonce extension by default (RFC 8954: 32 random octets) so a replayed
 * answer is refused. Built with the project's DER writer; the request is never signed.
 */
import { createHash, randomBytes } from "node:crypto";
import { Tag, bytesOf, children, readRoot } from "../asn1/der.js";
import { explicit, nullValue, octetString, oid, sequence, tlv } from "../asn1/writer.js";
import type { Certificate } from "../pki/certificate.js";

export type CertIdHash = "sha1" | "sha256";

export const OCSP_OID = {
  basic: "1.3.6.1.5.5.7.48.1.1",
  nonce: "1.3.6.1.5.5.7.48.1.2",
  noCheck: "1.3.6.1.5.5.7.48.1.5",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

export const HASH_ALGORITHM_OIDS: Record<CertIdHash, string> = {
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** The fields of a CertID (§4.1.1), as hex, for comparing with what a response names. */
export interface CertId {
  hash: CertIdHash;
  issuerNameHash: string;
  issuerKeyHash: string;
  /** the serial INTEGER's content octets, hex */
  serial: string;
}

export interface OcspRequest {
  der: Buffer;
  certId: CertId;
  /** the nonce sent (the OCTET STRING's content), hex; null when none */
  nonce: string | null;
}

export interface OcspRequestOptions {
  hash?: CertIdHash;
  /** default true; false for responders that answer only pre-produced responses */
  nonce?: boolean;
}

/** The subjectPublicKey BIT STRING value (no unused-bits octet) of a certificate's SPKI: what key hashes cover (§4.1.1). */
export function subjectPublicKeyBits(cert: Certificate): Uint8Array {
  const spki = cert.spki;
  const parts = children(spki, readRoot(spki));
  const bits = parts[1];
  if (!bits || bits.tag !== Tag.BIT_STRING || bits.ce - bits.cs < 1) throw new Error("SubjectPublicKeyInfo without a BIT STRING");
  return spki.subarray(bits.cs + 1, bits.ce);
}

/** The serial INTEGER's content octets of a certificate, as stored (hex). */
export function serialContentHex(cert: Certificate): string {
  const tbs = children(cert.tbs, readRoot(cert.tbs));
  const serial = tbs[0]?.tag === 0xa0 ? tbs[1]! : tbs[0]!;
  return Buffer.from(cert.tbs.subarray(serial.cs, serial.ce)).toString("hex");
}

const digest = (hash: CertIdHash, b: Uint8Array): string => createHash(hash).update(b).digest("hex");

/** The CertID of `cert` issued by `issuer` (issuerNameHash over the cert's issuer field, which is the issuer's subject). */
export function certIdOf(cert: Certificate, issuer: Certificate, hash: CertIdHash = "sha1"): CertId {
  return {
    hash,
    issuerNameHash: digest(hash, cert.issuer.der),
    issuerKeyHash: digest(hash, subjectPublicKeyBits(issuer)),
    serial: serialContentHex(cert),
  };
}

function encodeCertId(id: CertId): Buffer {
  return sequence(
    sequence(oid(HASH_ALGORITHM_OIDS[id.hash]), nullValue()),
    octetString(Buffer.from(id.issuerNameHash, "hex")),
    octetString(Buffer.from(id.issuerKeyHash, "hex")),
    tlv(Tag.INTEGER, Buffer.from(id.serial, "hex")),
  );
}

export function buildOcspRequest(cert: Certificate, issuer: Certificate, opts: OcspRequestOptions = {}): OcspRequest {
  const certId = certIdOf(cert, issuer, opts.hash ?? "sha1");
  const nonce = opts.nonce === false ? null : randomBytes(32);
  const request = sequence(encodeCertId(certId));
  const parts: Buffer[] = [sequence(request)];
  if (nonce) {
    // Extension ::= SEQUENCE { extnID, extnValue OCTET STRING (DER of Nonce ::= OCTET STRING) }
    parts.push(explicit(2, sequence(sequence(oid(OCSP_OID.nonce), octetString(octetString(nonce))))));
  }
  const der = sequence(sequence(...parts));
  return { der, certId, nonce: nonce ? nonce.toString("hex") : null };
}

/** A CertID from its DER (the response side), null when it is not one. */
export function readCertId(buf: Uint8Array, node: { cs: number; ce: number; tag: number; start: number; end: number }): CertId | null {
  if (node.tag !== Tag.SEQUENCE) return null;
  const [alg, nameHash, keyHash, serial] = children(buf, node);
  if (!alg || alg.tag !== Tag.SEQUENCE || nameHash?.tag !== Tag.OCTET_STRING || keyHash?.tag !== Tag.OCTET_STRING || serial?.tag !== Tag.INTEGER) return null;
  const algOid = children(buf, alg)[0];
  if (!algOid || algOid.tag !== Tag.OID) return null;
  const algDer = Buffer.from(bytesOf(buf, algOid)).toString("hex");
  const hash = (Object.keys(HASH_ALGORITHM_OIDS) as CertIdHash[]).find((h) => oid(HASH_ALGORITHM_OIDS[h]).toString("hex") === algDer);
  if (!hash) return null;
  const hexOf = (n: { cs: number; ce: number }) => Buffer.from(buf.subarray(n.cs, n.ce)).toString("hex");
  return { hash, issuerNameHash: hexOf(nameHash), issuerKeyHash: hexOf(keyHash), serial: hexOf(serial) };
}

export function sameCertId(a: CertId, b: CertId): boolean {
  return a.hash === b.hash && a.issuerNameHash === b.issuerNameHash && a.issuerKeyHash === b.issuerKeyHash && a.serial === b.serial;
}
