/**
 * Path validation throughput: `validatePath` on a long-lived validator (the library's and the
 * service's hot path) for a citizen certificate with the bundled CRLs, against the raw
 * `crypto.verify` of the signatures such a validation covers, measured in the same run.
 *
 *   npx tsx bench/path-validation.ts
 */
import { constants, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createValidator } from "../src/validator.js";
import { rate } from "./lib/rate.js";

const PKI = join(fileURLToPath(import.meta.url), "..", "..", "certs-test");
const read = (p: string) => readFileSync(join(PKI, p));
const AT = new Date("2026-06-01T00:00:00Z");

const key = createPrivateKey(read("keys/citizen-rsa2048.key.pem"));
const pub = createPublicKey(key);
const data = Buffer.alloc(1024, 7);
const sig = sign("sha256", data, key);
const raw = await rate("raw crypto.verify RSA-2048 (baseline)", 2000, () => void verify("sha256", data, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig));

const options = {
  trust: [read("trust/root-ca.pem")],
  untrusted: [read("qualified-ca.pem"), read("seal-ca.pem")],
  crls: ["root.crl", "qualified-ca.crl", "seal-ca.crl"].map((c) => read(join("crl", c))),
  offline: true,
};
const leaf = read("citizen-rsa2048.der");

const v = await createValidator(options);
const first = await v.validatePath(leaf, { at: AT });
if (first.indication !== "TOTAL_PASSED") throw new Error(`bench setup: expected TOTAL_PASSED, got ${JSON.stringify(first)}`);
const warm = await rate("validatePath, warm validator (3 certs, 2 CRLs)", 2000, () => v.validatePath(leaf, { at: AT }));

const t0 = performance.now();
let coldRuns = 0;
while (performance.now() - t0 < 2000) {
  const fresh = await createValidator(options);
  await fresh.validatePath(leaf, { at: AT });
  coldRuns++;
}
const cold = (coldRuns * 1000) / (performance.now() - t0);
console.log(`${"cold: createValidator + validatePath (parse all, verify all)".padEnd(58)} ${cold.toFixed(0).padStart(9)} /s`);

console.log(`\nwarm validatePath / raw verify: ${(warm / raw).toFixed(2)}×  (signatures of certificates and CRLs are verified once per validator)`);
console.log(`cold / raw verify:              ${(cold / raw).toFixed(3)}×  (a new validator per call: parses the trust store and CRLs, verifies 2 certificate and 2 CRL signatures)`);
