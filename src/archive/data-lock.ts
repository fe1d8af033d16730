/**
 * One `podpis serve` per SQLite data directory (issue 15). The cluster's workers share the file
 * (SQLite's own locks keep them consistent), but a second service started on the same directory
 * — a second unit, an operator's manual start — would hand out receipts from a second sequencer
 * and rate limiter. The first takes `serve.lock` (created exclusively, holding its PID); a second
 * finds it held by a live process and is refused with a message naming it. A lock left by a
 * process that is gone (kill -9, a power cut) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ArchiveError } from "./port.js";

export const LOCK_FILE = "serve.lock";

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
  // a PID reused by something else after a crash is not a podpis serve
  try {
    return /node|podpis/.test(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export interface DataLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataLock {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        try {
          if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return { release };
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // removed meanwhile: try again
      }
      if (alive(pid) && pid !== process.pid) {
        throw new ArchiveError(
          "ARCHIVE_IN_USE",
          `the data directory ${dataDir} is in use by another podpis serve (pid ${pid}); stop it first, or give this one its own --data (several nodes share one archive through PostgreSQL: --database-url)`,
        );
      }
      rmSync(path, { force: true }); // left by a process that is gone
    }
  }
  throw new ArchiveError("ARCHIVE_IN_USE", `the data directory ${dataDir} could not be locked (${path} keeps reappearing)`);
}
