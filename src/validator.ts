/**
 * The library's entry point (contract, "Library"): a validator built once from trust anchors,
 * CRLs, extra certificates and an algorithm policy, then used for many validations. It keeps
 * parsed certificates, CRL indexes and verified signatures between calls — it is the hot path of
 * the CLI and the service alike.
 */
import { type Certificate, CertificateError, parseCertificate, parseCertificates } from "./pki/certificate.js";
import { DEFAULT_POLICY_INPUTS, type PathReport, type PathResult, type PolicyInputs } from "./pki/path-types.js";
import { TrustStore } from "./pki/trust-store.js";
import { validatePath as validateCertificatePath } from "./pki/validate-path.js";
import { createCrlChecker } from "./revocation/checker.js";
import { CrlStore } from "./revocation/crl-store.js";
import { type CrlFetcher, createCrlFetcher } from "./revocation/fetch.js";
import type { RevocationChecker } from "./revocation/types.js";

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
}

export interface PathOptions {
  at?: Date;
  policy?: Partial<PolicyInputs>;
  /** extra untrusted certificates for this call only (DER or PEM bytes) */
  untrusted?: Uint8Array[];
}

export class InputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** which input of its kind (0-based), so a caller that read files can name the file */
    readonly index?: number,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/** Parsed certificates by the bytes they came from, so repeated inputs are parsed once. */
export class CertificateCache {
  private readonly map = new Map<string, Certificate>();
  constructor(private readonly max = 50_000) {}

  parse(der: Uint8Array): Certificate {
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
    let c = this.map.get(key);
    if (!c) {
      c = parseCertificate(der);
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
      this.map.set(key, c);
    }
    return c;
  }
}

export class Validator {
  readonly certificates = new CertificateCache();

  constructor(
    readonly trustStore: TrustStore,
    readonly crlStore: CrlStore,
    readonly untrusted: Certificate[],
    readonly revocation: RevocationChecker,
    readonly offline: boolean,
  ) {}

  /** RFC 5280 path validation of one certificate (contract: `podpis chain`). */
  async validatePath(certBytes: Uint8Array, opts: PathOptions = {}): Promise<PathReport> {
    return (await this.validatePathDetailed(certBytes, opts)).report;
  }

  async validatePathDetailed(certBytes: Uint8Array, opts: PathOptions = {}): Promise<PathResult> {
    const at = opts.at ?? new Date();
    let leaf: Certificate;
    let extra: Certificate[];
    try {
      const certs = parseCertificates(certBytes);
      leaf = certs[0]!;
      extra = [...certs.slice(1), ...(opts.untrusted ?? []).flatMap((b) => parseCertificates(b))];
    } catch (e) {
      if (e instanceof CertificateError) return formatFailure(at, e.message);
      throw e;
    }
    return this.validateCertificate(leaf, { at, policy: opts.policy, untrusted: extra });
  }

  /** Path validation of an already parsed certificate (what signature validation calls). */
  validateCertificate(leaf: Certificate, opts: { at: Date; policy?: Partial<PolicyInputs>; untrusted?: Certificate[] }): Promise<PathResult> {
    return validateCertificatePath(leaf, {
      anchors: this.trustStore,
      untrusted: opts.untrusted?.length ? [...this.untrusted, ...opts.untrusted] : this.untrusted,
      revocation: this.revocation,
      at: opts.at,
      policy: { ...DEFAULT_POLICY_INPUTS, ...opts.policy },
      allowFetch: !this.offline,
    });
  }
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

export async function createValidator(opts: ValidatorOptions): Promise<Validator> {
  let trust: TrustStore;
  try {
    trust = TrustStore.fromBytes(opts.trust);
  } catch (e) {
    throw new InputError("BAD_TRUST_ANCHOR", `a trust anchor is not a certificate: ${(e as Error).message}`);
  }
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
  const offline = opts.offline ?? false;
  const fetcher = offline ? undefined : (opts.fetcher ?? createCrlFetcher());
  const revocation = createCrlChecker({ store: crlStore, fetcher });
  return new Validator(trust, crlStore, untrusted, revocation, offline);
}
