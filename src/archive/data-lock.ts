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

/** the process's start time in clock ticks since boot (Linux /proc/PID/stat field 22); null elsewhere */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the lock's holder still running? A PID reused after a crash has another start time. */
function alive(pid: number, started: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
  const now = startTime(pid);
  return !started || !now || now === started;
}

export interface DataLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataLock {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ""}\n`);
      closeSync(fd);
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        try {
          if (readFileSync(path, "utf8").trim().split(" ")[0] === String(process.pid)) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return { release };
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
      let pid = NaN;
      let started: string | undefined;
      try {
        const [p, t] = readFileSync(path, "utf8").trim().split(" ");
        pid = Number(p);
        started = t || undefined;
      } catch {
        continue; // removed meanwhile: try again
      }
      if (alive(pid, started) && pid !== process.pid) {
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
