/**
 * The X.509 certificate validation building block (ETSI EN 319 102-1 §5.2.6): build candidate
 * paths to a trust anchor, validate them per RFC 5280 §6.1 with revocation for every certificate,
 * and say what happened in EN 319 102-1 indications.
 */
import type { KeyObject } from "node:crypto";
import { FetchBudget } from "../limits/fetch-budget.js";
import type { RevocationChecker, RevocationContext, RevocationResult } from "./revocation-port.js";
import type { Indication, SubIndication } from "./indication.js";
import type { Certificate } from "./certificate.js";
import { nameToString } from "./name.js";
import {
  BoundedCache,
  type BuildProgress,
  type CandidatePath,
  type CertificatePool,
  DEFAULT_MAX_PATH_LENGTH,
  PathBudget,
  buildPaths,
  inheritsParameters,
  poolOf,
} from "./path-builder.js";
import type { PathErrorCode } from "./errors.js";
import { DEFAULT_PATH_INPUTS, DEFAULT_PATH_POLICY, type PathEntryReport, type PathError, type PathInputs, type PathPolicy, type PathResult } from "./path-types.js";
import { TIME_CODES, checkPathRevocation, checkStructure } from "./path-validator.js";
import type { TrustStore } from "./trust-store.js";

export interface ValidatePathOptions {
  anchors: TrustStore;
  /** the untrusted certificates to build from: an array (indexed once per array) or a kept pool */
  untrusted: readonly Certificate[] | CertificatePool;
  revocation: RevocationChecker;
  at: Date;
  /**
   * What to check: the ValidationPolicy (validation/policy.ts), of which this reads the §6.1.1
   * inputs, whether to fetch, and the budget (signature checks, fetches). Default DEFAULT_PATH_POLICY.
   */
  policy?: PathPolicy;
  /** the fetch budget of the validation this path is part of (default: one from `policy.budget` for this call) */
  fetchBudget?: FetchBudget;
  /** complete candidate paths validated before giving up */
  maxPathsTried?: number;
  maxPathLength?: number;
  /** verified certificate signatures, the validator's own (default: one for this call only) */
  signatureCache?: BoundedCache<boolean>;
}

/** How deep CRL-signer paths may nest (a CRL signer whose CRL signer needs a path, …). */
const MAX_SIGNER_DEPTH = 4;
/** CRL-signer paths validated in one call at most. */
const MAX_SIGNER_RUNS = 32;

interface Outcome {
  rank: number;
  indication: Indication;
  subIndication: SubIndication | null;
}

/**
 * EN 319 102-1 §5.2.6.4 outcome of each error code; `rank` orders the errors of one path (the
 * first explains the indication) and picks the best failure among paths (higher is closer to
 * passing). A signature that does not verify is the "other reason" of the clause
 * (CERTIFICATE_CHAIN_GENERAL_FAILURE), as in EU DSS's certificate-signature check.
 */
/** NOT_A_CA, PATH_LENGTH_EXCEEDED, KEY_USAGE_NO_CERTSIGN, NAME_CHAINING, policy and name-constraint codes */
const CONSTRAINT: Outcome = { rank: 3, indication: "INDETERMINATE", subIndication: "CHAIN_CONSTRAINTS_FAILURE" };

