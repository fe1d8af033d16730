/**
 * Issue 15: POST /api/v1/submissions answers with the report's archived JSON text spliced in; the
 * body must be exactly what serialising the answer object gives (contract.md's SubmissionResult).
 */
import { describe, expect, it } from "vitest";
import type { SubmissionRecord } from "../src/archive/port.js";
import { submissionAnswer } from "../src/http/routes/submissions.js";
import type { SubmissionResult } from "../src/http/service.js";
import type { ValidationReport } from "../src/validation/report.js";

describe("the submission's 201 body", () => {
  it("is JSON.stringify of { id, registrationNumber, accepted, report, receipt, log }, byte for byte", () => {
    const report = { indication: "TOTAL_FAILED", signatures: [{ id: "S-1", signer: "Иван \"Петров\" \u2028 Иванов", errors: [{ code: "X", message: "a\nb" }] }], validationTime: "2026-06-01T00:00:00.000Z" } as unknown as ValidationReport;
    for (const accepted of [true, false]) {
      const r: SubmissionResult = {
        record: { id: "6f1c2c9e-3c1f-4c38-9c1e-1d0d7f0f0a11", registrationNumber: "PDP-2026-000007", accepted } as SubmissionRecord,
        report,
        reportJson: JSON.stringify(report),
        receipt: '<?xml version="1.0"?>\n<Receipt a="б">\t</Receipt>',
        logIndex: 41,
      };
      const body = submissionAnswer(r);
      expect(body).toBe(JSON.stringify({ id: r.record.id, registrationNumber: r.record.registrationNumber, accepted, report, receipt: r.receipt, log: { index: 41 } }));
      expect(JSON.parse(body).report).toEqual(report);
    }
  });
});
