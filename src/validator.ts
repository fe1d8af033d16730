/**
 * The library's entry point (contract, "Library"): a validator built once from trust anchors,
 * CRLs, extra certificates and a validation policy, then used for many validations. It keeps
 * parsed certificates, CRL indexes and verified signatures between calls — its own, shared with no
 * other validator — and is the hot path of the CLI and the service alike. As an adapter it reads
 * the bundled policy/default.json when no policy is given, and supplies "now" when no time is.
 */
import { type Certificate, CertificateError, decodePem, looksLikePem, parseCertificates } from "./pki/certificate.js";
import { readFileSync } from "node:fs";
import { BoundedCache } from "./pki/path-builder.js";
import type { PathInputs, PathReport, PathResult } from "./pki/path-types.js";
import { TrustStore } from "./pki/trust-store.js";
import { validatePath as validateCertificatePath } from "./pki/validate-path.js";
import { createRevocationChecker } from "./revocation/checker.js";
import { type OcspFetcher, createOcspFetcher } from "./revocation/ocsp-fetch.js";
import { OcspError, type OcspResponse, parseOcspResponse } from "./revocation/ocsp-response.js";
import { CrlStore } from "./revocation/crl-store.js";
import { type CrlFetcher, createCrlFetcher } from "./revocation/fetch.js";
import type { RevocationChecker } from "./revocation/types.js";
import { createHash } from "node:crypto";
import { NotASignatureError } from "./cms/errors.js";
import { type ContentInput, verifyCades } from "./validation/verify-cades.js";
import type { DetachedDigests } from "./cms/signer.js";
import { CertificateCache, type ValidationContext, createValidationContext, forVerification, pathFor } from "./validation/context.js";
import { type CryptoConstraints, type ValidationPolicy, parsePolicy, validationPolicy, withOverrides } from "./validation/policy.js";
import { InputError } from "./validation/errors.js";
import type { ValidationReport } from "./validation/report.js";
import { type XadesContentInput, verifyXades } from "./validation/verify-xades.js";
import { describeInput } from "./validation/describe-input.js";
import type { XmlDocument } from "./xades/xml.js";
import type { ValidationBudget } from "./limits/budgets.js";
import type { TrustState } from "./trust/load.js";
import { listWarnings } from "./validation/tl-anchor.js";

export interface ValidatorOptions {
  /** trust anchors: DER or PEM bytes (a PEM may hold several certificates) */
  trust: Uint8Array[];
  /** CRLs: DER or PEM bytes */
  crls?: Uint8Array[];
  /** extra intermediate certificates for path building */
  untrusted?: Uint8Array[];
  /** never fetch CRLs from distribution points */
  offline?: boolean;
  /** network fetcher for CRL distribution points (default: HTTP with timeout and size limit) */
  fetcher?: CrlFetcher;
  /** asks OCSP responders (default: HTTP under the same limits as CRLs) */
  ocspFetcher?: OcspFetcher;
  /** OCSP responses (DER) to use before asking any responder; the only OCSP data used offline */
  ocspResponses?: Uint8Array[];
  /**
   * what to check (default: policy/default.json); bare cryptographic constraints (the former
   * AlgorithmPolicy) are taken as a policy with those and the defaults for the rest
   */
  policy?: ValidationPolicy | CryptoConstraints;
  /** bytes of parsed certificates the validator keeps (default 32 MiB; see CertificateCache) */
  certificateCacheBytes?: number;
  /**
   * trusted lists (TS 119 612) loaded with src/trust/load.ts: their services' certificates anchor
   * paths for the periods the history gives, and decide qualification (TS 119 615); with `trust`
   * given as well, those anchors hold whatever the lists say
   */
  trustedLists?: TrustState;
}

export interface PathOptions {
  at?: Date;
  /** RFC 5280 §6.1.1 (c)–(f) inputs for this path (default: the policy's) */
  pathInputs?: Partial<PathInputs>;
  /** extra untrusted certificates for this call only (DER or PEM bytes) */
  untrusted?: Uint8Array[];
}

