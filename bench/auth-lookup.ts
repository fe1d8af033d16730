// `npm run bench -- auth-lookup`: what authenticating one request costs now that no positive
// result is cached (issue 11.9: a revoked key must fail at once) — the key's row read by primary
// key on SQLite (and PostgreSQL when PODPIS_BENCH_DATABASE_URL is set) — next to a map lookup,
// what the old 30 s cache cost on a hit, and next to one /verify validation of a ~10 KB CAdES.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newApiKey } from "../src/archive/api-keys.js";
import type { ArchiveStore } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { BUNDLED } from "../src/bundled.js";
import { readFileOrDir } from "../src/io/files.js";
import { Authenticator } from "../src/http/auth.js";
import { loadPolicy } from "../src/validation/policy.js";
import { createValidator } from "../src/validator.js";
import { rate } from "./lib/rate.js";

const MS = 2_000;
const dir = mkdtempSync(join(tmpdir(), "podpis-bench-auth-"));

async function measure(label: string, store: ArchiveStore): Promise<void> {
  await store.migrate();
  const { key, record } = newApiKey(`bench-${Date.now()}`, ["verify"], new Date());
  await store.createApiKey(record);
  const auth = new Authenticator(store);
  const header = `Bearer ${key}`;
  await rate(`authorize, row read per request (${label})`, MS, () => auth.authorize(header, "verify"));
}

await measure("SQLite", new SqliteArchive({ path: join(dir, "a.sqlite"), numberFormat: "{seq}" }));
if (process.env.PODPIS_BENCH_DATABASE_URL) {
  const pg = new PostgresArchive({ url: process.env.PODPIS_BENCH_DATABASE_URL, numberFormat: "{seq}", schema: `bench_${process.pid}` });
  await measure("PostgreSQL, loopback", pg);
  await pg.rawQuery(`DROP SCHEMA bench_${process.pid} CASCADE`);
  await pg.close();
}
const cache = new Map([["k", { until: Date.now() + 30_000 }]]);
await rate("the old cache hit (Map lookup + expiry check)", MS, () => (cache.get("k")!.until > Date.now() ? 1 : 0));

const validator = await createValidator({
  trust: readFileOrDir(BUNDLED.trust, "trust").map((f) => f.bytes),
  crls: readFileOrDir(BUNDLED.crls, "crl").map((f) => f.bytes),
  offline: true,
  policy: loadPolicy(JSON.parse(readFileSync(BUNDLED.policy, "utf8"))),
});
const p7m = readFileSync("fixtures/cades/rsa2048-cades-attached.p7m");
const at = new Date("2026-06-01T00:00:00Z");
await rate("for scale: one CAdES validation (in process)", MS, () => validator.verify(p7m, { at }), { warmup: 50, chunk: 10 });
rmSync(dir, { recursive: true, force: true });
