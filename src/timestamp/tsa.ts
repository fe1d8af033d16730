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
import type { KeyProvider, SigningHash } from "../pki/signing-key.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { parseTimestampRequest, type ParsedRequest } from "./request.js";
import type { SerialSource } from "./tsa-serial.js";

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

/** What every token of one TSA shares, per token signature digest: encoded once (the key, certificate and policy do not change) */
interface FixedParts {
  policy: Buffer;
  accuracy: Buffer;
  /** tsa [0] GeneralName: the directoryName of the TSA certificate's subject */
  tsaName: Buffer;
  /** the certificates [0] field of SignedData */
  certificates: Buffer;
  perHash: Map<SigningHash, { digestAlgorithm: Buffer; digestAlgorithms: Buffer; contentType: Buffer; signingCertificate: Buffer; sid: Buffer; signatureAlgorithm: Buffer }>;
}

export class TimestampAuthority {
  private readonly cert: Certificate;
  private readonly accepted: Set<string>;
  private readonly fixed: FixedParts;

  constructor(private readonly opts: TsaOptions) {
    this.cert = parseCertificate(opts.key.certificate);
    this.accepted = new Set(opts.acceptedHashes ?? ["sha256", "sha384", "sha512"]);
    const accuracyMs = opts.accuracyMs ?? 1000;
    this.fixed = {
      policy: oid(opts.policy),
      accuracy: sequence(
        ...(accuracyMs >= 1000 ? [integer(Math.floor(accuracyMs / 1000))] : []),
        ...(accuracyMs % 1000 ? [tlv(0x80, integer(accuracyMs % 1000).subarray(2))] : []),
      ),
      tsaName: explicit(0, explicit(4, this.cert.subject.der)),
      // RFC 3161 §2.4.1: with certReq the TSA's certificate MUST be there and others MAY; the
      // chain as the key store gives it lets a verifier that trusts only the root build the path
      certificates: tlv(0xa0, ...this.chain()),
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
    if (!this.accepted.has(hash)) throw new Error(`the TSA does not accept ${hash} imprints`);
    const imprint = sequence(digestAlgorithm(hash), octetString(createHash(hash).update(data).digest()));
    return this.token({ messageImprintDer: imprint, nonceDer: null, certReq: true }, this.opts.serials.next());
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
    const token = await this.token(req, serial);
    return { response: sequence(sequence(integer(0)), token), serial, failure: null };
  }

  /** the TSA certificate first, then its issuers as the key store holds them (DER) */
  private chain(): Buffer[] {
    const rest = this.opts.key.chain.filter((der) => Buffer.compare(Buffer.from(der), Buffer.from(this.cert.der)) !== 0);
    return [Buffer.from(this.cert.der), ...rest.map((der) => Buffer.from(der))];
  }

  private reject(bit: number, text: string): TsaResult {
    return { response: rejection(bit, text), serial: null, failure: text };
  }

  private async token(req: Pick<ParsedRequest, "messageImprintDer" | "nonceDer" | "certReq">, serial: bigint): Promise<Buffer> {
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
    const scheme = key.schemes[0]!;
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
    return sequence(oid(CMS.signedData), explicit(0, signedData));
  }
}
