/**
 * Serial numbers for a TSA that never repeat (RFC 3161 §2.4.2: unique for each token of the
 * TSA), across restarts and crashes: blocks of serials are reserved in a file that is written to
 * a temporary name, fsync'd and renamed before any serial of the block is used. A crash loses at
 * most the rest of a block; it never hands out one twice. A lock file keeps a second process off
 * the same data directory. The file adapter of timestamp/tsa-serial.ts's SerialSource port.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { SerialSource } from "../timestamp/tsa-serial.js";
import { writeFileAtomically } from "./atomic-file.js";
import { SerialStoreError } from "./errors.js";
import { ensurePrivateDir } from "./private-files.js";

export type { SerialSource } from "../timestamp/tsa-serial.js";
export { memorySerialSource } from "../timestamp/tsa-serial.js";

export { SerialStoreError } from "./errors.js";


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function fileSerialSource(dataDir: string, opts: { block?: number } = {}): SerialSource {
  const block = BigInt(opts.block ?? 1000);
  ensurePrivateDir(dataDir); // issue 10.9: 0700, files below are written 0600
  const lock = join(dataDir, "tsa-serial.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw new SerialStoreError(`another TSA process uses ${dataDir} (lock ${lock})`);
      const pid = Number(readFileSync(lock, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new SerialStoreError(`another TSA process (pid ${pid}) uses ${dataDir}`);
      unlinkSync(lock); // stale lock of a process that died
    }
  }
  const file = "tsa-serial";
  let reserved: bigint;
  try {
    const text = readFileSync(join(dataDir, file), "utf8").trim();
    if (!/^\d+$/.test(text)) throw new SerialStoreError(`${join(dataDir, file)} is corrupt: refusing to guess a serial number`);
    reserved = BigInt(text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    reserved = 0n;
  }
  let next = reserved + 1n;
  let closed = false;
  return {
    next(): bigint {
      if (closed) throw new SerialStoreError("serial source closed");
      if (next > reserved) {
        reserved += block;
        writeFileAtomically(join(dataDir, file), `${reserved}\n`, 0o600);
      }
      return next++;
    },
    close(): void {
      if (closed) return;
      closed = true;
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    },
  };
}
