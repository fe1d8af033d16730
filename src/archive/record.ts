/** Row ↔ record mapping and the per-submission rows both adapters write. */
import { createHash } from "node:crypto";
import { canonicalJson } from "./audit.js";
import type { Assigned, NewSubmission, SubmissionRecord } from "./port.js";
import type { SubmissionRow } from "./schema.js";

export const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

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

/** What the audit log says about a submission and its receipt (no document contents, no applicant). */
export function auditDataFor(s: NewSubmission, a: Assigned, receipt: string): { submission: unknown; receipt: unknown } {
  return {
    submission: {
      registrationNumber: a.registrationNumber,
      register: s.register,
      sequence: a.sequence,
      documentSha256: sha256hex(s.document),
      contents: s.contents.map((c) => sha256hex(c)),
      reportSha256: sha256hex(s.reportJson),
      indication: s.indication,
      accepted: s.accepted,
      policyVersion: s.policyVersion,
      material: s.material.map((m) => m.sha256).sort(),
    },
    receipt: { registrationNumber: a.registrationNumber, receiptSha256: sha256hex(receipt) },
  };
}

export { canonicalJson };
