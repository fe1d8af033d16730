/**
 * API keys with scopes (`Authorization: Bearer pdp_…`): 401 without a usable key, 403 with one
 * that lacks the route's scope.
 *
 * Issues 10.8/11.9: a revoked or rotated-out key is refused at once on every worker and node (an
 * authentication cache once kept a deleted key alive for 30 s). Issue 15: a request should not
 * read SQLite for its key every time (the row read and its mapping were ≈ 5 % of a /verify
 * worker). Both hold with a mark the archive gives (ArchiveStore.apiKeysMark: on SQLite, the
 * connection's data_version, which moves whenever any other process commits, and its own key
 * writes): a key's record read earlier answers only while the mark has not moved since that
 * read, so no key can have changed in between. An archive without a mark (PostgreSQL) is read on
 * every request, as before. Nothing else is kept: an unknown or revoked key is read again every
 * time, and a secret the held record does not accept is checked against a fresh read (a
 * rotation's new secret works at once). The secret is checked on every request (a SHA-256 of 43
 * characters). Measured in bench/auth-lookup.ts. The last-used time is written at most once a
 * minute per key and process, after the answer, never holding the request.
 */
import { keyAccepts, parseApiKey } from "../archive/api-keys.js";
import type { ApiKeyRecord, ArchiveStore, Scope } from "../archive/port.js";
import { HttpProblem } from "./problem.js";

const TOUCH_EVERY_MS = 60_000;
const MAX_CACHED = 10_000;

export class Authenticator {
  private readonly touched = new Map<string, number>();
  /** records read while the archive's mark was `mark` */
  private readonly records = new Map<string, ApiKeyRecord>();
  private mark: string | null = null;
  constructor(
    private readonly archive: ArchiveStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** the key's record, or throws 401/403 */
  async authorize(header: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) throw new HttpProblem("UNAUTHORIZED", "send an API key as `Authorization: Bearer KEY` (create one with `podpis keys create`)");
    const parsed = parseApiKey(m[1]!);
    if (!parsed) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    const now = this.now();
    let record = this.held(parsed.id);
    // a secret the held record refuses may be a rotation's new one: ask the database
    if (!record || !keyAccepts(record, parsed.secret, now)) record = await this.read(parsed.id);
    if (!record || !keyAccepts(record, parsed.secret, now)) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    if (!record.scopes.includes(scope)) throw new HttpProblem("FORBIDDEN", `this route needs the scope "${scope}"; the key has ${record.scopes.join(", ") || "none"}`, { requiredScope: scope });
    this.touch(record.id, now);
    return record;
  }

  /** the record read earlier, if no key can have changed since; forgets them all when one may have */
  private held(id: string): ApiKeyRecord | null {
    if (!this.archive.apiKeysMark || this.records.size === 0) return null;
    let mark: string | null;
    try {
      mark = this.archive.apiKeysMark();
    } catch {
      mark = null; // the database cannot be asked: the read says why
    }
    if (mark !== null && mark === this.mark) return this.records.get(id) ?? null;
    this.records.clear();
    return null;
  }

  /** the row; kept (with the mark taken before the read: a change during it moves the mark) when usable */
  private async read(id: string): Promise<ApiKeyRecord | null> {
    let mark: string | null = null;
    try {
      mark = this.archive.apiKeysMark?.() ?? null;
    } catch {
      // not kept: the read below fails or answers, either way without a mark to hold it by
    }
    const record = await this.archive.findApiKey(id);
    if (mark === null || !record || record.revokedAt) {
      this.records.delete(id);
      return record;
    }
    if (mark !== this.mark) {
      this.records.clear();
      this.mark = mark;
    }
    if (this.records.size >= MAX_CACHED) this.records.clear();
    this.records.set(id, record);
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
