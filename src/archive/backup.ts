/**
 * Backup and restore of the archive (issue 15), consistent while the service runs.
 *
 * SQLite: SQLite's online backup API copies the database page by page from one read snapshot,
 * so writers (the service) continue meanwhile and the copy is one committed state. PostgreSQL:
 * pg_dump (its own consistent snapshot), restored with pg_restore — PostgreSQL's own tools.
 * Next to the copy, manifest.json records what it holds (kind, schema version, audit head,
 * submission count, the file's SHA-256), so a restore can tell a damaged or partial copy.
 *
 * A restore checks before it writes: the copy's hash against the manifest, then the copy itself
 * with `audit verify` (the chain, every archived object against the log, and the manifest's
 * head must be in it); it writes only into an empty target, and checks the result again.
 *
 * The file store (issue 15, file-store.ts) is part of the backup: after the database snapshot,
 * every file its rows name is copied to DIR/files (files are written before their row commits
 * and never removed, so each one the snapshot names exists); each is hashed on the way and must
 * match its content address. A restore checks them before it writes and copies them into the
 * target's file store (fsynced) before the archive is verified there.
 */
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrivateDir, restrictFile } from "../io/private-files.js";
import { FileStore, isFileRef } from "./file-store.js";
import { lockDataDir } from "./data-lock.js";
import { SQLITE_FILE } from "./open.js";
import { ArchiveError, type ArchiveStore, type FileRef } from "./port.js";
import { SqliteArchive } from "./sqlite.js";
import { type ArchiveVerification, verifyArchive } from "./verify-archive.js";

export const MANIFEST = "manifest.json";
const PG_DUMP = "podpis.pgdump";

export interface Manifest {
  format: "podpis-archive-backup/1";
  kind: "sqlite" | "postgres";
  createdAt: string;
  file: string;
  sha256: string;
  schemaVersion: number | null;
  auditHead: { seq: number; hash: string } | null;
  submissions: number;
  /** issue 15: the file-store contents copied beside the database (DIR/files); absent in older backups */
  files?: { count: number; bytes: number };
}

const FILES_DIR = "files";

/**
 * Every file the archive's rows name, copied from `from` into DIR/files through a FileWriter
 * (hashed on the way and made durable at its content address): a file that is missing or does
 * not match its address stops the backup, which would otherwise be incomplete.
 */
async function copyStoredFiles(store: ArchiveStore, from: FileStore, to: FileStore): Promise<{ count: number; bytes: number }> {
  const seen = new Set<string>();
  let bytes = 0;
  for (const id of await store.submissionIds()) {
    for (const c of (await store.getDocument(id))?.contents ?? []) {
      if (!isFileRef(c) || seen.has(c.location)) continue;
      seen.add(c.location);
      bytes += await copyOne(from, to, c);
    }
  }
  return { count: seen.size, bytes };
}

async function copyOne(from: FileStore, to: FileStore, ref: FileRef): Promise<number> {
  const w = await to.writer();
  try {
    for await (const chunk of from.open(ref)) await w.write(chunk as Buffer);
  } catch (e) {
    await w.abort();
    throw new ArchiveError("FILE_STORE_MISMATCH", `the file ${ref.location} cannot be read from ${from.root}: ${(e as Error).message}`);
  }
  const { ref: copied } = await w.commit();
  if (copied.sha256 !== ref.sha256 || copied.size !== ref.size) throw new ArchiveError("FILE_STORE_MISMATCH", `the file ${ref.location} in ${from.root} does not match its name (altered): not copied`);
  return copied.size;
}

/** Each file of a backup's DIR/files against its own content address, before anything is written. */
async function checkBackupFiles(dir: string): Promise<void> {
  const files = new FileStore(join(dir, FILES_DIR));
  for (const location of files.locations()) {
    const sha256 = location.slice(location.lastIndexOf("/") + 1);
    const { size } = statSync(join(files.root, location));
    const c = await files.check({ stored: "file", sha256, size, location });
    if (!c.ok) throw new BackupCheckFailed(`the backup's file store does not verify: ${c.problem}`, null);
  }
}

