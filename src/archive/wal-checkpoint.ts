/**
 * SQLite's WAL checkpoint off the writer's event loop (issue 15). By default SQLite checkpoints
 * inside the COMMIT that takes the WAL past 1,000 pages: on the node's one writer that is the
 * copy of ~16 MB into the database file and two fsyncs, synchronously, while every worker's
 * submission waits for the writer. The batch writer's connection turns that off
 * (wal_autocheckpoint = 0) and this thread, with a connection of its own, runs
 * `PRAGMA wal_checkpoint(PASSIVE)` instead: after about as much committed as the default would
 * have let accumulate, or a second after the last commit.
 *
 * Durability is not the checkpoint's business: a commit is durable once its WAL frames are
 * fsynced (wal-sync.ts), before its 201; a checkpoint only copies durable frames into the
 * database file (fsyncing the WAL before and the database after, as SQLite's own does) and the
 * WAL is reused only after a complete one. A checkpoint that does not run leaves a longer WAL,
 * never a lost commit. Should the thread fail, the writer's connection goes back to SQLite's
 * automatic checkpoint.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** what committed since the last checkpoint starts one (about SQLite's default 1,000 pages of 16 KiB) */
export const CHECKPOINT_AFTER_BYTES = 16 * 1024 * 1024;
/** a quiet archive is checkpointed this long after its last commit */
export const CHECKPOINT_IDLE_MS = 1_000;

// plain JavaScript: a worker thread gets no TypeScript loader
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
parentPort.on("message", (m) => {
  if (m === "close") {
    db.close();
    return parentPort.close();
  }
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String(e && e.message || e) });
  }
});
`;

export interface CheckpointStats {
  /** checkpoints the thread ran */
  runs: number;
  /** WAL frames in the last one's WAL, and how many of them are in the database file now */
  lastLog: number;
  lastCheckpointed: number;
  /** the thread's last error (then SQLite's automatic checkpoint is back on) */
  failed: string | null;
}

export class WalCheckpointer {
  private readonly thread: Worker;
  private pendingBytes = 0;
  private running = false;
  private again = false;
  private idle: NodeJS.Timeout | null = null;
  private closed = false;
  readonly stats: CheckpointStats = { runs: 0, lastLog: 0, lastCheckpointed: 0, failed: null };
  private waiters: Array<() => void> = [];

  /** `fallBack` turns SQLite's automatic checkpoint on again (the thread failed) */
  constructor(
    dbPath: string,
    private readonly fallBack: () => void,
    private readonly afterBytes = CHECKPOINT_AFTER_BYTES,
    private readonly idleMs = CHECKPOINT_IDLE_MS,
  ) {
    this.thread = new Worker(THREAD, { eval: true, workerData: { path: dbPath, driver: createRequire(import.meta.url).resolve("better-sqlite3") } });
    this.thread.unref();
    this.thread.on("message", (m: { ok: boolean; log?: number; checkpointed?: number; message?: string }) => {
      this.running = false;
      if (m.ok) {
        this.stats.runs++;
        this.stats.lastLog = m.log ?? 0;
        this.stats.lastCheckpointed = m.checkpointed ?? 0;
      } else this.fail(m.message ?? "the checkpoint failed");
      for (const w of this.waiters.splice(0)) w();
      if (this.again) {
        this.again = false;
        this.start();
      }
    });
    this.thread.on("error", (e) => this.fail(e.message));
    this.thread.on("exit", () => this.closed || this.fail("the checkpoint thread ended"));
  }

  /** after a commit of about `bytes` */
  committed(bytes: number): void {
    if (this.stats.failed || this.closed) return;
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.afterBytes) this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.start(), this.idleMs);
    this.idle.unref();
  }

  /** resolves after a checkpoint that started after this call (tests) */
  checkpointNow(): Promise<void> {
    const done = new Promise<void>((r) => this.waiters.push(r));
    if (this.running) this.again = true;
    else this.start();
    return done;
  }

  private start(): void {
    if (this.stats.failed || this.closed) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.pendingBytes = 0;
    if (this.running) return void (this.again = true);
    this.running = true;
    this.thread.postMessage("checkpoint");
  }

  private fail(message: string): void {
    if (this.stats.failed) return;
    this.stats.failed = message;
    this.running = false;
    this.fallBack();
    for (const w of this.waiters.splice(0)) w();
  }

  /** the thread's connection closed (before the writer's, which as the last one checkpoints and removes the WAL) */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    for (const w of this.waiters.splice(0)) w();
    if (this.stats.failed) return void (await this.thread.terminate());
    const exited = new Promise<void>((r) => this.thread.once("exit", () => r()));
    this.thread.postMessage("close");
    const timer = setTimeout(() => void this.thread.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
