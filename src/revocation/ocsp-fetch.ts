/**
 * Asks OCSP responders (RFC 6960 Appendix A.1): GET with the base64 request in the path when the
 * encoded request is at most 255 octets, POST otherwise, under the same limits as CRL downloads
 * (fetch.ts: timeout, size, http(s) only, every redirect checked). Concurrent questions about one
 * certificate to one responder share one exchange; verified answers are kept until their
 * nextUpdate (the checker decides what is verified, and tells the cache).
 */
import { CrlFetchError, type FetchOptions, type Inflight, fetchLimited, wait } from "./fetch.js";
import type { CertId, OcspRequest } from "./ocsp-request.js";
import { OcspError, type OcspParseLimits, type OcspResponse, parseOcspResponse } from "./ocsp-response.js";

export interface OcspFetcher {
  /** a verified response kept for this certificate and responder, current at `at` */
  cached(url: string, certId: CertId, at: Date): OcspResponse | null;
  /** keeps a verified response until `until` (its nextUpdate) */
  remember(url: string, certId: CertId, res: OcspResponse, until: Date): void;
  /**
   * Asks the responder; rejects with CrlFetchError (network, limits) or OcspError (not a
   * response). `nonce` is the one actually sent: a caller that joined an exchange under way gets
   * the first asker's.
   */
  fetch(url: string, req: OcspRequest, opts?: FetchOptions): Promise<Fetched>;
}

export interface Fetched {
  res: OcspResponse;
  nonce: string | null;
}

export interface OcspFetcherOptions {
  /** whole exchange; default 5000 */
  timeoutMs?: number;
  /** default 1 MiB */
  maxBytes?: number;
  fetchImpl?: typeof globalThis.fetch;
  /** responses kept, least recently used dropped first; default 10 000 */
  maxCached?: number;
  parseLimits?: OcspParseLimits;
  /** encoded requests longer than this go by POST (default 255, RFC 6960 A.1; 0: always POST) */
  maxGetLength?: number;
}

/** RFC 6960 A.1: GET only for requests whose encoding is under 255 octets */
export const MAX_GET_LENGTH = 255;

const keyOf = (url: string, id: CertId) => `${url}\n${id.hash}:${id.issuerNameHash}:${id.issuerKeyHash}:${id.serial}`;

/** The GET URL for a request, or null when it is too long for GET. */
export function getUrlFor(url: string, der: Uint8Array, max = MAX_GET_LENGTH): string | null {
  const encoded = encodeURIComponent(Buffer.from(der).toString("base64"));
  if (encoded.length > max) return null;
  return (url.endsWith("/") ? url : url + "/") + encoded;
}

export function createOcspFetcher(opts: OcspFetcherOptions = {}): OcspFetcher {
  const limits = { timeoutMs: opts.timeoutMs ?? 5000, maxBytes: opts.maxBytes ?? 1024 * 1024, fetchImpl: opts.fetchImpl ?? globalThis.fetch };
  const maxCached = opts.maxCached ?? 10_000;
  const cache = new Map<string, { res: OcspResponse; until: number }>();
  const inflight = new Map<string, Inflight<Fetched>>();

  async function exchange(url: string, req: OcspRequest, fetchOpts: FetchOptions, signal: AbortSignal): Promise<Fetched> {
    const accept = "application/ocsp-response";
    const kind = "ocsp" as const;
    const get = getUrlFor(url, req.der, opts.maxGetLength);
    const body = get
      ? await fetchLimited(get, { accept, kind }, fetchOpts, signal, limits)
      : await fetchLimited(url, { accept, kind, method: "POST", body: req.der, contentType: "application/ocsp-request" }, fetchOpts, signal, limits);
    try {
      return { res: parseOcspResponse(body, { maxBytes: limits.maxBytes, ...opts.parseLimits }), nonce: req.nonce };
    } catch (e) {
      if (e instanceof OcspError) throw new OcspError(`${url}: ${e.message}`);
      throw e;
    }
  }

  return {
    cached(url, certId, at) {
      const key = keyOf(url, certId);
      const hit = cache.get(key);
      if (!hit) return null;
      if (at.getTime() >= hit.until) {
        cache.delete(key);
        return null;
      }
      cache.delete(key);
      cache.set(key, hit);
      return hit.res;
    },
    remember(url, certId, res, until) {
      const key = keyOf(url, certId);
      cache.delete(key);
      cache.set(key, { res, until: until.getTime() });
      while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    },
    fetch(url, req, fetchOpts = {}) {
      // one exchange per certificate and responder at a time
      const shared = keyOf(url, req.certId);
      let entry = inflight.get(shared);
      if (!entry) {
        const controller = new AbortController();
        const promise = exchange(url, req, fetchOpts, controller.signal).finally(() => inflight.delete(shared));
        promise.catch(() => undefined);
        entry = { promise, controller, waiters: 0 };
        inflight.set(shared, entry);
      }
      return wait(url, entry, fetchOpts.signal);
    },
  };
}

export { CrlFetchError as OcspFetchError };
