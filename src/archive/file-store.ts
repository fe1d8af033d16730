/**
 * The file store beside the database (issue 15): detached contents too large for a database row
 * (a 1 GB scan in a BLOB or BYTEA is read whole by every query that touches it) are kept as
 * files, content-addressed: `ROOT/sha256/ab/cd/abcd…` — the path is the hash, so two
 * submissions of one file share it and a file can be checked against its own name. The archive
 * row keeps the hash, the size and this relative location (FileRef) instead of the bytes.
 *
 * Durability: a file is written to ROOT/tmp, fsynced, renamed into place and its directory
 * fsynced before the caller commits the submission that names it; a crash before that commit
 * leaves at most a file no row names (harmless; ROOT/tmp may hold the remains of an upload cut
 * short by a crash, which nothing removes yet). Several nodes on one PostgreSQL need ROOT on a shared directory.
 */
import { type Hash, createHash, randomUUID } from "node:crypto";
import { type ReadStream, createReadStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { type FileHandle, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ensurePrivateDir } from "../io/private-files.js";
import { ArchiveError, type FileRef } from "./port.js";

export type { FileRef };

/** the digests a detached signature over a stored file may use (cms/signer.ts DetachedDigests) */
export const FILE_DIGESTS = ["sha256", "sha384", "sha512"] as const;

/** A content written to the store, with its digests for the validation. */
export interface StoredFile {
  ref: FileRef;
  digests: Record<string, Uint8Array>;
  name?: string;
}

export const isFileRef = (c: unknown): c is FileRef => typeof c === "object" && c !== null && (c as FileRef).stored === "file";

const HEX64 = /^[0-9a-f]{64}$/;

/** a file's relative location, from its SHA-256 */
export const locationOf = (sha256: string): string => `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;

/** the store's directory for an archive: --file-store, or `files` under the data directory */
export const defaultFileStoreDir = (dataDir = "data"): string => join(dataDir, "files");

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** One file being written: chunks in order, then commit (durable) or abort. */
export class FileWriter {
  private readonly hashes: Array<[string, Hash]> = FILE_DIGESTS.map((a) => [a, createHash(a)]);
  private size = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private failed: Error | null = null;

  private constructor(
    private readonly store: FileStore,
    private readonly tmp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(store: FileStore): Promise<FileWriter> {
    const tmpDir = join(store.root, "tmp");
    ensurePrivateDir(store.root);
    ensurePrivateDir(tmpDir);
    const tmp = join(tmpDir, randomUUID());
    return new FileWriter(store, tmp, await open(tmp, "wx", 0o600));
  }

  /** bytes accepted but not yet on their way to the kernel: the caller pauses its source above a bound */
  get pending(): number {
    return this.queued;
  }

  /** Queues `chunk`; resolves when it is written. Order is kept. */
  write(chunk: Buffer): Promise<void> {
    for (const [, h] of this.hashes) h.update(chunk);
    this.size += chunk.length;
    this.queued += chunk.length;
    const p = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await this.handle.write(chunk);
      } catch (e) {
        this.failed = e as Error;
      } finally {
        this.queued -= chunk.length;
      }
    });
    this.chain = p;
    return p;
  }

  /** fsync, rename into its content address, fsync the directory: after this the file survives a crash */
  async commit(): Promise<{ ref: FileRef; digests: Record<string, Uint8Array> }> {
    await this.chain;
    if (this.failed) {
      await this.abort();
      throw new ArchiveError("STORAGE_UNAVAILABLE", `the file store could not write: ${this.failed.message}`);
    }
    const digests = Object.fromEntries(this.hashes.map(([a, h]) => [a, h.digest()]));
    const sha256 = Buffer.from(digests.sha256!).toString("hex");
    try {
      await this.handle.sync();
      await this.handle.close();
      const location = locationOf(sha256);
      const target = join(this.store.root, location);
      const dir = dirname(target);
      const made = !existsSync(dir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // an equal file there already is replaced by this fresh copy (rename is atomic: a reader
      // sees one or the other), which also mends one that was damaged meanwhile
      await rename(this.tmp, target);
      await fsyncDir(dir);
      // new directories are entries of their parents: those are made durable too
      if (made) for (let d = dirname(dir); d.length >= this.store.root.length; d = dirname(d)) await fsyncDir(d);
      return { ref: { stored: "file", sha256, size: this.size, location }, digests };
    } catch (e) {
      await rm(this.tmp, { force: true }).catch(() => undefined);
      if (e instanceof ArchiveError) throw e;
      throw new ArchiveError("STORAGE_UNAVAILABLE", `the file store could not keep the file: ${(e as Error).message}`);
    }
  }

  async abort(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true }).catch(() => undefined);
  }
}

/** What reading a stored file back found. */
export type FileCheck = { ok: true; sha256: string; digests: Record<string, Uint8Array> } | { ok: false; problem: string };

export class FileStore {
  constructor(readonly root: string) {}

  writer(): Promise<FileWriter> {
    return FileWriter.create(this);
  }

  /** the file's path; refuses a location that is not a content address (a row edited to point elsewhere) */
  path(ref: FileRef): string {
    if (!HEX64.test(ref.sha256) || ref.location !== locationOf(ref.sha256)) throw new ArchiveError("BAD_CONFIG", `not a file-store location: ${String(ref.location).slice(0, 120)}`);
    return join(this.root, ref.location);
  }

  /**
   * Reads the file whole (streamed) and hashes it: missing, of another size, or with other bytes
   * than its row says is a problem named in words (an auditor's finding), never a throw.
   */
  async check(ref: FileRef): Promise<FileCheck> {
    let path: string;
    try {
      path = this.path(ref);
    } catch (e) {
      return { ok: false, problem: (e as Error).message };
    }
    const st = await stat(path).catch(() => null);
    if (!st) return { ok: false, problem: `the file ${ref.location} is missing from the file store ${this.root}` };
    if (st.size !== ref.size) return { ok: false, problem: `the file ${ref.location} has ${st.size} bytes, the archive recorded ${ref.size}` };
    const hashes = FILE_DIGESTS.map((a) => [a, createHash(a)] as const);
    try {
      for await (const c of createReadStream(path)) for (const [, h] of hashes) h.update(c as Buffer);
    } catch (e) {
      return { ok: false, problem: `the file ${ref.location} cannot be read: ${(e as Error).message}` };
    }
    const digests = Object.fromEntries(hashes.map(([a, h]) => [a, h.digest()]));
    const sha256 = Buffer.from(digests.sha256!).toString("hex");
    if (sha256 !== ref.sha256) return { ok: false, problem: `the file ${ref.location} was altered: its SHA-256 is ${sha256}` };
    return { ok: true, sha256, digests };
  }

  /** the file's bytes as a stream (GET …/document?content=N) */
  open(ref: FileRef): ReadStream {
    return createReadStream(this.path(ref));
  }

  /** every stored file's location (backup) */
  locations(): string[] {
    const base = join(this.root, "sha256");
    if (!existsSync(base)) return [];
    const out: string[] = [];
    for (const a of readdirSync(base)) for (const b of readdirSync(join(base, a))) for (const f of readdirSync(join(base, a, b))) if (HEX64.test(f) && statSync(join(base, a, b, f)).isFile()) out.push(`sha256/${a}/${b}/${f}`);
    return out.sort();
  }
}
