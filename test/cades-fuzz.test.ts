/**
 * Mutation fuzzing of real CAdES fixtures (seeded, so a failure is reproducible): every mutated
 * file ends in a report or a clean NotSignedDataError, within bounded time — never another throw,
 * never a hang.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSignedData } from "../src/cms/signed-data.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import { ROOT } from "./helpers/cms-tools.js";
import { testContext } from "./helpers/cades-context.js";

const DIR = join(ROOT, "fixtures", "cades");
const AT = new Date("2026-06-01T00:00:00Z");
const SEED = Number(process.env.FUZZ_SEED ?? 20260601);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 4000);

const SOURCES: Array<{ file: string; content?: string }> = [
  { file: "rsa2048-cades-attached.p7m" },
  { file: "rsa2048-cades-ber.p7m" },
  { file: "rsa2048-cades-detached.p7s", content: "content.xml" },
  { file: "p256-sha512.p7m" },
  { file: "rsa-pss-sha384.p7m" },
  { file: "revoked-bt-before-revocation.p7m" },
  { file: "countersigned.p7m" },
  { file: "two-signers.p7m" },
  { file: "epes-policy.p7m" },
  { file: "rsa2048-cades-attached.pem" },
];

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (b: Buffer, r: () => number) => Buffer;
const int = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  flipBit: (b, r) => {
    const c = Buffer.from(b);
    const i = int(r, c.length);
    c[i] = c[i]! ^ (1 << int(r, 8));
    return c;
  },
  setByte: (b, r) => {
    const c = Buffer.from(b);
    c[int(r, c.length)] = [0x00, 0x80, 0xff, 0x30, 0xa0, 0x04, 0x7f, 0x84][int(r, 8)]!;
    return c;
  },
  randomByte: (b, r) => {
    const c = Buffer.from(b);
    c[int(r, c.length)] = int(r, 256);
    return c;
  },
  truncate: (b, r) => b.subarray(0, int(r, b.length)),
  deleteRange: (b, r) => {
    const i = int(r, b.length);
    return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + int(r, 64)))]);
  },
  duplicateRange: (b, r) => {
    const i = int(r, b.length);
    const j = Math.min(b.length, i + 1 + int(r, 256));
    return Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)]);
  },
  insertRandom: (b, r) => {
    const i = int(r, b.length);
    const ins = Buffer.alloc(1 + int(r, 16));
    for (let k = 0; k < ins.length; k++) ins[k] = int(r, 256);
    return Buffer.concat([b.subarray(0, i), ins, b.subarray(i)]);
  },
  /** A length octet (after a constructed tag) made long-form and huge. */
  bigLength: (b, r) => {
    const c = Buffer.from(b);
    for (let tries = 0; tries < 32; tries++) {
      const i = int(r, c.length - 1);
      if ((c[i]! & 0x20) !== 0 && c[i + 1]! < 0x80) {
        c[i + 1] = 0x84;
        return Buffer.concat([c.subarray(0, i + 2), Buffer.from([0x7f, 0xff, 0xff, 0xff]), c.subarray(i + 2)]);
      }
    }
    return c;
  },
};
const NAMES = Object.keys(MUTATIONS);

describe("CAdES mutation fuzzing", () => {
  it(`${ROUNDS} seeded mutations (seed ${SEED}) each end in a report or a clean error`, async () => {
    const ctx = testContext();
    const inputs = SOURCES.map((s) => ({ ...s, bytes: readFileSync(join(DIR, s.file)), contentBytes: s.content ? readFileSync(join(DIR, s.content)) : null }));
    const r = prng(SEED);
    const tally = { reports: 0, notSignature: 0, byIndication: {} as Record<string, number> };
    let slowest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const src = inputs[int(r, inputs.length)]!;
      let m: Buffer = src.bytes;
      const ops: string[] = [];
      const n = 1 + int(r, 3);
      for (let k = 0; k < n && m.length > 0; k++) {
        const name = NAMES[int(r, NAMES.length)]!;
        ops.push(name);
        m = MUTATIONS[name]!(m, r);
      }
      const where = `round ${round} (seed ${SEED}): ${src.file} ${ops.join("+")}`;
      const t = performance.now();
      try {
        const report = await verifyCades(m, { contents: src.contentBytes ? [src.contentBytes] : [], at: AT, context: ctx });
        expect(report.signatures.length, where).toBeGreaterThan(0);
        expect(["TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"], where).toContain(report.indication);
        if (report.indication === "TOTAL_PASSED") {
          // a mutation may touch what no signature covers (an unsigned part, an encoding detail),
          // never what was signed: the content and the signers must be the original's
          const original = await verifyCades(src.bytes, { contents: src.contentBytes ? [src.contentBytes] : [], at: AT, context: ctx });
          expect(Buffer.from(parseSignedData(m).eContent ?? []).equals(Buffer.from(parseSignedData(src.bytes).eContent ?? [])), where).toBe(true);
          expect(report.signatures.map((s) => s.signer?.sha256), where).toEqual(original.signatures.map((s) => s.signer?.sha256));
          expect(report.signatures.map((s) => s.signedData.map((d) => d.sha256)), where).toEqual(original.signatures.map((s) => s.signedData.map((d) => d.sha256)));
        }
        JSON.stringify(report);
        tally.reports++;
        tally.byIndication[report.indication] = (tally.byIndication[report.indication] ?? 0) + 1;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "NOT_A_SIGNATURE") throw new Error(`${where}: unexpected ${(e as Error).stack ?? e}`);
        tally.notSignature++;
      }
      slowest = Math.max(slowest, performance.now() - t);
      // a hang guard (many seconds), not a speed claim: speed is measured in bench/
      expect(slowest, where).toBeLessThan(20_000);
    }
    console.log(`fuzz: ${JSON.stringify(tally)}, slowest ${slowest.toFixed(1)} ms`);
    expect(tally.reports).toBeGreaterThan(ROUNDS / 2);
  }, 120_000);
});
