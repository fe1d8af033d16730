/**
 * Issue 15: `podpis archive backup DIR --database-url URL` while a service on PostgreSQL takes
 * submissions (pg_dump's own snapshot), with the file store beside it part of the backup, and
 * `podpis archive restore DIR --database-url URL2` into a fresh database and a fresh file
 * store: verified on restore, `podpis audit verify` passes there, and a tampered backup (the
 * dump, or a stored file) is refused before anything is written.
 *
 * Databases of its own (created and dropped here) on PODPIS_TEST_DATABASE_URL's server.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Manifest } from "../src/archive/backup.js";
import { run } from "../src/cli/main.js";
import { capture } from "./helpers/cli-capture.js";
import { PG_URL, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";
import { type ServeProcess, startServe, tempData } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const cli = (argv: string[]) => capture((io) => run(argv, io));

const problem = await pgProblem();
const suite = problem && process.env.CI !== "true" ? describe.skip : describe;
if (problem && process.env.CI !== "true") console.warn(`\n!!! SKIPPING the PostgreSQL backup test: ${pgSkipMessage(problem)}\n`);

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const dbNames = { src: `podpis_bk_src_${suffix}`, dst: `podpis_bk_dst_${suffix}`, bad: `podpis_bk_bad_${suffix}` };
const urlOf = (db: string) => {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
};

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function form(): FormData {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:backup-pg");
  return f;
}

const cleanup: Array<() => Promise<void> | void> = [];
const dir = () => {
  const d = tempData();
  cleanup.push(d.remove);
  return d.dir;
};

suite("archive backup and restore (PostgreSQL, with the file store)", () => {
  let server: ServeProcess;
  let data = "";
  let key = "";

  beforeAll(async () => {
    for (const db of Object.values(dbNames)) await admin(`CREATE DATABASE ${db}`);
    cleanup.push(async () => {
      for (const db of Object.values(dbNames)) await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    });
    data = dir();
    // every detached content goes to the file store (threshold 0), so the backup must carry them
    server = await startServe(data, ["--clock", AT, "--workers", "1", "--database-url", urlOf(dbNames.src), "--file-store-over", "0"]);
    cleanup.push(() => server.stop());
    const k = await cli(["keys", "create", "--name", "portal", "--scope", "submit", "--scope", "audit", "--database-url", urlOf(dbNames.src), "--json"]);
    expect(k.code, k.err).toBe(0);
    key = (JSON.parse(k.out) as { key: string }).key;
  }, 120_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it("backs up while submissions arrive, restores into a fresh database and file store, verified; tampering is refused", async () => {
    const submit = () => fetch(server.base + "/api/v1/submissions", { method: "POST", body: form(), headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);
    for (let i = 0; i < 3; i++) expect(await submit()).toBe(201);
    const content = createHash("sha256").update(fx("cades/content.xml")).digest("hex");
    const storedAt = `sha256/${content.slice(0, 2)}/${content.slice(2, 4)}/${content}`;
    expect(existsSync(join(data, "files", storedAt))).toBe(true);

    // the node's PostgreSQL pool, as /metrics shows it
    const metrics = await (await fetch(server.base + "/metrics")).text();
    expect(Number(/^podpis_db_pool_connections\{state="total"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^podpis_db_pool_connections\{state="waiting"\} 0$/m);

    const target = join(dir(), "nightly");
    let stop = false;
    const load = (async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push(await submit());
      return statuses;
    })();
    const b = await cli(["archive", "backup", target, "--database-url", urlOf(dbNames.src), "--file-store", join(data, "files"), "--json"]);
    stop = true;
    expect(new Set(await load)).toEqual(new Set([201]));
    expect(b.code, b.err).toBe(0);
    const manifest = JSON.parse(b.out) as Manifest;
    expect(manifest).toMatchObject({ kind: "postgres", file: "podpis.pgdump", files: { count: 1, bytes: fx("cades/content.xml").length } });
    expect(manifest.submissions).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(target, "files", storedAt))).toEqual(fx("cades/content.xml"));

    // restored into a fresh database and a fresh file store: verified, and audit verify agrees
    const restoredFiles = join(dir(), "files");
    const r = await cli(["archive", "restore", target, "--database-url", urlOf(dbNames.dst), "--file-store", restoredFiles]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/restored from .* and verified/);
    expect(existsSync(join(restoredFiles, storedAt))).toBe(true);
    const audit = await cli(["audit", "verify", "--database-url", urlOf(dbNames.dst), "--file-store", restoredFiles, "--expect-head", `${manifest.auditHead!.seq}:${manifest.auditHead!.hash}`]);
    expect(audit.code, audit.out + audit.err).toBe(0);
    // without the file store the restored archive does not verify: the contents are found nowhere
    const noFiles = await cli(["audit", "verify", "--database-url", urlOf(dbNames.dst), "--file-store", join(dir(), "empty")]);
    expect(noFiles.code).not.toBe(0);
    expect(noFiles.out + noFiles.err).toMatch(/missing from the file store/);

    // a changed stored file in the backup: refused before anything is written
    const badFiles = join(dir(), "files");
    const f = join(target, "files", storedAt);
    const original = readFileSync(f);
    writeFileSync(f, Buffer.concat([original.subarray(0, 10), Buffer.from("X"), original.subarray(11)]));
    const tamperedFile = await cli(["archive", "restore", target, "--database-url", urlOf(dbNames.bad), "--file-store", badFiles]);
    expect(tamperedFile.code).not.toBe(0);
    expect(tamperedFile.err).toMatch(/file store does not verify: .*altered/);
    expect(existsSync(badFiles) ? readdirSync(badFiles) : []).toEqual([]);
    writeFileSync(f, original);

    // a changed byte of the dump: refused by its manifest hash
    const dump = join(target, "podpis.pgdump");
    const bytes = readFileSync(dump);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(dump, bytes);
    const tamperedDump = await cli(["archive", "restore", target, "--database-url", urlOf(dbNames.bad), "--file-store", badFiles]);
    expect(tamperedDump.code).not.toBe(0);
    expect(tamperedDump.err).toMatch(/does not match its manifest/);
    const c = new pg.Client({ connectionString: urlOf(dbNames.bad) });
    await c.connect();
    const tables = await c.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'submissions'");
    await c.end();
    expect(tables.rows[0].n).toBe(0);
  }, 240_000);
});
