/**
 * A time-stamping authority (RFC 3161): TimeStampReq bytes in, TimeStampResp bytes out. The
 * token is CMS SignedData over a TSTInfo, signed with the TSA key, its signed attributes carrying
 * the ESSCertIDv2 of the TSA certificate (RFC 5816). Transport (HTTP) and serial storage are
 * the caller's.
 */
import { createHash } from "node:crypto";
import { readRoot } from "../asn1/der.js";
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

export class TimestampAuthority {
  private readonly cert: Certificate;
  private readonly accepted: Set<string>;

  constructor(private readonly opts: TsaOptions) {
    this.cert = parseCertificate(opts.key.certificate);
    this.accepted = new Set(opts.acceptedHashes ?? ["sha256", "sha384", "sha512"]);
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

  private async token(req: ParsedRequest, serial: bigint): Promise<Buffer> {
    const now = (this.opts.clock ?? (() => new Date()))();
    const accuracyMs = this.opts.accuracyMs ?? 1000;
    const accuracy = sequence(
      ...(accuracyMs >= 1000 ? [integer(Math.floor(accuracyMs / 1000))] : []),
      ...(accuracyMs % 1000 ? [tlv(0x80, integer(accuracyMs % 1000).subarray(2))] : []),
    );
    const tstInfo = sequence(
      integer(1),
      oid(this.opts.policy),
      Buffer.from(req.messageImprintDer),
      integer(serial),
      generalizedTime(now),
      accuracy,
      ...(req.nonceDer ? [Buffer.from(req.nonceDer)] : []),
      // tsa [0] GeneralName: the directoryName of the TSA certificate's subject
      explicit(0, explicit(4, this.cert.subject.der)),
    );
    const h = this.opts.signatureHash ?? "sha256";
    const key = this.opts.key;
    const scheme = key.schemes[0]!;
    const signedAttrs = setOf(
      sequence(oid(CMS.contentType), setOf(oid(CMS.tstInfo))),
      sequence(oid(CMS.signingTime), setOf(x509Time(now))),
      sequence(oid(CMS.messageDigest), setOf(octetString(createHash(h).update(tstInfo).digest()))),
      // RFC 5816: ESSCertIDv2 of the TSA certificate
      sequence(oid(CMS.signingCertificateV2), setOf(signingCertificateV2(this.cert, h))),
    );
    const signature = await key.sign({ data: signedAttrs }, { scheme, hash: h, ecdsaEncoding: "der" });
    const n = readRoot(signedAttrs);
    const signerInfo = sequence(
      integer(1),
      sequence(this.cert.issuer.der, serialOf(this.cert)),
      digestAlgorithm(h),
      tlv(0xa0, signedAttrs.subarray(n.cs, n.ce)),
      signatureAlgorithm(scheme, h),
      octetString(signature),
    );
    const signedData = sequence(
      integer(3), // RFC 5652 §5.1: eContentType other than id-data
      setOf(digestAlgorithm(h)),
      sequence(oid(CMS.tstInfo), explicit(0, octetString(tstInfo))),
      // RFC 3161 §2.4.1: with certReq the TSA's certificate MUST be there and others MAY; the
      // chain as the key store gives it lets a verifier that trusts only the root build the path
      ...(req.certReq ? [tlv(0xa0, ...this.chain())] : []),
      setOf(signerInfo),
    );
    return sequence(oid(CMS.signedData), explicit(0, signedData));
  }
}
