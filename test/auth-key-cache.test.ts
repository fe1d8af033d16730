/**
 * Issue 15: a worker answers from a key's record for at most KEY_RECORD_TTL_MS after reading it
 * (not one SQLite read per request), and a revocation takes effect within that bound. A real
 * SQLite archive; the bound is kept by an injected monotonic clock, so nothing sleeps.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey, newSecret } from "../src/archive/api-keys.js";
import type { ArchiveStore } from "../src/archive/port.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { Authenticator, KEY_RECORD_TTL_MS } from "../src/http/auth.js";
import { HttpProblem } from "../src/http/problem.js";

const AT = new Date("2026-06-01T00:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "podpis-auth-cache-"));
let archive: SqliteArchive;
let reads = 0;
/** the real archive, its key reads counted */
let counted: ArchiveStore;

beforeAll(async () => {
  archive = new SqliteArchive({ path: join(dir, "a.sqlite"), numberFormat: "{seq}" });
  await archive.migrate();
  counted = new Proxy(archive, {
    get(t, p) {
      const v = Reflect.get(t, p, t) as unknown;
      if (p === "findApiKey") return (id: string) => (reads++, (v as (id: string) => unknown).call(t, id));
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
});
afterAll(async () => {
  await archive.close();
  rmSync(dir, { recursive: true, force: true });
});

async function key(name: string): Promise<string> {
  const { key, record } = newApiKey(name, ["verify"], AT);
  await archive.createApiKey(record);
  return `Bearer ${key}`;
}

const status = (p: Promise<unknown>): Promise<number> => p.then(() => 200, (e: unknown) => (e instanceof HttpProblem ? e.status : -1));

describe("the API key record held for a bounded time", () => {
  it("reads the key's row once per bound, not once per request", async () => {
    let t = 1_000;
    const auth = new Authenticator(counted, () => AT, { monotonic: () => t });
    const header = await key("many");
    reads = 0;
    for (let i = 0; i < 50; i++) expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(1);
    t += KEY_RECORD_TTL_MS;
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(2);
  });

  it("refuses a revoked key once the bound has passed since the last read", async () => {
    let t = 5_000;
    const auth = new Authenticator(counted, () => AT, { monotonic: () => t });
    const header = await key("revoked");
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    await archive.revokeApiKey("revoked", AT);
    t += KEY_RECORD_TTL_MS;
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
    // and a revoked record is never held: refused on every later request too
    t += 1;
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
  });

  it("takes a rotation's new secret at once, and never a wrong secret, while the old record is held", async () => {
    const t = 9_000;
    const auth = new Authenticator(counted, () => AT, { monotonic: () => t });
    const header = await key("rotated");
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    const id = header.split("_")[1]!;
    const fresh = newSecret(id);
    await archive.rotateApiKey("rotated", fresh.secretHash, AT, AT); // grace ends at AT: the old secret is over
    expect(await status(auth.authorize(`Bearer ${fresh.key}`, "verify"))).toBe(200);
    expect(await status(auth.authorize(`Bearer pdp_${id}_${"x".repeat(43)}`, "verify"))).toBe(401);
    // the fresh read replaced the held record: the old secret is refused without waiting
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
  });

  it("reads on every request with a bound of 0", async () => {
    const auth = new Authenticator(counted, () => AT, { recordTtlMs: 0, monotonic: () => 0 });
    const header = await key("uncached");
    reads = 0;
    for (let i = 0; i < 3; i++) expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(3);
  });
});
