// `npm run bench -- auth-lookup`: what authenticating one request costs — with the key's row
// read by primary key on every request (an archive without apiKeysMark, as before issue 15 and as
// PostgreSQL still is) on SQLite (and PostgreSQL when PODPIS_BENCH_DATABASE_URL is set), and with
// the record held while SQLite's mark stands still (the service's default on SQLite: the mark is
// one PRAGMA data_version, the secret still hashed and compared on each request) — next to one
// /verify validation of a ~10 KB CAdES.
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
  const header = `Bearer ${key}`;
  // the same store without its mark: the row read on every request
  const unmarked = new Proxy(store, { get: (t, p) => (p === "apiKeysMark" ? undefined : (Reflect.get(t, p, t) as unknown)) });
  const each = new Authenticator(unmarked);
  await rate(`authorize, row read per request (${label})`, MS, () => each.authorize(header, "verify"));
  if (!store.apiKeysMark) return;
  const held = new Authenticator(store);
  await rate(`authorize, record held while the mark stands (${label})`, MS, () => held.authorize(header, "verify"));
}

await measure("SQLite", new SqliteArchive({ path: join(dir, "a.sqlite"), numberFormat: "{seq}" }));
if (process.env.PODPIS_BENCH_DATABASE_URL) {
  const pg = new PostgresArchive({ url: process.env.PODPIS_BENCH_DATABASE_URL, numberFormat: "{seq}", schema: `bench_${process.pid}` });
  await measure("PostgreSQL, loopback", pg);
  await pg.rawQuery(`DROP SCHEMA bench_${process.pid} CASCADE`);
  await pg.close();
}

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
