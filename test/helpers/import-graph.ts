/**
 * A small scanner of ES module imports, for the import-graph test: which file of `src/` imports
 * which, circles in that graph, and edges between folders that go against the layering of
 * /work/shared/style.md (bytes → cms/xml → cades/xades → validation → report; adapters on top).
 * Written here rather than taken from a dependency, so that it stays small and reads in one sitting.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";

/** Module specifiers of `import … from "x"`, `import "x"`, `export … from "x"` and `import("x")`. */
export function importSpecifiers(source: string): string[] {
  // Comments and string contents that are not specifiers must not count: strip comments first.
  const text = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

/** file (posix path relative to root) → the files it imports inside root. */
export type Graph = Map<string, string[]>;

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The graph of relative imports between the .ts files under root (`./x.js` resolves to `x.ts`). */
export function scanGraph(root: string): Graph {
  const graph: Graph = new Map();
  for (const file of listTs(root)) {
    const from = relative(root, file).split(sep).join("/");
    const targets: string[] = [];
    for (const spec of importSpecifiers(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue; // packages and node: builtins
      const resolved = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, ".ts");
      if (!targets.includes(resolved)) targets.push(resolved);
    }
    graph.set(from, targets);
  }
  return graph;
}

/** Every elementary circle found by a depth-first search, each as a path that ends where it began. */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === "open") {
        const cycle = [...stack.slice(stack.indexOf(m)), m];
        const key = [...cycle.slice(0, -1)].sort().join(" ");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(m) && graph.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/** The folder of a file: `cades/sign.ts` → `cades`; a file directly in root → "". */
export function folderOf(file: string): string {
  const i = file.indexOf("/");
  return i < 0 ? "" : file.slice(0, i);
}

export interface Layering {
  /** core folders from the bottom up; folders on one rank may import each other (the graph must still be acyclic) */
  ranks: readonly (readonly string[])[];
  /** folders any core folder may import (leaves: they import nothing of src/) */
  leaves: readonly string[];
  /** adapter folders, which the core must never import */
  adapters: readonly string[];
}

export interface LayerViolation {
  from: string;
  to: string;
  why: string;
}

/** Imports from a core folder to a folder above it, to an adapter, or to a folder the layering does not know. */
export function layerViolations(graph: Graph, layering: Layering): LayerViolation[] {
  const rank = new Map<string, number>();
  layering.ranks.forEach((folders, i) => folders.forEach((f) => rank.set(f, i)));
  const out: LayerViolation[] = [];
  for (const [from, targets] of graph) {
    const ff = folderOf(from);
    const rf = rank.get(ff);
    if (rf === undefined) continue; // adapters and the package entry may import anything
    for (const to of targets) {
      const ft = folderOf(to);
      if (ft === ff || layering.leaves.includes(ft)) continue;
      if (layering.adapters.includes(ft)) out.push({ from, to, why: `core folder ${ff} imports the adapter ${ft}` });
      else if (!rank.has(ft)) out.push({ from, to, why: `core folder ${ff} imports ${ft || "a top-level file"}, which is no core folder` });
      else if (rank.get(ft)! > rf) out.push({ from, to, why: `${ff} imports ${ft}, which sits above it` });
    }
  }
  return out;
}
