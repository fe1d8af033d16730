/**
 * CAdES creation (ETSI EN 319 122-1 baseline B-B and B-T): a CMS SignedData (RFC 5652) with one
 * SignerInfo whose signed attributes are contentType, messageDigest, signingTime and
 * signingCertificateV2, and — for B-T — a signature timestamp as an unsigned attribute.
 */
import { createHash } from "node:crypto";
import { readRoot } from "../asn1/der.js";
import { explicit, integer, nullValue, octetString, oid, sequence, setOf, tlv, unsignedInteger, x509Time } from "../asn1/writer.js";
import type { KeyProvider, SigningHash, SigningScheme } from "../keys/provider.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { CMS } from "./oids.js";

export const DIGEST_OID: Readonly<Record<SigningHash, string>> = {
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};
const RSA_WITH: Record<SigningHash, string> = { sha256: "1.2.840.113549.1.1.11", sha384: "1.2.840.113549.1.1.12", sha512: "1.2.840.113549.1.1.13" };
const ECDSA_WITH: Record<SigningHash, string> = { sha256: "1.2.840.10045.4.3.2", sha384: "1.2.840.10045.4.3.3", sha512: "1.2.840.10045.4.3.4" };
const RSASSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";
const SALT: Record<SigningHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** A TSA client: takes the hash algorithm and the data to timestamp, returns a TimeStampToken (DER ContentInfo). */
export type Timestamper = (data: Uint8Array, hash: SigningHash) => Promise<Uint8Array>;

export interface CadesSignOptions {
  key: KeyProvider;
  /** the content; for a detached signature it is hashed only */
  content: Uint8Array;
  packaging: "enveloping" | "detached";
  hash?: SigningHash;
  /** default: the key's first scheme (PKCS#1 v1.5 for RSA, ECDSA for EC) */
  scheme?: SigningScheme;
  /** the claimed signing time (default now) */
  signingTime?: Date;
  /** B-T: asks a TSA for a signature timestamp over the signature value */
  timestamper?: Timestamper;
}

export class SigningError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SigningError";
  }
}

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

const attribute = (type: string, ...values: Uint8Array[]): Buffer => sequence(oid(type), setOf(...values));

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

/**
 * Builds and signs a CAdES signature; returns the DER ContentInfo (.p7m when enveloping, .p7s
 * when detached).
 */
export async function signCades(opts: CadesSignOptions): Promise<Buffer> {
  const h = opts.hash ?? "sha256";
  const key = opts.key;
  const scheme = opts.scheme ?? key.schemes[0]!;
  if (!key.schemes.includes(scheme)) throw new SigningError("UNSUPPORTED_ALGORITHM", `this ${key.keyType.toUpperCase()} key cannot sign with ${scheme}`);
  const signer = parseCertificate(key.certificate);
  const signingTime = opts.signingTime ?? new Date();

  // EN 319 122-1 §5.2: the B-B signed attributes; SET OF in DER order (X.690 §11.6)
  const signedAttrs = setOf(
    attribute(CMS.contentType, oid(CMS.data)),
    attribute(CMS.messageDigest, octetString(createHash(h).update(opts.content).digest())),
    // RFC 5652 §11.3: UTCTime for 1950–2049
    attribute(CMS.signingTime, x509Time(signingTime)),
    attribute(CMS.signingCertificateV2, signingCertificateV2(signer, h)),
  );
  const signature = await key.sign({ data: signedAttrs }, { scheme, hash: h, ecdsaEncoding: "der" });

  const unsigned: Buffer[] = [];
  if (opts.timestamper) {
    // EN 319 122-1 §5.3: the timestamp covers the value of the signature field
    const token = await opts.timestamper(signature, h);
    unsigned.push(attribute(CMS.signatureTimeStampToken, token));
  }

  const signerInfo = sequence(
    integer(1),
    sequence(signer.issuer.der, serialOf(signer)),
    digestAlgorithm(h),
    tlv(0xa0, contentOfSet(signedAttrs)),
    signatureAlgorithm(scheme, h),
    octetString(signature),
    ...(unsigned.length ? [tlv(0xa1, ...sortDer(unsigned))] : []),
  );
  const encap = opts.packaging === "enveloping" ? sequence(oid(CMS.data), explicit(0, octetString(opts.content))) : sequence(oid(CMS.data));
  const signedData = sequence(
    integer(1),
    setOf(digestAlgorithm(h)),
    encap,
    tlv(0xa0, ...sortDer(key.chain.map((c) => Buffer.from(c)))),
    setOf(signerInfo),
  );
  return sequence(oid(CMS.signedData), explicit(0, signedData));
}

/** The content octets of a DER SET (to re-tag it [0] IMPLICIT). */
function contentOfSet(set: Buffer): Buffer {
  const n = readRoot(set);
  return Buffer.from(set.subarray(n.cs, n.ce));
}

const sortDer = (items: Buffer[]): Buffer[] => [...items].sort(Buffer.compare);
