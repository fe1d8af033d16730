/**
 * What signature validation runs against: the trust store, extra certificates, a revocation
 * source, the validation policy (what to check, one value), and the caches a long-lived validator
 * keeps between calls. Built once per validator (the service's hot path), passed to every
 * verification; every cache here belongs to that validator, so two validators with different
 * trust share nothing.
 */
import type { Certificate } from "../pki/certificate.js";
import { BoundedCache } from "../pki/path-builder.js";
import type { PathResult } from "../pki/path-types.js";
import type { TrustStore } from "../pki/trust-store.js";
import { validatePath } from "../pki/validate-path.js";
import { type CrlSource, createCrlChecker } from "../revocation/checker.js";
import type { Crl } from "../revocation/crl-types.js";
import { FetchBudget } from "../limits/fetch-budget.js";
import type { RevocationChecker } from "../revocation/types.js";
import { CrlStore } from "../revocation/crl-store.js";
import { createOcspChecker } from "../revocation/ocsp-checker.js";
import type { OcspResponse } from "../revocation/ocsp-response.js";
import { CertificateCache } from "./certificate-cache.js";
import { PathCache, timeSpan } from "./path-cache.js";
import type { ValidationPolicy } from "./policy.js";

export { CertificateCache, PathCache };

export interface ValidationContext {
  trustStore: TrustStore;
  /** certificates offered for path building besides those in the signature (`--untrusted`) */
  untrusted: readonly Certificate[];
  revocation: RevocationChecker;
  /** what to check: algorithms, §6.1.1 inputs, revocation strategy, budgets */
  policy: ValidationPolicy;
  certificates: CertificateCache;
  /** path results by (certificate, time, pool); omit to validate every path afresh */
  paths: PathCache | null;
  /** verified certificate signatures, by `${child.sha256}:${issuer.sha256}` */
  signatures: BoundedCache<boolean>;
  /** verified CRL signatures, by `${crl.sha256}:${signer.sha256}` */
  crlSignatures: BoundedCache<boolean>;
  /** the fetch budget of the verification under way (see forVerification); none: one per path */
  fetchBudget?: FetchBudget;
  /**
   * The CRLs behind `revocation`, when it is a CRL checker: CRLs a signature carries (B-LT) are
   * then consulted together with them. Without it, embedded CRLs are reported but not used.
   */
  crlStore?: CrlSource;
  /**
   * `revocation` decides from the CRLs in `crlStore` alone (fetching into it): a cached path
   * result may then stand for other validation times, as far as the certificates' and CRLs'
   * dates allow (path-cache.ts).
   */
  revocationFromStore?: boolean;
  /**
   * Whether an anchor is a qualified CA (from configuration, later from trusted lists).
   * undefined: not configured — qualification then rests on the certificate's own statements.
   */
  isQualifiedAnchor?(anchor: Certificate): boolean | undefined;
}

/**
 * The context for one verification: the same validator state, with a fresh fetch budget that
 * all of the verification's paths (signer, time-stamps, CRL signers) spend from (issue 11.5).
 */
export function forVerification(ctx: ValidationContext): ValidationContext {
  if (!ctx.policy.revocation.fetch) return ctx;
  return { ...ctx, fetchBudget: new FetchBudget(ctx.policy.budget, ctx.policy.revocation.fetchHosts) };
}

/**
 * The certificates of a signature's bag that path building considers: the first
 * `certificatesInBag` of them. Extras are ignored, not refused: the operator's certificates are
 * tried first anyway, so a bag padded with look-alikes cannot hide a path that exists, and an
 * honest signature with a large bag still validates (process.ts reports the cut).
 */
export function bagFor(ctx: ValidationContext, pool: readonly Certificate[]): readonly Certificate[] {
  const max = ctx.policy.budget.certificatesInBag;
  return pool.length > max ? pool.slice(0, max) : pool;
}

/** Revocation data a signature carries (B-LT): its CRLs and OCSP responses, parsed. */
export interface EmbeddedRevocation {
  crls: readonly Crl[];
  ocsp: readonly OcspResponse[];
}

export const NO_EMBEDDED: EmbeddedRevocation = Object.freeze({ crls: [], ocsp: [] });

/**
 * validatePath through the context's cache. `pool` are the certificates the signature carries,
 * `carried` the CRLs (or CRLs and OCSP responses) it carries: consulted before the validator's
 * own sources (policy revocation.useEmbedded); such paths are not cached.
 */
