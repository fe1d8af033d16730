/**
 * XAdES verification speed (issue 4): full validation of a ~11 KB signed form per second on the
 * library's entry point, `createValidator(...).verify`, against raw RSA `crypto.verify` in the
 * same run (goal: at least 1/5 of it) — at a fixed time and with the time changing on every call
 * (the service validates at "now") — then parse + c14n alone, the forms other producers make
 * (issue 12: each one's ratio; every ratio from raw and verify rounds interleaved, see
 * interleaved()), and the linearity cases (a 5 MB form, per MB against a 0.5 MB
 * one; a 900-reference signature).
 *   npx tsx bench/xades-verify.ts
 */
import { rate } from "./lib/rate.js";
import { createPrivateKey, createSign, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createValidator } from "../src/validator.js";
import { canonicalOctets } from "../src/xades/c14n.js";
import { checkXadesDocument } from "../src/xades/check.js";
import { verifyXades } from "../src/validation/verify-xades.js";
import { parseXml } from "../src/xades/xml.js";
import { heirsCertificateApplication, largeForm } from "../test/helpers/forms.js";
import { TEST_TIME, testContext } from "../test/helpers/xades-context.js";
import { EXC_C14N, signXades } from "../test/helpers/xades-signer.js";
import { havePeer } from "../test/helpers/peers.js";
import { dssLikeForm, xmlsecMadeForm } from "./lib/producer-forms.js";

const key = createPrivateKey(readFileSync("certs-test/keys/citizen-rsa2048.key.pem"));
const certs = [readFileSync("certs-test/citizen-rsa2048.der"), readFileSync("certs-test/qualified-ca.der")];


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
const rawVerify = (): unknown => nodeVerify("sha256", msg, publicKey, rawSig);
const raw = await rate("raw crypto.verify RSA-2048 (sha256)", 1500, rawVerify);

/**
 * A ratio to raw RSA verify that a shared machine does not skew: raw and the measured call run in
 * alternating rounds (~40 ms each), each round's ratio is taken, and the median of the rounds is
 * printed with the spread of the middle half — so a load spike that hits one round (or one of
 * two separate measurements, as the single raw baseline before did) moves one sample, not the
 * answer.
 */
async function interleaved(name: string, f: () => unknown, rounds = 15): Promise<number> {
  const per = async (g: () => unknown, n: number): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await g();
    return ((performance.now() - t) * 1000) / n;
  };
  for (let i = 0; i < 100; i++) await f();
  // calls per round: about 40 ms of each
  const nRaw = Math.max(20, Math.round(40_000 / (await per(rawVerify, 200))));
  const nF = Math.max(5, Math.round(40_000 / (await per(f, 50))));
  const rawUs: number[] = [];
  const fUs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await per(rawVerify, nRaw);
    const b = await per(f, nF);
    rawUs.push(a);
    fUs.push(b);
    ratios.push(b / a);
  }
  const med = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  const q = (x: number[], k: number): number => [...x].sort((p, q) => p - q)[Math.floor((x.length - 1) * k)]!;
  const ratio = med(ratios);
  console.log(
    `ratio ${name}: 1/${ratio.toFixed(2)}  (${(1 / ratio).toFixed(3)}; goal: at least 1/5)  ` +
      `median of ${rounds} rounds, middle half 1/${q(ratios, 0.25).toFixed(2)}…1/${q(ratios, 0.75).toFixed(2)}; ` +
      `raw ${med(rawUs).toFixed(1)} µs, verify ${med(fUs).toFixed(1)} µs`,
  );
  return ratio;
}

