/**
 * A time-stamping authority (RFC 3161): TimeStampReq bytes in, TimeStampResp bytes out. The
 * token is CMS SignedData over a TSTInfo, signed with the TSA key, its signed attributes carrying
 * the ESSCertIDv2 of the TSA certificate (RFC 5816). Transport (HTTP) and serial storage are
 * the caller's.
 */
import { createHash } from "node:crypto";
import { bitString, explicit, integer, octetString, oid, sequence, setOf, tlv, utf8String, generalizedTime, x509Time } from "../asn1/writer.js";
import { digestAlgorithm, serialOf, signatureAlgorithm, signingCertificateV2 } from "../cms/write.js";
import { CMS } from "../cms/oids.js";
import type { KeyProvider, SigningHash, SigningScheme } from "../pki/signing-key.js";
import { type Certificate, parseCertificate, publicKeyOf } from "../pki/certificate.js";
import { verifySignature } from "../pki/algorithms.js";
import { parseGeneralName, type GeneralName } from "../pki/general-name.js";
import { readIntegerHex, readRoot } from "../asn1/der.js";
import { parseTimestampRequest, type ParsedRequest } from "./request.js";
import type { SerialSource } from "./tsa-serial.js";
import type { TstInfo } from "./tst-info.js";

export interface TsaOptions {
  key: KeyProvider;
  /** the TSA policy OID put in every TSTInfo */
  policy: string;
  serials: SerialSource;
  /** the accuracy the TSA's clock is claimed to have (default 1 s) */
  accuracyMs?: number;
  clock?: () => Date;
  /** message imprint digests accepted (default SHA-256/384/512) */
  acceptedHashes?: readonly string[];
  /** the digest of the token's own signature (default SHA-256) */
  signatureHash?: SigningHash;
}

/** PKIFailureInfo bits (RFC 3161 §2.4.2). */
export const FailInfo = { badAlg: 0, badRequest: 2, badDataFormat: 5, timeNotAvailable: 14, unacceptedPolicy: 15, unacceptedExtension: 16, systemFailure: 25 } as const;

