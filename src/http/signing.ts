/**
 * Two-step signing for a key the client holds (smart card, browser): `prepare` returns the exact
 * octets to sign and a sealed state; `complete` takes the state and the signature value back,
 * rebuilds the to-be-signed octets from the state (and the document, where the signature carries
 * it), checks the signature value against the certificate, and assembles the CAdES/XAdES. No
 * session is kept: the state is the session (signing-state.ts).
 */
import { createHash } from "node:crypto";
import { children, readOid, readRoot } from "../asn1/der.js";
import { assembleCades, prepareCades, schemeFor, SigningError, type Timestamper } from "../cades/sign.js";
import { orderChain } from "../keys/chain.js";
import { ecdsaDerToRaw, ecdsaRawToDer, type SigningHash, type SigningScheme, HASH_LENGTH } from "../keys/provider.js";
import { publicKeyBits, verifySignature } from "../pki/algorithms.js";
import { type Certificate, CertificateError, parseCertificate, parseCertificates, publicKeyOf } from "../pki/certificate.js";
import { assembleXades, prepareXades } from "../xades/sign.js";
import { HttpProblem } from "./problem.js";
import { type SigningState, SigningStateCodec, SigningStateError } from "./signing-state.js";

export type SignatureFormat = "cades" | "xades";
export type Packaging = SigningState["packaging"];

export interface PrepareRequest {
  format: SignatureFormat;
  document: Uint8Array;
  /** the signer's certificate, and any further certificates of its chain (DER or PEM each) */
  certificates: Uint8Array[];
  packaging?: Packaging;
  hash?: SigningHash;
  scheme?: SigningScheme;
  level?: "B-B" | "B-T";
  /** XAdES detached: the reference URI's file name */
  name?: string;
  /** XAdES: DataObjectFormat MIME type */
  mimeType?: string;
}

export interface PrepareResponse {
  format: SignatureFormat;
  packaging: Packaging;
  level: "B-B" | "B-T";
  signingTime: string;
  /** the octets the signature value must cover (base64): CAdES the DER signed attributes SET, XAdES the canonical SignedInfo */
  toBeSigned: string;
  /** their digest (base64), for a token that signs a precomputed hash */
  digest: string;
  digestAlgorithm: SigningHash;
  signatureAlgorithm: { scheme: SigningScheme; hash: SigningHash; id: string; saltLength?: number };
  /** what `complete` accepts as the signature value */
  signatureEncoding: string;
  expiresAt: string;
  state: string;
}

export interface CompleteRequest {
  state: string;
  signatureValue: Uint8Array;
  /** the document again: required for CAdES enveloping and XAdES enveloped/enveloping */
  document?: Uint8Array;
}

export interface CompleteResponse {
  bytes: Buffer;
  mediaType: string;
  filename: string;
}

export interface TwoStepSigningOptions {
  stateKey: Uint8Array;
  clock: () => Date;
  /** how long a prepared signature can be completed (default 15 minutes) */
  ttlSeconds?: number;
  /** B-T: the service's TSA */
  timestamper?: Timestamper;
}

const PACKAGINGS: Record<SignatureFormat, readonly Packaging[]> = { cades: ["enveloping", "detached"], xades: ["enveloped", "enveloping", "detached"] };
const HASHES: readonly SigningHash[] = ["sha256", "sha384", "sha512"];
const SCHEMES: readonly SigningScheme[] = ["rsa-pkcs1", "rsa-pss", "ecdsa"];
const MAX_CHAIN = 8;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const cannotSign = (message: string): HttpProblem => new HttpProblem("CANNOT_SIGN", message);

/** Whether the document must come back with the signature value: the signature carries it. */
export const documentNeeded = (packaging: Packaging): boolean => packaging !== "detached";

export class TwoStepSigning {
  private readonly codec: SigningStateCodec;
  private readonly ttl: number;

  constructor(private readonly o: TwoStepSigningOptions) {
    this.codec = new SigningStateCodec(o.stateKey);
    this.ttl = o.ttlSeconds ?? 15 * 60;
  }

