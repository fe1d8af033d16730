/**
 * Signing speed (issue 5 "Speed"): CAdES and XAdES signatures per second with the PKCS#12
 * RSA-2048 key and with the same key in SoftHSM2, against raw `crypto.sign` (RSA-2048,
 * SHA-256) in the same run. Goal: CAdES with the software key >= 0.5 of the raw rate.
 *   npx tsx bench/sign.ts
 */
import { constants, sign as nodeSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signCades } from "../src/cades/sign.js";
import { openPkcs11 } from "../src/keys/pkcs11.js";
import type { KeyProvider } from "../src/keys/provider.js";
import { openPkcs12 } from "../src/keys/software.js";
import { signXades } from "../src/xades/sign.js";
import { rate } from "./lib/rate.js";
import { PIN, PKI, has, setupSoftHsm, softhsmModule } from "../test/helpers/sign-tools.js";

const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie xmlns="urn:podpis:form:v1">${"<pole>Стойност на полето</pole>".repeat(200)}</zayavlenie>\n`);


/** Signing is slow next to verification: a shorter warm-up and smaller chunks. */
const signRate = (name: string, ms: number, f: () => unknown, batch = 1) => rate(name, ms, f, { warmup: 50, chunk: 20, batch, width: 60 });

const key = openPkcs12(readFileSync(join(PKI, "keys", "citizen-rsa2048.p12")), "podpis-test");
const raw = (key as unknown as { key: import("node:crypto").KeyObject }).key;
console.log(`form ${FORM.length} bytes; RSA-2048 PKCS#1 v1.5 SHA-256; one signature at a time\n`);
const base = await signRate("raw crypto.sign (RSA-2048, same key)", 1500, () => nodeSign("sha256", FORM, { key: raw, padding: constants.RSA_PKCS1_PADDING }));
const signingTime = new Date();
async function formats(label: string, k: KeyProvider): Promise<void> {
  const c = await signRate(`CAdES-B-B enveloping, ${label}`, 1500, () => signCades({ key: k, content: FORM, packaging: "enveloping", signingTime }));
  const d = await signRate(`CAdES-B-B detached, ${label}`, 1500, () => signCades({ key: k, content: FORM, packaging: "detached", signingTime }));
  const x = await signRate(`XAdES-B-B enveloped, ${label}`, 1500, () => signXades({ key: k, content: FORM, packaging: "enveloped", signingTime }));
  console.log(`  ratios to raw: CAdES ${(c / base).toFixed(2)}, CAdES detached ${(d / base).toFixed(2)}, XAdES ${(x / base).toFixed(2)}\n`);
}
await formats("PKCS#12", key);

if (has("softhsm2-util") && softhsmModule()) {
  const hsm = setupSoftHsm();
  const tok = await openPkcs11({ uri: hsm.rsa, modulePath: hsm.module, pin: PIN });
  await signRate("SoftHSM2 raw C_Sign (CKM_SHA256_RSA_PKCS, async, 1 at a time)", 1500, () => tok.sign({ data: FORM }, { scheme: "rsa-pkcs1", hash: "sha256" }));
  await formats("SoftHSM2", tok);
  const tok2 = await openPkcs11({ uri: hsm.rsa, modulePath: hsm.module, pin: PIN });
  await signRate("SoftHSM2 CAdES, 2 sessions in parallel", 1500, () => Promise.all([tok, tok2].map((k) => signCades({ key: k, content: FORM, packaging: "enveloping", signingTime }))), 2);
  // how long the event loop is blocked per signature: only C_SignInit runs on the main thread
  let maxLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 1);
    last = now;
  }, 1);
  for (let i = 0; i < 500; i++) await signCades({ key: tok, content: FORM, packaging: "enveloping", signingTime });
  clearInterval(timer);
  console.log(`event-loop lag while signing through SoftHSM2: max ${maxLag.toFixed(1)} ms`);
  await tok.close();
  await tok2.close();
} else console.log("(SoftHSM2 not installed: token rates skipped)");
