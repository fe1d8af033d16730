// `npm start`: builds when the sources are newer than dist/, then runs `podpis serve` with any
// extra arguments (npm start -- --port 9000).
//
// Signals (issue 10 item 7): npm runs this under `sh -c`, and a SIGTERM to npm reaches only the
// shell. So this wrapper (1) forwards SIGTERM, SIGINT and SIGHUP to the service, (2) stops the
// service when its own parent is gone, and (3) gives the service an IPC channel, so that the
// service stops by itself if this wrapper dies without a word (SIGKILL). It exits with the
// service's exit code; nothing is left running.
import { spawn, spawnSync } from "node:child_process";
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

const child = spawn(process.execPath, ["bin/podpis.js", "serve", ...process.argv.slice(2)], { stdio: ["inherit", "inherit", "inherit", "ipc"] });
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent && child.exitCode === null) child.kill("SIGTERM");
}, 1000);
watch.unref();
child.on("exit", (code, signal) => {
  clearInterval(watch);
  process.exit(code ?? (signal ? 128 : 1));
});
child.on("error", (e) => {
  process.stderr.write(`npm start: cannot run podpis serve: ${e.message}\n`);
  process.exit(1);
});
