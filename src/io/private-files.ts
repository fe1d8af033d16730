/**
 * The data directory holds EGNs, signed documents and key hashes: it is the operator's alone.
 * Directories 0700, files 0600, whatever the umask — a mode given to mkdir/open is only an upper
 * bound (the umask clears bits, it never adds them), so an explicit chmod follows.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) and makes `dir` itself 0700; parents are left as they are. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates `path` empty if missing and makes it 0600 (before a library opens it with its own mode). */
export function ensurePrivateFile(path: string): void {
  const fd = openSync(path, "a", PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** 0600 for an existing file; nothing when it is absent (SQLite's -wal/-shm come and go). */
export function restrictFile(path: string): void {
  if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
}

/**
 * Tightens a data directory made by an older version: the directory and its subdirectories
 * 0700, regular files 0600. Symbolic links are not followed (lstat): they may point outside.
 */
export function restrictTree(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) restrictTree(p);
    else if (st.isFile() && (st.mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(p, PRIVATE_FILE_MODE);
  }
}

/**
 * Writes `content` to `path` (0600) unless a file is there already. Made beside and linked into
 * place, so two processes starting at once end up with one file (the loser keeps the winner's).
 */
export function createPrivateFileOnce(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, content, { mode: PRIVATE_FILE_MODE });
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(tmp);
  }
}
