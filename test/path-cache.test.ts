/**
 * A long-lived validator reuses path results across validation times (path-cache.ts): at every
 * time it must conclude exactly what a fresh validator concludes, on both sides of each
 * certificate and CRL date.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createValidator } from "../src/validator.js";
import { heirsCertificateApplication } from "./helpers/forms.js";
import { signXades } from "./helpers/xades-signer.js";

const PKI = "certs-test";
const make = () =>
  createValidator({
    trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
    crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
    offline: true,
  });

describe("path results reused across validation times", () => {
  it("agree with a fresh validator around every date that matters", async () => {
    const key = createPrivateKey(readFileSync(join(PKI, "keys", "citizen-rsa2048.key.pem")));
    const certs = [readFileSync(join(PKI, "citizen-rsa2048.der")), readFileSync(join(PKI, "qualified-ca.der"))];
    const signed = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: heirsCertificateApplication(1), xades: { signingTime: new Date("2025-06-01T00:00:00Z") } }));
    const long = await make();
    const times = [
      "2026-06-01T00:00:00.000Z",
      "2036-12-31T23:59:59.999Z",
      "2037-01-01T00:00:00.000Z", // the CRLs' nextUpdate and the leaf's notAfter: still valid
      "2037-01-01T00:00:00.001Z", // stale and expired from here
      "2026-06-01T00:00:01.000Z",
      "2026-04-01T00:00:00.000Z", // the qualified CA's CRL thisUpdate
      "2026-03-31T23:59:59.999Z", // before it: not yet issued
      "2026-06-02T00:00:00.000Z",
      "2028-12-31T23:59:59.999Z", // the day before the policy retires RSA
      "2029-01-01T00:00:00.000Z",
      "2026-07-01T00:00:00.000Z",
    ].map((t) => new Date(t));
    const seen = new Set<string>();
    for (const at of times) {
      const got = await long.verify(signed, { at });
      const want = await (await make()).verify(signed, { at });
      const g = got.signatures[0]!;
      const w = want.signatures[0]!;
      expect([at.toISOString(), got.indication, g.indication, g.subIndication]).toEqual([at.toISOString(), want.indication, w.indication, w.subIndication]);
      expect(got.validationTime).toBe(at.toISOString());
      seen.add(`${g.indication}/${g.subIndication}`);
    }
    // the dates above do change the outcome, so the cache was put to the test
    expect(seen.size).toBeGreaterThan(1);
  });
});
