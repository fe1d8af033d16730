/**
 * Extending at receipt without validating the file twice (issue 15): the service hands extend
 * the verdict it has just made and a checker for the new signature time-stamps only. The B-LTA
 * evidence is the same as with a second full validation (same certificates, CRLs and OCSP in
 * SignedData, and it validates as B-LTA), the file is not validated again, and a new
 * time-stamp that does not validate (a TSA certificate without the timeStamping purpose) refuses
 * the extension instead of slipping through. The bundled test PKI at its fixed validation time.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import type { Timestamper } from "../src/cms/write.js";
import { splitSignedData } from "../src/evidence/extend-cades.js";
import { extendEnvFor } from "../src/evidence/extend-env.js";
import { ExtendError } from "../src/evidence/extend-errors.js";
import { type ExtendEnv, extendSignatures } from "../src/evidence/extend.js";
import { timestampChecker } from "../src/http/augment.js";
import { openPkcs12 } from "../src/keys/software.js";
import { buildTimestampRequest, parseTimestampResponse } from "../src/timestamp/request.js";
import { TimestampAuthority, issuedToken } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { type Validator, createValidator } from "../src/validator.js";
import { signXades } from "../src/xades/sign.js";

const AT = new Date("2026-06-01T00:00:00Z");
const now = () => AT;
const p12 = (name: string) => openPkcs12(readFileSync(join(BUNDLED.pki, "keys", `${name}.p12`)), BUNDLED.password);

function tsaOf(name: string): Timestamper {
  const tsa = new TimestampAuthority({ key: p12(name), policy: BUNDLED.tsaPolicy, serials: memorySerialSource(), clock: now });
  return async (data, hash) => {
    const res = await tsa.respond(buildTimestampRequest(data, hash, { certReq: true }).der);
    const token = parseTimestampResponse(res.response).token;
    if (!token) throw new Error(res.failure ?? "no token");
    return token;
  };
}

/** the built-in TSA as the service calls it (in process): its fresh tokens are checked from what it recorded (timestamp/issued.ts) */
function issuingTsa(name: string): { timestamper: Timestamper; recorded: () => number } {
  const tsa = new TimestampAuthority({ key: p12(name), policy: BUNDLED.tsaPolicy, serials: memorySerialSource(), clock: now });
  let recorded = 0;
  return {
    timestamper: async (data, hash) => {
      const token = await tsa.issue(data, hash);
      if (issuedToken(token)) recorded++;
      return token;
    },
    recorded: () => recorded,
  };
}

let validator: Validator;
let cades: Buffer;
let xades: Buffer;

/** an env over the validator that counts how often the whole file is validated */
function countingEnv(timestamper: Timestamper, checker: boolean): { env: ExtendEnv; validations: () => number } {
  const env = extendEnvFor(validator, { timestamper, now });
  let n = 0;
  const validate = env.validate;
  env.validate = (b) => {
    n++;
    return validate(b);
  };
  if (checker) env.checkTimestamps = timestampChecker(validator, now);
  return { env, validations: () => n };
}

/** the certificates and revocation values a XAdES carries in its unsigned properties, sorted */
const values = (xml: Buffer): string[] =>
  [...xml.toString("utf8").matchAll(/<xades:Encapsulated(?:X509Certificate|CRLValue|OCSPValue)>([^<]+)</g)].map((m) => m[1]!).sort();
const sorted = (xs: Uint8Array[]) => xs.map((x) => Buffer.from(x).toString("hex")).sort();

