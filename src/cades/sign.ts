/**
 * CAdES creation (ETSI EN 319 122-1 baseline B-B and B-T): a CMS SignedData (RFC 5652) with one
 * SignerInfo whose signed attributes are contentType, messageDigest, signingTime and
 * signingCertificateV2, and — for B-T — a signature timestamp as an unsigned attribute.
 */
import { createHash } from "node:crypto";
import { readRoot } from "../asn1/der.js";
import { explicit, integer, nullValue, octetString, oid, sequence, setOf, tlv, unsignedInteger, x509Time } from "../asn1/writer.js";
import { HASH_LENGTH, type KeyProvider, type SigningHash, type SigningScheme } from "../keys/provider.js";
import { RSASSA_PSS } from "../pki/algorithms.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { CMS } from "./oids.js";

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

/** The schemes a certificate's key can sign with; the first is the default (PKCS#1 v1.5 for RSA, widest acceptance). */
export function schemesFor(cert: Certificate): SigningScheme[] {
  switch (cert.publicKeyAlgorithm.oid) {
    case CMS.rsaEncryption:
      return ["rsa-pkcs1", "rsa-pss"];
    case RSASSA_PSS:
      // RFC 4055 §1.2: a certificate with id-RSASSA-PSS limits the key to PSS
      return ["rsa-pss"];
    case CMS.ecPublicKey:
      return ["ecdsa"];
    default:
      throw new SigningError("UNSUPPORTED_ALGORITHM", `the certificate's key (${cert.publicKeyAlgorithm.oid}) cannot sign here (RSA and ECDSA only)`);
  }
}

/** The signing scheme asked for, checked against what the certificate's key can do. */
export function schemeFor(cert: Certificate, asked: SigningScheme | undefined): SigningScheme {
  const can = schemesFor(cert);
  const scheme = asked ?? can[0]!;
  if (!can.includes(scheme)) throw new SigningError("UNSUPPORTED_ALGORITHM", `this ${can[0] === "ecdsa" ? "EC" : "RSA"} key cannot sign with ${scheme}`);
  return scheme;
}

/** What a CAdES signature is built from, apart from the signature value. */
export interface CadesSigningInput {
  /** the signer's certificate, DER */
  certificate: Uint8Array;
  /** the certificates to embed, signer first (DER) */
  chain: readonly Uint8Array[];
  /** the content, or (detached only) its digest under `hash` */
  content: Uint8Array | { digest: Uint8Array };
  packaging: "enveloping" | "detached";
  hash: SigningHash;
  scheme: SigningScheme;
  signingTime: Date;
}

/** A CAdES signature waiting for its signature value. */
export interface PreparedCades {
  input: CadesSigningInput;
  /** DER of the signed attributes SET: what the signature value covers (RFC 5652 §5.4) */
  toBeSigned: Buffer;
  /** SignerInfo.signatureAlgorithm, DER */
  signatureAlgorithm: Buffer;
}

/** The signed attributes of a CAdES-B-B signature; the same input gives the same octets. */
export function prepareCades(input: CadesSigningInput): PreparedCades {
  const h = input.hash;
  const signer = parseCertificate(input.certificate);
  const c = input.content;
  if (input.packaging === "enveloping" && !(c instanceof Uint8Array)) throw new SigningError("CONTENT_REQUIRED", "an enveloping signature needs the content, not only its digest");
  const messageDigest = c instanceof Uint8Array ? createHash(h).update(c).digest() : Buffer.from(c.digest);
  if (messageDigest.length !== HASH_LENGTH[h]) throw new SigningError("BAD_DIGEST", `a ${h} digest is ${HASH_LENGTH[h]} octets, got ${messageDigest.length}`);
  // EN 319 122-1 §5.2: the B-B signed attributes; SET OF in DER order (X.690 §11.6)
  const toBeSigned = setOf(
    attribute(CMS.contentType, oid(CMS.data)),
    attribute(CMS.messageDigest, octetString(messageDigest)),
    // RFC 5652 §11.3: UTCTime for 1950–2049
    attribute(CMS.signingTime, x509Time(input.signingTime)),
    attribute(CMS.signingCertificateV2, signingCertificateV2(signer, h)),
  );
  return { input, toBeSigned, signatureAlgorithm: signatureAlgorithm(input.scheme, h) };
}

/**
 * The ContentInfo around a signature value over `prepared.toBeSigned` (ECDSA as DER
 * Ecdsa-Sig-Value, RFC 5753 §2.1.1). An enveloping signature needs the content again.
 */
export async function assembleCades(prepared: PreparedCades, signature: Uint8Array, opts: { content?: Uint8Array; timestamper?: Timestamper } = {}): Promise<Buffer> {
  const { input } = prepared;
  const h = input.hash;
  const signer = parseCertificate(input.certificate);
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
    tlv(0xa0, contentOfSet(prepared.toBeSigned)),
    prepared.signatureAlgorithm,
    octetString(signature),
    ...(unsigned.length ? [tlv(0xa1, ...sortDer(unsigned))] : []),
  );
  let encap: Buffer;
  if (input.packaging === "enveloping") {
    const content = opts.content ?? (input.content instanceof Uint8Array ? input.content : null);
    if (!content) throw new SigningError("CONTENT_REQUIRED", "an enveloping signature needs the content");
    encap = sequence(oid(CMS.data), explicit(0, octetString(content)));
  } else encap = sequence(oid(CMS.data));
  const signedData = sequence(
    integer(1),
    setOf(digestAlgorithm(h)),
    encap,
    tlv(0xa0, ...sortDer(input.chain.map((c) => Buffer.from(c)))),
    setOf(signerInfo),
  );
  return sequence(oid(CMS.signedData), explicit(0, signedData));
}

/**
 * Builds and signs a CAdES signature; returns the DER ContentInfo (.p7m when enveloping, .p7s
 * when detached).
 */
export async function signCades(opts: CadesSignOptions): Promise<Buffer> {
  const key = opts.key;
  const hash = opts.hash ?? "sha256";
  const scheme = opts.scheme ?? key.schemes[0]!;
  if (!key.schemes.includes(scheme)) throw new SigningError("UNSUPPORTED_ALGORITHM", `this ${key.keyType.toUpperCase()} key cannot sign with ${scheme}`);
  const prepared = prepareCades({
    certificate: key.certificate,
    chain: key.chain,
    content: opts.content,
    packaging: opts.packaging,
    hash,
    scheme,
    signingTime: opts.signingTime ?? new Date(),
  });
  const signature = await key.sign({ data: prepared.toBeSigned }, { scheme, hash, ecdsaEncoding: "der" });
  return assembleCades(prepared, signature, { timestamper: opts.timestamper });
}

/** The content octets of a DER SET (to re-tag it [0] IMPLICIT). */
function contentOfSet(set: Buffer): Buffer {
  const n = readRoot(set);
  return Buffer.from(set.subarray(n.cs, n.ce));
}

const sortDer = (items: Buffer[]): Buffer[] => [...items].sort(Buffer.compare);
