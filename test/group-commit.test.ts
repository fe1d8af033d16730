/**
 * Issue 15, group commit: submissions that arrive together share a transaction, their receipts
 * are sealed concurrently, and a seal that fails in the middle of a batch leaves no gap — the
 * ones after it are numbered again and each stored receipt carries the number it was stored
 * under. Both adapters (PostgreSQL when PODPIS_TEST_DATABASE_URL reaches a server).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Pending, sealInOrder } from "../src/archive/group-commit.js";
import type { ArchiveStore, Assigned, NewSubmission } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { CI } from "./helpers/peers.js";
import { newSubmission } from "./helpers/new-submission.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const FORMAT = "{register}-{seq}";
const AT = new Date("2026-06-01T00:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "podpis-group-"));
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(schemas).catch(() => {});
});

const submission = (applicant: string): NewSubmission => newSubmission(applicant, AT);

describe("sealInOrder", () => {
  it("renumbers and reseals the submissions after a failed seal", async () => {
    const calls: string[] = [];
    const items: Pending[] = ["a", "b", "c", "d"].map((name) => ({
      input: submission(name),
      seal: async (x: Assigned) => {
        calls.push(`${name}${x.sequence}`);
        if (name === "b") throw new Error("TSA away");
        return `${name}:${x.registrationNumber}`;
      },
      resolve: () => {},
      reject: () => calls.push(`${name} rejected`),
    }));
    const sealed = await sealInOrder(items, () => 10, FORMAT);
    expect(sealed.map((s) => s.receipt)).toEqual(["a:PDP-11", "c:PDP-12", "d:PDP-13"]);
    expect(calls).toEqual(["a11", "b12", "c13", "d14", "b rejected", "c12", "d13"]);
  });
});

const problem = await pgProblem();
if (problem && !CI) console.warn(`\n!!! SKIPPING the PostgreSQL group-commit test: ${pgSkipMessage(problem)}\n`);
const targets: Array<[string, () => ArchiveStore, boolean]> = [
  ["SQLite", () => new SqliteArchive({ path: join(dir, `${randomUUID()}.sqlite`), numberFormat: FORMAT }), true],
  [
    "PostgreSQL",
    () => {
      const schema = newSchemaName();
      schemas.push(schema);
      return new PostgresArchive({ url: PG_URL, numberFormat: FORMAT, schema });
    },
    !problem || CI,
  ],
];

describe.each(targets)("%s", (_name, open, run) => {
  it.runIf(run)("commits concurrent submissions in shared batches, gap-free through failing seals", async () => {
    if (problem && _name === "PostgreSQL") expect.fail(pgSkipMessage(problem));
    const store = open();
    await store.migrate();
    let inFlight = 0;
    let most = 0;
    const seal = (fail: boolean) => async (a: Assigned) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (fail) throw new Error("seal key away");
      return `<Receipt n="${a.registrationNumber}"/>`;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => store.submit(submission(`p${i}`), seal(i % 7 === 3))));
    const stored = outcomes.filter((o) => o.status === "fulfilled").map((o) => (o as PromiseFulfilledResult<Awaited<ReturnType<ArchiveStore["submit"]>>>).value);
    const failed = outcomes.filter((o) => o.status === "rejected");
    expect(failed.length).toBe(6);
    expect(failed.every((f) => /seal key away/.test(String((f as PromiseRejectedResult).reason)))).toBe(true);
    expect(stored.map((r) => r.sequence).sort((x, y) => x - y)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
    expect(most).toBeGreaterThan(1); // sealed concurrently: more than one submission per transaction
    for (const r of stored) expect(await store.getReceipt(r.id)).toBe(`<Receipt n="${r.registrationNumber}"/>`);
    const head = await store.auditHead();
    expect(head?.seq).toBe(68); // two entries per stored submission, none for a failed one
    await store.close();
  });
});
