/**
 * Interop peers (openssl, xmlsec1) run under libfaketime at PEER_TIME: the signing times and
 * genTimes they write, and the certificate validity they check, stay where the test PKI's fixed
 * dates expect them, so the suite gives the same answers in 2035 as today.
 */
import { spawnSync } from "node:child_process";

export const PEER_TIME = "2026-05-20 10:00:00";
export const PEER_DATE = new Date("2026-05-20T10:00:00Z");

export function peer(cmd: string, args: string[], opts: { input?: Uint8Array; cwd?: string } = {}) {
  return spawnSync("faketime", ["-f", `@${PEER_TIME}`, cmd, ...args], {
    input: opts.input,
    cwd: opts.cwd,
    maxBuffer: 1 << 30,
    env: { ...process.env, TZ: "UTC" },
  });
}

export const hasFaketime = (): boolean => spawnSync("faketime", ["-f", `@${PEER_TIME}`, "true"]).status === 0;