/** The backup's files into the target file store (each one checked again as it is written). */
async function restoreFiles(dir: string, target: FileStore): Promise<void> {
  const files = new FileStore(join(dir, FILES_DIR));
  for (const location of files.locations()) {
    const sha256 = location.slice(location.lastIndexOf("/") + 1);
    await copyOne(files, target, { stored: "file", sha256, size: statSync(join(files.root, location)).size, location });
  }
}

const fileSha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

function prepareTarget(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new ArchiveError("BAD_CONFIG", `the backup directory ${dir} is not empty (each backup gets a directory of its own, e.g. named by date)`);
  ensurePrivateDir(dir);
}

/** An SQLite archive's snapshot into `dir`. */
export async function backupSqlite(dataDir: string, dir: string, numberFormat: string, files: FileStore): Promise<Manifest> {
  const source = join(dataDir, SQLITE_FILE);
  if (!existsSync(source)) throw new ArchiveError("NOT_FOUND", `no archive at ${source}`);
  prepareTarget(dir);
  const partial = join(dir, SQLITE_FILE + ".partial");
  const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 15_000 });
  try {
    await db.backup(partial);
  } finally {
    db.close();
  }
  // the copy, closed, as one file (no -wal beside it); its content is the snapshot
  const copy = new Database(partial);
  copy.pragma("journal_mode = DELETE");
  copy.close();
  restrictFile(partial);
  const store = new SqliteArchive({ path: partial, numberFormat });
  let manifest: Manifest;
  try {
    manifest = {
      format: "podpis-archive-backup/1",
      kind: "sqlite",
      createdAt: new Date().toISOString(),
      file: SQLITE_FILE,
      sha256: "",
      schemaVersion: store.schemaVersion(),
      auditHead: await store.auditHead(),
      submissions: (await store.submissionIds()).length,
      files: await copyStoredFiles(store, files, new FileStore(join(dir, FILES_DIR))),
    };
  } finally {
    await store.close();
  }
  renameSync(partial, join(dir, SQLITE_FILE));
  manifest.sha256 = fileSha256(join(dir, SQLITE_FILE));
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
  return manifest;
}

export function readManifest(dir: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch (e) {
    throw new ArchiveError("NOT_FOUND", `${join(dir, MANIFEST)} cannot be read (${(e as Error).message}): not a podpis backup directory`);
  }
  if (m.format !== "podpis-archive-backup/1") throw new ArchiveError("BAD_CONFIG", `${join(dir, MANIFEST)} is not a podpis archive backup manifest`);
  return m;
}

export interface RestoreResult {
  manifest: Manifest;
  verification: ArchiveVerification;
}

export class BackupCheckFailed extends ArchiveError {
  constructor(
    message: string,
    readonly verification: ArchiveVerification | null,
  ) {
    super("BAD_CONFIG", message);
  }
}

