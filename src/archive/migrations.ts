/**
 * Versioned schema migrations (issue 15), one text for both databases. The database records the
 * version it is at (table schema_version); a node applies the missing migrations one at a time,
 * in order, each in its own transaction, under a lock that every other node waits on (PostgreSQL:
 * an advisory lock; SQLite: the write lock). A database at a newer version than this program
 * knows is refused with a message saying so — an older node must not write into a schema it
 * does not understand.
 *
 * Databases made before versioning have no schema_version table: they are at version 0, and
 * migrations 1 and 2 are written so that they also fit a database that already has their tables
 * and columns (CREATE … IF NOT EXISTS, columns added only when missing).
 *
 * After the numbered migrations, the idempotent baseline (schemaSql and ADDED_COLUMNS) is applied
 * once more, so a table or column another part adds there arrives without a new version number.
 */
import { ArchiveError } from "./port.js";
import { LZ4_COLUMNS_SQL } from "./postgres-storage.js";
import { RESERVATION_SQL, RESERVATION_V4_SQL } from "./postgres-slots.js";
import { ADDED_COLUMNS, schemaSql } from "./schema.js";

export type Blob = "BLOB" | "BYTEA";

/** A step the adapter can perform: plain SQL, or a column added when the table lacks it. */
export type MigrationStep = { sql: string } | { addColumn: { table: string; column: string; type: string } };

export interface Migration {
  version: number;
  description: string;
  steps: (blob: Blob) => MigrationStep[];
}

const KEY_COLUMNS_V2 = ["revoked_at", "last_used_at", "previous_secret_hash", "previous_valid_until"];

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "registers, submissions, material, audit log, API keys", steps: (b) => schemaSql(b).map((sql) => ({ sql })) },
  {
    version: 2,
    description: "API key revocation, rotation and last use (issue 10.8)",
    steps: () => ADDED_COLUMNS.filter((c) => c.table === "api_keys" && KEY_COLUMNS_V2.includes(c.column)).map((c) => ({ addColumn: c })),
  },
  {
    version: 3,
    description: "PostgreSQL: reserved registration numbers and log indexes, so several nodes seal outside the lock (issue 15, postgres-slots.ts); nothing in SQLite",
    steps: (b) => (b === "BYTEA" ? RESERVATION_SQL.map((sql) => ({ sql })) : []),
  },
  {
    version: 4,
    description: "PostgreSQL: free and dead reservations found by index and by registered owner, not by a scan (postgres-slots.ts); nothing in SQLite",
    steps: (b) => (b === "BYTEA" ? RESERVATION_V4_SQL.map((sql) => ({ sql })) : []),
  },
  {
    version: 5,
    description: "PostgreSQL: documents, evidence, reports, receipts and log entries compressed with LZ4 instead of pglz, where the server has it (postgres-storage.ts); nothing in SQLite",
    steps: (b) => (b === "BYTEA" ? [{ sql: LZ4_COLUMNS_SQL }] : []),
  },
];

/** The version this program writes; a database above it is refused. */
export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;

export const VERSION_TABLE_SQL = "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)";

/** The steps of the idempotent baseline (applied after the numbered migrations). */
export const baselineSteps = (b: Blob): MigrationStep[] => [...schemaSql(b).map((sql) => ({ sql })), ...ADDED_COLUMNS.map((c) => ({ addColumn: c }))];

/** The migrations a database at `current` still needs; throws for a database newer than this program. */
export function pendingMigrations(current: number, where: string): Migration[] {
  if (current > LATEST_VERSION) {
    throw new ArchiveError(
      "SCHEMA_TOO_NEW",
      `the archive at ${where} has schema version ${current}, newer than this podpis knows (${LATEST_VERSION}): upgrade podpis on this node (nodes of one archive must run a version that knows its schema)`,
    );
  }
  return MIGRATIONS.filter((m) => m.version > current);
}