export { InputError, type InputErrorCode } from "./validation/errors.js";

/**
 * Detached content: bytes, named bytes (XAdES matches a reference URI by file name), or the
 * digests of a large file hashed as a stream (hashStream).
 */
export type DetachedInput = Uint8Array | { name?: string; bytes: Uint8Array } | DetachedDigests;

export interface VerifyOptions {
  contents?: readonly DetachedInput[];
  /** validation time (default: now) */
  at?: Date;
  /** what this validation may cost (src/limits/budgets.ts): a route's overrides of the defaults */
  budget?: Partial<ValidationBudget>;
  /** stops the work when the caller has gone away (checked between references and signatures) */
  signal?: AbortSignal;
  /** XML already parsed by the caller under the same budget (the receipt check parses once) */
  xml?: XmlDocument;
  /** SHA-256 (hex) of the only certificates that may sign (a receipt: this service's seals) */
  signers?: readonly string[];
}

/** The report of an input that is no signature at all (the service answers it with 422). */
export type NotASignatureReport = ValidationReport & { errors: Array<{ code: string; message: string }> };

export class Validator {
  constructor(
    readonly trustStore: TrustStore,
    readonly crlStore: CrlStore,
    readonly untrusted: Certificate[],
    readonly revocation: RevocationChecker,
    readonly offline: boolean,
    readonly context: ValidationContext,
    /** the trusted lists in use (issue 14), null without; replaced by useTrustedLists */
    private lists: TrustState | null = null,
  ) {}

  get trustState(): TrustState | null {
    return this.lists;
  }

  /**
   * A refreshed set of lists (the service's background refresh): their anchors join the store,
   * and only those the new lists carry anchor from now on (tl-anchor.ts refuses the others).
   */
  useTrustedLists(state: TrustState): void {
    if (!this.context.trustedLists) throw new Error("useTrustedLists: this validator was built without trusted lists");
    for (const a of state.index.anchors()) {
      this.trustStore.add(a);
      this.context.certificates.put(a);
    }
    this.context.trustedLists = state.index;
    this.context.paths?.clear();
    this.lists = state;
  }

  /**
   * Validates every signature in a CAdES (DER, BER or PEM CMS) or XAdES (XML) file. Input that
   * is no signature at all gives TOTAL_FAILED / FORMAT_FAILURE with no signatures and an
   * `errors` entry NOT_A_SIGNATURE.
   */
  async verify(bytes: Uint8Array, opts: VerifyOptions = {}): Promise<ValidationReport | NotASignatureReport> {
    const at = opts.at ?? new Date();
    const contents = opts.contents ?? [];
    const context = forVerification(this.context);
    try {
      let report: ValidationReport | NotASignatureReport;
      if (looksLikeXml(bytes)) {
        const xml: XadesContentInput[] = contents.map((c) => (c instanceof Uint8Array ? { bytes: c } : c));
        report = await verifyXades(bytes, { contents: xml, at, context, budget: opts.budget, signal: opts.signal, doc: opts.xml, signers: opts.signers });
      } else {
        const cms: ContentInput[] = contents.map((c) => (c instanceof Uint8Array || "digests" in c ? c : c.bytes));
        const contentNames = contents.map((c, i) => (!(c instanceof Uint8Array) && c.name) || `content ${i + 1}`);
        report = await verifyCades(bytes, { contents: cms, contentNames, at, context });
      }
      if (this.trustState) {
        // every report names the list versions it used, and says which are stale or were refused
        report.trustedLists = this.trustState.index.lists;
        const warnings = listWarnings(this.trustState, at);
        for (const s of report.signatures) s.warnings.push(...warnings);
      }
      return report;
    } catch (e) {
      if (e instanceof NotASignatureError) return notASignature(bytes, at, e.message);
      throw e;
    }
  }

