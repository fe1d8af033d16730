/**
 * How PostgreSQL stores the archive's large values (schema version 5, issue 15).
 *
 * A submission writes about 70 KB of values above TOAST's 2 KB threshold: the document, its
 * B-LTA evidence (which embeds the document again), the report, and the receipt twice (the
 * submission row and its log entry). PostgreSQL compresses such values with pglz by default,
 * and in the submissions bench pglz_compress was the largest single item of the database's CPU
 * (23 % of its samples). It also does badly on these values: pglz looks for repeats within
 * 4 KB, and gives up on a value whose first KB has none, so a 16 KB receipt was stored
 * uncompressed after pglz had been tried on it, and the evidence kept the copy of the document
 * it embeds. LZ4 (PostgreSQL 14 and later, when built with it, as the Debian and PGDG builds
 * are) is several times cheaper per byte and looks back 64 KB. Measured on one server in
 * interleaved rounds: database CPU per submission −22 %, WAL bytes −30 %; stored sizes per
 * submission: receipt 16.0 → 10.8 KB, evidence 12.8 → 7.5 KB, document 4.5 → 4.3 KB. Storing
 * them uncompressed (STORAGE EXTERNAL) cost more CPU than LZ4 (more TOAST chunks and WAL).
 *
 * The setting applies to values written from then on; values already stored stay as they are
 * and read the same. A server without LZ4 keeps its default: the migration is a no-op there.
 */

/** the columns of large values, per table */
const LARGE_COLUMNS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["submissions", ["document", "report", "receipt"]],
  ["submission_contents", ["bytes"]],
  ["submission_evidence", ["bytes"]],
  ["material", ["bytes"]],
  ["log_entries", ["entry"]],
];

const alters = LARGE_COLUMNS.map(([table, cols]) => `ALTER TABLE ${table} ${cols.map((c) => `ALTER COLUMN ${c} SET COMPRESSION lz4`).join(", ")}`);

/**
 * One statement: the ALTERs run only when the server offers lz4 for default_toast_compression
 * (they are EXECUTEd, so a server that does not know SET COMPRESSION never parses them).
 */
export const LZ4_COLUMNS_SQL = `DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
${alters.map((a) => `    EXECUTE '${a}';`).join("\n")}
  END IF;
END $$`;
