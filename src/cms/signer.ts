/**
 * One CMS SignerInfo checked on its own terms (RFC 5652 §5.4–5.6): signed attributes well
 * formed, the signing certificate identified (sid, then ESS signing-certificate(-v2) as EN 319
 * 102-1 §5.2.3 asks), the message digest, and the signature value. Shared by CAdES signers,
 * countersignatures and RFC 3161 timestamp tokens.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Asn1Error, children, readOid, readRoot } from "../asn1/der.js";
import {
  type AlgorithmIdentifier,
  type SignatureAlgorithm,
  UnsupportedAlgorithmError,
  hashName,
  signatureAlgorithm,
  verifySignature,
} from "../pki/algorithms.js";
import { type Certificate, publicKeyOf } from "../pki/certificate.js";
import { type EssCertId, readContentType, readMessageDigest, readSigningCertificate, readSigningTime } from "./attributes.js";
import type { Message, SigningCertificateReference } from "./messages.js";
import { CMS } from "./oids.js";
import { type SignerIdentifier, type SignerInfo, sidIssuer } from "./signed-data.js";
import { type Tolerance, verifySignedAttributes } from "./tolerant-verify.js";
import { certHashMatches as hashMatches, issuerSerialReordered, issuerSerialMatches as namesCertificate } from "./signing-certificate.js";

/** Content hashed elsewhere (a large detached file hashed as a stream): digest name → value. */
export interface DetachedDigests {
  digests: Record<string, Uint8Array>;
  /** a name for the report (file name) */
  name?: string;
  size?: number;
}

export type ContentInput = Uint8Array | DetachedDigests;

export function isDetachedDigests(c: ContentInput): c is DetachedDigests {
  return !(c instanceof Uint8Array);
}

export interface SignerCheck {
  signingCertificate: Certificate | null;
  reference: SigningCertificateReference;
  /** message digest matches one of the contents; null when no content was available */
  dataIntact: boolean | null;
  /** signature value verifies with the signing certificate's key; null when there is no key or the algorithm is unsupported */
  signatureIntact: boolean | null;
  /** index into the contents of the one whose digest matched */
  matchedContent: number | null;
  contentType: string | null;
  signingTime: Date | null;
  /** Node digest name of SignerInfo.digestAlgorithm */
  digest: string | null;
  signature: SignatureAlgorithm | null;
  formatErrors: Message[];
  errors: Message[];
  warnings: Message[];
}

export interface SignerCheckOptions {
  contents: readonly ContentInput[];
  /** the content type the content-type attribute must carry; null for a countersignature, which has none (RFC 5652 §11.4) */
  eContentType: string | null;
  /** certificates that the sid may name */
  candidates(sid: SignerIdentifier): Certificate[];
  /** digest of a content (memoised by the caller, so a content is hashed once per algorithm) */
  digest?(content: Uint8Array, algorithm: string): Uint8Array;
}

const SINGLE_VALUED = new Set<string>([CMS.contentType, CMS.messageDigest, CMS.signingTime, CMS.signingCertificate, CMS.signingCertificateV2, CMS.sigPolicyId, CMS.contentHint, CMS.cmsAlgorithmProtection]);
/** Signed attributes that may appear at most once (RFC 5652 §11, RFC 5035 §5.4, RFC 6211 §2, EN 319 122-1 §5.2). */
const SINGLE_INSTANCE = SINGLE_VALUED;
/** Signed attributes that may appear several times (EN 319 122-1 §5.2.8 content-time-stamp, §5.2.3 commitment-type-indication). */
const REPEATABLE = new Set<string>([CMS.contentTimestamp, CMS.commitmentType]);