  /** RFC 5280 path validation of one certificate (contract: `podpis chain`). */
  async validatePath(certBytes: Uint8Array, opts: PathOptions = {}): Promise<PathReport> {
    const report = (await this.validatePathDetailed(certBytes, opts)).report;
    if (!this.trustState) return report;
    return { ...report, trustedLists: this.trustState.index.lists, warnings: listWarnings(this.trustState, opts.at ?? new Date()) } as PathReport;
  }

  async validatePathDetailed(certBytes: Uint8Array, opts: PathOptions = {}): Promise<PathResult> {
    const at = opts.at ?? new Date();
    let leaf: Certificate;
    let extra: Certificate[];
    try {
      const certs = this.parseCached(certBytes);
      leaf = certs[0]!;
      extra = [...certs.slice(1), ...(opts.untrusted ?? []).flatMap((b) => this.parseCached(b))];
    } catch (e) {
      if (e instanceof CertificateError) return formatFailure(at, e.message);
      throw e;
    }
    return this.validateCertificate(leaf, { at, ...(opts.pathInputs ? { pathInputs: opts.pathInputs } : {}), untrusted: extra });
  }

  /** Certificates from DER or PEM through the validator's cache: the same bytes are parsed once. */
  private parseCached(bytes: Uint8Array): Certificate[] {
    if (!looksLikePem(bytes)) return [this.context.certificates.get(bytes)];
    const blocks = decodePem(bytes, "CERTIFICATE");
    if (blocks.length === 0) throw new CertificateError("PEM data holds no CERTIFICATE block");
    return blocks.map((b) => this.context.certificates.get(b));
  }

  /** Path validation of an already parsed certificate (what signature validation calls). */
  validateCertificate(leaf: Certificate, opts: { at: Date; pathInputs?: Partial<PathInputs>; untrusted?: Certificate[] }): Promise<PathResult> {
    const policy = this.context.policy;
    const lists = this.context.trustedLists;
    if (lists) return pathFor({ ...this.context, paths: null, ...(opts.pathInputs ? { policy: withOverrides(policy, { pathInputs: opts.pathInputs }) } : {}) }, leaf, opts.untrusted ?? [], opts.at);
    return validateCertificatePath(leaf, {
      anchors: this.trustStore,
      untrusted: opts.untrusted?.length ? [...this.untrusted, ...opts.untrusted] : this.untrusted,
      revocation: this.revocation,
      at: opts.at,
      policy: opts.pathInputs ? withOverrides(policy, { pathInputs: opts.pathInputs }) : policy,
      signatureCache: this.context.signatures,
    });
  }

  /** what this validator checks */
  get policy(): ValidationPolicy {
    return this.context.policy;
  }
}

/**
 * XML when the first non-blank character is "<": in UTF-8 (after an optional byte order mark), or
 * in UTF-16 announced by its byte order mark (XML 1.0 Appendix F), which the XML parser decodes.
 */
function looksLikeXml(bytes: Uint8Array): boolean {
  const isBlank = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 0 : bytes[0] === 0xfe && bytes[1] === 0xff ? 1 : -1;
  if (utf16 !== -1) {
    // code units of two octets: the character's octet is the low one (LE: first, BE: second), the other zero
    let i = 2;
    while (i + 1 < bytes.length && bytes[i + 1 - utf16] === 0 && isBlank(bytes[i + utf16])) i += 2;
    return bytes[i + utf16] === 0x3c && bytes[i + 1 - utf16] === 0;
  }
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && isBlank(bytes[i])) i++;
  return bytes[i] === 0x3c;
}

function notASignature(bytes: Uint8Array, at: Date, parserMessage: string): NotASignatureReport {
  const message = describeInput(bytes) ?? `this is no CAdES or XAdES signature: ${parserMessage}`;
  return {
    validationTime: at.toISOString(),
    indication: "TOTAL_FAILED",
    subIndication: "FORMAT_FAILURE",
    document: { sha256: createHash("sha256").update(bytes).digest("hex"), format: null, packaging: null },
    signatures: [],
    errors: [{ code: "NOT_A_SIGNATURE", message }],
  } as unknown as NotASignatureReport;
}

