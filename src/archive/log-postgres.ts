/**
 * The transparency log in the PostgreSQL archive. A batch's log indexes are reserved with its
 * registration numbers (postgres-slots.ts) and its entries written in its transaction
 * (postgres-rows.ts); one sequencer at a time holds an advisory lock.
 */
import type pg from "pg";
import { ArchiveError } from "./port.js";
import { type LogStore, SEQUENCER_LOCK, type SequencerView, type SequencerWrite, type StoredCheckpoint } from "./log-port.js";

type Row = Record<string, unknown>;
type Q = { query: pg.Pool["query"] } | pg.PoolClient;
const cp = (r: Row | undefined): StoredCheckpoint | null =>
  r ? { size: Number(r.size), note: String(r.note), cosignatures: String(r.cosignatures), createdAt: String(r.created_at) } : null;

async function readTile(q: Q, level: number, index: number, width: number): Promise<Buffer> {
  const r = (await q.query<{ hashes: Buffer }>("SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2", [level, index])).rows[0];
  if (!r || r.hashes.length < width * 32) throw new ArchiveError("NOT_FOUND", `no tile ${level}/${index} of width ${width}`);
  return r.hashes.subarray(0, width * 32);
}

const LATEST = "SELECT * FROM log_checkpoints ORDER BY size DESC LIMIT 1";

export class PostgresLogStore implements LogStore {
  constructor(private readonly pool: pg.Pool) {}

  readTile(level: number, index: number, width: number): Promise<Uint8Array> {
    return readTile(this.pool, level, index, width);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return cp((await this.pool.query<Row>(LATEST)).rows[0]);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | null> {
    return cp((await this.pool.query<Row>("SELECT * FROM log_checkpoints WHERE size = $1", [size])).rows[0]);
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (await this.pool.query<Row>("SELECT * FROM log_checkpoints ORDER BY size")).rows.map((r) => cp(r)!);
  }

  async entries(from: number, count: number): Promise<Buffer[]> {
    const rows = (await this.pool.query<{ entry: Buffer }>("SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", [from, from + count])).rows;
    if (rows.length !== count) throw new ArchiveError("NOT_FOUND", `log entries ${from}…${from + count - 1} are not all stored`);
    return rows.map((r) => r.entry);
  }

  async entryOf(submissionId: string): Promise<{ index: number; entry: Buffer } | null> {
    const r = (await this.pool.query<{ idx: string; entry: Buffer }>("SELECT idx, entry FROM log_entries WHERE submission_id = $1", [submissionId])).rows[0];
    return r ? { index: Number(r.idx), entry: r.entry } : null;
  }

  async allEntries(): Promise<Array<{ index: number; submissionId: string; entry: Buffer; leafHash: Buffer }>> {
    const rows = (await this.pool.query<{ idx: string; submission_id: string; entry: Buffer; leaf_hash: Buffer }>("SELECT idx, submission_id, entry, leaf_hash FROM log_entries ORDER BY idx")).rows;
    return rows.map((r) => ({ index: Number(r.idx), submissionId: r.submission_id, entry: r.entry, leafHash: r.leaf_hash }));
  }

  async sequence(step: (view: SequencerView) => Promise<SequencerWrite | null>): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const got = (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [SEQUENCER_LOCK])).rows[0]!.ok;
      if (!got) {
        await c.query("ROLLBACK");
        return false;
      }
      const view: SequencerView = {
        latest: cp((await c.query<Row>(LATEST)).rows[0]),
        readTile: (l, i, w) => readTile(c, l, i, w),
        leafHashes: async (from, limit) =>
          (await c.query<{ idx: string; leaf_hash: Buffer }>("SELECT idx, leaf_hash FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2", [from, limit])).rows
            .filter((r, i) => Number(r.idx) === from + i)
            .map((r) => r.leaf_hash),
      };
      const w = await step(view);
      if (w) {
        for (const t of w.tiles) {
          await c.query("INSERT INTO log_tiles (level, idx, hashes) VALUES ($1, $2, $3) ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes", [t.level, t.index, t.hashes]);
        }
        await c.query("INSERT INTO log_checkpoints (size, note, cosignatures, created_at) VALUES ($1, $2, $3, $4)", [w.checkpoint.size, w.checkpoint.note, w.checkpoint.cosignatures, w.checkpoint.createdAt]);
      }
      await c.query("COMMIT");
      return true;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async addCosignatures(size: number, lines: string): Promise<void> {
    await this.pool.query("UPDATE log_checkpoints SET cosignatures = cosignatures || $1 WHERE size = $2", [lines, size]);
  }
}