  prepare(r: PrepareRequest): PrepareResponse {
    if (r.format !== "cades" && r.format !== "xades") throw new HttpProblem("BAD_REQUEST", "format must be \"cades\" or \"xades\"");
    const packaging = r.packaging ?? (r.format === "cades" ? "enveloping" : "enveloped");
    if (!PACKAGINGS[r.format].includes(packaging)) throw new HttpProblem("BAD_REQUEST", `packaging for ${r.format} is one of ${PACKAGINGS[r.format].join(", ")}`);
    const hash = r.hash ?? "sha256";
    if (!HASHES.includes(hash)) throw new HttpProblem("BAD_REQUEST", `hash is one of ${HASHES.join(", ")}`);
    if (r.scheme !== undefined && !SCHEMES.includes(r.scheme)) throw new HttpProblem("BAD_REQUEST", `scheme is one of ${SCHEMES.join(", ")}`);
    const level = r.level ?? "B-B";
    if (level !== "B-B" && level !== "B-T") throw new HttpProblem("BAD_REQUEST", "level is \"B-B\" or \"B-T\"");
    if (level === "B-T" && !this.o.timestamper) throw new HttpProblem("NOT_IMPLEMENTED", "this service has no timestamp authority for B-T");
    if (r.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the document is empty");

    const chain = signerChain(r.certificates);
    const signer = chain[0]!;
    const now = this.o.clock();
    // whole seconds: UTCTime and the xsd:dateTime written carry no more
    const signingTime = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const state: SigningState = {
      format: r.format,
      packaging,
      level,
      hash,
      scheme: coreCall(() => schemeFor(signer, r.scheme)),
      signingTime: signingTime.toISOString(),
      chain: chain.map((c) => b64(c.der)),
      documentDigest: b64(createHash(hash).update(r.document).digest()),
      expires: Math.floor(now.getTime() / 1000) + this.ttl,
    };
    const built = this.build(state, r.document, r);
    if (built.xades) {
      state.idTag = built.xades.idTag;
      state.mimeType = built.xades.mimeType;
      if (packaging === "detached") state.name = r.name ?? "content";
    }
    return {
      format: state.format,
      packaging,
      level,
      signingTime: state.signingTime,
      toBeSigned: b64(built.toBeSigned),
      digest: createHash(hash).update(built.toBeSigned).digest("base64"),
      digestAlgorithm: hash,
      signatureAlgorithm: { scheme: state.scheme, hash, id: built.algorithmId, ...(state.scheme === "rsa-pss" ? { saltLength: HASH_LENGTH[hash] } : {}) },
      signatureEncoding:
        state.scheme === "ecdsa" ? "ECDSA: DER Ecdsa-Sig-Value or raw r||s (IEEE P1363), either is accepted" : state.scheme === "rsa-pss" ? "RSASSA-PSS, MGF1 with the same hash, salt as long as the hash" : "RSASSA-PKCS1-v1_5",
      expiresAt: new Date(state.expires * 1000).toISOString(),
      state: this.codec.seal(state),
    };
  }

  async complete(r: CompleteRequest): Promise<CompleteResponse> {
    let state: SigningState;
    try {
      state = this.codec.open(r.state, this.o.clock());
    } catch (e) {
      if (!(e instanceof SigningStateError)) throw e;
      throw new HttpProblem(e.problem === "EXPIRED" ? "SIGNING_STATE_EXPIRED" : "INVALID_SIGNING_STATE", e.message);
    }
    const needed = documentNeeded(state.packaging);
    if (needed && !r.document) throw new HttpProblem("BAD_REQUEST", `a ${state.format} ${state.packaging} signature carries the document: send it again with the signature value`);
    if (r.document && createHash(state.hash).update(r.document).digest("base64") !== state.documentDigest) {
      throw new HttpProblem("DOCUMENT_MISMATCH", "the document is not the one prepared for signing");
    }
    const built = this.build(state, needed ? r.document! : { digest: Buffer.from(state.documentDigest, "base64") }, state);
    const signer = parseCertificate(Buffer.from(state.chain[0]!, "base64"));
    const value = checkSignatureValue(signer, state, built.toBeSigned, r.signatureValue);
    const timestamper = state.level === "B-T" ? this.o.timestamper : undefined;
    if (state.level === "B-T" && !timestamper) throw new HttpProblem("NOT_IMPLEMENTED", "this service has no timestamp authority for B-T");
    if (built.cades) {
      const bytes = await assembleCades(built.cades, value.der, { timestamper });
      const enveloping = state.packaging === "enveloping";
      return { bytes, mediaType: enveloping ? "application/pkcs7-mime" : "application/pkcs7-signature", filename: enveloping ? "signed.p7m" : "signature.p7s" };
    }
    const bytes = await assembleXades(built.xades!, value.raw, { timestamper });
    return { bytes, mediaType: "application/xml", filename: state.packaging === "enveloped" ? "signed.xml" : "signature.xml" };
  }

  /** The core's prepared signature for a state: the same state (and document) give the same octets. */
  private build(state: SigningState, content: Uint8Array | { digest: Uint8Array }, extra: { name?: string; mimeType?: string; idTag?: string }) {
    const chain = state.chain.map((c) => Buffer.from(c, "base64"));
    const common = { certificate: chain[0]!, chain, hash: state.hash, scheme: state.scheme, signingTime: new Date(state.signingTime), content };
    return coreCall(() => {
      if (state.format === "cades") {
        const cades = prepareCades({ ...common, packaging: state.packaging as "enveloping" | "detached" });
        return { toBeSigned: cades.toBeSigned, algorithmId: oidOf(cades.signatureAlgorithm), cades, xades: undefined };
      }
      const xades = prepareXades({ ...common, packaging: state.packaging, name: extra.name, mimeType: extra.mimeType, idTag: extra.idTag });
      return { toBeSigned: xades.toBeSigned, algorithmId: xades.signatureMethod, cades: undefined, xades };
    });
  }
}

/** The signer's certificate first, then its issuers among the others. */
function signerChain(inputs: Uint8Array[]): Certificate[] {
  let certs: Certificate[];
  try {
    certs = inputs.flatMap((b) => parseCertificates(b));
  } catch (e) {
    if (e instanceof CertificateError) throw cannotSign(`the certificate cannot be read: ${e.message}`);
    throw e;
  }
  if (certs.length === 0) throw new HttpProblem("BAD_REQUEST", "the signer's certificate is required");
  if (certs.length > MAX_CHAIN) throw new HttpProblem("BAD_REQUEST", `at most ${MAX_CHAIN} certificates`);
  const [signer, ...others] = certs;
  return orderChain(signer!, others);
}

/** The signature value as CMS (DER) and XMLDSig (raw r||s for ECDSA) want it, once it verifies. */
function checkSignatureValue(signer: Certificate, state: SigningState, toBeSigned: Uint8Array, given: Uint8Array): { der: Buffer; raw: Buffer } {
  const key = publicKeyOf(signer);
  let der: Buffer = Buffer.from(given);
  let raw: Buffer = der;
  if (state.scheme === "ecdsa") {
    const size = Math.ceil(publicKeyBits(key) / 8);
    // r||s is exactly twice the field size; a DER Ecdsa-Sig-Value of the same key never is
    if (given.length === 2 * size) {
      const d = ecdsaRawToDer(given);
      if (!d) throw wrongSignature("the ECDSA signature value is not a raw r||s");
      der = d;
    } else {
      if (given[0] !== 0x30) throw wrongSignature("an ECDSA signature value is a DER Ecdsa-Sig-Value or raw r||s");
      try {
        raw = ecdsaDerToRaw(given, size);
      } catch {
        throw wrongSignature("the ECDSA signature value is not a DER Ecdsa-Sig-Value");
      }
    }
  }
  const alg = { scheme: state.scheme, hash: state.hash, name: `${state.scheme}-${state.hash}`, ...(state.scheme === "rsa-pss" ? { saltLength: HASH_LENGTH[state.hash] } : {}) };
  let ok = false;
  try {
    ok = verifySignature(alg, key, toBeSigned, der);
  } catch {
    ok = false;
  }
  if (!ok) throw wrongSignature(`the signature value does not verify with the certificate's key over the prepared octets (${alg.name})`);
  return { der, raw };
}

const wrongSignature = (detail: string): HttpProblem => new HttpProblem("SIGNATURE_VALUE_INVALID", detail);

/** The core's SigningError (unsupported key, not XML, …) as a 422. */
function coreCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SigningError || e instanceof CertificateError) throw cannotSign(e.message);
    throw e;
  }
}

/** The OID of a DER AlgorithmIdentifier. */
function oidOf(algId: Uint8Array): string {
  return readOid(algId, children(algId, readRoot(algId))[0]!);
}