/** A named-bit BIT STRING with one bit set, DER (X.690 §11.2.2: no trailing zero bits). */
function failInfoBits(bit: number): Buffer {
  const bytes = Buffer.alloc((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (bit & 7));
}

export function rejection(bit: number, text: string): Buffer {
  // PKIStatusInfo { status rejection(2), statusString, failInfo }
  return sequence(sequence(integer(2), sequence(utf8String(text)), failInfoBits(bit)));
}

export interface TsaResult {
  response: Buffer;
  /** granted: the serial number issued */
  serial: bigint | null;
  /** rejected: why */
  failure: string | null;
}

/**
 * What the TSA knows of a token it has just issued in process (issueTracked): its TSTInfo, the
 * TSA certificate and the chain it carries, the signature's algorithm — what reading the token
 * back would find (timestamp/issued.ts makes the TimestampToken of it; issue 15: the service's
 * check of its fresh tokens then neither parses nor verifies them again).
 */
export interface IssuedToken {
  /** the token's octets as issued (a copy: a lookup compares them, they are not trusted to stay) */
  der: Buffer;
  tstInfo: TstInfo;
  certificate: Uint8Array;
  /** the certificates [0] of the token (certReq), TSA certificate first */
  certificates: readonly Uint8Array[];
  /** SignerInfo.digestAlgorithm (Node name) and the signature scheme */
  digest: SigningHash;
  scheme: SigningScheme;
}

const issuedTokens = new WeakMap<Uint8Array, IssuedToken>();

/** What this process's TSA recorded of exactly these octets, or null (another TSA's token, or altered since). */
export function issuedToken(token: Uint8Array): IssuedToken | null {
  const t = issuedTokens.get(token);
  return t && t.der.length === token.length && t.der.equals(token) ? t : null;
}

/** What every token of one TSA shares, per token signature digest: encoded once (the key, certificate and policy do not change) */
interface FixedParts {
  policy: Buffer;
  accuracy: Buffer;
  /** tsa [0] GeneralName: the directoryName of the TSA certificate's subject */
  tsaName: Buffer;
  /** the certificates [0] field of SignedData */
  certificates: Buffer;
  /** the tsa field parsed, as a reader of the token would find it (TstInfo.tsa) */
  tsaGeneralName: GeneralName;
  perHash: Map<SigningHash, { digestAlgorithm: Buffer; digestAlgorithms: Buffer; contentType: Buffer; signingCertificate: Buffer; sid: Buffer; signatureAlgorithm: Buffer; scheme: SigningScheme }>;
}

export class TimestampAuthority {
  private readonly cert: Certificate;
  private readonly accepted: Set<string>;
  private readonly fixed: FixedParts;
  /** the TSA certificate first, then its issuers as the key store holds them (DER) */
  private readonly chainDer: Buffer[];
  /**
   * Whether the key signs what the certificate's public key verifies: settled by the first token
   * (a PKCS#12 or PKCS#11 key paired with another certificate would make every token fail). Only
   * with a proven key are issued tokens recorded for issuedToken.
   */
  private keyMatches: boolean | null = null;

  constructor(private readonly opts: TsaOptions) {
    this.cert = parseCertificate(opts.key.certificate);
    this.accepted = new Set(opts.acceptedHashes ?? ["sha256", "sha384", "sha512"]);
    const rest = opts.key.chain.filter((der) => Buffer.compare(Buffer.from(der), Buffer.from(this.cert.der)) !== 0);
    this.chainDer = [Buffer.from(this.cert.der), ...rest.map((der) => Buffer.from(der))];
    const accuracyMs = opts.accuracyMs ?? 1000;
    this.fixed = {
      policy: oid(opts.policy),
      accuracy: sequence(
        ...(accuracyMs >= 1000 ? [integer(Math.floor(accuracyMs / 1000))] : []),
        ...(accuracyMs % 1000 ? [tlv(0x80, integer(accuracyMs % 1000).subarray(2))] : []),
      ),
      tsaName: explicit(0, explicit(4, this.cert.subject.der)),
      tsaGeneralName: parseGeneralName(...generalNameNode(explicit(4, this.cert.subject.der))),
      // RFC 3161 §2.4.1: with certReq the TSA's certificate MUST be there and others MAY; the
      // chain as the key store gives it lets a verifier that trusts only the root build the path
      certificates: tlv(0xa0, ...this.chainDer),
      perHash: new Map(),
    };
  }

  private parts(h: SigningHash) {
    let p = this.fixed.perHash.get(h);
    if (!p) {
      const scheme = this.opts.key.schemes[0]!;
      p = {
        digestAlgorithm: digestAlgorithm(h),
        digestAlgorithms: setOf(digestAlgorithm(h)),
        contentType: sequence(oid(CMS.contentType), setOf(oid(CMS.tstInfo))),
        // RFC 5816: ESSCertIDv2 of the TSA certificate
        signingCertificate: sequence(oid(CMS.signingCertificateV2), setOf(signingCertificateV2(this.cert, h))),
        sid: sequence(this.cert.issuer.der, serialOf(this.cert)),
        signatureAlgorithm: signatureAlgorithm(scheme, h),
        scheme,
      };
      this.fixed.perHash.set(h, p);
    }
    return p;
  }

  /**
   * A token over `data` for the service itself (in process): what `respond` gives for a request
   * with certReq, no nonce and no policy, without encoding the request and decoding the response.
   */
  async issue(data: Uint8Array, hash: SigningHash): Promise<Buffer> {
    return (await this.issueTracked(data, hash)).token;
  }

  /** `issue`, and what the TSA knows of the token (null until the key is proven to match the certificate) */
  async issueTracked(data: Uint8Array, hash: SigningHash): Promise<{ token: Buffer; issued: IssuedToken | null }> {
    if (!this.accepted.has(hash)) throw new Error(`the TSA does not accept ${hash} imprints`);
    const digest = createHash(hash).update(data).digest();
    const imprint = sequence(digestAlgorithm(hash), octetString(digest));
    const serial = this.opts.serials.next();
    const made = await this.make({ messageImprintDer: imprint, nonceDer: null, certReq: true }, serial);
    if (this.keyMatches === null) {
      const p = this.parts(made.hash);
      this.keyMatches = verifySignature({ scheme: p.scheme, hash: made.hash, saltLength: createHash(made.hash).digest().length, name: p.scheme }, publicKeyOf(this.cert), made.signedAttrs, made.signature);
    }
    if (!this.keyMatches) return { token: made.token, issued: null };
    const serialDer = integer(serial);
    const tstInfo: TstInfo = {
      version: 1, policy: this.opts.policy, imprintAlgorithm: hash, imprint: digest, serialNumber: readIntegerHex(serialDer, readRoot(serialDer)),
      genTime: new Date(made.genTime.getTime()), accuracyMs: this.opts.accuracyMs ?? 1000, ordering: false, nonce: null, tsa: this.fixed.tsaGeneralName,
    };
    const issued: IssuedToken = { der: Buffer.from(made.token), tstInfo, certificate: this.cert.der, certificates: this.chainDer, digest: made.hash, scheme: this.parts(made.hash).scheme };
    issuedTokens.set(made.token, issued);
    return { token: made.token, issued };
  }

  async respond(requestDer: Uint8Array): Promise<TsaResult> {
    let req: ParsedRequest;
    try {
      req = parseTimestampRequest(requestDer);
    } catch (e) {
      return this.reject(FailInfo.badDataFormat, `malformed TimeStampReq: ${(e as Error).message}`);
    }
    if (!req.hash || !this.accepted.has(req.hash)) return this.reject(FailInfo.badAlg, `unsupported message imprint algorithm ${req.hashOid}`);
    if (req.imprint.length !== createHash(req.hash).digest().length) return this.reject(FailInfo.badDataFormat, `the imprint is not a ${req.hash} digest`);
    if (req.policy && req.policy !== this.opts.policy) return this.reject(FailInfo.unacceptedPolicy, `policy ${req.policy} is not this TSA's (${this.opts.policy})`);
    if (req.hasExtensions) return this.reject(FailInfo.unacceptedExtension, "request extensions are not supported");
    let serial: bigint;
    try {
      serial = this.opts.serials.next();
    } catch {
      return this.reject(FailInfo.systemFailure, "the TSA cannot issue a serial number");
    }
    const { token } = await this.make(req, serial);
    return { response: sequence(sequence(integer(0)), token), serial, failure: null };
  }

  private reject(bit: number, text: string): TsaResult {
    return { response: rejection(bit, text), serial: null, failure: text };
  }

  private async make(req: Pick<ParsedRequest, "messageImprintDer" | "nonceDer" | "certReq">, serial: bigint): Promise<{ token: Buffer; genTime: Date; hash: SigningHash; signedAttrs: Buffer; signature: Uint8Array }> {
    const now = (this.opts.clock ?? (() => new Date()))();
    const f = this.fixed;
    const tstInfo = sequence(
      integer(1),
      f.policy,
      req.messageImprintDer,
      integer(serial),
      generalizedTime(now),
      f.accuracy,
      ...(req.nonceDer ? [req.nonceDer] : []),
      f.tsaName,
    );
    const h = this.opts.signatureHash ?? "sha256";
    const p = this.parts(h);
    const key = this.opts.key;
    const scheme = p.scheme;
    const signedAttrs = setOf(
      p.contentType,
      sequence(oid(CMS.signingTime), setOf(x509Time(now))),
      sequence(oid(CMS.messageDigest), setOf(octetString(createHash(h).update(tstInfo).digest()))),
      p.signingCertificate,
    );
    const signature = await key.sign({ data: signedAttrs }, { scheme, hash: h, ecdsaEncoding: "der" });
    // [0] IMPLICIT SET OF Attribute: the same octets under another tag (RFC 5652 §5.3)
    const implicitAttrs = Buffer.from(signedAttrs);
    implicitAttrs[0] = 0xa0;
    const signerInfo = sequence(integer(1), p.sid, p.digestAlgorithm, implicitAttrs, p.signatureAlgorithm, octetString(signature));
    const signedData = sequence(
      integer(3), // RFC 5652 §5.1: eContentType other than id-data
      p.digestAlgorithms,
      sequence(oid(CMS.tstInfo), explicit(0, octetString(tstInfo))),
      ...(req.certReq ? [f.certificates] : []),
      setOf(signerInfo),
    );
    return { token: sequence(oid(CMS.signedData), explicit(0, signedData)), genTime: now, hash: h, signedAttrs, signature };
  }
}

/** The GeneralName node of an encoded GeneralName, for parseGeneralName */
function generalNameNode(der: Buffer): [Buffer, ReturnType<typeof readRoot>] {
  return [der, readRoot(der)];
}
