/**
 * The ListSource of the CLI and the service (src/trust/source.ts): a path is read from disk, an
 * http(s) URL is fetched with the CRL fetcher's limits (timeout, size cap, redirects checked one by
 * one: src/revocation/fetch.ts), and with a cache directory every download is kept there as
 * `<sha256 of the URL>.xml` beside a `.json` with the URL and the download time. A URL that cannot
 * be fetched is served from the cache (the last good copy); offline, only the cache is asked.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fetchLimited } from "../revocation/fetch.js";
import { TrustListError } from "../trust/errors.js";
import type { FetchedList, ListSource } from "../trust/source.js";
import { writeFileAtomically } from "./atomic-file.js";
import { readInput } from "./files.js";

export interface ListSourceOptions {
  cacheDir?: string;
  /** never fetch: URLs come from the cache only */
  offline?: boolean;
  timeoutMs?: number;
  /** a national list is a few MB at most; 16 MiB leaves room and no more */
  maxBytes?: number;
  fetchImpl?: typeof globalThis.fetch;
}

export const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

export function createListSource(opts: ListSourceOptions = {}): ListSource {
  const cacheDir = opts.cacheDir;
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  const cacheName = (url: string) => createHash("sha256").update(url).digest("hex");
  const fromCache = (url: string): FetchedList | null => {
    if (!cacheDir) return null;
    const xml = join(cacheDir, `${cacheName(url)}.xml`);
    if (!existsSync(xml)) return null;
    let fetchedAt = statSync(xml).mtime;
    try {
      const meta = JSON.parse(readFileSync(join(cacheDir, `${cacheName(url)}.json`), "utf8")) as { fetchedAt?: string };
      if (meta.fetchedAt) fetchedAt = new Date(meta.fetchedAt);
    } catch {
      // no meta: the file's time stands for the download time
    }
    return { bytes: readFileSync(xml), fetchedAt, origin: xml };
  };
  return {
    async get(location) {
      if (!isUrl(location)) {
        try {
          return { bytes: readInput(location, "trusted list (--tl)"), fetchedAt: statSync(location).mtime, origin: location };
        } catch (e) {
          throw new TrustListError("TL_UNAVAILABLE", (e as Error).message, { cause: e });
        }
      }
      if (opts.offline) {
        const cached = fromCache(location);
        if (cached) return cached;
        throw new TrustListError("TL_UNAVAILABLE", `${location}: offline, and not in the list cache${cacheDir ? ` (${cacheDir})` : " (no --tl-cache)"}`);
      }
      try {
        const bytes = await fetchLimited(
          location,
          { accept: "application/vnd.etsi.tsl+xml, application/xml;q=0.9, */*;q=0.5", kind: "tl" },
          {},
          new AbortController().signal,
          { timeoutMs: opts.timeoutMs ?? 10_000, maxBytes: opts.maxBytes ?? 16 * 1024 * 1024, fetchImpl: opts.fetchImpl ?? globalThis.fetch },
        );
        const fetchedAt = new Date();
        if (cacheDir) {
          writeFileAtomically(join(cacheDir, `${cacheName(location)}.xml`), bytes);
          writeFileAtomically(join(cacheDir, `${cacheName(location)}.json`), JSON.stringify({ url: location, fetchedAt: fetchedAt.toISOString(), sha256: createHash("sha256").update(bytes).digest("hex") }) + "\n");
        }
        return { bytes, fetchedAt, origin: location };
      } catch (e) {
        const cached = fromCache(location);
        if (cached) return cached;
        throw new TrustListError("TL_UNAVAILABLE", `${(e as Error).message}`, { cause: e });
      }
    },
  };
}
