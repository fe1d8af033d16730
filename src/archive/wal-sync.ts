/**
 * SQLite's commit fsync, off the event loop (issue 15). A batch commits with
 * synchronous=NORMAL — in WAL mode SQLite then writes the WAL frames but does not fsync them at
 * COMMIT — and this fdatasyncs the WAL file on libuv's thread pool before the 201, so the
 * validation and sealing of the next requests go on while the disk works. Every commit made
 * before `sync()` is called is durable when it resolves: fdatasync covers every write(2) the
 * file got before it, whichever connection or process made it. A checkpoint (or WAL reset)
 * in between cannot lose such a commit: under NORMAL SQLite fsyncs the WAL before a checkpoint
 * copies it and the database file after, and resets the WAL only after a complete checkpoint.
 *
 * Syncs are shared: callers that arrive while one is running wait for the next one (their
 * commits may have come after the running one started), so a burst of batches costs two
 * fdatasyncs, not one each.
 */
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";

export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** fdatasync calls made (the bench, tests) */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    this.queued = this.running.catch(() => {}).then(() => {
      this.queued = null;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const run = this.fsyncOnce().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async fsyncOnce(): Promise<void> {
    if (!this.handle) {
      // the WAL exists once a transaction has committed; its directory entry is made durable once
      this.handle = open(this.walPath, "r+").then(async (h) => {
        const dir = await open(dirname(this.walPath), "r");
        await dir.sync().finally(() => dir.close());
        return h;
      });
      this.handle.catch(() => (this.handle = null));
    }
    const h = await this.handle;
    this.syncs++;
    await h.datasync();
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await (await h?.catch(() => null))?.close();
  }
}
