/**
 * Issue 15, receipts sealed outside the database lock: while one writer seals, another (a second
 * process: here a second store on the same SQLite file or PostgreSQL schema) commits. On SQLite
 * the first finds its guessed number taken and seals again with the next one; on PostgreSQL it
 * had reserved its number before sealing (postgres-slots.ts), so the other takes the next one
 * and nobody seals twice. Either way numbers stay gap-free and every stored receipt carries the
 * number it is stored under. And SQLite's batch commit is
 * fsynced off the event loop (wal-sync.ts), several batches sharing one fdatasync.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/archive/audit.js";
import type { Assigned, NewSubmission } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { WalSync } from "../src/archive/wal-sync.js";
import { CI } from "./helpers/peers.js";
import { newSubmission } from "./helpers/new-submission.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const FORMAT = "{register}-{seq}";
const AT = new Date("2026-06-01T00:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "podpis-outside-"));
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(schemas).catch(() => {});
});

const submission = (applicant: string): NewSubmission => newSubmission(applicant, AT);

/** a hang guard, not a timing assertion: before issue 15 the second writer waited for the first one's seal forever */
const within = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error(`${what}: still waiting after 20 s — held behind another writer's seal`)), 20_000).unref())]);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

type Store = SqliteArchive | PostgresArchive;
const problem = await pgProblem();
if (problem && !CI) console.warn(`\n!!! SKIPPING the PostgreSQL outside-the-lock test: ${pgSkipMessage(problem)}\n`);
const targets: Array<[string, () => [Store, Store], boolean]> = [
  [
    "SQLite",
    () => {
      const path = join(dir, `${randomUUID()}.sqlite`);
      return [new SqliteArchive({ path, numberFormat: FORMAT }), new SqliteArchive({ path, numberFormat: FORMAT })];
    },
    true,
  ],
];

// SQLite guesses its numbers and checks them under its write lock (group-commit.ts)
describe.each(targets)("%s", (_name, open, run) => {
  it.runIf(run)("commits another writer's submission while a receipt is sealed, then seals that one again with the next number", async () => {
    const [a, b] = open();
    await a.migrate();
    await b.migrate();
    const sealing = deferred();
    const gate = deferred();
    const numbersA: string[] = [];
    const first = a.submit(submission("a"), async (x: Assigned) => {
      numbersA.push(x.registrationNumber);
      sealing.resolve();
      await gate.promise;
      return `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`;
    });
    await sealing.promise;
    // the other writer is not held behind a's seal (no lock is held while sealing)
    const second = await within(b.submit(submission("b"), async (x) => `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`), "the second writer's submission");
    expect(second.registrationNumber).toBe("PDP-1");
    const audit = await within(a.appendAudit("revalidation", "someone", { note: "while sealing" }, AT), "an audit entry of the sealing process");
    gate.resolve();
    const firstRecord = await first;
    // a's guess (PDP-1, log index 0) was taken: sealed again under the lock with PDP-2 and index 1
    expect(numbersA).toEqual(["PDP-1", "PDP-2"]);
    expect(firstRecord.registrationNumber).toBe("PDP-2");
    expect(await a.getReceipt(firstRecord.id)).toBe(`<Receipt n="PDP-2" log="1"/>`);
    expect(a.commitStats).toMatchObject({ batches: 1, guessed: 0, resealed: 1 });
    expect(b.commitStats).toMatchObject({ batches: 1, guessed: 1, resealed: 0 });
    const entries = await a.auditEntries();
    expect(entries.map((e) => e.kind)).toEqual(["submission", "receipt", "revalidation", "submission", "receipt"]);
    expect(audit.seq).toBe(3);
    expect(verifyAuditChain(entries, await a.auditHead()).ok).toBe(true);
    expect((await a.transparencyLog.entries(0, 2)).map((e) => e.toString())).toEqual([`<Receipt n="PDP-1" log="0"/>`, `<Receipt n="PDP-2" log="1"/>`]);
    // the next batch of the sealing process guesses from the database again, and right
    const third = await a.submit(submission("c"), async (x) => `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`);
    expect(third.registrationNumber).toBe("PDP-3");
    await a.close();
    await b.close();
  });
});