function formatFailure(at: Date, message: string): PathResult {
  return {
    report: {
      indication: "TOTAL_FAILED",
      subIndication: "FORMAT_FAILURE",
      validationTime: at.toISOString(),
      path: [],
      errors: [{ code: "MALFORMED_CERTIFICATE", message, certificate: "" }],
    },
    certificates: [],
    revocation: [],
    crlsUsed: [],
    validPolicies: null,
  };
}

let bundledPolicy: ValidationPolicy | null = null;

/** The bundled policy/default.json (beside src/ and dist/), read once. */
export function defaultValidationPolicy(): ValidationPolicy {
  bundledPolicy ??= parsePolicy(readFileSync(new URL("../policy/default.json", import.meta.url), "utf8"));
  return bundledPolicy;
}

function policyOf(p: ValidationPolicy | CryptoConstraints | undefined): ValidationPolicy {
  if (!p) return defaultValidationPolicy();
  return "digests" in p ? validationPolicy(p) : p;
}

export async function createValidator(opts: ValidatorOptions): Promise<Validator> {
  let trust: TrustStore;
  try {
    trust = TrustStore.fromBytes(opts.trust);
  } catch (e) {
    throw new InputError("BAD_TRUST_ANCHOR", `a trust anchor is not a certificate: ${(e as Error).message}`);
  }
  const explicitAnchors = new Set(trust.certificates().map((c) => c.sha256));
  const explicitTrustStore = opts.trustedLists ? new TrustStore(trust.certificates()) : null;
  if (opts.trustedLists) for (const a of opts.trustedLists.index.anchors()) trust.add(a);
  const crlStore = new CrlStore();
  for (const [i, b] of (opts.crls ?? []).entries()) {
    try {
      crlStore.addBytes(b);
    } catch (e) {
      throw new InputError("BAD_CRL", `CRL input ${i + 1} is not a CRL: ${(e as Error).message}`, i);
    }
  }
  let untrusted: Certificate[];
  try {
    untrusted = (opts.untrusted ?? []).flatMap((b) => parseCertificates(b));
  } catch (e) {
    throw new InputError("BAD_CERTIFICATE", `an untrusted certificate input is not a certificate: ${(e as Error).message}`);
  }
  let policy = policyOf(opts.policy);
  if (opts.offline && policy.revocation.fetch) policy = withOverrides(policy, { revocation: { fetch: false } });
  const offline = !policy.revocation.fetch;
  const fetcher = offline ? undefined : (opts.fetcher ?? createCrlFetcher());
  const crlSignatures = new BoundedCache<boolean>(50_000);
  const supplied: OcspResponse[] = [];
  for (const [i, b] of (opts.ocspResponses ?? []).entries()) {
    try {
      supplied.push(parseOcspResponse(b));
    } catch (e) {
      if (!(e instanceof OcspError)) throw e;
      throw new InputError("BAD_OCSP_RESPONSE", `OCSP response input ${i + 1} is not an OCSP response: ${e.message}`, i);
    }
  }
  const rev = policy.revocation;
  const revocation = createRevocationChecker({
    store: crlStore,
    fetcher,
    signatureCache: crlSignatures,
    order: rev.order,
    ocsp: {
      ...(offline ? {} : { fetcher: opts.ocspFetcher ?? createOcspFetcher() }),
      supplied,
      nonce: rev.ocspNonce,
      hash: rev.ocspHash,
      skewMs: rev.ocspClockSkewSeconds * 1000,
    },
  });
  const context = createValidationContext({
    trustStore: trust,
    untrusted,
    revocation,
    crlStore,
    revocationFromStore: true,
    policy,
    crlSignatures,
    ...(opts.trustedLists ? { trustedLists: opts.trustedLists.index, explicitAnchors, explicitTrustStore: explicitTrustStore! } : {}),
    ...(opts.certificateCacheBytes !== undefined ? { certificateCache: new CertificateCache({ maxBytes: opts.certificateCacheBytes }) } : {}),
  });
  return new Validator(trust, crlStore, untrusted, revocation, offline, context, opts.trustedLists ?? null);
}
