/**
 * CAdES creation (ETSI EN 319 122-1 baseline B-B and B-T): a CMS SignedData (RFC 5652) with one
 * SignerInfo whose signed attributes are contentType, messageDigest, signingTime and
 * signingCertificateV2, and — for B-T — a signature timestamp as an unsigned attribute.
 */
import { createHash } from "node:crypto";
import { readRoot } from "../asn1/der.js";
import { explicit, integer, octetString, oid, sequence, setOf, tlv, x509Time } from "../asn1/writer.js";
import { RSASSA_PSS } from "../pki/algorithms.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { CMS } from "../cms/oids.js";
import { type Timestamper, digestAlgorithm, serialOf, signatureAlgorithm, signingCertificateV2 } from "../cms/write.js";
import { HASH_LENGTH, type KeyProvider, type SigningHash, type SigningScheme } from "../pki/signing-key.js";

export { DIGEST_OID, type Timestamper, digestAlgorithm, issuerSerial, pssAlgorithm, serialOf, signatureAlgorithm, signingCertificateV2 } from "../cms/write.js";

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

// (defined in the layer's errors module; re-exported for the modules that import it from here)
import { SigningError } from "../pki/errors.js";
export { SigningError };

const attribute = (type: string, ...values: Uint8Array[]): Buffer => sequence(oid(type), setOf(...values));

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
