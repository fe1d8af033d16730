/**
 * Measures `podpis tl inspect`'s core on EU DSS's trusted-list test resources (not part of
 * `npm test`, and nothing from DSS is committed): every XML under dss-tsl-validation's test
 * resources in the local DSS mirror is read from git, parsed and its signature checked (nothing
 * pinned), and the LOTL pivot chain of the lotlCache is followed from the pivot-282 signers.
 *   tsx bench/dss-trusted-lists.ts [/work/.mirror/esig+dss/repo]
 */
import { execFileSync } from "node:child_process";
import { TrustListError } from "../src/trust/errors.js";
import { inspectList } from "../src/trust/inspect.js";
import { loadTrustedLists } from "../src/trust/load.js";
import { parseTrustedList } from "../src/trust/parse.js";

const REPO = process.argv[2] ?? "/work/.mirror/esig+dss/repo";
const DIR = "dss-tsl-validation/src/test/resources/";
const git = (...args: string[]) => execFileSync("git", ["-C", REPO, ...args], { maxBuffer: 1 << 28 });
const files = git("ls-tree", "-r", "--name-only", "HEAD", DIR).toString().split("\n").filter((f) => f.endsWith(".xml"));
const read = (f: string) => git("show", `HEAD:${f}`);

let lists = 0;
let intact = 0;
const t0 = performance.now();
let absent = 0;
for (const f of files) {
  let bytes: Buffer;
  try {
    bytes = read(f);
  } catch {
    absent++; // (the snapshot lists some large files without their content)
    continue;
  }
  const t = performance.now();
  try {
    const { inspection: r } = inspectList(bytes, null);
    lists++;
    if (r.signature.intact) intact++;
    console.log(`${f.slice(DIR.length)}\t${r.kind} ${r.schemeTerritory} #${r.sequenceNumber} v${r.version}\ttsps ${r.tsps} services ${r.services} pointers ${r.pointers.length}\tsignature ${!r.signature.present ? "none" : r.signature.intact ? "intact" : `NOT INTACT (${r.signature.problem})`}\t${(performance.now() - t).toFixed(0)} ms${r.warnings.length ? `\twarnings ${r.warnings.length}` : ""}`);
  } catch (e) {
    if (!(e instanceof TrustListError)) throw e;
    console.log(`${f.slice(DIR.length)}\trefused: ${e.code}: ${e.message.slice(0, 160)}`);
  }
}
console.log(`\n${files.length} files (${absent} absent from the mirror), ${lists} read as lists, ${intact} with an intact signature, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// the pivots: trust handed from the signers the oldest pivot's EU pointer names to the current LOTL's
const pivots = files.filter((f) => /lotlCache\/eu-lotl-pivot-\d+\.xml$/.test(f));
const current = files.find((f) => f.endsWith("lotlCache/eu-lotl-pivot-341.xml")) ?? files.find((f) => f.endsWith("eu-lotl-pivot.xml"));
if (pivots.length && current) {
  const oldest = pivots.sort()[0]!;
  const start = parseTrustedList(read(oldest)).list.pointers.find((p) => p.territory === "EU")!.signers;
  const byUrl = new Map(pivots.map((f) => [`https://ec.europa.eu/tools/lotl/${f.split("/").pop()}`, f]));
  const state = await loadTrustedLists({
    locations: ["current"],
    signers: start,
    at: new Date("2024-06-01T00:00:00Z"),
    source: {
      get: async (l) => {
        const f = l === "current" ? current : byUrl.get(l);
        if (!f) throw new TrustListError("TL_UNAVAILABLE", `${l}: not in the DSS test resources`);
        return { bytes: read(f), fetchedAt: new Date(), origin: l };
      },
    },
  });
  console.log(`pivots: from ${oldest.split("/").pop()}'s EU signers to ${current.split("/").pop()}: ${state.accepted.some((a) => a.list.kind === "LOTL") ? "LOTL accepted" : "LOTL refused"}; ${state.problems.filter((p) => p.kind === "signature").length} signature problem(s) among ${state.problems.length}`);
  for (const p of state.problems.filter((x) => x.kind === "signature").slice(0, 5)) console.log(`  ${p.location}: ${p.reason.slice(0, 160)}`);
}