beforeAll(async () => {
  validator = await createValidator({
    trust: [readFileSync(join(BUNDLED.trust, "root-ca.pem"))],
    crls: readdirSync(BUNDLED.crls).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(BUNDLED.crls, f))),
    offline: true,
  });
  const key = p12("citizen-rsa2048");
  cades = await signCades({ key, content: Buffer.from("Заявление — extend at receipt\n"), packaging: "enveloping", signingTime: AT });
  xades = await signXades({ key, content: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie xmlns="urn:podpis:form:v1"><pole>1</pole></zayavlenie>\n`), packaging: "enveloped", signingTime: AT });
});

describe("extend at receipt with the caller's verdict", () => {
  it("CAdES: no second validation, the same validation data as with one, and the result validates as B-LTA", async () => {
    const verdict = await validator.verify(cades, { at: AT });
    expect(verdict.indication).toBe("TOTAL_PASSED");
    const quick = countingEnv(tsaOf("tsa"), true);
    const a = await extendSignatures(cades, "B-LTA", quick.env, { verdict });
    expect(quick.validations()).toBe(0);
    const full = countingEnv(tsaOf("tsa"), false);
    const b = await extendSignatures(cades, "B-LTA", full.env, { verdict });
    expect(full.validations()).toBe(1);
    expect(a.added).toEqual(b.added);
    const [sa, sb] = [splitSignedData(a.bytes), splitSignedData(b.bytes)];
    expect(sorted(sa.certificates)).toEqual(sorted(sb.certificates));
    expect(sorted(sa.crls)).toEqual(sorted(sb.crls));
    // the TSA's own certificate is among what was embedded (its path was checked by the checker)
    expect(sa.certificates.some((c) => Buffer.compare(Buffer.from(c), Buffer.from(p12("tsa").certificate)) === 0)).toBe(true);
    const after = await validator.verify(a.bytes, { at: AT });
    expect(after.indication).toBe("TOTAL_PASSED");
    expect(after.signatures[0]!.level).toMatch(/LTA/);
  });

  it("XAdES: no second validation, the same values as with one, and the result validates as that one does", async () => {
    const verdict = await validator.verify(xades, { at: AT });
    expect(verdict.indication).toBe("TOTAL_PASSED");
    const quick = countingEnv(tsaOf("tsa-p256"), true);
    const a = await extendSignatures(xades, "B-LTA", quick.env, { verdict });
    expect(quick.validations()).toBe(0);
    expect(a.added.signatureTimestamps).toBe(1);
    expect(a.added.archiveTimestamps).toBe(1);
    const full = countingEnv(tsaOf("tsa-p256"), false);
    const b = await extendSignatures(xades, "B-LTA", full.env, { verdict });
    expect(full.validations()).toBe(1);
    expect(values(a.bytes)).toEqual(values(b.bytes));
    expect(values(a.bytes).length).toBeGreaterThan(0);
    const [after, before] = [await validator.verify(a.bytes, { at: AT }), await validator.verify(b.bytes, { at: AT })];
    expect(after.indication).toBe("TOTAL_PASSED");
    expect(after.signatures[0]!.level).toBe(before.signatures[0]!.level);
    expect(after.signatures[0]!.timestamps.every((t) => t.indication === "TOTAL_PASSED")).toBe(true);
  });

  it("CAdES with the in-process TSA: its recorded tokens give the same validation data, and the result validates as B-LTA", async () => {
    const verdict = await validator.verify(cades, { at: AT });
    const own = issuingTsa("tsa-p256");
    const quick = countingEnv(own.timestamper, true);
    const a = await extendSignatures(cades, "B-LTA", quick.env, { verdict });
    expect([quick.validations(), own.recorded()]).toEqual([0, 2]);
    const b = await extendSignatures(cades, "B-LTA", countingEnv(tsaOf("tsa-p256"), false).env, { verdict });
    const [sa, sb] = [splitSignedData(a.bytes), splitSignedData(b.bytes)];
    expect(sorted(sa.certificates)).toEqual(sorted(sb.certificates));
    expect(sorted(sa.crls)).toEqual(sorted(sb.crls));
    expect(sa.certificates.some((c) => Buffer.compare(Buffer.from(c), Buffer.from(p12("tsa-p256").certificate)) === 0)).toBe(true);
    const after = await validator.verify(a.bytes, { at: AT });
    expect(after.indication).toBe("TOTAL_PASSED");
    expect(after.signatures[0]!.level).toMatch(/LTA/);
  });

  it("a recorded token of an in-process 'TSA' whose certificate is not a TSA's still refuses the extension (its path is validated)", async () => {
    const verdict = await validator.verify(cades, { at: AT });
    const own = issuingTsa("citizen-p256");
    const e = await extendSignatures(cades, "B-LTA", countingEnv(own.timestamper, true).env, { verdict }).catch((x: unknown) => x);
    expect(own.recorded()).toBe(1);
    expect((e as ExtendError).code).toBe("EXTEND_REFUSED_INDETERMINATE");
    expect((e as Error).message).toMatch(/time-stamp just added.*extendedKeyUsage/);
  });

  it("a new time-stamp that does not validate (its certificate is not a TSA's) refuses the extension", async () => {
    const verdict = await validator.verify(cades, { at: AT });
    const { env } = countingEnv(tsaOf("citizen-p256"), true);
    const e = await extendSignatures(cades, "B-LTA", env, { verdict }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExtendError);
    expect((e as ExtendError).code).toBe("EXTEND_REFUSED_INDETERMINATE");
    expect((e as Error).message).toMatch(/time-stamp just added/);
  });
});
