/**
 * Issue 15, how PostgreSQL stores the archive's large values (postgres-storage.ts, schema
 * version 5): on a server with LZ4, every column of documents, evidence, reports, receipts and
 * log entries is set to LZ4, and a large value written is stored LZ4-compressed; an archive at
 * version 4 keeps its pglz values readable as they were after the migration.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "../src/archive/migrations.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { CI } from "./helpers/peers.js";
import { newSubmission } from "./helpers/new-submission.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const problem = await pgProblem();
if (problem && !CI) console.warn(`\n!!! SKIPPING the PostgreSQL storage tests: ${pgSkipMessage(problem)}\n`);
const schemas: string[] = [];
const open: PostgresArchive[] = [];
afterAll(async () => {
  for (const a of open) await a.close().catch(() => {});
  await dropSchemas(schemas).catch(() => {});
});

function archive(schema: string): PostgresArchive {
  const a = new PostgresArchive({ url: PG_URL, numberFormat: "{register}-{seq}", schema });
  open.push(a);
  return a;
}

const LARGE = [
  ["submissions", "document"], ["submissions", "report"], ["submissions", "receipt"], ["submission_contents", "bytes"],
  ["submission_evidence", "bytes"], ["material", "bytes"], ["log_entries", "entry"],
] as const;

async function compressionOf(a: PostgresArchive, schema: string): Promise<string[]> {
  const rows = await a.rawQuery(
    `SELECT c.relname || '.' || t.attname AS col, t.attcompression::text AS how FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND (c.relname, t.attname) IN (${LARGE.map((_, i) => `($${2 * i + 2}, $${2 * i + 3})`).join(", ")}) ORDER BY 1`,
    [schema, ...LARGE.flat()],
  );
  return rows.map((r) => `${r.col}=${r.how}`);
}

/** a submission whose values are all above the TOAST threshold and compressible (so they are compressed, and we can see how) */
function large(applicant: string) {
  const s = newSubmission(applicant);
  return { ...s, document: Buffer.from(`<form>${"Заявление за удостоверение. ".repeat(400)}${randomUUID()}</form>`), reportJson: JSON.stringify({ rows: Array(300).fill("TOTAL_PASSED") }), evidence: Buffer.from("evidence ".repeat(2000)) };
}
async function serverHasLz4(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query("SELECT 'lz4' = ANY (enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'")).rows[0]?.ok === true;
  } finally {
    await c.end();
  }
}
const receipt = async () => `<Receipt>${"<Row>потвърждение</Row>".repeat(300)}</Receipt>`;

describe.skipIf(!!problem && !CI)("PostgreSQL storage of large values", async () => {
  const lz4 = !problem && (await serverHasLz4());

  it("a new archive compresses documents, evidence, reports, receipts and log entries with LZ4 (when the server has it)", async () => {
    const schema = newSchemaName();
    schemas.push(schema);
    const a = archive(schema);
    await a.migrate();
    expect(await compressionOf(a, schema)).toEqual(LARGE.map(([t, c]) => `${t}.${c}=${lz4 ? "l" : ""}`).sort());
    const s = large("Иван");
    await a.submit(s, receipt);
    const how = await a.rawQuery(
      `SELECT pg_column_compression(s.document) AS document, pg_column_compression(s.receipt) AS receipt, pg_column_compression(s.report) AS report,
              pg_column_compression(e.bytes) AS evidence, pg_column_compression(l.entry) AS entry
         FROM submissions s JOIN submission_evidence e ON e.submission_id = s.id JOIN log_entries l ON l.submission_id = s.id`,
    );
    const want = lz4 ? "lz4" : "pglz";
    expect(how).toEqual([{ document: want, receipt: want, report: want, evidence: want, entry: want }]);
    expect((await a.getDocument(s.id))!.document.equals(s.document)).toBe(true);
  });

  it.skipIf(!lz4)("an archive at version 4 migrates, and its pglz values read as they were", async () => {
    const schema = newSchemaName();
    schemas.push(schema);
    const a = archive(schema);
    await a.migrate();
    // as version 4 left it: the default compression, and a submission written with it
    for (const [t, c] of LARGE) await a.rawQuery(`ALTER TABLE ${t} ALTER COLUMN ${c} SET COMPRESSION pglz`);
    await a.rawQuery("UPDATE schema_version SET version = 4");
    const old = large("Мария");
    await a.submit(old, receipt);
    expect(await a.rawQuery("SELECT pg_column_compression(document) AS how FROM submissions")).toEqual([{ how: "pglz" }]);
    const b = archive(schema);
    await b.migrate();
    expect(await b.schemaVersion()).toBe(LATEST_VERSION);
    expect(await compressionOf(b, schema)).toEqual(LARGE.map(([t, c]) => `${t}.${c}=l`).sort());
    const next = large("Петър");
    await b.submit(next, receipt);
    const rows = await b.rawQuery("SELECT id, pg_column_compression(document) AS how FROM submissions ORDER BY seq");
    expect(rows).toEqual([{ id: old.id, how: "pglz" }, { id: next.id, how: "lz4" }]);
    expect((await b.getDocument(old.id))!.document.equals(old.document)).toBe(true);
    expect(await b.getReport(old.id)).toBe(old.reportJson);
    expect((await b.getEvidence(old.id))!.bytes.equals(old.evidence)).toBe(true);
  });
});
