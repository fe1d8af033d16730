/**
 * API keys with scopes (`Authorization: Bearer pdp_…`): 401 without a usable key, 403 with one
 * that lacks the route's scope. Looked-up keys are cached briefly per process.
 */
import { parseApiKey, secretMatches } from "../archive/api-keys.js";
import type { ApiKeyRecord, ArchiveStore, Scope } from "../archive/port.js";
import { HttpProblem } from "./problem.js";

const TTL_MS = 30_000;

export class Authenticator {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  constructor(private readonly archive: ArchiveStore) {}

  /** the key's record, or throws 401/403 */
  async authorize(header: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) throw new HttpProblem("UNAUTHORIZED", "send an API key as `Authorization: Bearer KEY` (create one with `podpis keys create`)");
    const parsed = parseApiKey(m[1]!);
    const record = parsed ? await this.lookup(parsed.id) : null;
    if (!parsed || !record || !secretMatches(record, parsed.secret)) throw new HttpProblem("UNAUTHORIZED", "the API key is not valid");
    if (!record.scopes.includes(scope)) throw new HttpProblem("FORBIDDEN", `this route needs the scope "${scope}"; the key has ${record.scopes.join(", ") || "none"}`, { requiredScope: scope });
    return record;
  }

  private async lookup(id: string): Promise<ApiKeyRecord | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.record;
    const record = await this.archive.findApiKey(id);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { record, until: now + (record ? TTL_MS : 2_000) });
    return record;
  }
}
