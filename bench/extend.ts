/**
 * `extend` speed (issue 13 "Speed"): a B-B signature extended to B-LTA per second — validated
 * twice (before and after the signature time-stamp), two time-stamps from an in-process TSA (the
 * service's default), the validation data embedded — next to the raw signing cost in the same
 * run (crypto.sign, and podpis's own B-B signature) and to the TSA alone. The bundled test PKI,
 * RSA-2048 signer and TSA, offline with the bundled CRLs (what the service does at receipt).
 *   npx tsx bench/extend.ts
 */
import { constants, sign as nodeSign } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import type { Timestamper } from "../src/cms/write.js";
import { extendSignatures } from "../src/evidence/extend.js";
import { extendEnvFor } from "../src/evidence/extend-env.js";
import { openPkcs12 } from "../src/keys/software.js";
import { buildTimestampRequest, parseTimestampResponse } from "../src/timestamp/request.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { createValidator } from "../src/validator.js";
import { signXades } from "../src/xades/sign.js";
import { rate } from "./lib/rate.js";

const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie xmlns="urn:podpis:form:v1">${"<pole>Стойност на полето</pole>".repeat(200)}</zayavlenie>\n`);
const slow = (name: string, f: () => unknown) => rate(name, 2000, f, { warmup: 20, chunk: 10, width: 60 });

const key = openPkcs12(readFileSync(join(BUNDLED.pki, "keys", "citizen-rsa2048.p12")), BUNDLED.password);
const raw = (key as unknown as { key: import("node:crypto").KeyObject }).key;
const tsa = new TimestampAuthority({ key: openPkcs12(readFileSync(BUNDLED.tsaKey), BUNDLED.password), policy: BUNDLED.tsaPolicy, serials: memorySerialSource() });
// the service's built-in TSA: request and response in process
const timestamper: Timestamper = async (data, hash) => {
  const res = await tsa.respond(buildTimestampRequest(data, hash, { certReq: true }).der);
  return parseTimestampResponse(res.response).token!;
};
const validator = await createValidator({
  trust: [readFileSync(join(BUNDLED.trust, "root-ca.pem"))],
  crls: readdirSync(BUNDLED.crls).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(BUNDLED.crls, f))),
  offline: true,
});
const env = extendEnvFor(validator, { timestamper, now: () => new Date() });
const cades = await signCades({ key, content: FORM, packaging: "enveloping" });
const xades = await signXades({ key, content: FORM, packaging: "enveloped" });
const check = await extendSignatures(cades, "B-LTA", env);
console.log(`form ${FORM.length} bytes; RSA-2048 signer and TSA; CAdES ${cades.length} → B-LTA ${check.bytes.length} bytes; one at a time\n`);

const base = await slow("raw crypto.sign (RSA-2048, SHA-256)", () => nodeSign("sha256", FORM, { key: raw, padding: constants.RSA_PKCS1_PADDING }));
const sign = await slow("podpis sign CAdES-B-B enveloping", () => signCades({ key, content: FORM, packaging: "enveloping" }));
const ts = await slow("in-process TSA: one time-stamp token", () => timestamper(FORM, "sha256"));
const ec = await slow("extend CAdES B-B → B-LTA", () => extendSignatures(cades, "B-LTA", env));
const ex = await slow("extend XAdES B-B → B-LTA", () => extendSignatures(xades, "B-LTA", env));
console.log(`\n  ratios: extend CAdES / raw sign ${(ec / base).toFixed(3)}, / podpis B-B signing ${(ec / sign).toFixed(2)}; XAdES / raw sign ${(ex / base).toFixed(3)}`);
console.log(`  (an extension makes 2 RSA signatures in the TSA and validates twice: at most ${(ts / 2).toFixed(0)}/s from the TSA alone)`);