export async function pathFor(ctx: ValidationContext, leaf: Certificate, pool: readonly Certificate[], at: Date, carried: readonly Crl[] | EmbeddedRevocation = NO_EMBEDDED): Promise<PathResult> {
  const ev: EmbeddedRevocation = Array.isArray(carried) ? { crls: carried as readonly Crl[], ocsp: [] } : (carried as EmbeddedRevocation);
  const embedded = (ev.crls.length > 0 || ev.ocsp.length > 0) && ctx.policy.revocation.useEmbedded;
  const policyKey = pathPolicyKey(ctx.policy);
  // A result stands for other times only when all revocation data is in a versioned store.
  const store = ctx.revocationFromStore && ctx.crlStore instanceof CrlStore ? ctx.crlStore : null;
  const version = store?.version;
  const bag = bagFor(ctx, pool);
  const hit = embedded ? null : ctx.paths?.get(leaf, bag, at, policyKey, version);
  if (hit) return hit;
  // paths over carried data: kept for the exact inputs (the same B-LTA file validated again, and
  // the control times of past validation), failures too, unless fetching might settle them later
  const memo = embedded && ctx.paths ? embeddedMemo(ctx) : null;
  const memoKey = memo ? `${leaf.sha256}|${bag.map((c) => c.sha256).join(",")}|${at.getTime()}|${evidenceKey(ev)}|${policyKey}|${version ?? ""}` : "";
  const kept = memo?.get(memoKey);
  if (kept) return kept;
  // The operator's certificates before the signature's own: among issuers of equal likelihood the
  // builder keeps this order, so look-alikes in a bag cannot crowd out the real CA (issue 11.6).
  const untrusted = bag.length === 0 ? ctx.untrusted : [...ctx.untrusted, ...bag];
  const result = await validatePath(leaf, {
    anchors: ctx.trustStore,
    untrusted,
    revocation: embedded ? withEmbedded(ctx, ev) : ctx.revocation,
    at,
    policy: ctx.policy,
    ...(ctx.fetchBudget ? { fetchBudget: ctx.fetchBudget } : {}),
    signatureCache: ctx.signatures,
  });
  // What chained to an anchor is worth keeping parsed; what did not stays in the transient share.
  if (result.certificates.length > 0) for (const c of result.certificates) ctx.certificates.chainedTo(c);
  if (!embedded && ctx.paths) {
    const span = store && version !== undefined ? timeSpan(at, [[leaf], untrusted, ctx.trustStore.certificates()], store, version) : null;
    ctx.paths.set(leaf, bag, at, result, policyKey, span);
  }
  if (memo && (!ctx.policy.revocation.fetch || result.report.subIndication !== "TRY_LATER")) {
    if (memo.size >= EMBEDDED_MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(memoKey, result);
  }
  return result;
}

const EMBEDDED_MEMO_SIZE = 2_000;
const embeddedMemos = new WeakMap<object, Map<string, PathResult>>();
const evidenceKeys = new WeakMap<EmbeddedRevocation, string>();

/** One memo per validator: keyed by its path cache, which the per-verification contexts (forVerification) share. */
function embeddedMemo(ctx: ValidationContext): Map<string, PathResult> {
  const owner: object = ctx.paths!;
  let m = embeddedMemos.get(owner);
  if (!m) embeddedMemos.set(owner, (m = new Map()));
  return m;
}

function evidenceKey(ev: EmbeddedRevocation): string {
  let k = evidenceKeys.get(ev);
  if (k === undefined) {
    k = [...ev.crls.map((c) => c.sha256), "|", ...ev.ocsp.map((r) => r.sha256)].join(",");
    evidenceKeys.set(ev, k);
  }
  return k;
}

const policyKeys = new WeakMap<ValidationPolicy, string>();
const policyIds = new Map<string, string>();
let nextPolicyId = 1;

/**
 * The parts of the policy a path result depends on, as a short cache key: policies are frozen
 * values, and equal parts get the same key (bounded: a process sees a handful of policies).
 */
function pathPolicyKey(policy: ValidationPolicy): string {
  let k = policyKeys.get(policy);
  if (k === undefined) {
    const parts = JSON.stringify([policy.pathInputs, policy.revocation, policy.budget.signatureChecks]);
    k = policyIds.get(parts);
    if (k === undefined) {
      // (ids never repeat, so a key handed out before a clear cannot stand for other parts)
      if (policyIds.size >= 1_000) policyIds.clear();
      k = `p${nextPolicyId++}`;
      policyIds.set(parts, k);
    }
    policyKeys.set(policy, k);
  }
  return k;
}

/**
 * A checker that consults a signature's own revocation data first, in the policy's order of
 * sources: its CRLs together with the validator's (RFC 5280 §6.3; a CRL proves itself by its
 * signature, so where it came from does not matter) and its OCSP responses (RFC 6960, verified as
 * any other); it falls back to the validator's checker (which may fetch) when they do not settle
 * the status. A status decided by carried data says so (`embedded`).
 */
function withEmbedded(ctx: ValidationContext, ev: EmbeddedRevocation): RevocationChecker {
  const base = ctx.revocation;
  const store = ctx.crlStore;
  const own = new Set(ev.crls.map((c) => c.sha256));
  const overlay: CrlSource = {
    byIssuer(nameKey) {
      const mine = ev.crls.filter((c) => c.issuer.key === nameKey);
      const shared = store?.byIssuer(nameKey) ?? [];
      if (mine.length === 0) return shared;
      return [...mine, ...shared.filter((c) => !own.has(c.sha256))].sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
    },
    add: (crl) => (store ? store.add(crl) : crl),
  };
  const crl = createCrlChecker({ store: overlay, signatureCache: ctx.crlSignatures });
  const ocspShas = new Set(ev.ocsp.map((r) => r.sha256));
  const ocsp = ev.ocsp.length
    ? createOcspChecker({
        supplied: ev.ocsp,
        skewMs: ctx.policy.revocation.ocspClockSkewSeconds * 1000,
        async responderStatus(responder, rctx) {
          const r = await crl.check(responder, { ...rctx, allowFetch: false });
          const s = r.status === "unknown" ? await base.check(responder, rctx) : r;
          if (s.status === "good") return null;
          return s.status === "revoked" ? `revoked at ${s.revocationDate?.toISOString()}` : `unknown: ${s.message ?? s.errorCode}`;
        },
      })
    : null;
  const order = ctx.policy.revocation.order;
  return {
    async check(cert, rctx) {
      const local = { ...rctx, allowFetch: false };
      const unusable: string[] = [];
      for (const source of order) {
        if (source === "ocsp" && ocsp) {
          const r = await ocsp.check(cert, local);
          if (r.status !== "unknown") return { ...r, embedded: r.ocspResponse !== undefined && ocspShas.has(r.ocspResponse) };
          if (r.errorCode !== "OCSP_MISSING") unusable.push(`carried OCSP: ${r.message ?? r.errorCode}`);
        }
        if (source === "crl" && ev.crls.length) {
          const r = await crl.check(cert, local);
          if (r.status !== "unknown") return { ...r, embedded: r.crls.some((c) => own.has(c)) };
        }
      }
      const r = await base.check(cert, rctx);
      // what the carried data could not settle is part of why the status is unknown
      return r.status === "unknown" && unusable.length ? { ...r, message: `${r.message ?? r.errorCode}; ${unusable.join("; ")}` } : r;
    },
  };
}

export interface ValidationContextInit {
  trustStore: TrustStore;
  untrusted?: readonly Certificate[];
  revocation: RevocationChecker;
  /** built by the adapter (src/validator.ts reads policy/default.json) */
  policy: ValidationPolicy;
  /** keep path results (default true); see PathCache */
  cachePaths?: boolean;
  /** how long a path result computed for one time stands for later times (default 0: only that time) */
  pathCacheWindowMs?: number;
  certificateCache?: CertificateCache;
  /** the CRL store behind `revocation` (see ValidationContext.crlStore) */
  crlStore?: CrlSource;
  /** see ValidationContext.revocationFromStore */
  revocationFromStore?: boolean;
  /** the CRL signature cache of `revocation`, when it is a CRL checker (default: a new one) */
  crlSignatures?: BoundedCache<boolean>;
  isQualifiedAnchor?(anchor: Certificate): boolean | undefined;
}

export function createValidationContext(init: ValidationContextInit): ValidationContext {
  const certificates = init.certificateCache ?? new CertificateCache();
  const untrusted = (init.untrusted ?? []).map((c) => certificates.put(c));
  for (const a of init.trustStore.certificates()) certificates.put(a);
  const ctx: ValidationContext = {
    trustStore: init.trustStore,
    untrusted,
    revocation: init.revocation,
    policy: init.policy,
    certificates,
    paths: init.cachePaths === false ? null : new PathCache({ windowMs: init.pathCacheWindowMs ?? 0 }),
    signatures: new BoundedCache<boolean>(100_000),
    crlSignatures: init.crlSignatures ?? new BoundedCache<boolean>(50_000),
  };
  if (init.crlStore) ctx.crlStore = init.crlStore;
  if (init.crlStore && init.revocationFromStore) ctx.revocationFromStore = true;
  if (init.isQualifiedAnchor) ctx.isQualifiedAnchor = init.isQualifiedAnchor;
  return ctx;
}
