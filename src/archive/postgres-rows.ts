/**
 * The rows a PostgreSQL batch writes, and what needs no reading back: each submission's record
 * as the row now holds it (issue 15: reading every record back after the commit cost two round
 * trips a submission). The rows go in two statements of fixed text (postgres-arrays.ts): the
 * claim with every submission's rows, and the audit entries with the new head.
 */
import { LogError, MAX_ENTRY_BYTES, leafHash } from "../log/index.js";
import type { Sealed } from "./group-commit.js";
import type { AuditEntry, Material, SubmissionRecord } from "./port.js";
import { type SubmissionDigests, asBuffer, contentRow, contentSha256, rowBytes, sha256hex, writtenRecord } from "./record.js";
import { type Table, UnnestStatement } from "./postgres-arrays.js";
import { CLAIM_SQL } from "./postgres-slots.js";

const SUBMISSIONS: Table = {
  name: "submissions",
  columns: [
    ["id", "text"], ["register", "text"], ["seq", "int8"], ["registration_number", "text"], ["received_at", "text"], ["validation_time", "text"],
    ["applicant", "text"], ["service", "text"], ["accepted", "int4"], ["indication", "text"], ["policy_version", "text"], ["document_sha256", "text"],
    ["document", "bytea"], ["report", "text"], ["receipt", "text"], ["receipt_sha256", "text"],
  ],
};
const CONTENTS: Table = { name: "submission_contents", columns: [["submission_id", "text"], ["idx", "int4"], ["sha256", "text"], ["bytes", "bytea"], ["size", "int8"], ["location", "text"]] };
const MATERIAL: Table = { name: "material", columns: [["sha256", "text"], ["kind", "text"], ["bytes", "bytea"]], suffix: "ON CONFLICT (sha256) DO NOTHING" };
const LINKS: Table = { name: "submission_material", columns: [["submission_id", "text"], ["sha256", "text"]], suffix: "ON CONFLICT DO NOTHING" };
const EVIDENCE: Table = { name: "submission_evidence", columns: [["submission_id", "text"], ["version", "int4"], ["created_at", "text"], ["sha256", "text"], ["bytes", "bytea"]] };
// log_state is not touched: the reservation moved it (postgres-slots.ts)
const LOG_ENTRIES: Table = { name: "log_entries", columns: [["idx", "int8"], ["submission_id", "text"], ["entry", "bytea"], ["leaf_hash", "bytea"]] };

/** the claim (postgres-slots.ts) and every row of the submissions; answers `ok` */
export const BATCH_STATEMENT = new UnnestStatement(CLAIM_SQL, 4, [SUBMISSIONS, CONTENTS, MATERIAL, LINKS, EVIDENCE, LOG_ENTRIES]);

/** the audit entries and the new head (its seq $1 and hash $2) */
export const AUDIT_STATEMENT = new UnnestStatement("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", 2, [
  { name: "audit_log", columns: [["seq", "int8"], ["at", "text"], ["kind", "text"], ["subject", "text"], ["data", "text"], ["prev_hash", "text"], ["hash", "text"]] },
]);

export const auditRows = (entries: readonly AuditEntry[]): unknown[][] => entries.map((e) => [e.seq, e.at, e.kind, e.subject, e.data, e.prevHash, e.hash]);

/**
 * BATCH_STATEMENT's rows of these submissions (in its tables' order), with `material` (bytes not
 * yet known stored; the caller decides) and the links of every submission to its material.
 */
export function batchRows(sealed: readonly Sealed[], material: readonly Material[]): Array<ReadonlyArray<readonly unknown[]>> {
  const inputs = sealed.map((s) => s.item.input);
  const links = new Map(inputs.flatMap((s) => s.material.map((m) => [`${s.id} ${m.sha256}`, [s.id, m.sha256]] as const)));
  return [
    sealed.map((s) => submissionRow(s)),
    inputs.flatMap((s) => s.contents.map((b, i) => {
      const row = contentRow(b); // issue 15: bytes, or the file store's size and location
      return [s.id, i, row.sha256, row.bytes, row.size, row.location];
    })),
    material.map((m) => [m.sha256, m.kind, asBuffer(m.bytes)]),
    [...links.values()],
    inputs.filter((s) => s.evidence).map((s) => [s.id, 1, s.receivedAt.toISOString(), sha256hex(s.evidence!), asBuffer(s.evidence!)]),
    sealed.map((s) => {
      const entry = Buffer.from(s.receipt, "utf8");
      if (entry.length > MAX_ENTRY_BYTES) throw new LogError("LOG_ENTRY_TOO_LARGE", `the receipt is ${entry.length} bytes; a log entry is at most ${MAX_ENTRY_BYTES}`);
      return [s.assigned.logIndex, s.item.input.id, entry, leafHash(entry)];
    }),
  ];
}

function submissionRow(s: Sealed): unknown[] {
  const input = s.item.input;
  const d = digestsOf(s);
  return [
    input.id, input.register, s.assigned.sequence, s.assigned.registrationNumber, input.receivedAt.toISOString(), input.validationTime.toISOString(),
    input.applicant, input.service, input.accepted ? 1 : 0, input.indication, input.policyVersion, d.document,
    asBuffer(input.document), input.reportJson, s.receipt, d.receipt,
  ];
}

/** a statement's arrays stay far below PostgreSQL's 1 GB limit of a value and of a message */
const STATEMENT_BYTES = 64 * 1024 * 1024;

/** the batch in consecutive parts of at most STATEMENT_BYTES of values each (one part, but for large contents) */
export function batchParts(sealed: readonly Sealed[]): Sealed[][] {
  const parts: Sealed[][] = [];
  let bytes = Infinity;
  for (const s of sealed) {
    const size = rowBytes(s.item.input, s.receipt);
    if (bytes + size > STATEMENT_BYTES) parts.push([]), (bytes = 0);
    parts.at(-1)!.push(s);
    bytes += size;
  }
  return parts;
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
