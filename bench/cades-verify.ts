/**
 * CAdES verification speed (issue 3 "Speed"): a full validation of a ~10 KB CAdES (parse,
 * message digest, signer signature, ESS binding, path with CRLs already loaded, policy, report)
 * per second on the library's entry point, `createValidator(...).verify`, against raw
 * `crypto.verify` of the same key in the same run, at a fixed time and with the time changing
 * on every call (the service validates at "now"). Goal: ratio >= 0.25 in both.
 *   npx tsx bench/cades-verify.ts
 */
import { createHash, verify as nodeVerify } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rate } from "./lib/rate.js";
import { hashStream } from "../src/cades/hash-stream.js";
import { createValidator } from "../src/validator.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import { publicKeyOf } from "../src/pki/certificate.js";
import { PKI, cert, hasOpenssl, opensslSign, signerLayout, layout } from "../test/helpers/cms-tools.js";
import { testContext } from "../test/helpers/cades-context.js";

const AT = new Date("2026-06-01T00:00:00Z");


if (!hasOpenssl()) {
  console.log("openssl not found: the bench signs its input with `openssl cms -sign`");
  process.exit(1);
}

// A form of about 6.5 KB, signed RSA-2048 / SHA-256 with -cades and the issuing CA: ~10 KB of CMS.
const content = Buffer.from(("<Ред><Поле>стойност на полето от формуляра</Поле></Ред>\n").repeat(65));
const p7m = opensslSign({ signer: "citizen-rsa2048", content, cades: true });
console.log(`signed file: ${p7m.length} bytes (content ${content.length} bytes)`);

// raw: the one signature a validation cannot avoid, over the signed attributes, same key
const si = signerLayout(p7m, layout(p7m).signerInfos[0]!);
const signedAttrs = Buffer.from(p7m.subarray(si.signedAttrs!.start, si.signedAttrs!.end));
signedAttrs[0] = 0x31;
const sig = Buffer.from(p7m.subarray(si.signature.cs, si.signature.ce));
const key = publicKeyOf(cert("citizen-rsa2048"));
if (!nodeVerify("sha256", signedAttrs, key, sig)) throw new Error("raw verify failed");

// The library's entry point, as the CLI and the service use it: the test PKI's anchors, its CRLs loaded.
const validator = await createValidator({
  trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
  crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
  offline: true,
});
const check = await validator.verify(p7m, { at: AT });
if (check.indication !== "TOTAL_PASSED") throw new Error(`bench input does not validate: ${JSON.stringify(check.signatures[0]?.errors)}`);
// For comparison: a context without a path cache, where the path is validated afresh on every call
// (certificate parsing, certificate and CRL signature checks stay cached: they do not depend on time).
const uncached = testContext({ cachePaths: false });
let tick = 0;

// The machine is shared and its load moves: raw and full are measured in alternating rounds and
// the ratio is taken per round, so both sides of a ratio saw the same load.
const rounds = 5;
const ratios: number[] = [];
const ratiosMoving: number[] = [];
const ratiosFresh: number[] = [];
let bestRaw = 0;
let bestFull = 0;
let bestMoving = 0;
let bestFresh = 0;
for (let r = 0; r < rounds; r++) {
  console.log(`round ${r + 1}`);
  const raw = await rate("  raw crypto.verify RSA-2048 over the signed attributes", 600, () => nodeVerify("sha256", signedAttrs, key, sig));
  const full = await rate("  createValidator().verify, fixed time", 600, () => validator.verify(p7m, { at: AT }));
  const moving = await rate("  createValidator().verify, time changes every call", 600, () => validator.verify(p7m, { at: new Date(AT.getTime() + 1000 * tick++) }));
  const fresh = await rate("  verifyCades, no path cache (path validated every call)", 600, () => verifyCades(p7m, { at: AT, context: uncached }));
  ratios.push(full / raw);
  ratiosMoving.push(moving / raw);
  ratiosFresh.push(fresh / raw);
  bestRaw = Math.max(bestRaw, raw);
  bestFull = Math.max(bestFull, full);
  bestMoving = Math.max(bestMoving, moving);
  bestFresh = Math.max(bestFresh, fresh);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`\nbest rates: raw ${bestRaw.toFixed(0)}/s, verify ${bestFull.toFixed(0)}/s, time changing ${bestMoving.toFixed(0)}/s, no path cache ${bestFresh.toFixed(0)}/s`);
console.log(`ratio verify / raw crypto.verify, fixed time (median of ${rounds} rounds):    ${median(ratios).toFixed(3)}  (goal >= 0.25)`);
console.log(`ratio verify / raw, time changes every call (median of ${rounds} rounds):     ${median(ratiosMoving).toFixed(3)}  (goal >= 0.25)`);
console.log(`ratio no-path-cache / raw (median of ${rounds} rounds):                       ${median(ratiosFresh).toFixed(3)}`);

// A large detached file hashed as a stream, against sha256 of the same bytes in memory.
const dir = mkdtempSync(join(tmpdir(), "podpis-bench-"));
try {
  const big = join(dir, "big.bin");
  const chunk = Buffer.alloc(1 << 20, 7);
  const mb = 256;
  writeFileSync(big, Buffer.alloc(0));
  for (let i = 0; i < mb; i++) writeFileSync(big, chunk, { flag: "a" });
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  await hashStream(createReadStream(big, { highWaterMark: 1 << 20 }), ["sha256"]);
  const streamMs = performance.now() - t;
  const rss1 = process.memoryUsage().rss;
  t = performance.now();
  const h = createHash("sha256");
  for (let i = 0; i < mb; i++) h.update(chunk);
  h.digest();
  const memMs = performance.now() - t;
  console.log(`\nhashStream ${mb} MiB from disk: ${((mb * 1000) / streamMs).toFixed(0)} MiB/s (in-memory sha256 ${((mb * 1000) / memMs).toFixed(0)} MiB/s), rss grew ${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
