/**
 * Running the external XML tools (xmlsec1, xmllint) for interop tests; the tests that need them
 * declare so with requirePeer (peers.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";

export function run(cmd: string, args: string[], input?: string | Uint8Array, cwd?: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { input, cwd, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr?.toString() ?? "" };
}

export function runOk(cmd: string, args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024 });
}
