/**
 * Where list bytes come from: a port, so the core stays offline and testable. The adapter
 * (src/io/tl-source.ts) reads files, fetches http(s) under the fetcher limits, and keeps what it
 * fetched in a cache directory with the download time.
 */
export interface FetchedList {
  bytes: Uint8Array;
  /** when the bytes were downloaded (a file: its modification time) */
  fetchedAt: Date;
  /** where they came from: the location asked for, or the cache file that stood in for it */
  origin: string;
}

export interface ListSource {
  /** The list at `location` (a path or an http(s) URL); rejects with TrustListError("TL_UNAVAILABLE"). */
  get(location: string): Promise<FetchedList>;
}
