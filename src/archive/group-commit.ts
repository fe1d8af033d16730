/**
 * Group commit (issue 15): the submissions that arrive while one transaction is in flight wait
 * and go into the next one together, so N submissions cost one commit (one fsync) instead of N.
 *
 * Inside the batch's transaction (which holds the register's lock: SQLite's write lock, or the
 * PostgreSQL register row FOR UPDATE) numbers are assigned in arrival order and every receipt is
 * sealed concurrently (sealing is the seal key's and the TSA's work, not the database's). A seal
 * that fails gives its submission an error and frees its number: the submissions after it are
 * numbered again and sealed again with their new numbers, so what commits is still gap-free.
 */
import type { Assigned, NewSubmission, SubmissionRecord } from "./port.js";
import { formatRegistrationNumber } from "./registration.js";

export type Seal = (assigned: Assigned) => Promise<string>;

export interface Pending {
  input: NewSubmission;
  seal: Seal;
  resolve: (r: SubmissionRecord) => void;
  reject: (e: unknown) => void;
}

export interface Sealed {
  item: Pending;
  assigned: Assigned;
  receipt: string;
}

/**
 * Numbers after `last(register)` in order, receipts sealed concurrently; items whose seal failed
 * are rejected here and left out. Returns the sealed ones in number order. Transparency-log
 * indexes (issue 16) are given the same way from `logBase` on, one log for every register, so
 * the kept ones are gap-free in commit order too.
 */
export async function sealInOrder(items: readonly Pending[], last: (register: string) => number, numberFormat: string, logBase = 0): Promise<Sealed[]> {
  const done: Sealed[] = [];
  const next = new Map<string, number>();
  const counter = (r: string): number => next.get(r) ?? last(r);
  let todo = [...items];
  while (todo.length) {
    const base = new Map(next);
    const logNext = logBase + done.length;
    const assigned = todo.map((item, i) => {
      const sequence = counter(item.input.register) + 1;
      next.set(item.input.register, sequence);
      return { sequence, registrationNumber: formatRegistrationNumber(numberFormat, item.input.register, sequence, item.input.receivedAt), logIndex: logNext + i };
    });
    const results = await Promise.allSettled(todo.map((item, i) => item.seal(assigned[i]!)));
    const firstFailure = results.findIndex((r) => r.status === "rejected");
    if (firstFailure < 0) {
      todo.forEach((item, i) => done.push({ item, assigned: assigned[i]!, receipt: (results[i] as PromiseFulfilledResult<string>).value }));
      break;
    }
    const again: Pending[] = [];
    todo.forEach((item, i) => {
      const r = results[i]!;
      if (i < firstFailure) done.push({ item, assigned: assigned[i]!, receipt: (r as PromiseFulfilledResult<string>).value });
      else if (r.status === "rejected") item.reject(r.reason);
      else again.push(item); // sealed with a number that is now someone else's: seal again
    });
    // the counters go back to what the kept ones used
    next.clear();
    for (const [k, v] of base) next.set(k, v);
    for (const s of done) next.set(s.item.input.register, Math.max(next.get(s.item.input.register) ?? 0, s.assigned.sequence));
    todo = again;
  }
  return done;
}

const batchObservers = new Set<(size: number) => void>();

/** Every batch's size goes to `f` (the service's metrics); returns the unsubscribe. */
export function onBatchSize(f: (size: number) => void): () => void {
  batchObservers.add(f);
  return () => batchObservers.delete(f);
}

/**
 * Submissions per transaction at most. PODPIS_ARCHIVE_BATCH_MAX=1 gives one transaction per
 * submission (what podpis did before group commit: the bench's baseline).
 */
export const BATCH_MAX = Math.max(1, Number(process.env.PODPIS_ARCHIVE_BATCH_MAX) || 64);

/** submissions of this process waiting for a batch, and those in the batch being committed */
const queueState = { waiting: 0, committing: 0 };

/** What the archive's writer has in hand (the metrics' view of SQLite's single writer, and of PostgreSQL's batches). */
export const commitQueue = (): { waiting: number; committing: number } => ({ ...queueState });

/** One batch in flight per process; what arrives meanwhile is the next batch (at most `max`). */
export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly runBatch: (items: Pending[]) => Promise<void>,
    private readonly max = BATCH_MAX,
    private readonly onBatch?: (size: number) => void,
  ) {}

  submit(input: NewSubmission, seal: Seal): Promise<SubmissionRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, seal, resolve, reject });
      queueState.waiting++;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.max);
    queueState.waiting -= batch.length;
    queueState.committing += batch.length;
    this.onBatch?.(batch.length);
    for (const f of batchObservers) f(batch.length);
    // a batch that fails as a whole (the commit, the database) fails each of its submissions
    this.runBatch(batch)
      .catch((e: unknown) => batch.forEach((p) => p.reject(e)))
      .finally(() => {
        queueState.committing -= batch.length;
        this.running = false;
        this.kick();
      });
  }
}
