// The folders of src/ import one way (issue 9, /work/shared/style.md): no circle between files,
// and no core folder importing a folder above it or an adapter. The scanner is tested first on
// small synthetic graphs, so that a green run on src/ cannot come from a scanner that sees nothing.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Graph, type Layering, findCycles, folderOf, importSpecifiers, layerViolations, scanGraph } from "./helpers/import-graph.js";

/** Bottom up; one rank may import the ranks below it (and its own, as long as no circle forms). */
const LAYERING: Layering = {
  // log/ (transparency-log hashing, tiles, checkpoints) needs nothing but node's crypto; trust/
  // (TS 119 612 lists) reads XML and certificates; evidence/ (B-LT/B-LTA) sits on cades/xades/timestamp
  ranks: [["log"], ["asn1"], ["pki"], ["revocation"], ["cms"], ["cades", "xades", "timestamp"], ["trust", "evidence"], ["validation"], ["receipt"]],
  // leaves import nothing but other leaves: the error base, and what a request may cost
  leaves: ["errors", "limits"],
  // io/ holds the file and network implementations of the core's ports; edge/ maps errors to HTTP and exit codes
  adapters: ["http", "cli", "archive", "keys", "io", "edge"],
};

const SRC = join(import.meta.dirname, "..", "src");

describe("the import scanner", () => {
  it("finds static, type-only, re-export, side-effect and dynamic imports, and ignores comments", () => {
    const src = [
      'import { a, type B } from "./a.js";',
      "import type {\n  C,\n  D,\n} from './c.js';",
      'import def, { e as f } from "../e.js";',
      'import * as ns from "./ns.js";',
      'import "./side-effect.js";',
      'export { g } from "./g.js";',
      'export type { H } from "./h.js";',
      'export * from "./star.js";',
      'export * as all from "./all.js";',
      'const m = await import("./dyn.js");',
      '// import { nope } from "./commented.js";',
      '/* import { nope } from "./block.js"; */',
      'import { readFileSync } from "node:fs";',
    ].join("\n");
    expect(importSpecifiers(src).sort()).toEqual(
      ["./a.js", "./c.js", "../e.js", "./ns.js", "./side-effect.js", "./g.js", "./h.js", "./star.js", "./all.js", "./dyn.js", "node:fs"].sort(),
    );
  });

  it("reports a circle, and only a circle", () => {
    const cyclic: Graph = new Map([
      ["cades/signer.ts", ["validation/model.ts"]],
      ["validation/model.ts", ["timestamp/token.ts"]],
      ["timestamp/token.ts", ["cades/signer.ts"]],
      ["pki/x.ts", []],
    ]);
    const cycles = findCycles(cyclic);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toEqual(["cades/signer.ts", "validation/model.ts", "timestamp/token.ts", "cades/signer.ts"]);
    const acyclic: Graph = new Map([
      ["a/x.ts", ["b/y.ts", "c/z.ts"]],
      ["b/y.ts", ["c/z.ts"]],
      ["c/z.ts", []],
    ]);
    expect(findCycles(acyclic)).toEqual([]);
  });

  it("reports an upward import, an import of an adapter, and one of an unknown folder; allows downward, sideways and leaf imports", () => {
    const g: Graph = new Map([
      ["pki/path.ts", ["revocation/types.ts", "asn1/der.ts", "limits/budgets.ts"]],
      ["cades/sign.ts", ["keys/provider.ts", "xades/sign.ts", "cms/oids.ts"]],
      ["timestamp/tsa.ts", ["trust/list.ts"]],
      ["cli/main.ts", ["validation/report.ts", "http/app.ts"]],
    ]);
    const v = layerViolations(g, LAYERING).map((x) => `${x.from} -> ${x.to}`);
    expect(v).toEqual(["pki/path.ts -> revocation/types.ts", "cades/sign.ts -> keys/provider.ts", "timestamp/tsa.ts -> trust/list.ts"]);
  });

  it("sees the files of src/ and their imports", () => {
    const g = scanGraph(SRC);
    // a scanner that silently read nothing would pass every check below
    expect(g.size).toBeGreaterThan(100);
    expect(g.get("validator.ts")).toContain("validation/verify-cades.ts");
    expect(g.get("cms/signer.ts")).toContain("cms/signed-data.ts");
  });
});

describe("src/", () => {
  const graph = scanGraph(SRC);

  it("has no import circle", () => {
    const cycles = findCycles(graph).map((c) => c.join(" -> "));
    expect(cycles, `import circles:\n${cycles.join("\n")}`).toEqual([]);
  });

  it("imports one way: no core folder imports a folder above it or an adapter", () => {
    const v = layerViolations(graph, LAYERING).map((x) => `${x.from} -> ${x.to}: ${x.why}`);
    expect(v, `layering violations:\n${v.join("\n")}`).toEqual([]);
  });

  it("places every folder in the layering (a new folder must say where it sits)", () => {
    const known = new Set([...LAYERING.ranks.flat(), ...LAYERING.leaves, ...LAYERING.adapters, ""]);
    const unknown = [...new Set([...graph.keys()].map(folderOf))].filter((f) => !known.has(f));
    expect(unknown, "folders of src/ missing from LAYERING in test/import-graph.test.ts").toEqual([]);
  });

  it("keeps the leaves leaves: errors/ and limits/ import nothing of src/ but each other", () => {
    const out = [...graph].filter(([f, targets]) => LAYERING.leaves.includes(folderOf(f)) && targets.some((t) => !LAYERING.leaves.includes(folderOf(t))));
    expect(out.map(([f]) => f)).toEqual([]);
  });
});
