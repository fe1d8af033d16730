/**
 * The committed CAdES fixtures (fixtures/cades/, made by make.ts with OpenSSL and the test PKI)
 * give the outcomes their manifest records.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyCades } from "../src/validation/verify-cades.js";
import { renderText } from "../src/validation/report-text.js";
import { ROOT, cert } from "./helpers/cms-tools.js";
import { testContext } from "./helpers/cades-context.js";

const DIR = join(ROOT, "fixtures", "cades");
interface Entry {
  file: string;
  description: string;
  content?: string;
  at: string;
  crls?: string[];
  untrusted?: string[];
  expect: Array<{ indication: string; subIndication: string | null; level?: string; qualification?: string; intact?: boolean }>;
}
const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as { fixtures: Entry[] };

describe("CAdES fixtures", () => {
  for (const f of manifest.fixtures) {
    it(`${f.file}: ${f.description}`, async () => {
      const ctx = testContext({
        crls: (f.crls ?? []).map((c) => readFileSync(join(DIR, c))),
        untrusted: (f.untrusted ?? []).map(cert),
      });
      const report = await verifyCades(readFileSync(join(DIR, f.file)), {
        contents: f.content ? [readFileSync(join(DIR, f.content))] : [],
        at: new Date(f.at),
        context: ctx,
      });
      const got = report.signatures.map((s) => ({ indication: s.indication, subIndication: s.subIndication, level: s.level, qualification: s.qualification, intact: s.intact }));
      // several signers: OpenSSL orders SignerInfos as a DER SET OF, so compare without order
      const key = (o: object) => JSON.stringify(o);
      const want = f.expect.map((e) => ({ ...got.find((g) => Object.entries(e).every(([k, v]) => (g as Record<string, unknown>)[k] === v)), ...e }));
      expect(got.map(key).sort(), renderText(report) + JSON.stringify(report.signatures.map((s) => s.errors), null, 1)).toEqual(want.map(key).sort());
    });
  }
});
