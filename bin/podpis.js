#!/usr/bin/env node
// The podpis command: runs the compiled CLI (npm ci builds it through the "prepare" script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("podpis: not built yet; run `npm run build` (npm ci does it for you)\n");
  process.exit(70);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