/** The copy in `dir` checked on its own: its hash, its audit log, its objects against the log. */
async function checkSqliteCopy(dir: string, m: Manifest, numberFormat: string): Promise<ArchiveVerification> {
  const file = join(dir, m.file);
  if (!existsSync(file)) throw new BackupCheckFailed(`the backup's ${m.file} is missing`, null);
  if (fileSha256(file) !== m.sha256) throw new BackupCheckFailed(`the backup's ${m.file} does not match its manifest (SHA-256 differs): damaged or changed`, null);
  // checked from a scratch copy: opening the backup itself could change its bytes (WAL, migrations)
  const scratchDir = mkdtempSync(join(tmpdir(), "podpis-restore-check-"));
  const scratch = join(scratchDir, SQLITE_FILE);
  copyFileSync(file, scratch);
  const store = new SqliteArchive({ path: scratch, numberFormat });
  try {
    const expectHead = m.auditHead ? `${m.auditHead.seq}:${m.auditHead.hash}` : undefined;
    return await verifyArchive(store, { expectHead, files: new FileStore(join(dir, FILES_DIR)) });
  } finally {
    await store.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

export async function restoreSqlite(dir: string, dataDir: string, numberFormat: string, files: FileStore): Promise<RestoreResult> {
  const manifest = readManifest(dir);
  if (manifest.kind !== "sqlite") throw new ArchiveError("BAD_CONFIG", `the backup in ${dir} is of a ${manifest.kind} archive: restore it with --database-url`);
  await checkBackupFiles(dir);
  const before = await checkSqliteCopy(dir, manifest, numberFormat);
  if (!before.ok) throw new BackupCheckFailed(`the backup in ${dir} does not verify: ${describe(before)}`, before);
  ensurePrivateDir(dataDir);
  const lock = lockDataDir(dataDir); // refused while a podpis serve runs on it
  try {
    const target = join(dataDir, SQLITE_FILE);
    if (existsSync(target)) throw new ArchiveError("BAD_CONFIG", `${target} exists: restore into an empty data directory (move the old archive away first)`);
    await restoreFiles(dir, files); // the files first: a row never names a file that is not there
    copyFileSync(join(dir, manifest.file), target + ".partial");
    restrictFile(target + ".partial");
    renameSync(target + ".partial", target);
    const store = new SqliteArchive({ path: target, numberFormat });
    try {
      await store.migrate(); // a copy made by an older podpis is brought up to date
      const verification = await verifyArchive(store, { files, expectHead: manifest.auditHead ? `${manifest.auditHead.seq}:${manifest.auditHead.hash}` : undefined });
      return { manifest, verification };
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

function pgTool(name: string, args: string[]): void {
  const r = spawnSync(name, args, { encoding: "utf8", timeout: 3_600_000 });
  if (r.error) throw new ArchiveError("BAD_CONFIG", `${name} cannot be run (${r.error.message}): install the PostgreSQL client tools`);
  if (r.status !== 0) throw new ArchiveError("STORAGE_UNAVAILABLE", `${name} failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

/**
 * A PostgreSQL archive's snapshot (pg_dump, custom format) into `dir`. The head is read before
 * the dump starts: the log only grows, so the dump's log holds it (restore checks that it does).
 */
export async function backupPostgres(store: ArchiveStore, url: string, dir: string, files: FileStore): Promise<Manifest> {
  prepareTarget(dir);
  const auditHead = await store.auditHead();
  const submissions = (await store.submissionIds()).length;
  pgTool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", join(dir, PG_DUMP), "--dbname", url]);
  // after the dump: every row in it is still there (rows are never removed), so its files are copied too
  const copied = await copyStoredFiles(store, files, new FileStore(join(dir, FILES_DIR)));
  const manifest: Manifest = {
    format: "podpis-archive-backup/1",
    kind: "postgres",
    createdAt: new Date().toISOString(),
    file: PG_DUMP,
    sha256: fileSha256(join(dir, PG_DUMP)),
    schemaVersion: null,
    auditHead,
    submissions,
    files: copied,
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
  return manifest;
}

/** pg_restore into the (empty) database at `url`, then the restored archive verified. */
export async function restorePostgres(dir: string, url: string, store: ArchiveStore, files: FileStore): Promise<RestoreResult> {
  const manifest = readManifest(dir);
  if (manifest.kind !== "postgres") throw new ArchiveError("BAD_CONFIG", `the backup in ${dir} is of an SQLite archive: restore it with --data`);
  if (fileSha256(join(dir, manifest.file)) !== manifest.sha256) throw new BackupCheckFailed(`the backup's ${manifest.file} does not match its manifest (SHA-256 differs): damaged or changed`, null);
  await checkBackupFiles(dir);
  // into an empty database only: pg_restore stops at the first table that exists already
  await restoreFiles(dir, files);
  pgTool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", url, join(dir, manifest.file)]);
  await store.migrate();
  const verification = await verifyArchive(store, { files, expectHead: manifest.auditHead ? `${manifest.auditHead.seq}:${manifest.auditHead.hash}` : undefined });
  return { manifest, verification };
}

export function describe(v: ArchiveVerification): string {
  if (!v.chain.ok) return `audit log broken at entry ${v.chain.firstProblem!.seq}: ${v.chain.firstProblem!.message}`;
  if (v.mismatches.length) return `${v.mismatches.length} archived object(s) differ from the log (first: ${v.mismatches[0]!.subject}: ${v.mismatches[0]!.message})`;
  if (v.expectedHead && !v.expectedHead.ok) return `the head recorded at backup time is not in it: ${v.expectedHead.message}`;
  return "verified";
}
