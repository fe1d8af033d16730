/**
 * The validation policy: everything that decides *what* a validation checks, as one value built
 * once and passed in (pyca's `Policy` in spirit). Its parts:
 * - `algorithms`: cryptographic constraints with sunset dates (EN 319 102-1 §5.2.8);
 * - `pathInputs`: the RFC 5280 §6.1.1 (c)–(f) certificate-policy inputs of signer paths;
 * - `revocation`: the strategy (which sources, whether to fetch, where, what "unknown" means);
 * - `budget`: what one validation may cost (src/limits/budgets.ts).
 *
 * No file is read here: the adapters (CLI, HTTP, src/validator.ts as the library entry) read
 * `policy/default.json` or `--policy FILE` and hand its JSON to `parsePolicy`.
 */
import { DEFAULT_VALIDATION_BUDGET, type ValidationBudget } from "../limits/budgets.js";
import { DEFAULT_PATH_INPUTS, type PathInputs, type PathPolicy } from "../pki/path-types.js";
import { type CryptoConstraints, PolicyError, parseCryptoConstraints } from "./crypto-constraints.js";

export {
  type AlgorithmUse,
  type CryptoConstraints,
  type CryptoConstraintFailure,
  PolicyError,
  certificateKeyInfo,
  checkAlgorithms,
  publicKeyInfo,
  sunsetOf,
} from "./crypto-constraints.js";

export interface RevocationStrategy {
  /** CRLs a signature carries (B-LT) are consulted together with the configured ones */
  readonly useEmbedded: boolean;
  /** fetch distribution points (http/https) when the configured CRLs do not settle a status */
  readonly fetch: boolean;
  /** hosts a fetch and every redirect it follows may go to (exact names, lower case); null: any */
  readonly fetchHosts: readonly string[] | null;
  /**
   * A status that cannot be determined: INDETERMINATE / TRY_LATER (EN 319 102-1 §5.2.6.4). The
   * only value on purpose: a certificate whose revocation cannot be checked never passes.
   */
  readonly onUnknown: "indeterminate";
  /**
   * The sources asked per certificate, in order; the next is asked only when the one before
   * could not settle the status (e.g. `["ocsp", "crl"]`: OCSP first, CRL as fallback). Both
   * draw on the same fetch budget.
   */
  readonly order: readonly RevocationSource[];
  /** send a nonce in OCSP requests (RFC 8954); it must then be echoed */
  readonly ocspNonce: boolean;
  /** the CertID hash of OCSP requests: SHA-1 is what every responder answers (RFC 6960 §4.3) */
  readonly ocspHash: "sha1" | "sha256";
  /** tolerated clock difference for OCSP thisUpdate/nextUpdate, seconds */
  readonly ocspClockSkewSeconds: number;
}

export type RevocationSource = "ocsp" | "crl";

export interface ValidationPolicy extends PathPolicy {
  readonly name: string;
  readonly algorithms: CryptoConstraints;
  readonly pathInputs: Readonly<PathInputs>;
  readonly revocation: RevocationStrategy;
  readonly budget: Readonly<ValidationBudget>;
}

export const DEFAULT_REVOCATION_STRATEGY: RevocationStrategy = Object.freeze({
  useEmbedded: true,
  fetch: true,
  fetchHosts: null,
  onUnknown: "indeterminate" as const,
  // OCSP first, CRLs as fallback: the fresher answer, and what EU QTSPs run. (CRLs were first
  // while the service archived only CRLs; since issue 13 the OCSP responses a verdict used are
  // archived too — material kind "ocsp" — and replayed by revalidate?at=received.)
  order: Object.freeze(["ocsp", "crl"] as const),
  ocspNonce: true,
  ocspHash: "sha1" as const,
  ocspClockSkewSeconds: 300,
});

export interface PolicyOverrides {
  name?: string;
  pathInputs?: Partial<PathInputs>;
  revocation?: Partial<RevocationStrategy>;
  budget?: Partial<ValidationBudget>;
}

/** A policy over these cryptographic constraints, the rest defaulted or overridden. Frozen. */
export function validationPolicy(algorithms: CryptoConstraints, overrides: PolicyOverrides = {}): ValidationPolicy {
  return Object.freeze({
    name: overrides.name ?? algorithms.name,
    algorithms,
    pathInputs: Object.freeze({ ...DEFAULT_PATH_INPUTS, ...overrides.pathInputs }),
    revocation: Object.freeze({ ...DEFAULT_REVOCATION_STRATEGY, ...overrides.revocation }),
    budget: Object.freeze({ ...DEFAULT_VALIDATION_BUDGET, ...overrides.budget }),
  });
}

/** The same policy with some parts replaced (e.g. `revocation.fetch: false` for --offline). */
export function withOverrides(policy: ValidationPolicy, overrides: PolicyOverrides): ValidationPolicy {
  return validationPolicy(policy.algorithms, {
    name: overrides.name ?? policy.name,
    pathInputs: { ...policy.pathInputs, ...overrides.pathInputs },
    revocation: { ...policy.revocation, ...overrides.revocation },
    budget: { ...policy.budget, ...overrides.budget },
  });
}

