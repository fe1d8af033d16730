/**
 * verifyXades end to end: the XAdES checks fed into the shared EN 319 102-1 process and report.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NotXmlSignatureError, verifyXades } from "../src/validation/verify-xades.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";

const dir = "fixtures/xades";
const read = (f: string) => readFileSync(join(dir, f));
const ctx = testContext();
const verify = (f: string, contents: Uint8Array[] = []) => verifyXades(read(f), { at: TEST_TIME, context: ctx, contents });

describe("verifyXades", () => {
  it("passes a citizen's enveloped XAdES B-B form with the contract's fields", async () => {
    const r = await verify("zayavlenie-enveloped-rsa.xml");
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.document).toMatchObject({ format: "XAdES", packaging: "enveloped", coversWholeDocument: true });
    const s = r.signatures[0]!;
    expect(s).toMatchObject({ id: "Signature-1", indication: "TOTAL_PASSED", subIndication: null, intact: true, level: "B-B", coversWholeDocument: true });
    expect(s.signer?.identifier).toMatchObject({ type: "PNO", country: "BG", value: "8503154023" });
    expect(s.claimedSigningTime).toBe("2026-05-20T09:30:00.000Z");
    expect(s.signedData).toEqual([{ kind: "whole-document", ref: "/", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // citizen → qualified CA → root
    expect(s.chain).toHaveLength(3);
  });

  for (const f of ["zayavlenie-enveloping-p256.xml", "zayavlenie-pss.xml", "zayavlenie-c14n11-rsa3072.xml", "zayavlenie-enveloped-exc.xml", "zayavlenie-two-signatures.xml", "xmlsec-enveloped-rsa-c14n.xml", "xmlsec-enveloped-p256-exc.xml", "xmlsec-enveloping-rsa.xml"]) {
    it(`passes ${f}`, async () => {
      const r = await verify(f);
      expect(r.signatures.map((s) => [s.indication, s.subIndication, s.errors])).toEqual(r.signatures.map(() => ["TOTAL_PASSED", null, []]));
      expect(r.document.coversWholeDocument).toBe(true);
    });
  }

  it("plain XMLDSig is reported as such, intact and with its chain", async () => {
    const r = await verify("zayavlenie-plain-xmldsig.xml");
    const s = r.signatures[0]!;
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", level: "XMLDSig", intact: true });
    expect(s.warnings.map((w) => w.code)).toContain("PLAIN_XMLDSIG");
    expect(s.chain).toHaveLength(3);
  });

  it("detached: content by bytes", async () => {
    const r = await verify("prilozhenie-detached.xml", [read("prilozhenie.pdf")]);
    expect(r.document.packaging).toBe("detached");
    expect(r.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", coversWholeDocument: true });
    const x = await verify("xmlsec-detached-p256.xml", [read("prilozhenie.pdf")]);
    expect(x.signatures[0]!.indication).toBe("TOTAL_PASSED");
    const missing = await verify("prilozhenie-detached.xml");
    expect(missing.signatures[0]).toMatchObject({ indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND" });
  });

  it("EPES: the policy is reported", async () => {
    const s = (await verify("zayavlenie-epes-v1.xml")).signatures[0]!;
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", level: "EPES" });
    expect(s.signaturePolicy?.id).toBe("1.3.6.1.4.1.99999.1.1");
  });

  it.each([
    ["tampered-text.xml", "TOTAL_FAILED", "HASH_FAILURE"],
    ["tampered-attribute.xml", "TOTAL_FAILED", "HASH_FAILURE"],
    ["tampered-whitespace.xml", "TOTAL_FAILED", "HASH_FAILURE"],
    ["tampered-signingtime.xml", "TOTAL_FAILED", "HASH_FAILURE"],
    ["tampered-signaturevalue.xml", "TOTAL_FAILED", "SIG_CRYPTO_FAILURE"],
    ["fresh-key-bound-cert.xml", "TOTAL_FAILED", "SIG_CRYPTO_FAILURE"],
    ["signing-certificate-mismatch.xml", "INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND"],
    ["xsw-duplicate-id.xml", "TOTAL_FAILED", "FORMAT_FAILURE"],
    ["external-reference.xml", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND"],
  ])("%s → %s / %s", async (f, indication, sub) => {
    const r = await verify(f);
    expect(r.signatures[0]).toMatchObject({ indication, subIndication: sub, coversWholeDocument: false });
    expect(r.document.coversWholeDocument).toBe(false);
  });

  it("wrapping: the signed element moved into a ds:Object and a forged one shown does not pass", async () => {
    const r = await verify("xsw-moved-element.xml");
    // the digests and the signature value verify: what it signs is just not what the form shows
    expect(r.signatures[0]).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", coversWholeDocument: false });
    expect(r.signatures[0]!.errors.map((e) => e.code)).toContain("SIGNED_DATA_HIDDEN");
    expect(r.signatures[0]!.signedData[0]!.ref).toBe("/Заявление/ds:Signature[1]/ds:Object[2]/Данни[1]");
    expect(r.document.coversWholeDocument).toBe(false);
  });

  it("a second signature by an untrusted key does not pass; the citizen's still covers the form", async () => {
    const r = await verify("second-signature-untrusted.xml");
    expect(r.signatures.map((s) => s.indication)).toEqual(["TOTAL_PASSED", "INDETERMINATE"]);
    expect(r.signatures[1]!.subIndication).toBe("NO_CERTIFICATE_CHAIN_FOUND");
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.document.coversWholeDocument).toBe(true);
  });

  it("refuses input that is no XML signature", async () => {
    await expect(verifyXades(Buffer.from("<a/>"), { context: ctx, at: TEST_TIME })).rejects.toBeInstanceOf(NotXmlSignatureError);
    await expect(verifyXades(Buffer.from("not xml"), { context: ctx, at: TEST_TIME })).rejects.toBeInstanceOf(NotXmlSignatureError);
  });
});