describe.runIf(!problem || CI)("PostgreSQL", () => {
  it("reserves the number before sealing: another node commits the next one meanwhile, and nobody seals twice", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const schema = newSchemaName();
    schemas.push(schema);
    const [a, b] = [new PostgresArchive({ url: PG_URL, numberFormat: FORMAT, schema }), new PostgresArchive({ url: PG_URL, numberFormat: FORMAT, schema })];
    await a.migrate();
    await b.migrate();
    const sealing = deferred();
    const gate = deferred();
    const numbersA: string[] = [];
    const first = a.submit(submission("a"), async (x: Assigned) => {
      numbersA.push(x.registrationNumber);
      sealing.resolve();
      await gate.promise;
      return `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`;
    });
    await sealing.promise;
    // a holds PDP-1 and log index 0 while it seals; b is not held behind it and takes the next ones
    const second = await within(b.submit(submission("b"), async (x) => `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`), "the second writer's submission");
    expect(second.registrationNumber).toBe("PDP-2");
    const audit = await within(a.appendAudit("revalidation", "someone", { note: "while sealing" }, AT), "an audit entry of the sealing process");
    gate.resolve();
    const firstRecord = await first;
    expect(numbersA).toEqual(["PDP-1"]);
    expect(firstRecord.registrationNumber).toBe("PDP-1");
    expect(firstRecord).toEqual(await a.getSubmission(firstRecord.id));
    expect(await a.getReceipt(firstRecord.id)).toBe(`<Receipt n="PDP-1" log="0"/>`);
    expect(a.commitStats).toMatchObject({ batches: 1, guessed: 1, resealed: 0 });
    expect(b.commitStats).toMatchObject({ batches: 1, guessed: 1, resealed: 0 });
    // the audit chain is in commit order: b's entries, the revalidation, then a's
    const entries = await a.auditEntries();
    expect(entries.map((e) => `${e.kind} ${e.subject}`)).toEqual([`submission ${second.id}`, `receipt ${second.id}`, "revalidation someone", `submission ${firstRecord.id}`, `receipt ${firstRecord.id}`]);
    expect(audit.seq).toBe(3);
    expect(verifyAuditChain(entries, await a.auditHead()).ok).toBe(true);
    expect((await a.transparencyLog.entries(0, 2)).map((e) => e.toString())).toEqual([`<Receipt n="PDP-1" log="0"/>`, `<Receipt n="PDP-2" log="1"/>`]);
    expect(await a.rawQuery("SELECT count(*)::int AS n FROM number_slots UNION ALL SELECT count(*)::int FROM log_slots")).toEqual([{ n: 0 }, { n: 0 }]);
    const third = await a.submit(submission("c"), async (x) => `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`);
    expect(third.registrationNumber).toBe("PDP-3");
    await a.close();
    await b.close();
  });
});

describe("SQLite commit fsync", () => {
  it("acknowledges a batch after an fdatasync of the WAL, with synchronous=FULL for everything else", async () => {
    const s = new SqliteArchive({ path: join(dir, `${randomUUID()}.sqlite`), numberFormat: FORMAT });
    await s.migrate();
    const records = await Promise.all(Array.from({ length: 6 }, (_, i) => s.submit(submission(`p${i}`), async (x) => `<Receipt n="${x.registrationNumber}"/>`)));
    expect(records.map((r) => r.sequence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const stats = s.commitStats;
    expect(stats.fsyncs).toBeGreaterThanOrEqual(1);
    expect(stats.fsyncs).toBeLessThanOrEqual(stats.batches);
    expect(s.raw.pragma("synchronous", { simple: true })).toBe(2);
    await s.close();
  });

  it("shares one fdatasync among the callers that arrive while one runs", async () => {
    const path = join(dir, "some-wal");
    writeFileSync(path, "frames");
    const w = new WalSync(path);
    await Promise.all([w.sync(), w.sync(), w.sync(), w.sync()]);
    expect(w.syncs).toBe(2); // the running one, then one for everyone who came meanwhile
    await w.sync();
    expect(w.syncs).toBe(3);
    await w.close();
  });
});
