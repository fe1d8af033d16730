// `npm run bench`: runs every bench/*.ts in its own process, one after another (so one's heap
// and JIT state does not colour the next), and prints what each measures. Pass names to run
// only some: npm run bench -- crl-load cades-verify
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const tsx = join(here, "..", "node_modules", "tsx", "dist", "cli.mjs");
let failed = 0;
for (const f of benches) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ["--expose-gc", tsx, join(here, f)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${f} exited with ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
