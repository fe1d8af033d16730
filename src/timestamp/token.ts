/**
 * RFC 3161 time-stamp tokens read and checked cryptographically: the token is CMS SignedData
 * over a TSTInfo (§2.4.2); its signature must verify with the TSA's certificate, and its message
 * imprint must be the digest of what was time-stamped (for a CAdES signature-time-stamp, the
 * SignerInfo's signature value, EN 319 122-1 §5.3). Whether the TSA is trusted is decided in
 * validate.ts, by the format-neutral process.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Asn1Error } from "../asn1/der.js";
import { UnsupportedAlgorithmError } from "../pki/algorithms.js";
import type { Certificate } from "../pki/certificate.js";
import { CmsFormatError, NotSignedDataError, parseSignedData } from "../cms/signed-data.js";
import { type CertificateSources, parseBag, signerCandidates } from "../cms/candidates.js";
import type { Integrity, Message, SigningCertificateReference } from "../cms/messages.js";
import { CMS } from "../cms/oids.js";
import { checkSigner } from "../cms/signer.js";
import { type AlgorithmUse, certificateKeyInfo } from "../pki/key-info.js";
import { type TstInfo, parseTstInfo } from "./tst-info.js";

/**
 * signature-time-stamp (proves the signature existed), content-time-stamp (proves the data
 * existed), archive (B-LTA), validation-data (CAdES-C time-stamp, XAdES SigAndRefsTimeStamp) and
 * refs (time-stamped certs-crls-references, RefsOnlyTimeStamp) of the X forms.
 */
export type TimestampKind = "signature" | "content" | "archive" | "validation-data" | "refs";

export interface TimestampToken {
  kind: TimestampKind;
  der: Uint8Array;
  /** SHA-256 of the token, hex */
  sha256: string;
  tstInfo: TstInfo | null;
  tsaCertificate: Certificate | null;
  /** certificates the token carries */
  certificates: Certificate[];
  /** the imprint is the digest of the time-stamped data; null when not checked (archive time-stamps) */
  imprintMatches: boolean | null;
  /** the token's own message digest (over TSTInfo) and signature value */
  integrity: Integrity;
  signingCertificateReference: SigningCertificateReference;
  algorithms: AlgorithmUse[];
  formatErrors: Message[];
  errors: Message[];
  warnings: Message[];
}

export interface ReadTimestampOptions {
  kind: TimestampKind;
  /** the time-stamped bytes; null: the imprint is not checked */
  imprintedData: Uint8Array | null;
  /** where the TSA's certificate may be found (the validation context has this shape) */
  ctx: CertificateSources;
  /** certificates of the enclosing signature, which may hold the TSA's */
  extraCertificates?: readonly Certificate[];
}

export function readTimestampToken(der: Uint8Array, opts: ReadTimestampOptions): TimestampToken {
  const token: TimestampToken = {
    kind: opts.kind,
    der,
    sha256: createHash("sha256").update(der).digest("hex"),
    tstInfo: null,
    tsaCertificate: null,
    certificates: [],
    imprintMatches: null,
    integrity: { dataIntact: null, signatureIntact: null },
    signingCertificateReference: { attribute: null, digestAlgorithm: null, digestMatches: null, issuerSerialMatches: null },
    algorithms: [],
    formatErrors: [],
    errors: [],
    warnings: [],
  };
  const fail = (message: string) => {
    token.formatErrors.push({ code: "MALFORMED_TIMESTAMP", message });
    return token;
  };
  let sd;
  try {
    sd = parseSignedData(der);
  } catch (e) {
    if (e instanceof CmsFormatError || e instanceof NotSignedDataError || e instanceof Asn1Error) return fail(`time-stamp token: ${e.message}`);
    throw e;
  }
  if (sd.eContentType !== CMS.tstInfo) return fail(`time-stamp token holds ${sd.eContentType}, not TSTInfo`);
  if (!sd.eContent) return fail("time-stamp token without its TSTInfo");
  // RFC 3161 §2.4.2: the token is signed by exactly one TSA.
  if (sd.signerInfos.length !== 1) return fail(`time-stamp token with ${sd.signerInfos.length} signers`);
  try {
    token.tstInfo = parseTstInfo(sd.eContent);
  } catch (e) {
    if (e instanceof Asn1Error || e instanceof UnsupportedAlgorithmError) return fail(`TSTInfo: ${e.message}`);
    throw e;
  }
  token.certificates = parseBag(sd.certificates, opts.ctx, token.warnings);
  const local = [...token.certificates, ...(opts.extraCertificates ?? [])];
  const si = sd.signerInfos[0]!;
  const check = checkSigner(si, {
    contents: [sd.eContent],
    eContentType: CMS.tstInfo,
    candidates: (sid) => signerCandidates(sid, local, opts.ctx),
  });
  token.formatErrors.push(...check.formatErrors);
  token.errors.push(...check.errors);
  token.warnings.push(...check.warnings);
  token.tsaCertificate = check.signingCertificate;
  token.signingCertificateReference = check.reference;
  token.integrity = { dataIntact: check.dataIntact, signatureIntact: check.signatureIntact };
  if (!check.reference.attribute) {
    token.warnings.push({ code: "TSA_SIGNING_CERTIFICATE_MISSING", message: "the time-stamp token carries no ESS signing-certificate attribute (RFC 3161 §2.4.2)" });
  }

  const tst = token.tstInfo;
  if (opts.imprintedData) {
    const d = createHash(tst.imprintAlgorithm).update(opts.imprintedData).digest();
    token.imprintMatches = d.length === tst.imprint.length && timingSafeEqual(d, tst.imprint);
  }
  token.algorithms.push({ kind: "digest", digest: tst.imprintAlgorithm, what: "time-stamp message imprint" });
  if (check.digest) token.algorithms.push({ kind: "digest", digest: check.digest, what: "time-stamp token digest" });
  const key = token.tsaCertificate ? certificateKeyInfo(token.tsaCertificate) : null;
  if (check.signature && key) token.algorithms.push({ kind: "signature", scheme: check.signature.scheme, digest: check.signature.hash, key, what: "time-stamp token signature" });
  return token;
}
