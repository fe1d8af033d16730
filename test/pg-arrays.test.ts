/**
 * Issue 15, batch rows as binary arrays (postgres-arrays.ts): every value comes back from
 * PostgreSQL as it was sent (text with quotes, backslashes, braces, Cyrillic and emoji, empty
 * strings, NULLs; bytea with zero bytes; int8 past 2^32; empty arrays); a wrong element type is
 * refused before anything is sent; and batches of any size use the same two prepared statements
 * on a connection, so PostgreSQL parses and plans them once.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { binaryArray } from "../src/archive/postgres-arrays.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { batchParts } from "../src/archive/postgres-rows.js";
import type { Sealed } from "../src/archive/group-commit.js";
import { CI } from "./helpers/peers.js";
import { newSubmission } from "./helpers/new-submission.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const problem = await pgProblem();
if (problem && !CI) console.warn(`\n!!! SKIPPING the PostgreSQL array tests: ${pgSkipMessage(problem)}\n`);
const schemas: string[] = [];
const open: PostgresArchive[] = [];
afterAll(async () => {
  for (const a of open) await a.close().catch(() => {});
  await dropSchemas(schemas).catch(() => {});
});

describe("binary arrays, without a server", () => {
  it("refuses an element of the wrong type", () => {
    expect(() => binaryArray("text", ["a", 1])).toThrow(TypeError);
    expect(() => binaryArray("bytea", ["a"])).toThrow(TypeError);
    expect(() => binaryArray("int8", [2 ** 60])).toThrow(TypeError);
    expect(() => binaryArray("int4", ["1"])).toThrow(TypeError);
  });

  it("splits a batch into parts of at most 64 MiB of values, each submission whole", () => {
    const sealed = (mib: number): Sealed => ({ item: { input: { ...newSubmission("x"), contents: [Buffer.alloc(mib * 1024 * 1024)] } }, receipt: "<r/>" }) as unknown as Sealed;
    const batch = [sealed(30), sealed(30), sealed(30), sealed(1), sealed(70), sealed(1)];
    expect(batchParts(batch).map((p) => p.map((s) => batch.indexOf(s)))).toEqual([[0, 1], [2, 3], [4], [5]]);
    expect(batchParts(batch.slice(3, 4))).toEqual([batch.slice(3, 4)]);
  });
});

describe.skipIf(!!problem && !CI)("binary arrays through PostgreSQL", () => {
  it("text, bytea, int4 and int8 elements come back as they were sent", async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const roundTrip = async (sql: string, value: Buffer): Promise<unknown> => (await c.query(sql, [value])).rows[0]!.v;
    const texts = ["", 'a "quoted" {brace}, comma', "back\\slash", "NULL", "Иван Петров 🙂", null, "x".repeat(70_000)];
    expect(await roundTrip("SELECT $1::text[] AS v", binaryArray("text", texts))).toEqual(texts);
    const bytes = [Buffer.from([0, 1, 2, 0, 255]), Buffer.alloc(0), null, Buffer.alloc(100_000, 7)];
    expect(await roundTrip("SELECT $1::bytea[] AS v", binaryArray("bytea", bytes))).toEqual(bytes);
    expect(await roundTrip("SELECT $1::int4[] AS v", binaryArray("int4", [0, -1, 2 ** 31 - 1, null]))).toEqual([0, -1, 2 ** 31 - 1, null]);
    expect(await roundTrip("SELECT array_to_string($1::int8[], ',') AS v", binaryArray("int8", [1, 2 ** 40, Number.MAX_SAFE_INTEGER, -5]))).toBe(`1,${2 ** 40},${Number.MAX_SAFE_INTEGER},-5`);
    expect(await roundTrip("SELECT cardinality($1::text[]) AS v", binaryArray("text", []))).toBe(0);
    // the element type is part of the format: PostgreSQL refuses a bytea array read as text
    await expect(roundTrip("SELECT $1::text[] AS v", binaryArray("bytea", [Buffer.from("a")]))).rejects.toThrow(/element type/);
    await c.end();
  });

  it("batches of any size use the same prepared statements on a connection", async () => {
    const schema = newSchemaName();
    schemas.push(schema);
    const a = new PostgresArchive({ url: PG_URL, numberFormat: "{register}-{seq}", schema, poolSize: 1 });
    open.push(a);
    await a.migrate();
    const receipt = async () => "<Receipt/>";
    for (const n of [1, 3, 7, 2]) await Promise.all(Array.from({ length: n }, (_, i) => a.submit(newSubmission(`заявител ${n}.${i}`), receipt)));
    expect((await a.submissionIds()).length).toBe(13);
    const prepared = await a.rawQuery("SELECT count(*)::int AS n, count(*) FILTER (WHERE statement LIKE '%INSERT INTO submissions%')::int AS batch FROM pg_prepared_statements");
    // the batch's rows, the audit head's lock, the audit entries: three, whatever the batches' sizes
    expect(prepared).toEqual([{ n: 3, batch: 1 }]);
  });
});
