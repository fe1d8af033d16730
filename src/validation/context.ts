/**
 * What signature validation runs against: the trust store, extra certificates, a revocation
 * source, the algorithm policy, and the caches a long-lived validator keeps between calls.
 * Built once per validator (the service's hot path), passed to every verification.
 */
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import type { PathResult, PolicyInputs } from "../pki/path-types.js";
import type { TrustStore } from "../pki/trust-store.js";
import { validatePath } from "../pki/validate-path.js";
import { type CrlSource, createCrlChecker } from "../revocation/checker.js";
import type { Crl } from "../revocation/crl-types.js";
import type { RevocationChecker } from "../revocation/types.js";
import { CrlStore } from "../revocation/crl-store.js";
import { PathCache, timeSpan } from "./path-cache.js";
import { type AlgorithmPolicy, loadDefaultPolicy } from "./policy.js";

export { PathCache };

export interface ValidationContext {
  trustStore: TrustStore;
  /** certificates offered for path building besides those in the signature (`--untrusted`) */
  untrusted: readonly Certificate[];
  revocation: RevocationChecker;
  policy: AlgorithmPolicy;
  /** false: no network fetches (the CLI's --offline) */
  allowFetch: boolean;
  certificates: CertificateCache;
  /** path results by (certificate, time, pool); omit to validate every path afresh */
  paths: PathCache | null;
  /** RFC 5280 §6.1.1 policy inputs for signer paths (default: any policy) */
  pathPolicy?: PolicyInputs;
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
 * Parsed certificates by their DER: a signature's certificate bag is parsed once per validator,
 * not once per verification. Looked up by length and signature tail, confirmed by comparing the
 * whole encoding (cheaper than hashing it, and no two different encodings ever share an entry).
 * Bounded, so hostile input cannot grow it without limit.
 */
export class CertificateCache {
  private readonly map = new Map<string, Certificate[]>();
  private count = 0;
  constructor(private readonly max = 10_000) {}

  private static key(der: Uint8Array): string {
    const n = der.length;
    let k = n.toString(36) + ":";
    for (let i = Math.max(0, n - 24); i < n; i++) k += String.fromCharCode(der[i]!);
    return k;
  }

  private find(key: string, der: Uint8Array): Certificate | null {
    const bucket = this.map.get(key);
    if (bucket) for (const c of bucket) if (Buffer.compare(c.der, der) === 0) return c;
    return null;
  }

  private keep(key: string, cert: Certificate): Certificate {
    if (this.count >= this.max) {
      const [oldest, list] = this.map.entries().next().value!;
      this.map.delete(oldest);
      this.count -= list.length;
    }
    const bucket = this.map.get(key);
    // A bucket only fills with look-alike encodings (same length and tail): keep it short.
    if (bucket && bucket.length < 8) bucket.push(cert);
    else {
      if (bucket) this.count -= bucket.length;
      this.map.set(key, [cert]);
    }
    this.count++;
    return cert;
  }

  /** The parsed certificate for these DER bytes; throws CertificateError when they do not parse. */
  get(der: Uint8Array): Certificate {
    const key = CertificateCache.key(der);
    const hit = this.find(key, der);
    if (hit) return hit;
    // Copied: the cached certificate must not keep the caller's (possibly large) input buffer alive.
    return this.keep(key, parseCertificate(Buffer.from(der)));
  }

  /** Keeps an already parsed certificate (anchors, --untrusted) so bags that repeat it reuse it. */
  put(cert: Certificate): Certificate {
    const key = CertificateCache.key(cert.der);
    return this.find(key, cert.der) ?? this.keep(key, cert);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.map.clear();
    this.count = 0;
  }
}

/**
 * validatePath through the context's cache. `pool` are the certificates the signature carries,
 * `crls` the CRLs it carries (consulted before the validator's own; such paths are not cached).
 */
export async function pathFor(ctx: ValidationContext, leaf: Certificate, pool: readonly Certificate[], at: Date, crls: readonly Crl[] = []): Promise<PathResult> {
  const embedded = crls.length > 0 && ctx.crlStore !== undefined;
  const policyKey = ctx.pathPolicy ? JSON.stringify(ctx.pathPolicy) : "";
  // A result stands for other times only when all revocation data is in a versioned store.
  const store = ctx.revocationFromStore && ctx.crlStore instanceof CrlStore ? ctx.crlStore : null;
  const version = store?.version;
  const hit = embedded ? null : ctx.paths?.get(leaf, pool, at, policyKey, version);
  if (hit) return hit;
  const untrusted = pool.length === 0 ? [...ctx.untrusted] : [...pool, ...ctx.untrusted];
  const result = await validatePath(leaf, {
    anchors: ctx.trustStore,
    untrusted,
    revocation: embedded ? withEmbeddedCrls(ctx.revocation, ctx.crlStore!, crls) : ctx.revocation,
    at,
    ...(ctx.pathPolicy ? { policy: ctx.pathPolicy } : {}),
    allowFetch: ctx.allowFetch,
  });
  if (!embedded && ctx.paths) {
    const span = store && version !== undefined ? timeSpan(at, [[leaf], untrusted, ctx.trustStore.certificates()], store, version) : null;
    ctx.paths.set(leaf, pool, at, result, policyKey, span);
  }
  return result;
}

/**
 * A checker that consults a signature's own CRLs together with the validator's (RFC 5280 §6.3;
 * a CRL proves itself by its signature, so where it came from does not matter), and falls back
 * to the validator's checker (which may fetch) when they do not settle the status.
 */
function withEmbeddedCrls(base: RevocationChecker, store: CrlSource, crls: readonly Crl[]): RevocationChecker {
  const overlay: CrlSource = {
    byIssuer(nameKey) {
      const own = crls.filter((c) => c.issuer.key === nameKey);
      const shared = store.byIssuer(nameKey);
      if (own.length === 0) return shared;
      return [...own, ...shared.filter((c) => !own.some((o) => o.sha256 === c.sha256))].sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
    },
    add: (crl) => store.add(crl),
  };
  const local = createCrlChecker({ store: overlay });
  return {
    async check(cert, rctx) {
      const r = await local.check(cert, { ...rctx, allowFetch: false });
      return r.status === "unknown" ? base.check(cert, rctx) : r;
    },
  };
}

export interface ValidationContextInit {
  trustStore: TrustStore;
  untrusted?: readonly Certificate[];
  revocation: RevocationChecker;
  /** default: policy/default.json */
  policy?: AlgorithmPolicy;
  allowFetch?: boolean;
  /** keep path results (default true); see PathCache */
  cachePaths?: boolean;
  /** how long a path result computed for one time stands for later times (default 0: only that time) */
  pathCacheWindowMs?: number;
  certificateCache?: CertificateCache;
  pathPolicy?: PolicyInputs;
  /** the CRL store behind `revocation` (see ValidationContext.crlStore) */
  crlStore?: CrlSource;
  /** see ValidationContext.revocationFromStore */
  revocationFromStore?: boolean;
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
    policy: init.policy ?? loadDefaultPolicy(),
    allowFetch: init.allowFetch ?? false,
    certificates,
    paths: init.cachePaths === false ? null : new PathCache(2_000, init.pathCacheWindowMs ?? 0),
  };
  if (init.pathPolicy) ctx.pathPolicy = init.pathPolicy;
  if (init.crlStore) ctx.crlStore = init.crlStore;
  if (init.crlStore && init.revocationFromStore) ctx.revocationFromStore = true;
  if (init.isQualifiedAnchor) ctx.isQualifiedAnchor = init.isQualifiedAnchor;
  return ctx;
}
