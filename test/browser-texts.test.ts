/**
 * The pages' texts (web/src/text-en.ts, text-bg.ts): a message in both languages for every
 * indication and subindication a citizen can meet (EN 319 102-1 §5.1.3, src/pki/indication.ts),
 * the English reasons word for word the CLI's plain words (src/validation/report-text.ts), and no
 * text left empty or untranslated.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REASONS } from "../src/validation/report-text.js";
import { BG } from "../web/src/text-bg.js";
import { EN } from "../web/src/text-en.js";

// the subindications as the type lists them: read from the source, so a new one fails here until worded
const source = readFileSync("src/pki/indication.ts", "utf8");
const union = source.slice(source.indexOf("export type SubIndication"), source.indexOf(";", source.indexOf("export type SubIndication")));
const SUB_INDICATIONS = [...new Set([...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]!))];

describe("texts of the pages", () => {
  it("the type lists the subindications (sanity)", () => {
    expect(SUB_INDICATIONS).toContain("HASH_FAILURE");
    expect(SUB_INDICATIONS).toContain("NO_CERTIFICATE_CHAIN_FOUND");
    expect(SUB_INDICATIONS.length).toBeGreaterThan(20);
  });

  it("every indication and subindication has a message in Bulgarian and English", () => {
    const missing: string[] = [];
    for (const i of ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]) for (const k of [`indication.${i}`, `indication.${i}.long`]) if (!(k in EN) || !(k in BG)) missing.push(k);
    for (const s of SUB_INDICATIONS) if (!(`sub.${s}` in EN) || !(`sub.${s}` in BG)) missing.push(`sub.${s}`);
    expect(missing).toEqual([]);
  });

  it("the English reasons are report-text.ts's plain words", () => {
    for (const [sub, words] of Object.entries(REASONS)) expect(EN[`sub.${sub}` as keyof typeof EN], sub).toBe(words);
  });

  it("Bulgarian and English have the same keys, none empty, and the Bulgarian texts are Bulgarian", () => {
    expect(Object.keys(BG).sort()).toEqual(Object.keys(EN).sort());
    for (const [k, v] of Object.entries(BG)) {
      expect(v.trim(), k).not.toBe("");
      // the language switch names the other language; the rest is written in Cyrillic
      if (!k.startsWith("lang.")) expect(/[а-яА-Я]/.test(v), `${k}: ${v}`).toBe(true);
    }
    for (const [k, v] of Object.entries(EN)) expect(v.trim(), k).not.toBe("");
  });

  it("placeholders are the same in both languages", () => {
    const ph = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
    for (const k of Object.keys(EN) as Array<keyof typeof EN>) expect(ph(BG[k]), k).toEqual(ph(EN[k]));
  });
});
