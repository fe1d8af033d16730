/**
 * What the built-in TSA records of the tokens it issues (issue 15, timestamp/issued.ts): read
 * from the record, a token is what readTimestampToken reads in its octets — for RSA and ECDSA
 * TSAs, each imprint hash, matching data or not; another object with the same octets, altered
 * octets, or a TSA whose key does not match its certificate get no record (the token is then read
 * and verified as any other, and such a TSA's tokens fail there).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { openPkcs12 } from "../src/keys/software.js";
import type { KeyProvider } from "../src/pki/signing-key.js";
import { ownTimestampToken } from "../src/timestamp/issued.js";
import { readTimestampToken } from "../src/timestamp/token.js";
import { TimestampAuthority, issuedToken } from "../src/timestamp/tsa.js";
import { memorySerialSource, randomSerialSource } from "../src/timestamp/tsa-serial.js";
import { validateTimestamp } from "../src/validation/timestamp.js";
import { type Validator, createValidator } from "../src/validator.js";

const NOW = new Date("2026-05-31T12:00:00.250Z");
const key = (name: string) => openPkcs12(readFileSync(join(BUNDLED.pki, "keys", `${name}.p12`)), BUNDLED.password);
const tsaOf = (k: KeyProvider, opts: { accuracyMs?: number } = {}) => new TimestampAuthority({ key: k, policy: BUNDLED.tsaPolicy, serials: memorySerialSource(0xfedcba9876543210n), clock: () => NOW, ...opts });
const data = Buffer.from("Заявление — time-stamped in process\n");
let v: Validator;

beforeAll(async () => {
  v = await createValidator({ trust: [readFileSync(join(BUNDLED.trust, "root-ca.pem"))], crls: [readFileSync(join(BUNDLED.crls, "root.crl"))], offline: true });
});

describe("a token read from what the TSA recorded", () => {
  for (const name of ["tsa", "tsa-p256"]) {
    it(`is the token read from its octets (${name})`, async () => {
      for (const [hash, accuracyMs] of [["sha256", 1000], ["sha384", 250], ["sha512", 0]] as const) {
        const token = await tsaOf(key(name), { accuracyMs }).issue(data, hash);
        for (const imprinted of [data, Buffer.from("other data"), null]) {
          const opts = { kind: "signature" as const, imprintedData: imprinted, ctx: v.context };
          const own = ownTimestampToken(token, opts);
          expect(own, `${name} ${hash}`).not.toBeNull();
          expect(own).toEqual(readTimestampToken(token, opts));
        }
      }
    });
  }

  it("validates as the token read from its octets does", async () => {
    const token = await tsaOf(key("tsa-p256")).issue(data, "sha256");
    const opts = { kind: "signature" as const, imprintedData: data, ctx: v.context };
    const own = await validateTimestamp(ownTimestampToken(token, opts)!, v.context, NOW);
    const read = await validateTimestamp(readTimestampToken(token, opts), v.context, NOW);
    expect([own.indication, own.errors]).toEqual(["TOTAL_PASSED", []]);
    expect({ ...own, token: null }).toEqual({ ...read, token: null });
  });

  it("is not there for other octets: a copy held elsewhere counts only if equal, an altered token not at all", async () => {
    const token = await tsaOf(key("tsa")).issue(data, "sha256");
    expect(issuedToken(Buffer.from(token))).toBeNull(); // another object: only the issued one is looked up
    expect(issuedToken(token)).not.toBeNull();
    token[token.length - 1] ^= 1;
    expect(issuedToken(token)).toBeNull();
    expect(ownTimestampToken(token, { kind: "signature", imprintedData: data, ctx: v.context })).toBeNull();
  });

  it("is not recorded by a TSA whose key does not match its certificate", async () => {
    const tsaKey = key("tsa");
    const other = key("seal-rsa2048");
    const mismatched: KeyProvider = { certificate: tsaKey.certificate, chain: tsaKey.chain, keyType: "rsa", keyBits: tsaKey.keyBits, schemes: tsaKey.schemes, sign: (i, a) => other.sign(i, a), close: async () => {} };
    const tsa = tsaOf(mismatched);
    for (let i = 0; i < 2; i++) {
      const token = await tsa.issue(data, "sha256");
      expect(issuedToken(token)).toBeNull();
      expect(readTimestampToken(token, { kind: "signature", imprintedData: data, ctx: v.context }).integrity.signatureIntact).toBe(false);
    }
  });
});

describe("randomSerialSource", () => {
  it("gives odd, distinct serials of at most 120 bits, across refills of its pool", () => {
    const s = randomSerialSource();
    const seen = new Set<bigint>();
    let highBits = 0;
    for (let i = 0; i < 600; i++) {
      const n = s.next();
      expect(n & 1n).toBe(1n);
      expect(n < 1n << 120n).toBe(true);
      if (n >= 1n << 112n) highBits++;
      seen.add(n);
    }
    expect(seen.size).toBe(600);
    // the top byte is random too (about 599 of 600 serials have it non-zero)
    expect(highBits).toBeGreaterThan(550);
  });
});
