/**
 * DER pieces every CMS signer writes (RFC 5652, RFC 5754, RFC 4055, RFC 5035): algorithm
 * identifiers, the IssuerSerial and the ESS signing-certificate-v2 attribute. Shared by CAdES
 * signatures and the TSA's tokens.
 */
import { createHash } from "node:crypto";
import { explicit, integer, nullValue, octetString, oid, sequence, unsignedInteger } from "../asn1/writer.js";
import { RSASSA_PSS } from "../pki/algorithms.js";
import type { Certificate } from "../pki/certificate.js";
import type { SigningHash, SigningScheme } from "../pki/signing-key.js";

export const DIGEST_OID: Readonly<Record<SigningHash, string>> = {
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};
const RSA_WITH: Record<SigningHash, string> = { sha256: "1.2.840.113549.1.1.11", sha384: "1.2.840.113549.1.1.12", sha512: "1.2.840.113549.1.1.13" };
const ECDSA_WITH: Record<SigningHash, string> = { sha256: "1.2.840.10045.4.3.2", sha384: "1.2.840.10045.4.3.3", sha512: "1.2.840.10045.4.3.4" };
const MGF1 = "1.2.840.113549.1.1.8";
const SALT: Record<SigningHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** A TSA client: takes the hash algorithm and the data to timestamp, returns a TimeStampToken (DER ContentInfo). */
export type Timestamper = (data: Uint8Array, hash: SigningHash) => Promise<Uint8Array>;

/** AlgorithmIdentifier of a digest: parameters absent (RFC 5754 §2). */
export const digestAlgorithm = (h: SigningHash): Buffer => sequence(oid(DIGEST_OID[h]));

/** RFC 4055 §3.1 RSASSA-PSS-params with MGF1 of the same hash and a salt as long as the hash. */
export function pssAlgorithm(h: SigningHash): Buffer {
  const hashAlg = sequence(oid(DIGEST_OID[h]), nullValue());
  return sequence(oid(RSASSA_PSS), sequence(explicit(0, hashAlg), explicit(1, sequence(oid(MGF1), hashAlg)), explicit(2, integer(SALT[h]))));
}

export function signatureAlgorithm(scheme: SigningScheme, h: SigningHash): Buffer {
  switch (scheme) {
    case "rsa-pkcs1":
      return sequence(oid(RSA_WITH[h]), nullValue());
    case "rsa-pss":
      return pssAlgorithm(h);
    case "ecdsa":
      return sequence(oid(ECDSA_WITH[h]));
  }
}

/** IssuerSerial (RFC 5035): the issuer as a GeneralNames with one directoryName, and the serial. */
export function issuerSerial(cert: Certificate): Buffer {
  return sequence(sequence(explicit(4, cert.issuer.der)), serialOf(cert));
}

export const serialOf = (cert: Certificate): Buffer => unsignedInteger(Buffer.from(cert.serialNumber.length % 2 ? "0" + cert.serialNumber : cert.serialNumber, "hex"));

/** RFC 5035 SigningCertificateV2 with one ESSCertIDv2; hashAlgorithm is left out when it is the DEFAULT SHA-256. */
export function signingCertificateV2(cert: Certificate, h: SigningHash): Buffer {
  const certHash = octetString(createHash(h).update(cert.der).digest());
  const essCertId = h === "sha256" ? sequence(certHash, issuerSerial(cert)) : sequence(digestAlgorithm(h), certHash, issuerSerial(cert));
  return sequence(sequence(essCertId));
}

/** An element to be written: octets as they are, or a tag around parts. */
export type DerTree = Uint8Array | DerNode;
export interface DerNode {
  tag: number;
  parts: DerTree[];
}

/** X.690 §8.1.3 length octets, as tlv() writes them: short form below 128, else the fewest octets */
const lengthOctets = (len: number): number => (len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5);

/**
 * The tree encoded into one buffer, as nested tlv() calls would encode it — but every length is
 * measured first and each part copied once, where tlv() inside tlv() copies the content again at
 * each level (a 20 KB SignedData five levels deep: issue 15). `placed` receives where each
 * node it names ended up (a subarray of the result).
 */
export function encodeTree(tree: DerTree, placed?: Map<DerNode, Buffer>): Buffer {
  const lengths = new Map<DerNode, number>();
  const measure = (t: DerTree): number => {
    if (t instanceof Uint8Array) return t.length;
    let n = 0;
    for (const p of t.parts) n += measure(p);
    lengths.set(t, n);
    return 1 + lengthOctets(n) + n;
  };
  const out = Buffer.allocUnsafe(measure(tree));
  const write = (t: DerTree, o: number): number => {
    if (t instanceof Uint8Array) {
      out.set(t, o);
      return o + t.length;
    }
    const start = o;
    const len = lengths.get(t)!;
    out[o++] = t.tag;
    const k = lengthOctets(len) - 1;
    if (k === 0) out[o++] = len;
    else {
      out[o++] = 0x80 | k;
      for (let i = k - 1; i >= 0; i--) out[o++] = (len >>> (8 * i)) & 0xff;
    }
    for (const p of t.parts) o = write(p, o);
    if (placed?.has(t)) placed.set(t, out.subarray(start, o));
    return o;
  };
  if (write(tree, 0) !== out.length) throw new Error("encodeTree: measured and written lengths differ");
  return out;
}
