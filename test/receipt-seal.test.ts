/** The receipt: its fields, its XAdES-B-T seal (podpis and xmlsec1 verify it), and the check that only this service's unaltered receipts pass. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { maskIdentifier, readReceipt } from "../src/receipt/index.js";
import { requirePeer } from "./helpers/peers.js";
import { independentXmldsigCheck } from "./helpers/xmldsig-check.js";

const AT = "2026-06-01T00:00:00Z";
let rt: Runtime;
let dir: string;
let ok: { receipt: string; registrationNumber: string; id: string };
let failed: { receipt: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-receipt-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined, logLevel: "silent" });
  const a = await rt.service.submit({ document: readFileSync("fixtures/xades/zayavlenie-enveloped-rsa.xml"), contents: [], applicant: "Иван Петров Иванов", service: "urn:podpis:service:zayavlenie" });
  ok = { receipt: a.receipt, registrationNumber: a.record.registrationNumber, id: a.record.id };
  const b = await rt.service.submit({ document: readFileSync("fixtures/cades/revoked.p7m"), contents: [], applicant: "X", service: "urn:s" });
  failed = { receipt: b.receipt };
});

afterAll(async () => {
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("receipt document", () => {
  it("carries the ReceiptAcknowledgedMessage fields, file hashes and each signature's verdict", () => {
    const r = ok.receipt;
    for (const el of ["ElectronicServiceProvider", "TransportType", "DocumentURI", "RegisterIndex", "SequenceNumber", "ReceiptTime", "RegisteredBy", "CaseAccessIdentifier", "Applicant", "DocumentType", "Files", "Signature", "Signer", "Identifier"]) {
      expect(r).toContain(`<${el}`);
    }
    expect(r).toContain('xmlns="urn:podpis:receipt:1"');
    expect(r).toContain("<Name>Община Тестово</Name>");
    expect(r).toMatch(/<File role="signature" sha256="[0-9a-f]{64}" size="\d+"\/>/);
    expect(r).toContain('indication="TOTAL_PASSED"');
    expect(readReceipt(r)).toEqual({ registrationNumber: ok.registrationNumber, submissionId: ok.id, accepted: true, log: { origin: "podpis.local/log", index: 0 } });
  });
  it("says why a document was not acknowledged", () => {
    expect(failed.receipt).toContain("<ReceiptNotAcknowledged");
    expect(failed.receipt).toMatch(/<Discrepancy code="REVOKED">signature S1: TOTAL_FAILED\/REVOKED — .*was revoked on 2026-03-01/);
    expect(failed.receipt).toContain("PNOBG-******2260");
    expect(failed.receipt).not.toContain("6909092260");
    expect(failed.receipt).not.toContain("CaseAccessIdentifier");
  });
  it("masks natural persons' identifiers, keeps legal persons'", () => {
    expect(maskIdentifier("PNO", "8503154023")).toBe("******4023");
    expect(maskIdentifier("NTR", "204123454")).toBe("204123454");
  });
});

describe("receipt seal", () => {
  it("is XAdES-B-T by the municipality's seal, and podpis verify passes it", async () => {
    const rep = await rt.validator.verify(Buffer.from(ok.receipt), { at: new Date(AT) });
    expect(rep.indication).toBe("TOTAL_PASSED");
    expect(rep.signatures).toHaveLength(1);
    // (without a trusted list the seal's QcStatements give AdESeal-QC at most: issue 14)
    expect(rep.signatures[0]).toMatchObject({ level: "B-T", qualification: "AdESeal-QC", intact: true });
    expect(rep.signatures[0]!.signer?.sha256).toBe(rt.sealer.certificateSha256);
  });

  requirePeer("xmlsec1").it("verifies in xmlsec1, and xmlsec1 rejects an altered one", () => {
    const f = join(dir, "receipt.xml");
    const args = (file: string) => ["--verify", "--verification-time", "2026-06-01 00:00:00", "--trusted-pem", "certs-test/root-ca.pem", "--untrusted-pem", "certs-test/seal-ca.pem", "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", file];
    writeFileSync(f, ok.receipt);
    execFileSync("xmlsec1", args(f), { stdio: "pipe" });
    expect(ok.receipt).toContain("Иван Петров Иванов");
    writeFileSync(f, ok.receipt.replace("Иван Петров Иванов", "Иван Петров Иванoв"));
    expect(spawnSync("xmlsec1", args(f)).status).not.toBe(0);
  });

  requirePeer("xmllint").it("verifies in a second XMLDSig implementation (libxml2 c14n + node:crypto)", () => {
    // one seal; its references: the receipt (enveloped) and the SignedProperties. The receipt's own
    // <Signature> elements (another namespace) must not be taken for it
    const seals = independentXmldsigCheck(ok.receipt);
    expect(seals.map((s) => [s.references, s.signatureValid, s.signingCertificateMatches])).toEqual([[["match", "match"], true, true]]);
  });

  it("checks true only for this service's unaltered receipts", async () => {
    expect((await rt.service.checkReceipt(Buffer.from(ok.receipt))).valid).toBe(true);
    expect((await rt.service.checkReceipt(Buffer.from(failed.receipt))).valid).toBe(true);
    const comment = ok.receipt.replace("<Applicant>", "<!-- x --><Applicant>"); // comments are outside c14n: still this receipt
    expect((await rt.service.checkReceipt(Buffer.from(comment))).valid).toBe(true);
    for (const altered of [
      ok.receipt.replace(ok.registrationNumber, ok.registrationNumber.replace(/\d$/, "9")),
      ok.receipt.replace("ReceiptAcknowledged", "ReceiptAcknowledgedX"),
      ok.receipt.replace(/<SequenceNumber>\d+</, "<SequenceNumber>77<"),
    ]) {
      expect((await rt.service.checkReceipt(Buffer.from(altered))).valid).toBe(false);
    }
  });
});
