/**
 * Downloads CRLs from distribution points (RFC 5280 §4.2.1.13: an HTTP URI names one DER CRL),
 * behind a timeout and a size limit enforced while the body streams in, so a hostile or broken
 * server can neither hang a validation nor fill memory. Results are cached per URL while the
 * CRL is current (validation time before nextUpdate), and concurrent requests for one URL share
 * one download.
 */
import { parseCrls } from "./crl.js";
import { CrlError } from "./crl-error.js";
import type { Crl } from "./crl-types.js";

// The fetch errors are the revocation layer's (errors.ts); re-exported for this module's importers.
import { CrlFetchError } from "./errors.js";
export { CrlFetchError, type CrlFetchReason } from "./errors.js";

export interface CrlFetcher {
  /** The CRL at `url`, from the cache when it is current at `at`; rejects with CrlFetchError. */
  fetch(url: string, at: Date): Promise<Crl>;
}

export interface CrlFetcherOptions {
  /** for the whole exchange: connect, headers and body; default 5000 */
  timeoutMs?: number;
  /** default 64 MiB: a national QTSP's million-entry CRL is about 45 MB */
  maxBytes?: number;
  fetchImpl?: typeof globalThis.fetch;
  /** URLs kept in the cache, least recently used dropped first; default 256 */
  maxCachedUrls?: number;
}

type FetchResponse = Awaited<ReturnType<typeof globalThis.fetch>>;

export function createCrlFetcher(opts: CrlFetcherOptions = {}): CrlFetcher {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const maxCached = opts.maxCachedUrls ?? 256;
  const cache = new Map<string, Crl>();
  const inflight = new Map<string, Promise<Crl>>();

  async function download(url: string): Promise<Crl> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CrlFetchError(url, "invalid-url", "not a valid URL");
    }
    if (u.protocol === "ldap:" || u.protocol === "ldaps:") {
      throw new CrlFetchError(url, "unsupported-scheme", "LDAP distribution points are not fetched; only http and https");
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new CrlFetchError(url, "unsupported-scheme", `scheme ${u.protocol} is not fetched; only http and https`);
    }

    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    const failure = (e: unknown): CrlFetchError => {
      if (e instanceof CrlFetchError) return e;
      if (timedOut) return new CrlFetchError(url, "timeout", `no complete response within ${timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
      if (cause?.code === "ECONNREFUSED") return new CrlFetchError(url, "connection-refused", "connection refused");
      const detail = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
      return new CrlFetchError(url, "network", `network error: ${detail}`);
    };

    try {
      let res: FetchResponse;
      try {
        res = await fetchImpl(url, {
          signal: abort.signal,
          redirect: "follow",
          headers: { accept: "application/pkix-crl, application/x-pkcs7-crl;q=0.9, */*;q=0.5" },
        });
      } catch (e) {
        throw failure(e);
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
      return single(url, body);
    } finally {
      clearTimeout(timer);
    }
  }

  function remember(url: string, crl: Crl): void {
    cache.delete(url);
    cache.set(url, crl);
    while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
  }

  return {
    fetch(url: string, at: Date): Promise<Crl> {
      const cached = cache.get(url);
      if (cached?.nextUpdate && at.getTime() < cached.nextUpdate.getTime()) {
        remember(url, cached);
        return Promise.resolve(cached);
      }
      const pending = inflight.get(url);
      if (pending) return pending;
      const p = download(url)
        .then((crl) => {
          remember(url, crl);
          return crl;
        })
        .finally(() => inflight.delete(url));
      inflight.set(url, p);
      return p;
    },
  };
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
