/**
 * XAdES verification speed (issue 4): full verification of a ~12 KB signed form per second
 * against raw RSA `crypto.verify` in the same run (goal: at least 1/5 of it), parse + c14n alone,
 * and the linearity cases (a 5 MB form, a 900-reference signature).
 *   npx tsx bench/xades-verify.ts
 */
import { createPrivateKey, createSign, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { canonicalize } from "../src/xades/c14n.js";
import { checkXadesDocument } from "../src/xades/check.js";
import { verifyXades } from "../src/xades/verify.js";
import { parseXml } from "../src/xades/xml.js";
import { heirsCertificateApplication, largeForm } from "../test/helpers/forms.js";
import { TEST_TIME, testContext } from "../test/helpers/xades-context.js";
import { signXades } from "../test/helpers/xades-signer.js";

const key = createPrivateKey(readFileSync("certs-test/keys/citizen-rsa2048.key.pem"));
const certs = [readFileSync("certs-test/citizen-rsa2048.der"), readFileSync("certs-test/qualified-ca.der")];

async function rate(name: string, ms: number, f: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 50; i++) await f();
    n += 50;
    t = performance.now();
  }
  const r = (n * 1000) / (t - t0);
  console.log(`${name.padEnd(52)} ${r.toFixed(0).padStart(8)} /s  ${((t - t0) / n * 1000).toFixed(1).padStart(8)} µs`);
  return r;
}

function once(name: string, f: () => unknown): number {
  f();
  const t = performance.now();
  f();
  const ms = performance.now() - t;
  console.log(`${name.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms`);
  return ms;
}

// raw RSA-2048 verify, same run
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const msg = Buffer.alloc(600, 1);
const rawSig = createSign("sha256").update(msg).sign(privateKey);
const raw = await rate("raw crypto.verify RSA-2048 (sha256)", 1500, () => nodeVerify("sha256", msg, publicKey, rawSig));

const form = heirsCertificateApplication(4);
const signed = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: form }));
console.log(`signed form: ${signed.length} bytes`);
const ctx = testContext({ pathCache: true });
const text = signed.toString("utf8");
await rate("parse (hardened parser)", 1000, () => parseXml(text));
const doc = parseXml(text);
await rate("parse + whole-document c14n", 1000, () => canonicalize(parseXml(text), { method: "c14n10", comments: false }));
void doc;
await rate("XAdES checks (refs, SignedInfo, sig value, binding)", 1500, () => checkXadesDocument(signed));
const full = await rate("verifyXades full (path+CRL cached, policy, report)", 2000, () => verifyXades(signed, { at: TEST_TIME, context: ctx }));
const r0 = await verifyXades(signed, { at: TEST_TIME, context: ctx });
if (r0.indication !== "TOTAL_PASSED") throw new Error(`bench form does not pass: ${JSON.stringify(r0.signatures[0]?.errors)}`);
const ctxCold = testContext({ pathCache: false });
await rate("verifyXades full, no path cache", 1500, () => verifyXades(signed, { at: TEST_TIME, context: ctxCold }));
console.log(`ratio full / raw RSA verify: 1/${(raw / full).toFixed(2)}  (goal: at least 1/5)`);

// linearity: document size
console.log("\nlinearity in document size (enveloped, whole-document reference):");
for (const size of [500_000, 5_000_000]) {
  const big = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: largeForm(size) }));
  once(`verifyXades ${(big.length / 1e6).toFixed(2)} MB form`, () => void verifyXades(big, { at: TEST_TIME, context: ctx }));
  const t = performance.now();
  await verifyXades(big, { at: TEST_TIME, context: ctx });
  console.log(`  (async, awaited: ${(performance.now() - t).toFixed(1)} ms)`);
}

// linearity: number of references
console.log("\nlinearity in references (one Reference per registry entry):");
for (const n of [90, 900]) {
  const entries = Array.from({ length: n }, (_, i) => `<Запис Id="z${i}"><Номер>${i}</Номер><Описание>Вписване № ${i} в регистъра на общината</Описание></Запис>`).join("");
  const reg = `<Регистър xmlns="http://egov.bg/schemas/obshtina/register/v1">${entries}</Регистър>`;
  const x = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: reg, referenceIds: Array.from({ length: n }, (_, i) => `z${i}`) }));
  const r = await verifyXades(x, { at: TEST_TIME, context: ctx });
  if (r.signatures[0]!.indication !== "TOTAL_PASSED") throw new Error(`${n} refs: ${r.signatures[0]!.subIndication}`);
  const t = performance.now();
  for (let i = 0; i < 10; i++) await verifyXades(x, { at: TEST_TIME, context: ctx });
  console.log(`${`verifyXades, ${n} references (${(x.length / 1024).toFixed(0)} KB)`.padEnd(52)} ${((performance.now() - t) / 10).toFixed(2).padStart(8)} ms`);
}
