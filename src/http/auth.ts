/**
 * API keys with scopes (`Authorization: Bearer pdp_…`): 401 without a usable key, 403 with one
 * that lacks the route's scope.
 *
 * Issue 11.9/10.8 asked that a revoked, deleted or rotated-out key fail on every worker and node
 * without an invalidation protocol; issue 15 that a request not read SQLite for it every time
 * (the row read was ≈ 5 % of a /verify worker's CPU). So a key's record, once read, answers this
 * process for at most KEY_RECORD_TTL_MS, counted from when the read began: a revocation or a
 * deletion committed at time t is refused everywhere from t + KEY_RECORD_TTL_MS on (README "API
 * keys"). Nothing else is kept: an unknown or revoked key is read again on every request, and a
 * secret the cached record does not accept is checked against a fresh read (a rotation's new
 * secret works at once). The secret is checked on every request (a SHA-256 of 43 characters).
 * Measured in bench/auth-lookup.ts. The last-used time is written at most once a minute per key
 * and process, after the answer, never holding the request.
 */
import { keyAccepts, parseApiKey } from "../archive/api-keys.js";
import type { ApiKeyRecord, ArchiveStore, Scope } from "../archive/port.js";
import { HttpProblem } from "./problem.js";

const TOUCH_EVERY_MS = 60_000;
/** the longest a key's record read is used for: the bound on how late a revocation takes effect */
export const KEY_RECORD_TTL_MS = 250;
const MAX_CACHED = 10_000;

export interface AuthenticatorOptions {
  /** how long a record read answers (default KEY_RECORD_TTL_MS; 0: read on every request) */
  recordTtlMs?: number;
  /** a monotonic clock in ms for that bound (tests inject one; default performance.now) */
  monotonic?: () => number;
}

export class Authenticator {
  private readonly touched = new Map<string, number>();
  private readonly records = new Map<string, { record: ApiKeyRecord; until: number }>();
  private readonly ttl: number;
  private readonly monotonic: () => number;
  constructor(
    private readonly archive: ArchiveStore,
    private readonly now: () => Date = () => new Date(),
    o: AuthenticatorOptions = {},
  ) {
    this.ttl = o.recordTtlMs ?? KEY_RECORD_TTL_MS;
    this.monotonic = o.monotonic ?? (() => performance.now());
  }

  /** the key's record, or throws 401/403 */
  async authorize(header: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) throw new HttpProblem("UNAUTHORIZED", "send an API key as `Authorization: Bearer KEY` (create one with `podpis keys create`)");
    const parsed = parseApiKey(m[1]!);
    if (!parsed) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    const now = this.now();
    const held = this.records.get(parsed.id);
    let record = held && held.until > this.monotonic() ? held.record : null;
    // a secret the held record refuses may be a rotation's new one: ask the database
    if (!record || !keyAccepts(record, parsed.secret, now)) record = await this.read(parsed.id);
    if (!record || !keyAccepts(record, parsed.secret, now)) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    if (!record.scopes.includes(scope)) throw new HttpProblem("FORBIDDEN", `this route needs the scope "${scope}"; the key has ${record.scopes.join(", ") || "none"}`, { requiredScope: scope });
    this.touch(record.id, now);
    return record;
  }

  /** the row, held until the TTL from this read's start (a revocation committed during the read is then still within the bound) */
  private async read(id: string): Promise<ApiKeyRecord | null> {
    const began = this.monotonic();
    const record = await this.archive.findApiKey(id);
    if (!record || record.revokedAt || this.ttl <= 0) {
      this.records.delete(id);
      return record;
    }
    if (this.records.size >= MAX_CACHED) this.records.clear();
    this.records.set(id, { record, until: began + this.ttl });
    return record;
  }

  private touch(id: string, now: Date): void {
    const last = this.touched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_EVERY_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(id, now.getTime());
    // best effort: a busy or absent database must not fail a request that was authenticated
    setImmediate(() => void this.archive.touchApiKey(id, now).catch(() => {}));
  }
}
