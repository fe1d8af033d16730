// `npm start`: builds when the sources are newer than dist/, then runs `podpis serve` with any
// extra arguments (npm start -- --port 9000).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync("dist/cli/main.js") || newest("src") > newest("dist")) {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const r = spawnSync(process.execPath, ["bin/podpis.js", "serve", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
