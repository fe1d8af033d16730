/** The transparency log in the SQLite archive: same file, same write lock, same in-process mutex. */
import type Database from "better-sqlite3";
import { ArchiveError } from "./port.js";
import type { LogStore, SequencerView, SequencerWrite, StoredCheckpoint } from "./log-port.js";
import type { Mutex } from "./mutex.js";
import { LogError, MAX_ENTRY_BYTES, leafHash } from "../log/index.js";

type Row = Record<string, unknown>;
const cp = (r: Row | undefined): StoredCheckpoint | null =>
  r ? { size: Number(r.size), note: String(r.note), cosignatures: String(r.cosignatures), createdAt: String(r.created_at) } : null;

/** Statements of the submission path, compiled once per connection (a prepare costs more than the insert). */
const compiled = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function stmt(db: Database.Database, sql: string): Database.Statement {
  let m = compiled.get(db);
  if (!m) compiled.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}

/** Inside the submission's transaction: the next index, before the receipt is sealed. */
export function nextLogIndexSqlite(db: Database.Database): number {
  const r = stmt(db, "SELECT next_index FROM log_state WHERE id = 1").get() as { next_index: number } | undefined;
  return Number(r?.next_index ?? 0);
}

/** Inside the submission's transaction: the entry is the receipt's UTF-8 bytes (given as they are, or as its text). */
export function insertLogEntrySqlite(db: Database.Database, index: number, submissionId: string, receipt: string | Buffer): void {
  const entry = typeof receipt === "string" ? Buffer.from(receipt, "utf8") : receipt;
  if (entry.length > MAX_ENTRY_BYTES) throw new LogError("LOG_ENTRY_TOO_LARGE", `the receipt is ${entry.length} bytes; a log entry is at most ${MAX_ENTRY_BYTES}`);
  stmt(db, "INSERT INTO log_entries (idx, submission_id, entry, leaf_hash) VALUES (?, ?, ?, ?)").run(index, submissionId, entry, leafHash(entry));
  stmt(db, "INSERT INTO log_state (id, next_index) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET next_index = excluded.next_index").run(index + 1);
}

export class SqliteLogStore implements LogStore {
  constructor(
    private readonly db: Database.Database,
    private readonly writes: Mutex,
  ) {}

  async readTile(level: number, index: number, width: number): Promise<Uint8Array> {
    return readTileSync(this.db, level, index, width);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return cp(this.db.prepare("SELECT * FROM log_checkpoints ORDER BY size DESC LIMIT 1").get() as Row | undefined);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | null> {
    return cp(this.db.prepare("SELECT * FROM log_checkpoints WHERE size = ?").get(size) as Row | undefined);
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (this.db.prepare("SELECT * FROM log_checkpoints ORDER BY size").all() as Row[]).map((r) => cp(r)!);
  }

  async entries(from: number, count: number): Promise<Buffer[]> {
    const rows = this.db.prepare("SELECT idx, entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx").all(from, from + count) as Array<{ idx: number; entry: Buffer }>;
    if (rows.length !== count) throw new ArchiveError("NOT_FOUND", `log entries ${from}…${from + count - 1} are not all stored`);
    return rows.map((r) => r.entry);
  }

  async entryOf(submissionId: string): Promise<{ index: number; entry: Buffer } | null> {
    const r = this.db.prepare("SELECT idx, entry FROM log_entries WHERE submission_id = ?").get(submissionId) as { idx: number; entry: Buffer } | undefined;
    return r ? { index: Number(r.idx), entry: r.entry } : null;
  }

  async allEntries(): Promise<Array<{ index: number; submissionId: string; entry: Buffer; leafHash: Buffer }>> {
    const rows = this.db.prepare("SELECT idx, submission_id, entry, leaf_hash FROM log_entries ORDER BY idx").all() as Array<{ idx: number; submission_id: string; entry: Buffer; leaf_hash: Buffer }>;
    return rows.map((r) => ({ index: Number(r.idx), submissionId: r.submission_id, entry: r.entry, leafHash: r.leaf_hash }));
  }

  async sequence(step: (view: SequencerView) => Promise<SequencerWrite | null>): Promise<boolean> {
    return this.writes.run(async () => {
      const db = this.db;
      if (!(await beginWithoutBlocking(db, SEQUENCER_WAIT_MS))) return false;
      try {
        const view: SequencerView = {
          latest: cp(db.prepare("SELECT * FROM log_checkpoints ORDER BY size DESC LIMIT 1").get() as Row | undefined),
          readTile: async (l, i, w) => readTileSync(db, l, i, w),
          leafHashes: async (from, limit) =>
            (db.prepare("SELECT idx, leaf_hash FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?").all(from, limit) as Array<{ idx: number; leaf_hash: Buffer }>)
              .filter((r, i) => Number(r.idx) === from + i)
              .map((r) => r.leaf_hash),
        };
        const w = await step(view);
        if (w) {
          const put = db.prepare("INSERT INTO log_tiles (level, idx, hashes) VALUES (?, ?, ?) ON CONFLICT(level, idx) DO UPDATE SET hashes = excluded.hashes");
          for (const t of w.tiles) put.run(t.level, t.index, t.hashes);
          db.prepare("INSERT INTO log_checkpoints (size, note, cosignatures, created_at) VALUES (?, ?, ?, ?)").run(w.checkpoint.size, w.checkpoint.note, w.checkpoint.cosignatures, w.checkpoint.createdAt);
        }
        db.exec("COMMIT");
        return true;
      } catch (e) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw e;
      }
    });
  }

  async addCosignatures(size: number, lines: string): Promise<void> {
    await this.writes.run(async () => void this.db.prepare("UPDATE log_checkpoints SET cosignatures = cosignatures || ? WHERE size = ?").run(lines, size));
  }
}

/** how long a step waits for another worker's write lock before leaving it to the next step */
const SEQUENCER_WAIT_MS = 1_000;

/**
 * BEGIN IMMEDIATE tried without SQLite's busy handler (it sleeps in the calling thread, and the
 * worker would not serve requests meanwhile) and again after short timers; false when another
 * process kept the write lock for `waitMs`.
 */
async function beginWithoutBlocking(db: Database.Database, waitMs: number): Promise<boolean> {
  const before = db.pragma("busy_timeout", { simple: true }) as number;
  const deadline = Date.now() + waitMs;
  db.pragma("busy_timeout = 0");
  try {
    for (let wait = 1; ; wait = Math.min(wait * 2, 16)) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return true;
      } catch (e) {
        if ((e as { code?: string }).code !== "SQLITE_BUSY") throw e;
        if (Date.now() > deadline) return false;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  } finally {
    db.pragma(`busy_timeout = ${before}`);
  }
}

function readTileSync(db: Database.Database, level: number, index: number, width: number): Buffer {
  const r = db.prepare("SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?").get(level, index) as { hashes: Buffer } | undefined;
  if (!r || r.hashes.length < width * 32) throw new ArchiveError("NOT_FOUND", `no tile ${level}/${index} of width ${width}`);
  return r.hashes.subarray(0, width * 32);
}
