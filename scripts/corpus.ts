/**
 * Agreement with a public corpus (issue 12): extracts the XAdES (and CAdES) test resources of an
 * EU DSS checkout into a temp dir, validates each file with podpis in-process, and compares the
 * outcome with the verdict written down in test/corpus/dss-expected.json (our own data: what
 * DSS's Java tests assert about the file, and which test says so). Not part of `npm test`: the
 * corpus is not ours to commit.
 *   npm run corpus -- [DSS-GIT-DIR] [--only SUBSTRING] [--verbose]
 *
 * An expectation holds `intact` (signature value and every signed reference verify) and `class`:
 * "FORMAT_FAILURE" | "HASH_FAILURE" | "SIG_CRYPTO_FAILURE" (TOTAL_FAILED with that subindication),
 * "NOT_FAILED" (INDETERMINATE or TOTAL_PASSED: without the member states' trust anchors a genuine
 * signature is at best INDETERMINATE), "NO_SIGNING_CERTIFICATE_FOUND", "SIGNED_DATA_NOT_FOUND",
 * or "NOT_A_SIGNATURE" (refused as a whole). Optional `contents` are other corpus paths given as
 * detached content; optional `at` is the validation time (default: the claimed signing time).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createValidator } from "../src/validator.js";

interface Expectation {
  path: string;
  intact: boolean | null;
  /** one class, or the classes that all count as agreement (e.g. refused either way) */
  class: string | string[];
  contents?: string[];
  at?: string;
  source: string;
  note?: string;
}

interface Section {
  /** folder of the DSS checkout the paths are relative to */
  root: string;
  entries: Expectation[];
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const gitDir = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--only") ?? "/work/.mirror/esig+dss/repo";
const expected = JSON.parse(readFileSync(join(here, "..", "test", "corpus", "dss-expected.json"), "utf8")) as Record<string, Section | string>;

function extract(root: string, paths: string[], into: string): void {
  for (const p of paths) {
    const out = join(into, p);
    mkdirSync(dirname(out), { recursive: true });
    // git show of a blob: the bare mirror has no work tree
    writeFileSync(out, execFileSync("git", ["-C", gitDir, "show", `HEAD:${root}/${p}`], { maxBuffer: 64 * 1024 * 1024 }));
  }
}

function classOf(r: { indication: string; signatures: Array<{ indication: string; subIndication: string | null }> }): string {
  const s = r.signatures[0];
  if (!s) return "NOT_A_SIGNATURE";
  if (s.indication === "TOTAL_FAILED") return s.subIndication ?? "TOTAL_FAILED";
  if (s.subIndication === "NO_SIGNING_CERTIFICATE_FOUND" || s.subIndication === "SIGNED_DATA_NOT_FOUND") return s.subIndication;
  return "NOT_FAILED";
}

function agrees(e: Expectation, cls: string, intact: boolean | null): boolean {
  if (e.intact !== null && e.intact !== intact) return false;
  const want = Array.isArray(e.class) ? e.class : [e.class];
  return want.includes(cls);
}

const validator = await createValidator({ trust: [], offline: true });
const tmp = mkdtempSync(join(tmpdir(), "podpis-corpus-"));
let exitCode = 0;
try {
  for (const [format, section] of Object.entries(expected)) {
    if (typeof section === "string") continue;
    const entries = section.entries.filter((e) => !only || e.path.includes(only));
    if (entries.length === 0) {
      console.log(`\n${format}: no entries yet`);
      continue;
    }
    const paths = [...new Set(entries.flatMap((e) => [e.path, ...(e.contents ?? [])]))];
    extract(section.root, paths, join(tmp, format));
    let agree = 0;
    const misses: string[] = [];
    for (const e of entries) {
      const bytes = readFileSync(join(tmp, format, e.path));
      const contents = (e.contents ?? []).map((c) => ({ name: basename(c), bytes: readFileSync(join(tmp, format, c)) }));
      let cls: string;
      let intact: boolean | null = null;
      let detail = "";
      try {
        let at = e.at ? new Date(e.at) : new Date();
        let r = await validator.verify(bytes, { contents, at });
        const claimed = r.signatures[0]?.claimedSigningTime;
        if (!e.at && claimed) {
          at = new Date(new Date(claimed).getTime() + 60_000);
          r = await validator.verify(bytes, { contents, at });
        }
        cls = classOf(r);
        intact = r.signatures[0]?.intact ?? null;
        const s = r.signatures[0];
        const list = s ? s.errors : ((r as { errors?: Array<{ code: string; message: string }> }).errors ?? []);
        const errs = [...new Set(list.map((x) => `${x.code}: ${x.message}`.slice(0, 160)))].slice(0, 2).join("; ");
        detail = `${s?.indication ?? r.indication}/${s?.subIndication ?? "-"} intact=${intact} level=${s?.level ?? "-"} [${errs}]`;
      } catch (err) {
        cls = "CRASH";
        detail = `threw ${(err as Error).name}: ${(err as Error).message}`;
      }
      const ok = agrees(e, cls, intact);
      if (ok) agree++;
      else misses.push(`  ✗ ${e.path}: expected ${e.class} intact=${e.intact} (${e.source}); got ${detail}`);
      if (verbose) console.log(`${ok ? "✓" : "✗"} ${e.path}: ${detail}`);
    }
    console.log(`\n${format}: ${agree}/${entries.length} agree (${((100 * agree) / entries.length).toFixed(1)}%)`);
    for (const m of misses) console.log(m);
    if (misses.length) exitCode = 1;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = exitCode;
