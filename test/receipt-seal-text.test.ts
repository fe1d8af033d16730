/**
 * The receipt seal made as text (signOwnFormText, issue 15) is the document signXades makes from
 * the receipt's octets: the same characters for the same key, Id suffix, time and time-stamp
 * token (RSA PKCS#1 v1.5 is deterministic, so the signature values are equal too), Cyrillic and a
 * lone surrogate included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import type { Timestamper } from "../src/cms/write.js";
import type { KeyProvider } from "../src/pki/signing-key.js";
import { openKey } from "../src/keys/index.js";
import { buildReceiptForms } from "../src/receipt/document.js";
import { assembleXades, prepareXades, signOwnFormText } from "../src/xades/sign.js";

const AT = new Date("2026-06-01T00:00:00Z");
let key: KeyProvider;
// a fixed token: what the time-stamper returns does not depend on how the receipt was held
const timestamper: Timestamper = async (data) => Buffer.concat([Buffer.from("token over "), data]);

beforeAll(async () => {
  key = await openKey({ key: BUNDLED.sealKey, secret: BUNDLED.password });
});
afterAll(async () => {
  await key?.close();
});

function receipt(applicant: string) {
  return buildReceiptForms({
    submissionId: "5b0c2f4e-0000-4000-8000-000000000001", accepted: true, provider: { name: "Община Тестово", identifier: "NTRBG-000999875" }, transportType: "HTTPS API",
    registeredBy: "podpis", register: "r", sequence: 7, registrationNumber: "r-7", receivedAt: AT, caseAccessIdentifier: "abc", applicant, documentType: "urn:s",
    files: [{ role: "signature", sha256: "ab".repeat(32), size: 10 }],
    report: { indication: "TOTAL_PASSED", validationTime: AT.toISOString(), signatures: [] } as never,
    log: { origin: "podpis.local/log", index: 3 },
  });
}

async function asOctets(xml: string, canonical: string, idTag: string): Promise<string> {
  const prepared = prepareXades({
    certificate: key.certificate, chain: key.chain, packaging: "enveloped", content: Buffer.from(xml, "utf8"), hash: "sha256", scheme: "rsa-pkcs1",
    signingTime: AT, canonicalForm: Buffer.from(canonical, "utf8"), idTag,
  });
  const signature = await key.sign({ data: prepared.toBeSigned }, { scheme: "rsa-pkcs1", hash: "sha256", ecdsaEncoding: "raw" });
  return (await assembleXades(prepared, signature, { timestamper })).toString("utf8");
}

describe("receipt sealed as text", () => {
  for (const [what, applicant, wellFormed] of [["Cyrillic", "Иван Петров Иванов", "Иван Петров Иванов"], ["a lone surrogate", "Иван \ud800 Петров", "Иван \ufffd Петров"]] as const) {
    it(`is the document the octet path makes (${what})`, async () => {
      const { xml } = receipt(applicant);
      // (a lone surrogate has no canonical form: the service seals such a receipt through the parser; here both paths get U+FFFD's)
      const { canonical } = receipt(wellFormed);
      expect(canonical).not.toBeNull();
      const text = await signOwnFormText({ key, form: xml, canonicalForm: Buffer.from(canonical!, "utf8"), signingTime: AT, timestamper, scheme: "rsa-pkcs1", idTag: "t1" });
      expect(text).toBe(await asOctets(xml, canonical!, "t1"));
      expect(text).toContain("<ds:SignatureValue Id=\"SignatureValue-t1\">");
    });
  }

  it("writes the chain the key has now into KeyInfo (what is kept per certificate follows a changed chain)", async () => {
    const { xml, canonical } = receipt("Иван Петров Иванов");
    const count = (x: string) => x.split("<ds:X509Certificate>").length - 1;
    const sign = (k: KeyProvider) => signOwnFormText({ key: k, form: xml, canonicalForm: Buffer.from(canonical!, "utf8"), signingTime: AT });
    expect(key.chain.length).toBeGreaterThan(1);
    expect(count(await sign(key))).toBe(key.chain.length);
    const alone: KeyProvider = { certificate: key.certificate, chain: [key.certificate], keyType: key.keyType, keyBits: key.keyBits, schemes: key.schemes, sign: (i, a) => key.sign(i, a), close: async () => {} };
    expect(count(await sign(alone))).toBe(1);
    expect(count(await sign(key))).toBe(key.chain.length);
  });

  it("refuses a form without a root end tag", async () => {
    await expect(signOwnFormText({ key, form: "<a/>", canonicalForm: Buffer.from("<a></a>"), signingTime: AT })).rejects.toThrow(/no root end tag/);
  });
});
