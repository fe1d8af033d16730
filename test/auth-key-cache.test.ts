/**
 * Issue 15: a worker answers from a key's record read earlier (not one SQLite read per request),
 * and issues 10.8/11.9 still hold: a revocation or rotation committed by any process is refused
 * on the very next request. The record is held only while the archive's mark (SQLite's
 * data_version and the connection's own key writes) has not moved. Real SQLite archives: the
 * service's and a second connection to the same file, as `podpis keys revoke` opens.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey, newSecret } from "../src/archive/api-keys.js";
import type { ArchiveStore } from "../src/archive/port.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { Authenticator } from "../src/http/auth.js";
import { HttpProblem } from "../src/http/problem.js";

const AT = new Date("2026-06-01T00:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "podpis-auth-cache-"));
const path = join(dir, "a.sqlite");
let archive: SqliteArchive;
/** another process's connection to the same archive (what `podpis keys …` opens) */
let other: SqliteArchive;
let reads = 0;

/** the archive, its key reads counted; `mark: false` hides apiKeysMark (an archive without one) */
function counted(store: ArchiveStore, o: { mark?: boolean } = {}): ArchiveStore {
  return new Proxy(store, {
    get(t, p) {
      if (p === "apiKeysMark" && o.mark === false) return undefined;
      const v = Reflect.get(t, p, t) as unknown;
      if (p === "findApiKey") return (id: string) => (reads++, (v as (id: string) => unknown).call(t, id));
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

beforeAll(async () => {
  archive = new SqliteArchive({ path, numberFormat: "{seq}" });
  await archive.migrate();
  other = new SqliteArchive({ path, numberFormat: "{seq}" });
});
afterAll(async () => {
  await other.close();
  await archive.close();
  rmSync(dir, { recursive: true, force: true });
});

async function key(name: string): Promise<string> {
  const { key, record } = newApiKey(name, ["verify"], AT);
  await other.createApiKey(record);
  return `Bearer ${key}`;
}

const status = (p: Promise<unknown>): Promise<number> => p.then(() => 200, (e: unknown) => (e instanceof HttpProblem ? e.status : -1));

describe("the API key record held while no key can have changed", () => {
  it("reads the key's row once while nothing is committed, not once per request", async () => {
    const header = await key("many");
    const auth = new Authenticator(counted(archive), () => AT);
    reads = 0;
    for (let i = 0; i < 50; i++) expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(1);
    // any commit by another connection moves the mark: read again (conservative, never stale)
    await key("unrelated");
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(2);
  });

  it("refuses a key revoked by another process on the very next request", async () => {
    const header = await key("revoked-elsewhere");
    const auth = new Authenticator(counted(archive), () => AT);
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    await other.revokeApiKey("revoked-elsewhere", AT);
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
  });

  it("refuses a key revoked through its own connection on the very next request", async () => {
    const header = await key("revoked-here");
    const auth = new Authenticator(counted(archive), () => AT);
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    await archive.revokeApiKey("revoked-here", AT); // data_version does not move for its own connection
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
  });

  it("takes a rotation's new secret at once and refuses the old one at once", async () => {
    const header = await key("rotated");
    const auth = new Authenticator(counted(archive), () => AT);
    expect(await status(auth.authorize(header, "verify"))).toBe(200);
    const id = header.split("_")[1]!;
    const fresh = newSecret(id);
    await other.rotateApiKey("rotated", fresh.secretHash, AT, AT); // grace ends at AT: the old secret is over
    expect(await status(auth.authorize(header, "verify"))).toBe(401);
    expect(await status(auth.authorize(`Bearer ${fresh.key}`, "verify"))).toBe(200);
    expect(await status(auth.authorize(`Bearer pdp_${id}_${"x".repeat(43)}`, "verify"))).toBe(401);
  });

  it("reads on every request from an archive that gives no mark (PostgreSQL)", async () => {
    const header = await key("unmarked");
    const auth = new Authenticator(counted(archive, { mark: false }), () => AT);
    reads = 0;
    for (let i = 0; i < 3; i++) expect(await status(auth.authorize(header, "verify"))).toBe(200);
    expect(reads).toBe(3);
  });
});
