/**
 * Rows a PostgreSQL batch writes that need no reading back: the log entries at their reserved
 * indexes, and each submission's record as the row now holds it (issue 15: reading every record
 * back after the commit cost two round trips a submission).
 */
import type pg from "pg";
import { LogError, MAX_ENTRY_BYTES, leafHash } from "../log/index.js";
import type { Sealed } from "./group-commit.js";
import type { SubmissionRecord } from "./port.js";
import { type SubmissionDigests, contentSha256, sha256hex, writtenRecord } from "./record.js";

/** A multi-row INSERT not yet sent. */
export interface Insert {
  table: string;
  columns: readonly string[];
  rows: ReadonlyArray<readonly unknown[]>;
  suffix?: string;
}

/** PostgreSQL takes at most 65,535 parameters a statement */
const MAX_PARAMS = 65_000;

/**
 * A statement (`head`, its parameters numbered from $1) and then every insert, as few round
 * trips as the parameter limit allows: data-modifying WITH clauses all run, and the foreign keys
 * are checked at the end of the statement, so parents and children may share one. Returns the
 * head's rows.
 */
export async function insertAll<R extends pg.QueryResultRow>(c: pg.PoolClient, head: { sql: string; params: unknown[] }, inserts: readonly Insert[]): Promise<R[]> {
  const params = [...head.params];
  const clauses: string[] = [];
  const later: Insert[] = [];
  for (const ins of inserts.filter((i) => i.rows.length)) {
    const size = ins.rows.length * ins.columns.length;
    if (params.length + size > MAX_PARAMS) {
      later.push(ins);
      continue;
    }
    const values = ins.rows.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(", ")})`);
    clauses.push(`w${clauses.length} AS (INSERT INTO ${ins.table} (${ins.columns.join(", ")}) VALUES ${values.join(", ")} ${ins.suffix ?? ""} RETURNING 1)`);
  }
  const rows = (await c.query<R>(`${clauses.length ? `WITH ${clauses.join(",\n")} ` : ""}${head.sql}`, params)).rows;
  for (const ins of later) {
    const per = Math.floor(MAX_PARAMS / ins.columns.length);
    for (let at = 0; at < ins.rows.length; at += per) await insertAll(c, { sql: "SELECT 1", params: [] }, [{ ...ins, rows: ins.rows.slice(at, at + per) }]);
  }
  return rows;
}

/** the log entries at their reserved indexes (log_state is not touched: the reservation moved it, postgres-slots.ts) */
export function logEntriesInsert(sealed: readonly Sealed[]): Insert {
  return {
    table: "log_entries",
    columns: ["idx", "submission_id", "entry", "leaf_hash"],
    rows: sealed.map((s) => {
      const entry = Buffer.from(s.receipt, "utf8");
      if (entry.length > MAX_ENTRY_BYTES) throw new LogError("LOG_ENTRY_TOO_LARGE", `the receipt is ${entry.length} bytes; a log entry is at most ${MAX_ENTRY_BYTES}`);
      return [s.assigned.logIndex, s.item.input.id, entry, leafHash(entry)];
    }),
  };
}

const digestsKept = new WeakMap<Sealed, SubmissionDigests>();

/** the document's and receipt's SHA-256 of a sealed submission, computed once (row, audit entries, record) */
export function digestsOf(s: Sealed): SubmissionDigests {
  let d = digestsKept.get(s);
  if (!d) digestsKept.set(s, (d = { document: sha256hex(s.item.input.document), receipt: sha256hex(s.receipt) }));
  return d;
}

/** what getSubmission would read back for this sealed submission (record.ts writtenRecord) */
export function submissionRecord(s: Sealed): SubmissionRecord {
  const i = s.item.input;
  return writtenRecord(i, s.assigned, digestsOf(s), i.contents.map((c) => ({ sha256: contentSha256(c), size: c instanceof Uint8Array ? c.length : c.size })));
}
