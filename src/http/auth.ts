/**
 * API keys with scopes (`Authorization: Bearer pdp_…`): 401 without a usable key, 403 with one
 * that lacks the route's scope.
 *
 * Issue 11.9/10.8: a revoked, deleted or rotated-out key must fail at once on every worker and
 * node, so nothing positive is cached: each request reads the key's row by primary key (one
 * indexed read; the secret check is a SHA-256 of 43 characters). That read is the same cost a
 * "generation number" check would have, and it needs no invalidation protocol. Measured in
 * bench/auth-lookup.ts. The last-used time is written at most once a minute per key and process,
 * after the answer, never holding the request.
 */
import { keyAccepts, parseApiKey } from "../archive/api-keys.js";
import type { ApiKeyRecord, ArchiveStore, Scope } from "../archive/port.js";
import { HttpProblem } from "./problem.js";

const TOUCH_EVERY_MS = 60_000;

export class Authenticator {
  private readonly touched = new Map<string, number>();
  constructor(
    private readonly archive: ArchiveStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** the key's record, or throws 401/403 */
  async authorize(header: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) throw new HttpProblem("UNAUTHORIZED", "send an API key as `Authorization: Bearer KEY` (create one with `podpis keys create`)");
    const parsed = parseApiKey(m[1]!);
    const record = parsed ? await this.archive.findApiKey(parsed.id) : null;
    const now = this.now();
    if (!parsed || !record || !keyAccepts(record, parsed.secret, now)) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    if (!record.scopes.includes(scope)) throw new HttpProblem("FORBIDDEN", `this route needs the scope "${scope}"; the key has ${record.scopes.join(", ") || "none"}`, { requiredScope: scope });
    this.touch(record.id, now);
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