/** The signature algorithm; rsaEncryption and id-ecPublicKey take their hash from digestAlgorithm (RFC 3370, RFC 5753). */
export function cmsSignatureAlgorithm(sigAlg: AlgorithmIdentifier, digest: string): SignatureAlgorithm {
  if (sigAlg.oid === CMS.rsaEncryption) return { scheme: "rsa-pkcs1", hash: digest, name: `${digest}WithRSAEncryption` };
  if (sigAlg.oid === CMS.ecPublicKey) return { scheme: "ecdsa", hash: digest, name: `ecdsa-with-${digest}` };
  if (sigAlg.oid === CMS.dsa) return { scheme: "dsa", hash: digest, name: `dsa-with-${digest}` };
  return signatureAlgorithm(sigAlg);
}

const TOLERATED: Record<Exclude<Tolerance, "strict">, Message> = {
  "der-sorted-attributes": { code: "SIGNED_ATTRIBUTES_NOT_DER", message: "the signed attributes are not stored in DER order; the signature verifies over their DER encoding (RFC 5652 §5.4)" },
  "digest-info-without-null": { code: "DIGEST_INFO_PARAMETERS_ABSENT", message: "the RSA signature's DigestInfo omits the hash algorithm's NULL parameters (accepted as RFC 4055 §2.1 allows)" },
};

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function equalEncoding(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function sidMatches(sid: SignerIdentifier, cert: Certificate): boolean {
  if (sid.kind === "subjectKeyIdentifier") return cert.subjectKeyIdentifier === sid.ski;
  if (cert.serialNumber !== sid.serialNumber) return false;
  // The same encoding is the common case; otherwise RFC 5280 §7.1 name comparison.
  return equalEncoding(cert.issuer.der, sid.issuerDer) || cert.issuer.key === sidIssuer(sid).key;
}

function certHashMatches(cert: Certificate, id: EssCertId): boolean {
  return hashMatches(cert, id.hash, id.certHash);
}

function issuerSerialMatches(cert: Certificate, id: EssCertId): boolean | null {
  return namesCertificate(cert, id.issuerSerial);
}

export function checkSigner(si: SignerInfo, opts: SignerCheckOptions): SignerCheck {
  const out: SignerCheck = {
    signingCertificate: null,
    reference: { attribute: null, digestAlgorithm: null, digestMatches: null, issuerSerialMatches: null },
    dataIntact: null,
    signatureIntact: null,
    matchedContent: null,
    contentType: null,
    signingTime: null,
    digest: null,
    signature: null,
    formatErrors: [],
    errors: [],
    warnings: [],
  };
  const fmt = (code: string, message: string) => out.formatErrors.push({ code, message });

  try {
    out.digest = hashName(si.digestAlgorithm.oid);
  } catch (e) {
    out.errors.push({ code: "UNSUPPORTED_ALGORITHM", message: (e as Error).message });
  }
  if (out.digest) {
    try {
      out.signature = cmsSignatureAlgorithm(si.signatureAlgorithm, out.digest);
    } catch (e) {
      if (!(e instanceof UnsupportedAlgorithmError) && !(e instanceof Asn1Error)) throw e;
      out.errors.push({ code: "UNSUPPORTED_ALGORITHM", message: e.message });
    }
  }

  // Signed attributes: RFC 5652 §5.3 and §11; EN 319 122-1 §5.2.
  let messageDigest: Uint8Array | null = null;
  const messageDigests: Uint8Array[] = [];
  let ess: EssCertId[] | null = null;
  if (si.signedAttrs) {
    const seen = new Set<string>();
    const duplicated = new Set<string>();
    for (const a of si.signedAttrs) {
      if (seen.has(a.oid)) duplicated.add(a.oid);
      seen.add(a.oid);
      if (SINGLE_VALUED.has(a.oid) && a.values.length !== 1) fmt("MULTI_VALUED_ATTRIBUTE", `the signed attribute ${a.oid} must have exactly one value`);
    }
    for (const oid of duplicated) {
      // RFC 5652 §11.1–11.3, RFC 5035 §5.4, EN 319 122-1 §5.2: these appear once, so the signature
      // is malformed — its bytes may still verify, and `intact` says so. Others
      // (content-time-stamp, commitment-type-indication) may repeat.
      if (SINGLE_INSTANCE.has(oid)) fmt("DUPLICATE_SIGNED_ATTRIBUTE", `the signed attribute ${oid} appears more than once`);
      else if (!REPEATABLE.has(oid)) out.warnings.push({ code: "DUPLICATE_SIGNED_ATTRIBUTE", message: `the signed attribute ${oid} appears more than once` });
    }
    for (const a of si.signedAttrs) {
      const v = a.values[0]!;
      try {
        switch (a.oid) {
          case CMS.contentType:
            out.contentType = readContentType(v);
            break;
          case CMS.messageDigest:
            // every value, of every instance, must match for the data to count as intact
            for (const mv of a.values) messageDigests.push(readMessageDigest(mv));
            messageDigest = messageDigests[0]!;
            break;
          case CMS.signingTime:
            // two signing times claim nothing (EN 319 102-1 reports no claimed time then)
            out.signingTime = duplicated.has(CMS.signingTime) || a.values.length !== 1 ? null : readSigningTime(v);
            break;
          case CMS.signingCertificateV2:
            ess = readSigningCertificate(v, 2);
            out.reference.attribute = "signingCertificateV2";
            break;
          case CMS.signingCertificate:
            if (!ess) {
              ess = readSigningCertificate(v, 1);
              out.reference.attribute = "signingCertificate";
            }
            break;
          case CMS.cmsAlgorithmProtection:
            checkAlgorithmProtection(v, si, fmt);
            break;
        }
      } catch (e) {
        if (e instanceof Asn1Error || e instanceof UnsupportedAlgorithmError) fmt("MALFORMED_SIGNED_ATTRIBUTE", `signed attribute ${a.oid}: ${e.message}`);
        else throw e;
      }
    }
    if (!messageDigest) fmt("MISSING_MESSAGE_DIGEST", "signed attributes without a message-digest (RFC 5652 §5.3)");
    if (opts.eContentType === null) {
      if (seen.has(CMS.contentType)) fmt("COUNTERSIGNATURE_CONTENT_TYPE", "a countersignature must not carry a content-type attribute (RFC 5652 §11.4)");
    } else if (!seen.has(CMS.contentType)) fmt("MISSING_CONTENT_TYPE", "signed attributes without a content-type (RFC 5652 §5.3)");
    else if (out.contentType !== null && out.contentType !== opts.eContentType) {
      fmt("CONTENT_TYPE_MISMATCH", `content-type attribute ${out.contentType} differs from eContentType ${opts.eContentType} (RFC 5652 §11.1)`);
    }
  } else if (opts.eContentType !== null && opts.eContentType !== CMS.data) {
    fmt("MISSING_SIGNED_ATTRIBUTES", "signed attributes are required when the content is not id-data (RFC 5652 §5.3)");
  }

  // Identification of the signing certificate (EN 319 102-1 §5.2.3).
  let candidates: Certificate[];
  try {
    candidates = opts.candidates(si.sid);
  } catch (e) {
    if (!(e instanceof Asn1Error)) throw e;
    fmt("MALFORMED_SIGNER_IDENTIFIER", `SignerIdentifier: ${e.message}`);
    candidates = [];
  }
  let chosen: Certificate | null = null;
  if (ess) {
    const first = ess[0]!;
    out.reference.digestAlgorithm = first.hash;
    chosen = candidates.find((c) => certHashMatches(c, first)) ?? null;
    if (chosen) {
      out.reference.digestMatches = true;
      out.reference.issuerSerialMatches = issuerSerialMatches(chosen, first);
      // the certificate its digest found, its serial, its issuer's RDNs in another order: named,
      // with a warning (as XAdES IssuerSerialV2, xades/check.ts)
      if (out.reference.issuerSerialMatches === false && first.issuerSerial && issuerSerialReordered(chosen, first.issuerSerial)) {
        out.reference.issuerSerialMatches = true;
        out.warnings.push({ code: "ISSUER_NAME_DIFFERS", message: "the signing-certificate reference names the issuer with its RDNs in another order" });
      }
    } else if (candidates.length > 0) {
      chosen = candidates[0]!;
      out.reference.digestMatches = false;
      out.reference.issuerSerialMatches = issuerSerialMatches(chosen, first);
    }
  } else chosen = candidates[0] ?? null;
  out.signingCertificate = chosen;

  // Message digest over each candidate content (detached content may be offered several times).
  const contents = opts.contents;
  if (messageDigest && out.digest && contents.length > 0) {
    out.dataIntact = false;
    for (let i = 0; i < contents.length; i++) {
      const c = contents[i]!;
      let d: Uint8Array | undefined;
      if (isDetachedDigests(c)) {
        d = c.digests[out.digest];
        if (!d) {
          out.errors.push({ code: "CONTENT_DIGEST_UNAVAILABLE", message: `the detached content was hashed without ${out.digest}` });
          continue;
        }
      } else d = opts.digest ? opts.digest(c, out.digest) : createHash(out.digest).update(c).digest();
      if (messageDigests.every((m) => equalBytes(d!, m))) {
        out.dataIntact = true;
        out.matchedContent = i;
        break;
      }
    }
  }

  // The signature value (RFC 5652 §5.6).
  if (out.signature && candidates.length > 0) {
    const toVerify: Uint8Array[] = [];
    if (si.signedAttrsDer) toVerify.push(si.signedAttrsDer);
    else for (const c of contents) if (!isDetachedDigests(c)) toVerify.push(c);
    if (toVerify.length === 0 && !si.signedAttrsDer) {
      out.errors.push({ code: "CONTENT_UNAVAILABLE", message: "the signature covers the content directly and no content bytes were given" });
    } else {
      // Without an ESS reference, any candidate whose key verifies is the signer's (e.g. a renewed certificate with the same key and SKI).
      const order = chosen ? [chosen, ...(ess ? [] : candidates.filter((c) => c !== chosen))] : [];
      out.signatureIntact = false;
      outer: for (const cert of order) {
        for (let i = 0; i < toVerify.length; i++) {
          let ok = false;
          try {
            if (si.signedAttrsDer) {
              const how = verifySignedAttributes(out.signature, publicKeyOf(cert), si.signedAttrsDer, si.signature);
              ok = how !== null;
              if (how && how !== "strict") out.warnings.push(TOLERATED[how]);
            } else ok = verifySignature(out.signature, publicKeyOf(cert), toVerify[i]!, si.signature);
          } catch (e) {
            out.errors.push({ code: "SIGNATURE_VERIFY_ERROR", message: (e as Error).message });
          }
          if (ok) {
            out.signatureIntact = true;
            out.signingCertificate = cert;
            if (!si.signedAttrsDer) {
              out.dataIntact = true;
              out.matchedContent = contents.indexOf(toVerify[i]!);
            }
            break outer;
          }
        }
      }
      if (!si.signedAttrsDer && !out.signatureIntact && toVerify.length > 0) out.dataIntact = null;
    }
  }
  return out;
}

/** RFC 6211: the protected algorithm identifiers must be those of the SignerInfo. */
function checkAlgorithmProtection(v: Uint8Array, si: SignerInfo, fmt: (code: string, message: string) => void): void {
  const root = readRoot(v);
  const f = children(v, root);
  const digestOid = f[0] ? readOid(v, children(v, f[0])[0]!) : null;
  if (digestOid !== si.digestAlgorithm.oid) fmt("ALGORITHM_PROTECTION_MISMATCH", "CMSAlgorithmProtection names another digest algorithm (RFC 6211)");
  const sig = f.find((n) => n.tag === 0xa1);
  if (sig) {
    const [o] = children(v, sig);
    if (!o || readOid(v, o) !== si.signatureAlgorithm.oid) fmt("ALGORITHM_PROTECTION_MISMATCH", "CMSAlgorithmProtection names another signature algorithm (RFC 6211)");
  }
}
