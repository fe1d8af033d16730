/**
 * Group commit on PostgreSQL with reserved numbers (issue 15; why reservations:
 * postgres-slots.ts). A batch is the submissions that arrived while the previous one was being
 * sealed. Per batch:
 *  1. reserve its numbers and log indexes (one round trip, a tiny transaction, no fsync);
 *  2. seal the receipts on them, outside any lock, concurrently (a failed seal moves the ones
 *     after it down the reserved list, group-commit.ts sealOnPositions);
 *  3. one durable transaction: the reservations claimed (still this process's?), every row of
 *     the batch, the audit entries chained on the head; commit; then answer;
 *  4. what the batch did not use (failed seals, a failed transaction) is given back.
 * While batch k is in 3, batch k+1 is in 1–2 (and k+2 waits: what arrives meanwhile makes the
 * batches, and so the transactions and fsyncs, fewer). Batches of other nodes are in 3 at the
 * same time and commit in any order: their numbers cannot collide.
 *
 * A kill -9 at any step loses nothing acknowledged: before 3 commits nothing of the batch is
 * written but its reservations, which the next reservation of any node takes over (the dead
 * process's advisory lock is gone); 3 is one transaction, all or nothing.
 *
 * When a reservation was taken over although this process lives (its owner connection was cut,
 * say by a database restart, and another node reserved meanwhile), the claim fails: the batch is
 * reserved and sealed again, once more at most, then fails.
 */
import { committerReports, enqueue, type Pending, type Seal, type CommitStats, BATCH_MAX, sealOnPositions, type Sealed } from "./group-commit.js";
import { ArchiveError, type NewSubmission, type SubmissionRecord } from "./port.js";
import type { Reservation } from "./postgres-slots.js";

/** The adapter's side (postgres.ts). */
export interface ReservingWriter {
  reserve(counts: ReadonlyMap<string, number>, logCount: number): Promise<Reservation>;
  /** one durable transaction; resolves false (and writes nothing) when the claim of `used` failed */
  complete(sealed: readonly Sealed[], used: Reservation): Promise<boolean>;
  release(unused: Reservation): Promise<void>;
  /** the record as the database now holds it, made from what was written */
  record(s: Sealed): SubmissionRecord;
}

const ATTEMPTS = 2;

/** the numbers and log indexes these sealed submissions are on */
export function reservationOf(owner: number, sealed: readonly Sealed[]): Reservation {
  const numbers = new Map<string, number[]>();
  for (const s of sealed) {
    const list = numbers.get(s.item.input.register) ?? [];
    list.push(s.assigned.sequence);
    numbers.set(s.item.input.register, list);
  }
  return { owner, numbers, logIndexes: sealed.map((s) => s.assigned.logIndex) };
}

function split(r: Reservation, sealed: readonly Sealed[]): { used: Reservation; unused: Reservation } {
  const used = reservationOf(r.owner, sealed);
  const usedLog = new Set(used.logIndexes);
  const unusedNumbers = new Map([...r.numbers].map(([reg, ns]) => [reg, ns.filter((n) => !(used.numbers.get(reg) ?? []).includes(n))] as const));
  return { used, unused: { owner: r.owner, numbers: unusedNumbers, logIndexes: r.logIndexes.filter((i) => !usedLog.has(i)) } };
}

export class ReservingCommitter {
  private readonly queue: Pending[] = [];
  private sealing = false;
  /** this process's batch in step 3 (one at a time) */
  private completing: Promise<void> = Promise.resolve();
  readonly stats: CommitStats = { batches: 0, guessed: 0, resealed: 0, locked: 0 };

  constructor(
    private readonly writer: ReservingWriter,
    private readonly numberFormat: string,
    private readonly max = BATCH_MAX,
  ) {}

  submit(input: NewSubmission, seal: Seal): Promise<SubmissionRecord> {
    return enqueue(this.queue, input, seal, () => this.kick());
  }

  private kick(): void {
    if (this.sealing || this.queue.length === 0) return;
    this.sealing = true;
    const batch = this.queue.splice(0, this.max);
    this.stats.batches++;
    committerReports.batched(batch.length);
    void this.run(batch);
  }

  /** steps 1 and 2; returns the sealed ones with what they used and what is left over */
  private async reserveAndSeal(items: readonly Pending[]): Promise<{ sealed: Sealed[]; used: Reservation; unused: Reservation }> {
    const counts = new Map<string, number>();
    for (const p of items) counts.set(p.input.register, (counts.get(p.input.register) ?? 0) + 1);
    const r = await this.writer.reserve(counts, items.length);
    let sealed: Sealed[];
    try {
      sealed = await sealOnPositions(items, (reg, k) => r.numbers.get(reg)![k]!, (k) => r.logIndexes[k]!, this.numberFormat);
    } catch (e) {
      await this.writer.release(r);
      throw e;
    }
    return { sealed, ...split(r, sealed) };
  }

  private async run(batch: Pending[]): Promise<void> {
    let items: readonly Pending[] = batch;
    let released = false;
    const nextBatch = (): void => {
      if (released) return;
      released = true;
      this.sealing = false;
      this.kick();
    };
    try {
      for (let attempt = 1; ; attempt++) {
        const { sealed, used, unused } = await this.reserveAndSeal(items);
        const previous = this.completing;
        let completed!: () => void;
        this.completing = new Promise((r) => (completed = r));
        await previous;
        nextBatch();
        if (!sealed.length) {
          completed();
          return void (await this.writer.release(unused));
        }
        let done: boolean;
        try {
          done = await this.writer.complete(sealed, used);
        } catch (e) {
          completed();
          await this.writer.release(used);
          await this.writer.release(unused);
          for (const s of sealed) s.item.reject(e);
          return;
        }
        completed();
        if (done) {
          committerReports.numbered(this.stats, attempt === 1 ? "guessed" : "resealed");
          for (const s of sealed) s.item.resolve(this.writer.record(s));
          return void (await this.writer.release(unused));
        }
        // taken over: whatever of it is still this process's is given back with the rest
        await this.writer.release({ ...unused, numbers: new Map([...unused.numbers].map(([k, v]) => [k, [...v, ...(used.numbers.get(k) ?? [])]])), logIndexes: [...unused.logIndexes, ...used.logIndexes] });
        if (attempt >= ATTEMPTS) throw new ArchiveError("STORAGE_UNAVAILABLE", "the reserved numbers were taken over twice (the database connection keeps failing)");
        items = sealed.map((s) => s.item);
      }
    } catch (e) {
      // the reservation itself failed (the database away): nothing was written or reserved
      nextBatch();
      for (const p of items) p.reject(e);
    }
  }
}
