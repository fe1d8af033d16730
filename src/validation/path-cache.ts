/**
 * Path results kept between validations, and for how long of the time axis each one stands.
 *
 * A path result depends on the validation time only through step functions: a certificate is
 * within its validity from notBefore to notAfter (inclusive), a CRL is usable from thisUpdate
 * and stale after nextUpdate. Between two consecutive such instants — over every certificate
 * that path building may consider (anchors, the validator's pool, the signature's own) and every
 * CRL in the store — every decision the validation made comes out the same, so the result
 * stands for any time in that span. The CRL store's version guards the rest: a CRL added,
 * fetched or dropped invalidates every result computed before it.
 */
import type { Certificate } from "../pki/certificate.js";
import type { PathResult } from "../pki/path-types.js";
import type { CrlStore } from "../revocation/crl-store.js";

/** Where a result stands: times in [lo, hi), while the CRL store is at `version`. */
export interface TimeSpan {
  lo: number;
  hi: number;
  version: number;
}

interface Entry {
  at: number;
  until: number;
  span: TimeSpan | null;
  result: PathResult;
  bytes: number;
}

export interface PathCacheOptions {
  /** results kept at most; default 2,000 */
  maxEntries?: number;
  /** bytes the kept results may take (their key, the DER of the certificates they hold, an overhead); default 16 MiB */
  maxBytes?: number;
  /** how long a result computed for one time stands for later times; default 0 */
  windowMs?: number;
}

/** What a result costs besides its key and certificates: report strings, arrays, the entry. */
const OVERHEAD = 1024;

/**
 * Path results by leaf, certificate pool and policy. A result computed at one time is returned
 * for another only within its TimeSpan (when the caller supplies one), or — with `windowMs` — for
 * later times within the window, never past the validity of a certificate in the path. Results
 * with an unknown revocation status are not kept: fetching or adding CRLs may change them. Call
 * clear() after replacing revocation data behind a store that has no version. Bounded by count
 * and by bytes (a result holds its path's certificates alive), oldest dropped first.
 */
export class PathCache {
  private readonly map = new Map<string, Entry>();
  private readonly max: number;
  private readonly maxBytes: number;
  private readonly windowMs: number;
  private total = 0;

  constructor(opts: PathCacheOptions | number = {}, windowMs = 0) {
    const o = typeof opts === "number" ? { maxEntries: opts, windowMs } : opts;
    this.max = o.maxEntries ?? 2_000;
    this.maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
    this.windowMs = o.windowMs ?? 0;
  }

  private key(leaf: Certificate, pool: readonly Certificate[], policy: string): string {
    let k = leaf.sha256 + "|" + policy;
    for (const c of pool) k += "|" + c.sha256;
    return k;
  }

  /** bytes accounted for the kept results */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  get(leaf: Certificate, pool: readonly Certificate[], at: Date, policy = "", version?: number): PathResult | null {
    const e = this.map.get(this.key(leaf, pool, policy));
    if (!e) return null;
    const t = at.getTime();
    if (t === e.at) return e.result;
    const inSpan = e.span !== null && version === e.span.version && t >= e.span.lo && t < e.span.hi;
    if (!inSpan && !(t >= e.at && t <= e.until)) return null;
    // the same conclusions, reported at the time asked for
    return { ...e.result, report: { ...e.result.report, validationTime: at.toISOString() } };
  }

  set(leaf: Certificate, pool: readonly Certificate[], at: Date, result: PathResult, policy = "", span: TimeSpan | null = null): void {
    if (result.revocation.some((r) => r.status === "unknown")) return;
    if (result.report.subIndication === "TRY_LATER") return;
    let until = at.getTime() + this.windowMs;
    for (const c of result.certificates) until = Math.min(until, c.notAfter.getTime());
    if (until < at.getTime()) until = at.getTime();
    const key = this.key(leaf, pool, policy);
    let bytes = key.length * 2 + OVERHEAD;
    for (const c of result.certificates) bytes += c.der.length;
    if (bytes > this.maxBytes) return;
    this.drop(key);
    while (this.map.size > 0 && (this.map.size >= this.max || this.total + bytes > this.maxBytes)) this.drop(this.map.keys().next().value!);
    this.map.set(key, { at: at.getTime(), until, span, result, bytes });
    this.total += bytes;
  }

  private drop(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.bytes;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}

/** The instants (ms) at which some decision of a validation over these inputs may change. */
class Instants {
  lo = -Infinity;
  hi = Infinity;
  constructor(private readonly t: number) {}
  /** a decision that holds from `x` on (inclusive) */
  from(x: number): void {
    if (x <= this.t) {
      if (x > this.lo) this.lo = x;
    } else if (x < this.hi) this.hi = x;
  }
  certificate(c: Certificate): void {
    this.from(c.notBefore.getTime());
    this.from(c.notAfter.getTime() + 1);
  }
}

/** CRL instants per store version (computing them is linear in the store; reuse is the point). */
const crlInstants = new WeakMap<CrlStore, { version: number; times: number[] }>();

function crlTimes(store: CrlStore): number[] {
  const hit = crlInstants.get(store);
  if (hit && hit.version === store.version) return hit.times;
  const times: number[] = [];
  for (const crl of store.all()) {
    times.push(crl.thisUpdate.getTime());
    if (crl.nextUpdate) times.push(crl.nextUpdate.getTime() + 1);
  }
  crlInstants.set(store, { version: store.version, times });
  return times;
}

/**
 * The span of time around `at` in which a path validation over these certificates and this
 * store decides everything as it does at `at`. Read the store's version before validating.
 */
export function timeSpan(at: Date, certificates: ReadonlyArray<Iterable<Certificate>>, store: CrlStore, version: number): TimeSpan {
  const i = new Instants(at.getTime());
  for (const list of certificates) for (const c of list) i.certificate(c);
  for (const x of crlTimes(store)) i.from(x);
  return { lo: i.lo, hi: i.hi, version };
}
