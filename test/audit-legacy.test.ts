/**
 * Issue 10.2, archives written before the log bound applicant, service and validation time:
 * the sealed receipt (whose hash every entry records) and the archived report are the witnesses.
 * And a log whose head row was deleted with its last entries is not "intact".
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nextAuditEntry, verifyAuditChain } from "../src/archive/audit.js";
import { checkSubmission } from "../src/archive/integrity.js";
import type { SubmissionRecord } from "../src/archive/port.js";
import { sha256hex } from "../src/archive/record.js";
import { buildReceipt } from "../src/receipt/document.js";
import type { ValidationReport } from "../src/validation/report.js";

const AT = new Date("2026-06-01T00:00:00Z");

function legacy() {
  const id = randomUUID();
  const report = { validationTime: AT.toISOString(), indication: "TOTAL_PASSED", document: {}, signatures: [] } as unknown as ValidationReport;
  const reportJson = JSON.stringify(report);
  const document = Buffer.from("signed");
  const receipt = buildReceipt({
    submissionId: id, accepted: true, provider: { name: "Община", identifier: null }, transportType: "HTTPS API", registeredBy: "podpis", register: "PDP",
    sequence: 1, registrationNumber: "PDP-2026-000001", receivedAt: AT, caseAccessIdentifier: "x", applicant: "Иван Петров Иванов", documentType: "urn:service:a",
    files: [{ role: "signature", sha256: sha256hex(document), size: document.length }], report,
  });
  // what schema 1 logged: no applicantSha256, service or validationTime
  const sub = nextAuditEntry(null, "submission", id, {
    registrationNumber: "PDP-2026-000001", register: "PDP", sequence: 1, documentSha256: sha256hex(document), contents: [], reportSha256: sha256hex(reportJson),
    indication: "TOTAL_PASSED", accepted: true, policyVersion: "p", material: [],
  }, AT);
  const rcpt = nextAuditEntry(sub, "receipt", id, { registrationNumber: "PDP-2026-000001", receiptSha256: sha256hex(receipt) }, AT);
  const record: SubmissionRecord = {
    id, register: "PDP", sequence: 1, registrationNumber: "PDP-2026-000001", receivedAt: AT.toISOString(), validationTime: AT.toISOString(), applicant: "Иван Петров Иванов",
    service: "urn:service:a", accepted: true, indication: "TOTAL_PASSED", policyVersion: "p", documentSha256: sha256hex(document), documentSize: document.length, contents: [], receiptSha256: sha256hex(receipt),
  };
  return { record, document, contents: [], report: reportJson, receipt, material: [], entries: [sub, rcpt] };
}

describe("archives from before schema 2", () => {
  it("verify as they are", () => {
    expect(checkSubmission(legacy())).toEqual([]);
  });

  it("find a changed applicant, service or validation time through the receipt and the report", () => {
    const s = legacy();
    const found = checkSubmission({ ...s, record: { ...s.record, applicant: "Мария", service: "urn:other", validationTime: "2027-01-01T00:00:00.000Z" } }).map((m) => m.object);
    expect(found.sort()).toEqual(["applicant", "service", "validationTime"]);
  });
});

describe("the head row", () => {
  it("missing while entries exist is a cut log", () => {
    const a = nextAuditEntry(null, "revalidation", "x", {}, AT);
    const b = nextAuditEntry(a, "revalidation", "x", {}, AT);
    expect(verifyAuditChain([a, b], { seq: 2, hash: b.hash }).ok).toBe(true);
    expect(verifyAuditChain([a], null).firstProblem).toMatchObject({ seq: 1, problem: "truncated" });
    expect(verifyAuditChain([], null).ok).toBe(true);
  });
});
