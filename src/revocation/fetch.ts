/**
 * Downloads CRLs from distribution points (RFC 5280 §4.2.1.13: an HTTP URI names one DER CRL),
 * behind a timeout and a size limit enforced while the body streams in, so a hostile or broken
 * server can neither hang a validation nor fill memory. Results are cached per URL while the
 * CRL is current (validation time before nextUpdate), and concurrent requests for one URL share
 * one download. Redirects are followed by hand, a few at most, each target checked like the
 * original URL (http/https only, and the caller's host rule), so a distribution point cannot send
 * the service to an address it would not have fetched directly.
 */
import { parseCrls } from "./crl.js";
import { CrlError } from "./crl-error.js";
import type { Crl } from "./crl-types.js";

// The fetch errors are the revocation layer's (errors.ts); re-exported for this module's importers.
import { CrlFetchError } from "./errors.js";
export { CrlFetchError, type CrlFetchReason } from "./errors.js";

export interface FetchOptions {
  /** aborts the fetch (the validation's budget ran out) */
  signal?: AbortSignal;
  /** redirects followed at most (default 2) */
  maxRedirects?: number;
  /** whether a host may be contacted (the URL's and every redirect target's); default any */
  allowHost?(host: string): boolean;
}

export interface CrlFetcher {
  /** The CRL at `url`, from the cache when it is current at `at`; rejects with CrlFetchError. */
  fetch(url: string, at: Date, opts?: FetchOptions): Promise<Crl>;
}

export interface CrlFetcherOptions {
  /** for the whole exchange: connect, headers and body; default 5000 */
  timeoutMs?: number;
  /** default 64 MiB: a national QTSP's million-entry CRL is about 45 MB */
  maxBytes?: number;
  fetchImpl?: typeof globalThis.fetch;
  /** URLs kept in the cache, least recently used dropped first; default 256 */
  maxCachedUrls?: number;
  /** DER bytes of the cached CRLs at most, least recently used dropped first; default 128 MiB */
  maxCachedBytes?: number;
}

type FetchResponse = Awaited<ReturnType<typeof globalThis.fetch>>;

export function createCrlFetcher(opts: CrlFetcherOptions = {}): CrlFetcher {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const maxCached = opts.maxCachedUrls ?? 256;
  const maxCachedBytes = opts.maxCachedBytes ?? 128 * 1024 * 1024;
  const cache = new Map<string, Crl>();
  let cachedBytes = 0;
  /** downloads under way, shared by every validation that asks for the URL meanwhile */
  const inflight = new Map<string, Inflight>();

  const get = (url: string, fetchOpts: FetchOptions, signal: AbortSignal): Promise<Crl> =>
    fetchLimited(url, { accept: "application/pkix-crl, application/x-pkcs7-crl;q=0.9, */*;q=0.5" }, fetchOpts, signal, { timeoutMs, maxBytes, fetchImpl }).then((body) => single(url, body));

  function forget(url: string): void {
    const old = cache.get(url);
    if (old) cachedBytes -= old.der.length;
    cache.delete(url);
  }

  function remember(url: string, crl: Crl): void {
    forget(url);
    if (crl.der.length > maxCachedBytes) return;
    cache.set(url, crl);
    cachedBytes += crl.der.length;
    while (cache.size > maxCached || cachedBytes > maxCachedBytes) forget(cache.keys().next().value!);
  }

  return {
    fetch(url: string, at: Date, fetchOpts: FetchOptions = {}): Promise<Crl> {
      const cached = cache.get(url);
      if (cached?.nextUpdate && at.getTime() < cached.nextUpdate.getTime()) {
        remember(url, cached);
        return Promise.resolve(cached);
      }
      let entry = inflight.get(url);
      if (!entry) {
        const controller = new AbortController();
        const promise = get(url, fetchOpts, controller.signal)
          .then((crl) => {
            remember(url, crl);
            return crl;
          })
          .finally(() => inflight.delete(url));
        // (rejections reach the waiters; one left by all of them is nobody's to report)
        promise.catch(() => undefined);
        entry = { promise, controller, waiters: 0 };
        inflight.set(url, entry);
      }
      return wait(url, entry, fetchOpts.signal);
    },
  };
}

