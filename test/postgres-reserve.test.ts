/**
 * Issue 15, reserved numbers on PostgreSQL (postgres-slots.ts, postgres-commit.ts): two archive
 * instances on one schema seal outside the lock without ever sealing twice; a node killed at
 * each step of a submission loses nothing acknowledged and leaves no gap once the next
 * submission comes (its numbers go to the next reservation, on the other node); a node whose
 * reservations were taken over while it lived notices in its own transaction and seals again;
 * a failed seal's number is given back. After each: numbers 1..n, log indexes 0..n-1 with each
 * entry its submission's receipt, the audit chain verifies, no reservation left.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/archive/audit.js";
import type { Assigned } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { OWNER_LOCK_CLASS } from "../src/archive/postgres-slots.js";
import { verifyLog } from "../src/archive/log-verify.js";
import { CI } from "./helpers/peers.js";
import { newSubmission } from "./helpers/new-submission.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";
import pg from "pg";

const FORMAT = "{register}-{seq}";
const problem = await pgProblem();
if (problem && !CI) console.warn(`\n!!! SKIPPING the PostgreSQL reservation tests: ${pgSkipMessage(problem)}\n`);
const schemas: string[] = [];
const open: PostgresArchive[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const a of open) await a.close().catch(() => {});
  await dropSchemas(schemas).catch(() => {});
});

const receipt = async (x: Assigned): Promise<string> => `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function archive(schema: string, appName?: string): PostgresArchive {
  const url = appName ? `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}application_name=${appName}` : PG_URL;
  const a = new PostgresArchive({ url, numberFormat: FORMAT, schema });
  open.push(a);
  return a;
}

async function freshSchema(): Promise<string> {
  const s = newSchemaName();
  schemas.push(s);
  await archive(s).migrate();
  return s;
}

/** what must hold of an archive after anything: gap-free numbers and log, receipts that name them, one audit chain, no reservation left */
async function expectConsistent(a: PostgresArchive, count: number): Promise<void> {
  const rows = (await a.rawQuery("SELECT seq, registration_number, receipt, id FROM submissions ORDER BY seq")) as Array<{ seq: string; registration_number: string; receipt: string; id: string }>;
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  const entries = await a.transparencyLog.allEntries();
  expect(entries.map((e) => e.index)).toEqual(Array.from({ length: count }, (_, i) => i));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const e of entries) {
    const row = byId.get(e.submissionId)!;
    expect(e.entry.toString()).toBe(row.receipt);
    expect(row.receipt).toBe(`<Receipt n="${row.registration_number}" log="${e.index}"/>`);
  }
  expect(verifyAuditChain(await a.auditEntries(), await a.auditHead()).ok).toBe(true);
  expect((await a.auditHead())?.seq).toBe(2 * count);
  expect(await a.rawQuery("SELECT (SELECT count(*)::int FROM number_slots) AS numbers, (SELECT count(*)::int FROM log_slots) AS log")).toEqual([{ numbers: 0, log: 0 }]);
}

