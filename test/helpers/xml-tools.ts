/**
 * External XML tools for interop tests (xmlsec1, xmllint). In CI (CI=true) a missing tool is a
 * failure; locally the tests that need it are skipped, loudly.
 */
import { execFileSync, spawnSync } from "node:child_process";

const cache = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = cache.get(name);
  if (ok === undefined) {
    ok = spawnSync(name, ["--version"], { stdio: "ignore" }).status === 0;
    cache.set(name, ok);
    if (!ok) {
      if (process.env.CI === "true") throw new Error(`${name} is required in CI (apt-get install -y xmlsec1 libxml2-utils)`);
      console.warn(`\n*** ${name} not found: interop tests that need it are SKIPPED (apt-get install -y xmlsec1 libxml2-utils) ***\n`);
    }
  }
  return ok;
}

export function run(cmd: string, args: string[], input?: string | Uint8Array, cwd?: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { input, cwd, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr?.toString() ?? "" };
}

export function runOk(cmd: string, args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024 });
}