/** The URL if it may be fetched: http(s), and a host the caller allows. */
function checked(url: string, allowHost: FetchOptions["allowHost"], original = url): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CrlFetchError(original, "invalid-url", url === original ? "not a valid URL" : `redirect to an invalid URL ${url}`);
  }
  const where = url === original ? "" : ` (redirect to ${u.href})`;
  if (u.protocol === "ldap:" || u.protocol === "ldaps:") {
    throw new CrlFetchError(original, "unsupported-scheme", `LDAP distribution points are not fetched; only http and https${where}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new CrlFetchError(original, "unsupported-scheme", `scheme ${u.protocol} is not fetched; only http and https${where}`);
  }
  if (allowHost && !allowHost(u.hostname.toLowerCase())) {
    throw new CrlFetchError(original, "host-not-allowed", `host ${u.hostname} is not among the hosts the policy allows fetching from${where}`);
  }
  return u;
}

/** How one HTTP exchange is made: the method and body (GET when none), the Accept header. */
export interface HttpRequestSpec {
  accept: string;
  /** what is fetched, for the exchange observers (metrics); default "crl" */
  kind?: FetchKind;
  method?: "GET" | "POST";
  body?: Uint8Array;
  contentType?: string;
}

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
  fetchImpl: typeof globalThis.fetch;
}

export type FetchKind = "crl" | "ocsp" | "tl";

/** One finished exchange, as the observers see it: "ok" or the CrlFetchReason it failed with. */
export interface FetchExchange {
  kind: FetchKind;
  outcome: string;
  seconds: number;
  /** body bytes received (0 on failure before the body) */
  bytes: number;
}

const exchangeObservers = new Set<(e: FetchExchange) => void>();

/**
 * Observers of every exchange (the service's metrics, issue 15). A listener, not a dependency:
 * the fetchers stay free of any metrics library; an observer that throws is ignored.
 */
export function onFetchExchange(f: (e: FetchExchange) => void): () => void {
  exchangeObservers.add(f);
  return () => exchangeObservers.delete(f);
}

function observed(kind: FetchKind, started: number, outcome: string, bytes: number): void {
  if (exchangeObservers.size === 0) return;
  const e: FetchExchange = { kind, outcome, seconds: (performance.now() - started) / 1000, bytes };
  for (const f of exchangeObservers) {
    try {
      f(e);
    } catch {
      // metrics must never fail a fetch
    }
  }
}

/**
 * One exchange under the fetcher limits (CRLs and OCSP alike): http(s) only, the caller's host
 * rule for the URL and every redirect, a timeout for the whole exchange, the body read up to
 * maxBytes. `signal`: the exchange's own, aborted when every validation waiting for it has left.
 */
export async function fetchLimited(url: string, spec: HttpRequestSpec, opts: FetchOptions, signal: AbortSignal, limits: HttpLimits): Promise<Buffer> {
  const started = performance.now();
  try {
    const body = await exchange(url, spec, opts, signal, limits);
    observed(spec.kind ?? "crl", started, "ok", body.length);
    return body;
  } catch (e) {
    observed(spec.kind ?? "crl", started, e instanceof CrlFetchError ? e.reason : "error", 0);
    throw e;
  }
}

async function exchange(url: string, spec: HttpRequestSpec, opts: FetchOptions, signal: AbortSignal, limits: HttpLimits): Promise<Buffer> {
  const { timeoutMs, maxBytes, fetchImpl } = limits;
  let u = checked(url, opts.allowHost);
  const maxRedirects = opts.maxRedirects ?? 2;
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  const stop = () => abort.abort();
  signal.addEventListener("abort", stop, { once: true });
  const failure = (e: unknown): CrlFetchError => {
    if (e instanceof CrlFetchError) return e;
    if (timedOut) return new CrlFetchError(url, "timeout", `no complete response within ${timeoutMs} ms`);
    if (signal.aborted) return new CrlFetchError(url, "aborted", "stopped: the fetch budget of every validation waiting for it ran out");
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    if (cause?.code === "ECONNREFUSED") return new CrlFetchError(url, "connection-refused", "connection refused");
    const detail = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    return new CrlFetchError(url, "network", `network error: ${detail}`);
  };

  try {
    let res: FetchResponse;
    for (let redirects = 0; ; redirects++) {
      try {
        res = await fetchImpl(u.href, {
          signal: abort.signal,
          redirect: "manual",
          method: spec.method ?? "GET",
          headers: { accept: spec.accept, ...(spec.contentType ? { "content-type": spec.contentType } : {}) },
          ...(spec.body ? { body: spec.body } : {}),
        });
      } catch (e) {
        throw failure(e);
      }
      if (res.status < 300 || res.status > 399 || res.status === 304) break;
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get("location");
      if (!location) throw new CrlFetchError(url, "redirect", `HTTP ${res.status} without a Location`);
      if (redirects >= maxRedirects) throw new CrlFetchError(url, "redirect", `more than ${maxRedirects} redirect(s) (limit fetchRedirects)`);
      u = checked(new URL(location, u).href, opts.allowHost, url);
    }
    if (!res.ok) {
      abort.abort();
      throw new CrlFetchError(url, "http-status", `HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}`, res.status);
    }
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      abort.abort();
      throw new CrlFetchError(url, "too-large", `Content-Length ${declared} exceeds the limit of ${maxBytes} bytes`);
    }
    let body: Buffer;
    try {
      body = await readLimited(res, maxBytes, () => abort.abort());
    } catch (e) {
      if (e === TOO_LARGE) throw new CrlFetchError(url, "too-large", `body exceeds the limit of ${maxBytes} bytes`);
      throw failure(e);
    }
    return body;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}

export interface Inflight<T = Crl> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

/**
 * One validation waiting for a shared download: its own budget's signal makes it leave (with
 * "aborted"), and the download itself stops only when the last waiter has left — one
 * validation's budget running out must not fail the others that wait for the same CRL.
 */
export function wait<T>(url: string, entry: Inflight<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal?.aborted) return Promise.reject(new CrlFetchError(url, "aborted", "stopped: the validation's fetch budget ran out"));
  entry.waiters++;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      entry.waiters--;
      signal?.removeEventListener("abort", leave);
      return true;
    };
    const leave = () => {
      if (!settle()) return;
      if (entry.waiters === 0) entry.controller.abort();
      reject(new CrlFetchError(url, "aborted", "stopped: the validation's fetch budget ran out"));
    };
    signal?.addEventListener("abort", leave, { once: true });
    entry.promise.then(
      (v) => settle() && resolve(v),
      (e: unknown) => settle() && reject(e),
    );
  });
}

const TOO_LARGE = Symbol("too large");

/** Reads the body, giving up (and aborting the connection) as soon as it passes `limit`. */
async function readLimited(res: FetchResponse, limit: number, abort: () => void): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      abort();
      await reader.cancel().catch(() => undefined);
      throw TOO_LARGE;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function single(url: string, body: Buffer): Crl {
  if (body.length === 0) throw new CrlFetchError(url, "malformed", "empty response body");
  let crls: Crl[];
  try {
    crls = parseCrls(body);
  } catch (e) {
    if (e instanceof CrlError) throw new CrlFetchError(url, "malformed", `response is no CRL: ${e.message}`);
    throw e;
  }
  if (crls.length !== 1) throw new CrlFetchError(url, "malformed", `expected one CRL, found ${crls.length}`);
  return crls[0]!;
}