// Every code is listed (a Record over the union): a new or mistyped code is a compile error,
// not a silent CHAIN_CONSTRAINTS_FAILURE.
const OUTCOMES: Record<PathErrorCode, Outcome> = {
  MALFORMED_CERTIFICATE: { rank: 0, indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" },
  NO_ISSUER_FOUND: { rank: 0, indication: "INDETERMINATE", subIndication: "NO_CERTIFICATE_CHAIN_FOUND" },
  PATH_BUILDING_LIMIT: { rank: 0, indication: "INDETERMINATE", subIndication: "NO_CERTIFICATE_CHAIN_FOUND" },
  CERT_SIGNATURE_INVALID: { rank: 1, indication: "INDETERMINATE", subIndication: "CERTIFICATE_CHAIN_GENERAL_FAILURE" },
  CERT_REVOKED: { rank: 2, indication: "INDETERMINATE", subIndication: "REVOKED_NO_POE" },
  CA_REVOKED: { rank: 2, indication: "INDETERMINATE", subIndication: "REVOKED_CA_NO_POE" },
  CERT_NOT_YET_VALID: { rank: 4, indication: "TOTAL_FAILED", subIndication: "NOT_YET_VALID" },
  CERT_EXPIRED: { rank: 5, indication: "INDETERMINATE", subIndication: "OUT_OF_BOUNDS_NO_POE" },
  REVOCATION_UNKNOWN: { rank: 6, indication: "INDETERMINATE", subIndication: "TRY_LATER" },
  NAME_CHAINING: CONSTRAINT,
  NAME_CONSTRAINTS_VIOLATION: CONSTRAINT,
  EXPLICIT_POLICY_REQUIRED: CONSTRAINT,
  INVALID_POLICY_MAPPING: CONSTRAINT,
  POLICY_TREE_TOO_LARGE: CONSTRAINT,
  UNKNOWN_CRITICAL_EXTENSION: CONSTRAINT,
  NOT_A_CA: CONSTRAINT,
  PATH_LENGTH_EXCEEDED: CONSTRAINT,
  KEY_USAGE_NO_CERTSIGN: CONSTRAINT,
  // set by validation/tl-anchor.ts after path validation: the anchor is outside its trusted period
  TL_SERVICE_NOT_TRUSTED: { rank: 5, indication: "INDETERMINATE", subIndication: "OUT_OF_BOUNDS_NO_POE" },
};

const outcomeOf = (code: PathErrorCode): Outcome => OUTCOMES[code];

interface Attempt {
  path: CandidatePath;
  errors: PathError[];
  revocation: RevocationResult[] | null;
  crls: string[];
  validPolicies: string[] | null;
}

export async function validatePath(leaf: Certificate, opts: ValidatePathOptions): Promise<PathResult> {
  const policy = opts.policy ?? DEFAULT_PATH_POLICY;
  return new Session(opts, policy).run(leaf, opts.anchors, policy.pathInputs, new Set(), 0);
}

/** One top-level validation: CRL-signer results are shared by all the paths it tries. */
class Session {
  private readonly pool: CertificatePool;
  private readonly signers = new Map<string, Promise<boolean>>();
  /** signature checks for the whole call, CRL signers' paths included */
  private readonly signatures: PathBudget;
  private readonly fetchBudget: FetchBudget | null;
  private readonly cache: BoundedCache<boolean>;

  constructor(
    private readonly opts: ValidatePathOptions,
    policy: PathPolicy,
  ) {
    this.pool = poolOf(opts.untrusted);
    this.signatures = new PathBudget(policy.budget.signatureChecks);
    this.fetchBudget = policy.revocation.fetch ? (opts.fetchBudget ?? new FetchBudget(policy.budget, policy.revocation.fetchHosts)) : null;
    this.cache = opts.signatureCache ?? new BoundedCache<boolean>(10_000);
  }

  async run(leaf: Certificate, anchors: TrustStore, policy: PathInputs, ancestors: ReadonlySet<string>, depth: number): Promise<PathResult> {
    const { at } = this.opts;
    const budget = new PathBudget(0, undefined, this.signatures);
    const maxTried = this.opts.maxPathsTried ?? 8;
    const progress: BuildProgress = { deepest: null, deepestLength: 0 };
    const build = {
      anchors,
      pool: this.pool,
      at,
      budget,
      maxLength: this.opts.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH,
      cache: this.cache,
    };
    let best: Attempt | null = null;
    let tried = 0;
    for (const path of buildPaths(leaf, build, progress)) {
      const attempt = await this.attempt(path, anchors, policy, ancestors, depth);
      if (attempt.errors.length === 0) return this.result(attempt);
      if (!best || better(attempt, best)) best = attempt;
      if (++tried >= maxTried) break;
    }
    if (!best && !budget.exhausted) {
      // No path verifies; find one that chains by name to say which signature fails (the
      // signatures it meets are cached from the first search).
      const again = { ...build, allowInvalidSignatures: true };
      for (const path of buildPaths(leaf, again)) {
        best = await this.attempt(path, anchors, policy, ancestors, depth);
        break;
      }
    }
    if (best) return this.result(best);
    const top = progress.deepest ?? leaf;
    const who = nameToString(top.issuer) || "(empty name)";
    const error: PathError = budget.exhausted
      ? { code: "PATH_BUILDING_LIMIT", message: `path building stopped at its limit before reaching a trust anchor (issuer ${who})`, certificate: top.sha256 }
      : { code: "NO_ISSUER_FOUND", message: `no issuer certificate or trust anchor found for issuer ${who}`, certificate: top.sha256 };
    return {
      report: {
        indication: "INDETERMINATE",
        subIndication: "NO_CERTIFICATE_CHAIN_FOUND",
        validationTime: at.toISOString(),
        path: [entry(leaf, null)],
        errors: [error],
      },
      certificates: [],
      revocation: [],
      crlsUsed: [],
      validPolicies: null,
      workingPublicKey: null,
    };
  }

  private async attempt(path: CandidatePath, anchors: TrustStore, policy: PathInputs, ancestors: ReadonlySet<string>, depth: number): Promise<Attempt> {
    const structure = checkStructure(path, this.opts.at, policy);
    const errors = structure.errors;
    let revocation: RevocationResult[] | null = null;
    let crls: string[] = [];
    // Revocation is looked at when the path holds up structurally; an expired certificate still
    // gets it (EN 319 102-1 §5.2.6.4 tells a revoked one apart from one merely out of bounds).
    if (errors.every((e) => TIME_CODES.has(e.code))) {
      const anchor = path.certificates[path.certificates.length - 1]!;
      const inPath = new Set(ancestors);
      for (const c of path.certificates.slice(1)) inPath.add(c.sha256);
      const candidates = this.pool.candidatesWith(anchors);
      const run = await checkPathRevocation(path, this.opts.revocation, (issuer, issuerKey) =>
        this.context(issuer, issuerKey, anchor, anchors, candidates, inPath, depth),
      );
      revocation = run.results;
      crls = run.crls;
      errors.push(...run.errors);
    }
    // Stable: within a rank, the order of processing (anchor side first) is kept.
    errors.sort((a, b) => outcomeOf(a.code).rank - outcomeOf(b.code).rank);
    return { path, errors, revocation, crls, validPolicies: structure.validPolicies };
  }

  private context(
    issuer: Certificate,
    issuerKey: KeyObject | null,
    anchor: Certificate,
    anchors: TrustStore,
    candidates: readonly Certificate[],
    inPath: ReadonlySet<string>,
    depth: number,
  ): RevocationContext {
    const ctx: RevocationContext = {
      ...(this.fetchBudget ? { fetchBudget: this.fetchBudget } : {}),
      at: this.opts.at,
      issuer,
      candidates,
      allowFetch: this.fetchBudget !== null,
      validateCrlSigner: (candidate) => this.validateSigner(candidate, anchor, anchors, inPath, depth),
    };
    if (issuerKey && inheritsParameters(issuer)) ctx.issuerPublicKey = issuerKey;
    return ctx;
  }

  /**
   * A CRL signer's own path, to the same anchor, at the same time, with revocation (RFC 5280
   * §6.3.3 (f)). A signer already being validated up this chain (a CRL-signing key whose status
   * is on the CRL it signs itself, PKITS 4.5.6) is taken as valid here: the validation under way
   * decides it.
   */
  private validateSigner(candidate: Certificate, anchor: Certificate, anchors: TrustStore, inPath: ReadonlySet<string>, depth: number): Promise<boolean> {
    if (inPath.has(candidate.sha256)) return Promise.resolve(true);
    if (depth >= MAX_SIGNER_DEPTH) return Promise.resolve(false);
    const key = `${candidate.sha256}:${anchor.sha256}`;
    let p = this.signers.get(key);
    if (!p) {
      if (this.signers.size >= MAX_SIGNER_RUNS) return Promise.resolve(false);
      const nested = new Set(inPath);
      nested.add(candidate.sha256);
      p = this.run(candidate, anchors.only(anchor), DEFAULT_PATH_INPUTS, nested, depth + 1).then((r) => r.report.indication === "TOTAL_PASSED");
      this.signers.set(key, p);
    }
    return p;
  }

  private result(a: Attempt): PathResult {
    const certs = a.path.certificates;
    const first = a.errors[0];
    const outcome: Outcome = first ? outcomeOf(first.code) : { rank: 99, indication: "TOTAL_PASSED", subIndication: null };
    const revocation = a.revocation ?? certs.map((_, i) => (i === certs.length - 1 ? ANCHOR : UNCHECKED));
    return {
      report: {
        indication: outcome.indication,
        subIndication: outcome.subIndication,
        validationTime: this.opts.at.toISOString(),
        path: certs.map((c, i) => entry(c, revocation[i] ?? null)),
        errors: a.errors,
      },
      certificates: certs,
      revocation,
      crlsUsed: a.crls,
      validPolicies: a.validPolicies,
      workingPublicKey: a.path.publicKeys[0] ?? null,
    };
  }
}

const ANCHOR: RevocationResult = { status: "good", source: null, crls: [] };
const UNCHECKED: RevocationResult = { status: "unknown", source: null, message: "not checked: the path failed before revocation", crls: [] };

function better(a: Attempt, b: Attempt): boolean {
  const ra = outcomeOf(a.errors[0]!.code).rank;
  const rb = outcomeOf(b.errors[0]!.code).rank;
  return ra !== rb ? ra > rb : a.errors.length < b.errors.length;
}

const subjects = new WeakMap<Certificate, string>();

function entry(c: Certificate, r: RevocationResult | null): PathEntryReport {
  let subject = subjects.get(c);
  if (subject === undefined) subjects.set(c, (subject = nameToString(c.subject)));
  const revocation: PathEntryReport["revocation"] = { status: r?.status ?? "unknown", source: r?.source ?? null };
  if (r?.source === "OCSP" && r.producedAt) revocation.producedAt = r.producedAt.toISOString();
  else if (r?.source === "CRL" && r.thisUpdate) revocation.thisUpdate = r.thisUpdate.toISOString();
  return { subject, sha256: c.sha256, revocation };
}
