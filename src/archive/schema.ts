/**
 * The archive schema, one text for both databases; `{blob}` is BLOB in SQLite and BYTEA in
 * PostgreSQL. Audit data is TEXT, not JSON/JSONB, so the hashed bytes are kept exactly.
 */
import type { SubmissionQuery } from "./port.js";
import { logSchemaSql } from "./log-schema.js";

export const SCHEMA_VERSION = 2;

export function schemaSql(blob: "BLOB" | "BYTEA"): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS registers (name TEXT PRIMARY KEY, last_seq BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS submissions (
      id TEXT PRIMARY KEY,
      register TEXT NOT NULL,
      seq BIGINT NOT NULL,
      registration_number TEXT NOT NULL UNIQUE,
      received_at TEXT NOT NULL,
      validation_time TEXT NOT NULL,
      applicant TEXT NOT NULL,
      service TEXT NOT NULL,
      accepted INTEGER NOT NULL,
      indication TEXT NOT NULL,
      policy_version TEXT NOT NULL,
      document_sha256 TEXT NOT NULL,
      document ${blob} NOT NULL,
      report TEXT NOT NULL,
      receipt TEXT NOT NULL,
      receipt_sha256 TEXT NOT NULL,
      UNIQUE (register, seq))`,
    `CREATE TABLE IF NOT EXISTS submission_contents (
      submission_id TEXT NOT NULL REFERENCES submissions(id),
      idx INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      bytes ${blob} NOT NULL,
      PRIMARY KEY (submission_id, idx))`,
    `CREATE TABLE IF NOT EXISTS material (sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, bytes ${blob} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS submission_material (
      submission_id TEXT NOT NULL REFERENCES submissions(id),
      sha256 TEXT NOT NULL REFERENCES material(sha256),
      PRIMARY KEY (submission_id, sha256))`,
    `CREATE TABLE IF NOT EXISTS audit_log (
      seq BIGINT PRIMARY KEY,
      at TEXT NOT NULL,
      kind TEXT NOT NULL,
      subject TEXT NOT NULL,
      data TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      secret_hash TEXT NOT NULL,
      scopes TEXT NOT NULL,
      created_at TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject)`,
    // issue 13: the signature augmented to B-LTA at receipt (version 1) and at each renewal
    `CREATE TABLE IF NOT EXISTS submission_evidence (
      submission_id TEXT NOT NULL REFERENCES submissions(id),
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      bytes ${blob} NOT NULL,
      PRIMARY KEY (submission_id, version))`,
    // the transparency log (issue 16): new tables only, so the idempotent baseline brings them
    ...logSchemaSql(blob),
  ];
}

/**
 * Columns added after version 1, applied by each adapter when missing (SQLite has no
 * ADD COLUMN IF NOT EXISTS). Version 2: key revocation, rotation and last use (issue 10.8).
 */
export const ADDED_COLUMNS: ReadonlyArray<{ table: string; column: string; type: string }> = [
  { table: "api_keys", column: "revoked_at", type: "TEXT" },
  { table: "api_keys", column: "last_used_at", type: "TEXT" },
  { table: "api_keys", column: "previous_secret_hash", type: "TEXT" },
  { table: "api_keys", column: "previous_valid_until", type: "TEXT" },
  // issue 15: a content kept in the file store: its size and relative location (bytes empty)
  { table: "submission_contents", column: "size", type: "BIGINT" },
  { table: "submission_contents", column: "location", type: "TEXT" },
];

export const API_KEY_COLUMNS = "id, name, secret_hash, scopes, created_at, revoked_at, last_used_at, previous_secret_hash, previous_valid_until";

/** A submissions row as both drivers return it (numbers may come back as strings from pg). */
export interface SubmissionRow {
  id: string;
  register: string;
  seq: number | string;
  registration_number: string;
  received_at: string;
  validation_time: string;
  applicant: string;
  service: string;
  accepted: number;
  indication: string;
  policy_version: string;
  document_sha256: string;
  document_size: number | string;
  receipt_sha256: string;
}

export const SUBMISSION_COLUMNS = `id, register, seq, registration_number, received_at, validation_time, applicant, service,
  accepted, indication, policy_version, document_sha256, length(document) AS document_size, receipt_sha256`;

/**
 * The WHERE clause and parameters of a SubmissionQuery, `?` placeholders; PostgreSQL numbers
 * them. Times are compared as the ISO-8601 text they are stored as (one fixed format, so text
 * order is time order); `collate` makes PostgreSQL compare bytes, as SQLite does.
 */
export function submissionQuerySql(q: SubmissionQuery, collate = ""): { where: string; params: unknown[] } {
  const w: string[] = [];
  const params: unknown[] = [];
  if (q.registrationNumber !== undefined) w.push("registration_number = ?"), params.push(q.registrationNumber);
  if (q.applicant !== undefined) w.push("applicant = ?"), params.push(q.applicant);
  if (q.from) w.push(`received_at${collate} >= ?`), params.push(q.from.toISOString());
  if (q.to) w.push(`received_at${collate} < ?`), params.push(q.to.toISOString());
  if (q.accepted !== undefined) w.push("accepted = ?"), params.push(q.accepted ? 1 : 0);
  if (q.after) {
    w.push(`(received_at${collate} > ? OR (received_at${collate} = ? AND id${collate} > ?))`);
    params.push(q.after.receivedAt, q.after.receivedAt, q.after.id);
  }
  return { where: w.length ? `WHERE ${w.join(" AND ")}` : "", params };
}
