/**
 * The receipt's exclusive canonical form written beside it (issue 15: the seal does not parse
 * podpis's own document back): for receipts with every optional part, awkward names (markup
 * characters, quotes, control characters, Cyrillic) and a rejection's discrepancies, it is the
 * octets podpis's canonicalizer gives for the parsed document (what the enveloped signature's
 * transforms compute when the receipt is checked); values a parser would rewrite (line ends,
 * tabs) give no canonical form, and the seal parses instead. A receipt sealed either way checks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { openPkcs12 } from "../src/keys/software.js";
import { type ReceiptInput, buildReceipt, buildReceiptForms } from "../src/receipt/document.js";
import { xadesSealer } from "../src/receipt/seal.js";
import type { ValidationReport } from "../src/validation/report.js";
import { createValidator } from "../src/validator.js";
import { canonicalOctets } from "../src/xades/c14n.js";
import { parseXml } from "../src/xades/xml.js";

const AT = new Date("2026-06-01T00:00:00Z");
const EXC = { method: "exc-c14n", comments: false } as const;

function input(over: Partial<ReceiptInput> = {}, signer = "Иван Петров Иванов"): ReceiptInput {
  const report = {
    validationTime: AT.toISOString(),
    indication: over.accepted === false ? "TOTAL_FAILED" : "TOTAL_PASSED",
    signatures: [
      {
        id: "S-1", indication: over.accepted === false ? "TOTAL_FAILED" : "TOTAL_PASSED", subIndication: over.accepted === false ? "HASH_FAILURE" : null, qualification: "QESig", level: "B-LTA",
        signer: { commonName: signer, subject: `CN=${signer}`, sha256: "ab".repeat(32), identifier: { type: "PNO", country: "BG", value: "8001010000" } },
        claimedSigningTime: AT.toISOString(), errors: over.accepted === false ? [{ code: "X", message: `digest <mismatch> & "more" of ${signer}` }] : [],
      },
    ],
    trustedLists: [{ kind: "TL", territory: "BG", sequenceNumber: 45, sha256: "cd".repeat(32) }],
  } as unknown as ValidationReport;
  return {
    submissionId: "0b7e5a4e-1c39-4a7e-9d59-4f2a8f2b9c11", accepted: true, provider: { name: `Община "Тестово" <& сие>`, identifier: "NTRBG-000000000" },
    transportType: "HTTPS API", registeredBy: "podpis", register: "PDP", sequence: 7, registrationNumber: "PDP-2026-000007", receivedAt: AT,
    caseAccessIdentifier: "q1w2e3", applicant: `Мария 'М' "Иванова" <a&b>\u0001`, documentType: "urn:podpis:service:a?x=1&y=2",
    files: [{ role: "signature", sha256: "ef".repeat(32), size: 11233 }, { role: "content", sha256: "01".repeat(32), size: 5 }],
    report, log: { origin: "podpis.local/log", index: 3 }, ...over,
  };
}

const reference = (xml: string) => canonicalOctets(parseXml(Buffer.from(xml, "utf8")), EXC).toString("utf8");

describe("receipt canonical form", () => {
  it("is what the canonicalizer gives for the parsed receipt, accepted or not, with every optional part", () => {
    for (const r of [input(), input({ accepted: false }), input({ log: undefined }), input({ provider: { name: "P", identifier: null } }, "Ана > Б")]) {
      const forms = buildReceiptForms(r);
      expect(forms.xml).toBe(buildReceipt(r));
      expect(forms.canonical).not.toBeNull();
      expect(forms.canonical).toBe(reference(forms.xml));
    }
  });

  it("gives none for values a parser rewrites (line ends, tabs): the seal parses the document then", () => {
    for (const applicant of ["line\nbreak", "tab\there", "cr\r\nlf"]) expect(buildReceiptForms(input({ applicant })).canonical).toBeNull();
  });

  it("a receipt sealed from its canonical form, and one sealed by parsing, both validate", async () => {
    const key = openPkcs12(readFileSync(BUNDLED.sealKey), BUNDLED.password);
    const sealer = xadesSealer(key, undefined);
    const v = await createValidator({ trust: [readFileSync(join(BUNDLED.trust, "root-ca.pem"))], crls: [readFileSync(join(BUNDLED.crls, "root.crl")), readFileSync(join(BUNDLED.crls, "seal-ca.crl"))], offline: true });
    for (const r of [input(), input({ applicant: "a\r\nb" })]) {
      const { xml, canonical } = buildReceiptForms(r);
      const sealed = await sealer.seal(xml, AT, canonical);
      const report = await v.verify(Buffer.from(sealed, "utf8"), { at: AT });
      expect([report.indication, report.signatures[0]?.errors]).toEqual(["TOTAL_PASSED", []]);
    }
  });
});
