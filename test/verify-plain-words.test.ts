/**
 * `podpis verify` in plain words (issue 10 items 11 and 12): a passing signature with a caveat
 * says so on its verdict line, every warning gets a readable line, and a file that is no
 * signature is named for what it is. The JSON report keeps its codes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { describeInput } from "../src/validation/describe-input.js";
import { type Captured, capture } from "./helpers/cli-capture.js";

const ROOT = resolve(__dirname, "..");
const fx = (p: string) => join(ROOT, "fixtures", p);
const AT = ["--at", "2026-06-01T00:00:00Z", "--offline"];

const verify = (args: string[]): Promise<Captured> => capture((io) => run(["verify", ...args], io));

describe("passing signatures with caveats (item 11)", () => {
  it("a signature over part of a form: 'valid — but covers only part of the document', and the warning on its own line", async () => {
    const r = await verify([fx("xades/element-reference.xml"), ...AT]);
    expect(r.code).toBe(0);
    // no --tl: the certificate's QcStatements give "advanced … with a qualified certificate" at most (issue 14)
    expect(r.out).toContain("valid — but covers only part of the document: advanced signature with a qualified certificate (B-B)");
    expect(r.out).not.toMatch(/VALID: advanced/);
    expect(r.out).toMatch(/^ {4}warning: the signature covers only part of the document .*\(PARTIAL_COVERAGE\)$/m);
    const j = JSON.parse((await verify([fx("xades/element-reference.xml"), ...AT, "--json"])).out);
    expect(j.signatures[0].coversWholeDocument).toBe(false);
  });

  it("a B-T whose time-stamp does not verify is not 'VALID … (B-T)': the timestamp could not be checked", async () => {
    const j = JSON.parse((await verify([fx("cades/rsa2048-bt-future-timestamp.p7m"), ...AT, "--json"])).out);
    expect(j.signatures[0].warnings.map((w: { code: string }) => w.code)).toContain("TIMESTAMP_NOT_VALID");
    const r = await verify([fx("cades/rsa2048-bt-future-timestamp.p7m"), ...AT]);
    expect(r.out).toContain("valid — but the timestamp could not be checked");
    expect(r.out).toContain("(B-T claimed; its time-stamp does not count)");
    expect(r.out).not.toMatch(/VALID[^\n]*\(B-T\)/);
    expect(r.out).toMatch(/^ {4}warning: a time-stamp could not be checked: .+\(TIMESTAMP_NOT_VALID\)$/m);
  });

  it("a plain pass has no caveat and no warning lines", async () => {
    const r = await verify([fx("xades/zayavlenie-enveloped-rsa.xml"), ...AT]);
    expect(r.out).toContain("VALID: advanced signature with a qualified certificate (B-B)");
    // the one warning left: no trusted list confirmed the qualification (issue 14)
    expect(r.out.match(/warning:/g)).toHaveLength(1);
    expect(r.out).toMatch(/^ {4}warning: .*\(QUALIFICATION_NOT_CONFIRMED\)$/m);
  });
});

describe("a file that is no signature says what it is (item 12)", () => {
  const dir = mkdtempSync(join(tmpdir(), "podpis-sniff-"));
  const file = (name: string, bytes: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it("a PDF: PAdES is not supported yet; code NOT_A_SIGNATURE and FORMAT_FAILURE kept; no null or byte counts", async () => {
    const r = await verify([fx("xades/prilozhenie.pdf"), ...AT]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("this is a PDF; podpis checks CAdES (.p7s/.p7m) and XAdES (.xml) signatures — a PDF signature (PAdES) is not supported yet");
    expect(r.out).not.toMatch(/null|trailing data/);
    const j = JSON.parse((await verify([fx("xades/prilozhenie.pdf"), ...AT, "--json"])).out);
    expect(j).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", signatures: [] });
    expect(j.errors[0].code).toBe("NOT_A_SIGNATURE");
    expect(j.errors[0].message).toMatch(/PAdES/);
  });

  it.each([
    ["empty", "", /the file is empty/],
    ["form.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<Заявление><Заявител>Иван</Заявител></Заявление>\n', /XML document \(root element <Заявление>\) without a ds:Signature element/],
    ["notes.txt", "Моля, подпишете заявлението.\n", /plain text/],
    ["picture.png", Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), /PNG image/],
    ["container.asice", Buffer.concat([Buffer.from("504b03040a0000000000", "hex"), Buffer.from("\0".repeat(20) + "mimetypeapplication/vnd.etsi.asic-e+zip")]), /ASiC-E container/],
    ["archive.zip", Buffer.from("504b0304140000000800", "hex"), /ZIP archive/],
  ])("%s", async (name, bytes, want) => {
    const r = await verify([file(name, bytes), ...AT]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^Not a signature: /);
    expect(r.out).toMatch(want);
    expect(r.out).not.toMatch(/null/);
  });

  it("a certificate (PEM and DER) points at `podpis chain`; unknown binary keeps the parser's reason", () => {
    expect(describeInput(readFileSync(join(ROOT, "certs-test/root-ca.pem")))).toMatch(/certificate \(PEM\).*podpis chain/);
    expect(describeInput(readFileSync(join(ROOT, "certs-test/root-ca.der")))).toMatch(/certificate \(DER\).*podpis chain/);
    expect(describeInput(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01, 0xff, 0xfe]))).toBeNull();
    // a real signature is never described away as something else
    expect(describeInput(readFileSync(fx("xades/zayavlenie-enveloped-rsa.xml")))).toBeNull();
  });
});
