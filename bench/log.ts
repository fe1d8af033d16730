// `npm run bench -- log` (issue 16): what the transparency log costs per submission, next to the
// submission path it rides on, all in one process on SQLite (synchronous=FULL) in a temp dir:
//  - log insert: the entry (a ~14 KB receipt) and its leaf hash written in the batch's transaction
//  - sequencer: integrating entries into tiles and signing a checkpoint, per entry, at 1,000 a step
//    (a second's worth at 1,000 submissions/s)
//  - the submission path: PodpisService.submit with real validation, XAdES seal and time-stamp
// Goal: the log adds under 10% to the submission path at 1,000/s.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { LogSequencer } from "../src/archive/log-sequencer.js";
import { logSchemaSql } from "../src/archive/log-schema.js";
import { insertLogEntrySqlite, nextLogIndexSqlite, SqliteLogStore } from "../src/archive/log-sqlite.js";
import { Mutex } from "../src/archive/mutex.js";
import { buildRuntime, defaultConfig } from "../src/http/config.js";
import { ed25519Signer } from "../src/log/index.js";

const N = Number(process.env.PODPIS_BENCH_LOG_ENTRIES ?? 5000);
const dir = mkdtempSync(join(tmpdir(), "podpis-bench-log-"));
const fx = (p: string) => readFileSync(join("fixtures", p));
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

try {
  // the submission path, for scale
  const rt = await buildRuntime({ ...defaultConfig(), dataDir: join(dir, "service"), clock: "2026-06-01T00:00:00Z", offline: true, databaseUrl: undefined, tlogIntervalMs: 3_600_000 }, pino({ level: "silent" }));
  const doc = fx("cades/rsa2048-cades-detached.p7s");
  const content = fx("cades/content.xml");
  let receipt = "";
  for (let i = 0; i < 3; i++) receipt = (await rt.service.submit({ document: doc, contents: [content], applicant: "warm", service: "urn:s" })).receipt;
  const SUBMITS = 30;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < SUBMITS; i++) await rt.service.submit({ document: doc, contents: [content], applicant: `a${i}`, service: "urn:s" });
  const perSubmit = ms(t0) / SUBMITS;
  await rt.close();

  // the log's own work on a database of its own, with receipts of the real size
  const db = new Database(join(dir, "log.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  for (const s of logSchemaSql("BLOB")) db.exec(s);
  const BATCH = 64;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += BATCH) {
    db.exec("BEGIN IMMEDIATE");
    for (let j = i; j < Math.min(N, i + BATCH); j++) insertLogEntrySqlite(db, nextLogIndexSqlite(db), `s${j}`, receipt.replace("<SubmissionId>", `<SubmissionId>${j}`));
    db.exec("COMMIT");
  }
  // the commits' fsyncs are the archive's anyway (same transaction); time the inserts without them
  const withCommits = ms(t0);
  const db2 = new Database(":memory:");
  for (const s of logSchemaSql("BLOB")) db2.exec(s);
  t0 = process.hrtime.bigint();
  db2.exec("BEGIN");
  for (let j = 0; j < N; j++) insertLogEntrySqlite(db2, nextLogIndexSqlite(db2), `s${j}`, receipt);
  db2.exec("COMMIT");
  const insertOnly = ms(t0);

  const store = new SqliteLogStore(db, new Mutex());
  const seq = new LogSequencer({ store, signer: ed25519Signer("bench.local/log", Buffer.alloc(32, 7)), clock: () => new Date(), batch: 1000 });
  t0 = process.hrtime.bigint();
  await seq.drain();
  const sequencing = ms(t0);

  const perEntry = (insertOnly + sequencing) / N;
  // the same hash and copy work measured bare, as a yardstick for how loaded the machine is
  t0 = process.hrtime.bigint();
  for (let j = 0; j < 1000; j++) createHash("sha256").update(receipt).digest();
  const sha = ms(t0) / 1000;
  console.log(`receipt ${Buffer.byteLength(receipt)} bytes; ${N} entries`);
  console.log(`submission path (PodpisService.submit, sequential, real seal + TSA): ${perSubmit.toFixed(2)} ms each`);
  console.log(`log insert in the submission's transaction: ${((insertOnly / N) * 1000).toFixed(1)} µs each (${((withCommits / N) * 1000).toFixed(1)} µs with a commit per ${BATCH})`);
  console.log(`sequencer (tiles + signed checkpoint per 1,000): ${((sequencing / N) * 1000).toFixed(1)} µs per entry`);
  console.log(`log total: ${(perEntry * 1000).toFixed(1)} µs per submission = ${((perEntry / perSubmit) * 100).toFixed(2)}% of the submission path (goal < 10%)`);
  console.log(`(yardstick: one SHA-256 of the receipt takes ${(sha * 1000).toFixed(1)} µs here; a 1,000/s node spends 1 ms of CPU per submission per core)`);
  db.close();
  db2.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
