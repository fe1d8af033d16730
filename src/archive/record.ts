/** Row ↔ record mapping and the per-submission rows both adapters write. */
import { createHash } from "node:crypto";
import { canonicalJson } from "./audit.js";
import type { Assigned, FileRef, NewSubmission, SubmissionRecord } from "./port.js";
import type { SubmissionRow } from "./schema.js";

export const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

const isRef = (c: Uint8Array | FileRef): c is FileRef => !(c instanceof Uint8Array);

/**
 * About how many bytes of values a submission's rows hold: document, evidence, report, in-row
 * contents, and the receipt twice (the submission's row and its log entry). An estimate, for
 * sizing (SQLite's WAL checkpoints, PostgreSQL's statement parts), not a measure.
 */
export const rowBytes = (s: NewSubmission, receipt: { length: number }): number =>
  s.document.length + (s.evidence?.length ?? 0) + s.reportJson.length + 2 * receipt.length + s.contents.reduce((n, c) => n + (c instanceof Uint8Array ? c.length : 0), 0);

export const contentSha256 = (c: Uint8Array | FileRef): string => (isRef(c) ? c.sha256 : sha256hex(c));

/**
 * The submission_contents row of one detached content, as both adapters write it: the bytes,
 * or (issue 15) an empty BLOB with the file store's size and location.
 */
export function contentRow(c: Uint8Array | FileRef): { sha256: string; bytes: Buffer; size: number; location: string | null } {
  if (isRef(c)) return { sha256: c.sha256, bytes: Buffer.alloc(0), size: c.size, location: c.location };
  return { sha256: sha256hex(c), bytes: asBuffer(c), size: c.length, location: null };
}

/** bytes as a Buffer without copying them (better-sqlite3 binds a Buffer; Buffer.from(buffer) would copy) */
export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A submission_contents row read back: bytes, or the file store's reference. */
export function contentOf(r: { sha256: string; bytes: Buffer; size?: number | string | null; location?: string | null }): Buffer | FileRef {
  return r.location ? { stored: "file", sha256: r.sha256, size: Number(r.size), location: r.location } : r.bytes;
}

/** size of a content as listed: the row's size when the file store has it (SQL: COALESCE(size, length(bytes))) */
export const CONTENT_SIZE_SQL = "COALESCE(size, length(bytes))";

export function toRecord(r: SubmissionRow, contents: Array<{ sha256: string; size: number | string }>): SubmissionRecord {
  return {
    id: r.id,
    register: r.register,
    sequence: Number(r.seq),
    registrationNumber: r.registration_number,
    receivedAt: r.received_at,
    validationTime: r.validation_time,
    applicant: r.applicant,
    service: r.service,
    accepted: Number(r.accepted) === 1,
    indication: r.indication,
    policyVersion: r.policy_version,
    documentSha256: r.document_sha256,
    documentSize: Number(r.document_size),
    contents: contents.map((c) => ({ sha256: c.sha256, size: Number(c.size) })),
    receiptSha256: r.receipt_sha256,
  };
}

/** The SHA-256s a submission's rows, audit entries and record all carry: computed once per submission. */
export interface SubmissionDigests {
  document: string;
  receipt: string;
}

/**
 * The record of a submission just written, as getSubmission would read it back (the same
 * mapping, toRecord), made from what was written: both adapters answer with it instead of a read.
 */
export function writtenRecord(s: NewSubmission, a: Assigned, digests: SubmissionDigests, contents: Array<{ sha256: string; size: number }>): SubmissionRecord {
  return toRecord(
    {
      id: s.id, register: s.register, seq: a.sequence, registration_number: a.registrationNumber, received_at: s.receivedAt.toISOString(),
      validation_time: s.validationTime.toISOString(), applicant: s.applicant, service: s.service, accepted: s.accepted ? 1 : 0,
      indication: s.indication, policy_version: s.policyVersion, document_sha256: digests.document, document_size: s.document.length,
      receipt_sha256: digests.receipt,
    },
    contents,
  );
}

/**
 * The applicant as the log records it: a hash salted with the submission id, so the log binds
 * the archived name without becoming a list of names (or EGNs) anyone holding it could look up.
 */
export const applicantHash = (submissionId: string, applicant: string): string => sha256hex(`podpis applicant\0${submissionId}\0${applicant}`);

/**
 * What the audit log says about a submission and its receipt (hashes, no document contents, no
 * applicant in clear). Since schema 2 it also binds the applicant, the service and the
 * validation time (issue 10.2), so every stored field of the row is covered by the chain.
 */
export function auditDataFor(s: NewSubmission, a: Assigned, receipt: string | Uint8Array, digests?: SubmissionDigests): { submission: unknown; receipt: unknown } {
  return {
    submission: {
      registrationNumber: a.registrationNumber,
      register: s.register,
      sequence: a.sequence,
      documentSha256: digests?.document ?? sha256hex(s.document),
      contents: s.contents.map(contentSha256),
      reportSha256: sha256hex(s.reportJson),
      indication: s.indication,
      accepted: s.accepted,
      policyVersion: s.policyVersion,
      material: s.material.map((m) => m.sha256).sort(),
      applicantSha256: applicantHash(s.id, s.applicant),
      service: s.service,
      validationTime: s.validationTime.toISOString(),
    },
    receipt: { registrationNumber: a.registrationNumber, receiptSha256: digests?.receipt ?? sha256hex(receipt) },
  };
}

export { canonicalJson };
