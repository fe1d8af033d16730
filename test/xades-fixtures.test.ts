/**
 * Verdicts of the XAdES fixtures (fixtures/xades/MANIFEST.json) and xmlsec1 interop both ways.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkXadesDocument } from "../src/xades/check.js";
import { hasTool, run } from "./helpers/xml-tools.js";

interface Expectation {
  file: string;
  verdict: string;
  subIndication: string | null;
  coversWholeDocument: boolean;
  level?: string;
  content?: string;
  xmlsec?: boolean;
  note: string;
}

const dir = "fixtures/xades";
const manifest = JSON.parse(readFileSync(join(dir, "MANIFEST.json"), "utf8")) as Expectation[];
const xmlsec = hasTool("xmlsec1");

function contentsFor(e: Expectation) {
  return e.content ? [{ name: e.content, bytes: readFileSync(join(dir, e.content)) }] : [];
}

describe("XAdES fixtures: format, binding and cryptographic verdicts", () => {
  for (const e of manifest) {
    it(`${e.file}: ${e.note}`, () => {
      const r = checkXadesDocument(readFileSync(join(dir, e.file)), { contents: contentsFor(e) });
      expect(r.formatError).toBeNull();
      expect(r.signatures.length).toBeGreaterThan(0);
      const worst = r.signatures.find((s) => s.verdict.indication !== "TOTAL_PASSED") ?? r.signatures[0]!;
      expect({ indication: worst.verdict.indication, subIndication: worst.verdict.subIndication }).toEqual({ indication: e.verdict, subIndication: e.subIndication });
      expect(r.coversWholeDocument).toBe(e.coversWholeDocument);
      if (e.level) expect(r.signatures[0]!.level).toBe(e.level);
      if (e.verdict === "TOTAL_PASSED") expect(r.signatures.every((s) => s.intact)).toBe(true);
    });
  }

  it("reports what each signature covers", () => {
    const moved = checkXadesDocument(readFileSync(join(dir, "xsw-moved-element.xml")));
    expect(moved.signatures[0]!.signedData).toEqual([{ kind: "element", ref: "/Заявление/ds:Signature[1]/ds:Object[2]/Данни[1]", sha256: expect.any(String) }]);
    const whole = checkXadesDocument(readFileSync(join(dir, "zayavlenie-enveloped-rsa.xml")));
    expect(whole.signatures[0]!.signedData.map((d) => d.kind)).toEqual(["whole-document"]);
    const det = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")), { contents: [{ name: "prilozhenie.pdf", bytes: readFileSync(join(dir, "prilozhenie.pdf")) }] });
    expect(det.packaging).toBe("detached");
    expect(det.signatures[0]!.signedData[0]).toMatchObject({ kind: "detached", ref: "prilozhenie.pdf" });
  });

  it("a detached signature without its content is INDETERMINATE / SIGNED_DATA_NOT_FOUND", () => {
    const r = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")));
    expect(r.signatures[0]!.verdict).toEqual({ indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND" });
  });

  it("detached content given without a name is matched to the single external reference", () => {
    const r = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")), { contents: [{ bytes: readFileSync(join(dir, "prilozhenie.pdf")) }] });
    expect(r.signatures[0]!.verdict.indication).toBe("TOTAL_PASSED");
    expect(r.coversWholeDocument).toBe(true);
  });
});

describe.skipIf(!xmlsec)("xmlsec1 agrees", () => {
  const pki = "../../certs-test";
  const args = (file: string) => [
    "--verify",
    "--trusted-pem", join(pki, "root-ca.pem"),
    "--untrusted-pem", join(pki, "qualified-ca.pem"),
    "--untrusted-pem", join(pki, "seal-ca.pem"),
    "--id-attr:Id", "SignedProperties",
    "--id-attr:Id", "Object",
    "--id-attr:Id", "urn:podpis:test:form:Данни",
    "--verification-time", "2026-06-01+00:00:00",
    file,
  ];
  for (const e of manifest) {
    if (e.xmlsec) {
      it(`xmlsec1 --verify accepts ${e.file}`, () => {
        const r = run("xmlsec1", args(e.file), undefined, dir);
        expect(r.status, r.stderr).toBe(0);
      });
    }
    if (e.verdict === "TOTAL_FAILED" && (e.subIndication === "HASH_FAILURE" || e.subIndication === "SIG_CRYPTO_FAILURE")) {
      it(`xmlsec1 --verify rejects ${e.file}`, () => {
        expect(run("xmlsec1", args(e.file), undefined, dir).status).not.toBe(0);
      });
    }
  }
});