/**
 * A policy from its JSON form (policy/default.json): the algorithm tables, and optionally
 * `pathInputs`, `revocation` and `budget` objects overriding the defaults field by field.
 * Throws PolicyError when malformed.
 */
export function parsePolicy(json: unknown): ValidationPolicy {
  const obj = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new PolicyError("policy: expected a JSON object");
  const o = obj as Record<string, unknown>;
  const overrides: PolicyOverrides = {};
  if (o.pathInputs !== undefined) overrides.pathInputs = pathInputsOf(section(o, "pathInputs"));
  if (o.revocation !== undefined) overrides.revocation = revocationOf(section(o, "revocation"));
  if (o.budget !== undefined) overrides.budget = budgetOf(section(o, "budget"));
  return validationPolicy(parseCryptoConstraints(o), overrides);
}

/** @deprecated the former name of parsePolicy */
export const loadPolicy = parsePolicy;

function section(o: Record<string, unknown>, name: string): Record<string, unknown> {
  const v = o[name];
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new PolicyError(`policy: ${name} must be an object`);
  return v as Record<string, unknown>;
}

function flag(o: Record<string, unknown>, k: string, where: string): boolean | undefined {
  if (o[k] === undefined) return undefined;
  if (typeof o[k] !== "boolean") throw new PolicyError(`policy: ${where}.${k} must be true or false`);
  return o[k] as boolean;
}

function pathInputsOf(o: Record<string, unknown>): Partial<PathInputs> {
  const out: Partial<PathInputs> = {};
  if (o.userInitialPolicySet !== undefined) {
    const set = o.userInitialPolicySet;
    if (!Array.isArray(set) || set.some((x) => typeof x !== "string" || !/^\d+(\.\d+)+$/.test(x))) throw new PolicyError("policy: pathInputs.userInitialPolicySet must be a list of OIDs");
    out.userInitialPolicySet = set as string[];
  }
  for (const k of ["initialExplicitPolicy", "initialPolicyMappingInhibit", "initialAnyPolicyInhibit"] as const) {
    const v = flag(o, k, "pathInputs");
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function revocationOf(o: Record<string, unknown>): Partial<RevocationStrategy> {
  const out: { -readonly [K in keyof RevocationStrategy]?: RevocationStrategy[K] } = {};
  const embedded = flag(o, "useEmbedded", "revocation");
  if (embedded !== undefined) out.useEmbedded = embedded;
  const fetch = flag(o, "fetch", "revocation");
  if (fetch !== undefined) out.fetch = fetch;
  if (o.fetchHosts !== undefined && o.fetchHosts !== null) {
    if (!Array.isArray(o.fetchHosts) || o.fetchHosts.some((h) => typeof h !== "string")) throw new PolicyError("policy: revocation.fetchHosts must be a list of host names or null");
    out.fetchHosts = (o.fetchHosts as string[]).map((h) => h.toLowerCase());
  }
  if (o.order !== undefined) {
    const order = o.order;
    if (!Array.isArray(order) || order.length === 0 || order.some((x) => x !== "ocsp" && x !== "crl") || new Set(order).size !== order.length) {
      throw new PolicyError(`policy: revocation.order must be a non-empty list of distinct sources "ocsp", "crl"`);
    }
    out.order = order as RevocationSource[];
  }
  const nonce = flag(o, "ocspNonce", "revocation");
  if (nonce !== undefined) out.ocspNonce = nonce;
  if (o.ocspHash !== undefined) {
    if (o.ocspHash !== "sha1" && o.ocspHash !== "sha256") throw new PolicyError(`policy: revocation.ocspHash must be "sha1" or "sha256"`);
    out.ocspHash = o.ocspHash;
  }
  if (o.ocspClockSkewSeconds !== undefined) {
    const v = o.ocspClockSkewSeconds;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 86_400) throw new PolicyError("policy: revocation.ocspClockSkewSeconds must be an integer from 0 to 86400");
    out.ocspClockSkewSeconds = v;
  }
  if (o.onUnknown !== undefined && o.onUnknown !== "indeterminate") throw new PolicyError(`policy: revocation.onUnknown must be "indeterminate" (a status that cannot be checked never passes)`);
  return out;
}

function budgetOf(o: Record<string, unknown>): Partial<ValidationBudget> {
  const out: Partial<ValidationBudget> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!(k in DEFAULT_VALIDATION_BUDGET)) throw new PolicyError(`policy: unknown budget ${k} (one of ${Object.keys(DEFAULT_VALIDATION_BUDGET).join(", ")})`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new PolicyError(`policy: budget.${k} must be a non-negative integer`);
    out[k as keyof ValidationBudget] = v;
  }
  return out;
}
