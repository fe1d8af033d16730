/**
 * The transparency log's storage port (issue 16), implemented beside each archive adapter on
 * the same database: entries go in with the submission (archive submit), the sequencer adds
 * tiles and checkpoints under a database lock, and the routes read.
 */
import type { TileReader, TileWrite } from "../log/index.js";

export interface StoredCheckpoint {
  size: number;
  /** the log's signed note */
  note: string;
  /** witness cosignature lines (tlog-witness), appended to the note when served */
  cosignatures: string;
  createdAt: string;
}

/** What the sequencer sees while it holds the lock. */
export interface SequencerView extends TileReader {
  latest: StoredCheckpoint | null;
  /** leaf hashes of the entries from `from` on, in index order, at most `limit` */
  leafHashes(from: number, limit: number): Promise<Buffer[]>;
}

export interface SequencerWrite {
  tiles: TileWrite[];
  checkpoint: StoredCheckpoint;
}

export interface LogStore extends TileReader {
  latestCheckpoint(): Promise<StoredCheckpoint | null>;
  checkpointAt(size: number): Promise<StoredCheckpoint | null>;
  /** entries [from, from + count), all present or an error */
  entries(from: number, count: number): Promise<Buffer[]>;
  entryOf(submissionId: string): Promise<{ index: number; entry: Buffer } | null>;
  /** every entry's index, submission and leaf hash (the auditor's walk) */
  allEntries(): Promise<Array<{ index: number; submissionId: string; entry: Buffer; leafHash: Buffer }>>;
  /** every checkpoint, oldest first */
  checkpoints(): Promise<StoredCheckpoint[]>;
  /**
   * Runs one sequencer step holding the log's database lock (PostgreSQL advisory lock, SQLite's
   * write lock); returns false at once when another process holds it. What `step` returns is
   * written in the same transaction.
   */
  sequence(step: (view: SequencerView) => Promise<SequencerWrite | null>): Promise<boolean>;
  addCosignatures(size: number, lines: string): Promise<void>;
}

/** The advisory lock key of the sequencer (PostgreSQL), distinct from the migration's. */
export const SEQUENCER_LOCK = 7365724;
