/**
 * Rows a PostgreSQL batch writes that need no reading back: the log entries at their reserved
 * indexes, and each submission's record as the row now holds it (issue 15: reading every record
 * back after the commit cost two round trips a submission).
 */
import type pg from "pg";
import { LogError, MAX_ENTRY_BYTES, leafHash } from "../log/index.js";
import type { Sealed } from "./group-commit.js";
import type { SubmissionRecord } from "./port.js";
import { contentSha256, sha256hex, toRecord } from "./record.js";

/**
 * The receipts' UTF-8 bytes at their reserved indexes, one statement. log_state is not touched:
 * the reservation moved it (postgres-slots.ts).
 */
export async function insertLogEntries(c: pg.PoolClient, entries: ReadonlyArray<{ index: number; submissionId: string; receipt: string }>): Promise<void> {
  if (!entries.length) return;
  const params: unknown[] = [];
  const rows = entries.map((x) => {
    const entry = Buffer.from(x.receipt, "utf8");
    if (entry.length > MAX_ENTRY_BYTES) throw new LogError("LOG_ENTRY_TOO_LARGE", `the receipt is ${entry.length} bytes; a log entry is at most ${MAX_ENTRY_BYTES}`);
    params.push(x.index, x.submissionId, entry, leafHash(entry));
    const n = params.length;
    return `($${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  await c.query(`INSERT INTO log_entries (idx, submission_id, entry, leaf_hash) VALUES ${rows.join(", ")}`, params);
}

/** what getSubmission would read back for this sealed submission (the same mapping, record.ts toRecord) */
export function submissionRecord(s: Sealed): SubmissionRecord {
  const i = s.item.input;
  return toRecord(
    {
      id: i.id, register: i.register, seq: s.assigned.sequence, registration_number: s.assigned.registrationNumber,
      received_at: i.receivedAt.toISOString(), validation_time: i.validationTime.toISOString(), applicant: i.applicant, service: i.service,
      accepted: i.accepted ? 1 : 0, indication: i.indication, policy_version: i.policyVersion, document_sha256: sha256hex(i.document),
      document_size: i.document.length, receipt_sha256: sha256hex(s.receipt),
    },
    i.contents.map((c) => ({ sha256: contentSha256(c), size: c instanceof Uint8Array ? c.length : c.size })),
  );
}
