/** A minimal archive submission for the archive adapters' tests (no real signature: the store does not look). */
import { randomUUID } from "node:crypto";
import type { NewSubmission } from "../../src/archive/port.js";
import { sha256hex } from "../../src/archive/record.js";

export const SUBMISSION_AT = new Date("2026-06-01T00:00:00Z");

export function newSubmission(applicant: string, at = SUBMISSION_AT): NewSubmission {
  const crl = Buffer.from("a CRL");
  return {
    id: randomUUID(), register: "PDP", receivedAt: at, validationTime: at, applicant, service: "urn:service:test", accepted: true, policyVersion: "p",
    document: Buffer.from(`signed ${applicant}`), contents: [], reportJson: "{}", indication: "TOTAL_PASSED", material: [{ kind: "crl", sha256: sha256hex(crl), bytes: crl }],
  };
}