function child(schema: string, step: "seal" | "commit" | "answered", appName: string): { proc: ChildProcess; line: (prefix: string) => Promise<string> } {
  const url = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}application_name=${appName}`;
  const proc = spawn(process.execPath, ["--import", "tsx", "test/helpers/pg-reserve-child.ts", url, schema, step], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => void (err += d.toString()));
  const line = async (prefix: string): Promise<string> => {
    for (let t0 = Date.now(); Date.now() - t0 < 60_000; await wait(20)) {
      const l = out.split("\n").find((x) => x.startsWith(prefix + " "));
      if (l) return l;
      if (proc.exitCode !== null) break;
    }
    throw new Error(`the child never printed "${prefix}" (exit ${proc.exitCode}): ${err.slice(0, 500)}`);
  };
  return { proc, line };
}

const killed = (p: ChildProcess): Promise<void> => new Promise((r) => (p.exitCode !== null || p.signalCode ? r() : (p.once("exit", () => r()), p.kill("SIGKILL"))));

/** until the killed process's sessions are gone from the server (their locks with them) */
async function sessionsGone(appName: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    for (let t0 = Date.now(); Date.now() - t0 < 30_000; await wait(20)) {
      const n = Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [appName])).rows[0]!.n);
      if (n === 0) return;
    }
    throw new Error(`the sessions of ${appName} are still there after 30 s`);
  } finally {
    await c.end();
  }
}

describe.runIf(!problem || CI)("reserved numbers on PostgreSQL", () => {
  it("two archives on one schema contending: every batch sealed once, outside the lock, numbers and log gap-free", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const schema = await freshSchema();
    const [a, b] = [archive(schema), archive(schema)];
    const slowSeal = async (x: Assigned) => (await wait(2), receipt(x));
    const records = await Promise.all([a, b].flatMap((s) => Array.from({ length: 40 }, (_, i) => s.submit(newSubmission(`p${i}`), slowSeal))));
    expect(new Set(records.map((r) => r.registrationNumber)).size).toBe(80);
    for (const s of [a, b]) {
      expect(s.commitStats.resealed).toBe(0);
      expect(s.commitStats.guessed).toBe(s.commitStats.batches);
      expect(s.commitStats.batches).toBeLessThan(40); // batched, not one transaction each
    }
    for (const r of records.slice(0, 5)) expect(r).toEqual(await a.getSubmission(r.id));
    await expectConsistent(a, 80);
  });

  for (const step of ["seal", "commit", "answered"] as const) {
    it(`a node killed at step "${step}" loses nothing acknowledged; its numbers go to the other node's next submission`, async () => {
      if (problem) expect.fail(pgSkipMessage(problem));
      const schema = await freshSchema();
      const survivor = archive(schema);
      const appName = `podpis_kill_${step}_${schema}`;
      const holder = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await holder.connect();
      try {
        if (step === "commit") {
          // the child's transaction will wait here, after its claim and rows, before its commit
          await holder.query("BEGIN");
          await holder.query("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING");
          await holder.query("SELECT * FROM audit_head WHERE id = 1 FOR UPDATE");
        }
        const c = child(schema, step, appName);
        expect(await c.line("sealing")).toBe("sealing PDP-1 0");
        if (step === "commit") {
          for (let t0 = Date.now(); ; await wait(20)) {
            const waiting = await holder.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [appName]);
            if (waiting.rows.length) break;
            if (Date.now() - t0 > 30_000) throw new Error("the child's transaction never reached the audit head");
          }
        }
        const answered = step === "answered" ? (await c.line("answered")).split(" ") : null;
        // the other node meanwhile: not held behind the child, takes the next numbers
        const during = step === "commit" ? null : await survivor.submit(newSubmission("during"), receipt);
        await killed(c.proc);
        if (step === "commit") await holder.query("ROLLBACK");
        await sessionsGone(appName);
        const after = [await survivor.submit(newSubmission("after 1"), receipt), await survivor.submit(newSubmission("after 2"), receipt)];
        const numbers = [during, ...after].filter((r) => r !== null).map((r) => r!.registrationNumber);
        if (step === "answered") {
          // acknowledged before the kill: stored, with its number
          expect(answered![2]).toBe("PDP-1");
          expect((await survivor.getSubmission(answered![1]!))?.registrationNumber).toBe("PDP-1");
          expect(numbers).toEqual(["PDP-2", "PDP-3", "PDP-4"]);
          await expectConsistent(survivor, 4);
        } else {
          // the dead node's PDP-1 (and log index 0) is the survivor's next
          expect(numbers).toEqual(step === "seal" ? ["PDP-2", "PDP-1", "PDP-3"] : ["PDP-1", "PDP-2"]);
          await expectConsistent(survivor, step === "seal" ? 3 : 2);
        }
      } finally {
        await holder.end();
      }
    });
  }

  // "committed": the taker commits first (a's rows then collide); "sealing": the taker still seals when a commits (a's claim finds the rows someone else's)
  for (const taker of ["committed", "sealing"] as const) {
    it(`a node whose reservation was taken over while it sealed finds out in its own transaction and seals again (taker ${taker})`, async () => {
      if (problem) expect.fail(pgSkipMessage(problem));
      const schema = await freshSchema();
      const [a, b] = [archive(schema), archive(schema)];
      await b.submit(newSubmission("warm"), receipt); // b's owner session exists before a's is cut
      const gated = () => {
        let open!: () => void;
        let entered!: () => void;
        const gate = new Promise<void>((r) => (open = r));
        const inside = new Promise<void>((r) => (entered = r));
        const numbers: string[] = [];
        const seal = async (x: Assigned) => {
          numbers.push(x.registrationNumber);
          entered();
          await gate;
          return receipt(x);
        };
        return { open, inside, numbers, seal };
      };
      const ga = gated();
      const first = a.submit(newSubmission("a"), ga.seal);
      await ga.inside;
      // a's owner session is cut (a database restart would do the same): its lock is gone, b takes its PDP-2
      const aOwner = (await b.rawQuery("SELECT DISTINCT owner FROM number_slots")) as Array<{ owner: number }>;
      expect(aOwner).toEqual([{ owner: expect.any(Number) }]);
      const aOwnerPid = (await b.rawQuery("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted", [OWNER_LOCK_CLASS, aOwner[0]!.owner])) as Array<{ pid: number }>;
      expect(aOwnerPid.length).toBe(1);
      await b.rawQuery("SELECT pg_terminate_backend($1)", [aOwnerPid[0]!.pid]);
      for (let t0 = Date.now(); (await b.rawQuery("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [aOwnerPid[0]!.pid])).length; await wait(20)) {
        if (Date.now() - t0 > 30_000) throw new Error("the terminated session is still there");
      }
      const gb = gated();
      if (taker === "committed") gb.open();
      const second = b.submit(newSubmission("b"), gb.seal);
      await gb.inside;
      expect(gb.numbers).toEqual(["PDP-2"]);
      if (taker === "committed") expect((await second).registrationNumber).toBe("PDP-2");
      ga.open();
      const record = await first;
      expect(ga.numbers).toEqual(["PDP-2", "PDP-3"]);
      expect(record.registrationNumber).toBe("PDP-3");
      expect(a.commitStats).toMatchObject({ batches: 1, guessed: 0, resealed: 1 });
      gb.open();
      expect((await second).registrationNumber).toBe("PDP-2");
      await expectConsistent(a, 3);
    });
  }

  it("audit verify takes a log index reserved by a batch in flight for a hole in progress, and a hole nobody holds for a removal", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const schema = await freshSchema();
    const [a, b] = [archive(schema), archive(schema)];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = a.submit(newSubmission("a"), async (x) => (entered(), await gate, receipt(x)));
    await inside;
    await b.submit(newSubmission("b"), receipt); // log index 1 committed while 0 is being sealed
    expect((await verifyLog(b)).mismatches).toEqual([]);
    // the same hole with no reservation behind it is a removed entry
    await b.rawQuery("UPDATE log_slots SET idx = 99");
    expect((await verifyLog(b)).mismatches).toEqual([expect.objectContaining({ subject: "log entry 1", object: "index" })]);
    await b.rawQuery("UPDATE log_slots SET idx = 0");
    open();
    expect((await first).registrationNumber).toBe("PDP-1");
    expect((await verifyLog(b)).ok).toBe(true);
    await expectConsistent(a, 2);
  });

  it("a failed seal's number is given back: to the counter when nothing came after it, else to the next submission", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const schema = await freshSchema();
    const [a, b] = [archive(schema), archive(schema)];
    await expect(a.submit(newSubmission("x"), async () => Promise.reject(new Error("seal key away")))).rejects.toThrow(/seal key away/);
    expect((await a.submit(newSubmission("y"), receipt)).registrationNumber).toBe("PDP-1");
    // now a number is given back below one that another node committed meanwhile
    let fail!: () => void;
    const failing = new Promise<void>((_, no) => (fail = () => no(new Error("TSA away"))));
    let sealing!: () => void;
    const started = new Promise<void>((r) => (sealing = r));
    const doomed = a.submit(newSubmission("z"), async () => (sealing(), failing.then(() => "")));
    await started;
    expect((await b.submit(newSubmission("w"), receipt)).registrationNumber).toBe("PDP-3");
    fail();
    await expect(doomed).rejects.toThrow(/TSA away/);
    // (given back just after the submission is answered)
    for (let t0 = Date.now(); (await a.rawQuery("SELECT 1 FROM number_slots WHERE owner IS NOT NULL")).length; await wait(20)) {
      if (Date.now() - t0 > 20_000) throw new Error("the failed seal's number was not given back");
    }
    expect(await a.rawQuery("SELECT seq::int, owner FROM number_slots")).toEqual([{ seq: 2, owner: null }]);
    expect((await b.submit(newSubmission("v"), receipt)).registrationNumber).toBe("PDP-2");
    await expectConsistent(a, 3);
  });
});