const form = heirsCertificateApplication(4);
const signed = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: form }));
console.log(`signed form: ${signed.length} bytes`);
const ctx = testContext({ pathCache: true });
await rate("parse (hardened parser, from the bytes)", 1000, () => parseXml(signed));
await rate("parse + whole-document c14n (octets)", 1000, () => canonicalOctets(parseXml(signed), { method: "c14n10", comments: false }));
await rate("XAdES checks (refs, SignedInfo, sig value, binding)", 1500, () => checkXadesDocument(signed));
// The library's entry point, as the CLI and the service use it: test PKI root as anchor, its CRLs loaded.
const validator = await createValidator({
  trust: [readFileSync("certs-test/trust/root-ca.pem")],
  crls: readdirSync("certs-test/crl").filter((f) => !f.includes("stale")).map((f) => readFileSync(join("certs-test/crl", f))),
  offline: true,
});
const r0 = await validator.verify(signed, { at: TEST_TIME });
if (r0.indication !== "TOTAL_PASSED") throw new Error(`bench form does not pass: ${JSON.stringify(r0.signatures[0]?.errors)}`);
let tick = 0;
await rate("createValidator().verify, fixed time", 2000, () => validator.verify(signed, { at: TEST_TIME }));
await rate("createValidator().verify, time changes every call", 2000, () => validator.verify(signed, { at: new Date(TEST_TIME.getTime() + 1000 * tick++) }));
// the same form signed with exclusive c14n, as podpis's own signer (src/xades/sign.ts) does
const signedExc = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: form, c14n: EXC_C14N }));
const rExc = await validator.verify(signedExc, { at: TEST_TIME });
if (rExc.indication !== "TOTAL_PASSED") throw new Error(`exc-c14n bench form does not pass: ${JSON.stringify(rExc.signatures[0]?.errors)}`);
await rate("createValidator().verify, exc-c14n form, fixed time", 1500, () => validator.verify(signedExc, { at: TEST_TIME }));
// other producers' shapes (issue 12), signed at bench time by xmlsec1 with the test PKI's keys
const producers: Array<[string, Buffer]> = [];
if (havePeer("xmlsec1")) {
  for (const [name, bytes] of [
    ["xmlsec1-made (exc-c14n, ds:, 100 rows, SigningCertV2)", xmlsecMadeForm(100)],
    ["DSS/xadesjs-like (c14n 1.1, Ids, DataObjectFormat)", dssLikeForm(100)],
  ] as const) {
    const r = await validator.verify(bytes, { at: TEST_TIME });
    if (r.indication !== "TOTAL_PASSED") throw new Error(`${name} does not pass: ${JSON.stringify(r.signatures[0]?.errors)}`);
    console.log(`${name}: ${bytes.length} bytes`);
    await rate(`createValidator().verify, ${name}`, 1500, () => validator.verify(bytes, { at: TEST_TIME }));
    producers.push([name, bytes]);
  }
} else console.log("(xmlsec1 not installed: the other producers' forms are not measured)");
await rate("raw crypto.verify RSA-2048 (sha256), again", 1000, rawVerify);
console.log(`(raw alone: ${raw.toFixed(0)}/s at the start; the ratios below interleave raw and verify rounds)`);
await interleaved("verify / raw RSA verify, own form, fixed time", () => validator.verify(signed, { at: TEST_TIME }));
tick = 0;
await interleaved("verify / raw RSA verify, own form, time changes", () => validator.verify(signed, { at: new Date(TEST_TIME.getTime() + 1000 * tick++) }));
for (const [name, bytes] of producers) await interleaved(`verify / raw RSA verify, ${name}`, () => validator.verify(bytes, { at: TEST_TIME }));
await rate("verifyXades, path cache on (test context)", 1000, () => verifyXades(signed, { at: TEST_TIME, context: ctx }));
const ctxCold = testContext({ pathCache: false });
await rate("verifyXades, no path cache (path validated every call)", 1000, () => verifyXades(signed, { at: TEST_TIME, context: ctxCold }));

// linearity: document size
console.log("\nlinearity in document size (enveloped, whole-document reference):");
const perMb: number[] = [];
for (const size of [500_000, 5_000_000]) {
  const big = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: largeForm(size) }));
  once(`verifyXades ${(big.length / 1e6).toFixed(2)} MB form`, () => void verifyXades(big, { at: TEST_TIME, context: ctx }));
  // the best of three awaited runs (one slow run on a shared machine says nothing about the size)
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await verifyXades(big, { at: TEST_TIME, context: ctx });
    best = Math.min(best, performance.now() - t);
  }
  perMb.push(best / (big.length / 1e6));
  console.log(`  (async, awaited, best of 3: ${best.toFixed(1)} ms, ${(best / (big.length / 1e6)).toFixed(2)} ms per MB)`);
}
console.log(`per MB, 5 MB form / 0.5 MB form: ${(perMb[1]! / perMb[0]!).toFixed(2)} (1.00 is linear)`);

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
