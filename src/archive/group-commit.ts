/**
 * Group commit (issue 15): the submissions that arrive while a batch is in flight wait and go
 * into the next one together, so N submissions cost one commit (one fsync) instead of N.
 *
 * Receipts are sealed OUTSIDE the database lock (sealing is the seal key's and the TSA's work,
 * not the database's). Numbers are guessed first: the base (each register's last number and the
 * log's next index) as last committed — or as the batch before this one will leave it — read
 * without the lock; the receipts are sealed with the numbers that follow. The batch's
 * transaction then reads the real base under the lock (SQLite's write lock, PostgreSQL's
 * register row FOR UPDATE): when it is the guessed one, the sealed receipts are written as they
 * are; when another process committed in between, they are numbered again and sealed again
 * inside the transaction (the old way), so what commits is gap-free and every stored receipt
 * carries the number it is stored under. Everything of one batch is one transaction: a node
 * killed at any point leaves the whole batch or none of it, never a half-done submission.
 *
 * A seal that fails gives its submission an error and frees its number: the submissions after
 * it are numbered again and sealed again with their new numbers.
 *
 * Stages run as a pipeline: while batch k commits (and SQLite fsyncs its WAL, off the event
 * loop), batch k+1 is sealed with the numbers after k's.
 *
 * This is SQLite's committer (one writer: the guesses hold). PostgreSQL, where several nodes
 * write, reserves its numbers before sealing instead (postgres-commit.ts, which shares the
 * numbering below and this module's queue counters and observers).
 */
import type { Assigned, NewSubmission, SubmissionRecord } from "./port.js";
import { formatRegistrationNumber } from "./registration.js";

/**
 * A sealed receipt: its text, or (a SQLite node's writer, writer-ipc.ts) the UTF-8 bytes of it a
 * worker sent — the writer stores and hashes the bytes, so it need not make a string of them.
 */
export type Receipt = string | Uint8Array;

export type Seal<R extends Receipt = string> = (assigned: Assigned) => Promise<R>;

export interface Pending<R extends Receipt = string> {
  input: NewSubmission;
  seal: Seal<R>;
  resolve: (r: SubmissionRecord) => void;
  reject: (e: unknown) => void;
}

export interface Sealed<R extends Receipt = string> {
  item: Pending<R>;
  assigned: Assigned;
  receipt: R;
}

/**
 * Numbers after `last(register)` in order, receipts sealed concurrently; items whose seal failed
 * are rejected here and left out. Returns the sealed ones in number order. Transparency-log
 * indexes (issue 16) are given the same way from `logBase` on, one log for every register, so
 * the kept ones are gap-free in commit order too.
 */
export function sealInOrder<R extends Receipt = string>(items: readonly Pending<R>[], last: (register: string) => number, numberFormat: string, logBase = 0): Promise<Sealed<R>[]> {
  return sealOnPositions(items, (r, k) => last(r) + 1 + k, (k) => logBase + k, numberFormat);
}

/**
 * The numbering under sealInOrder, over any numbers: the k-th kept submission of a register
 * (k from 0, in item order) gets `numberAt(register, k)`, the k-th kept one of the batch
 * `logAt(k)`. PostgreSQL's reserved numbers (postgres-commit.ts) are such a list; a failed seal
 * moves the ones after it down the list, so what is left unused is always the list's end.
 */
export async function sealOnPositions<R extends Receipt = string>(
  items: readonly Pending<R>[],
  numberAt: (register: string, k: number) => number,
  logAt: (k: number) => number,
  numberFormat: string,
): Promise<Sealed<R>[]> {
  const done: Sealed<R>[] = [];
  const kept = new Map<string, number>();
  let todo = [...items];
  while (todo.length) {
    const next = new Map(kept);
    const assigned = todo.map((item, i) => {
      const r = item.input.register;
      const k = next.get(r) ?? 0;
      next.set(r, k + 1);
      const sequence = numberAt(r, k);
      return { sequence, registrationNumber: formatRegistrationNumber(numberFormat, r, sequence, item.input.receivedAt), logIndex: logAt(done.length + i) };
    });
    const results = await Promise.allSettled(todo.map((item, i) => item.seal(assigned[i]!)));
    const firstFailure = results.findIndex((r) => r.status === "rejected");
    const keep = (item: Pending<R>, i: number): void => {
      done.push({ item, assigned: assigned[i]!, receipt: (results[i] as PromiseFulfilledResult<R>).value });
      kept.set(item.input.register, (kept.get(item.input.register) ?? 0) + 1);
    };
    if (firstFailure < 0) {
      todo.forEach(keep);
      break;
    }
    const again: Pending<R>[] = [];
    todo.forEach((item, i) => {
      const r = results[i]!;
      if (i < firstFailure) keep(item, i);
      else if (r.status === "rejected") item.reject(r.reason);
      else again.push(item); // sealed with a number that is now someone else's: seal again
    });
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

export type Numbering = "guessed" | "resealed" | "locked";
const numberingObservers = new Set<(how: Numbering) => void>();

/** How every committed batch was numbered goes to `f` (the service's metrics); returns the unsubscribe. */
export function onBatchNumbered(f: (how: Numbering) => void): () => void {
  numberingObservers.add(f);
  return () => numberingObservers.delete(f);
}

/** A batch counted in another process (the node's writer, writer-ipc.ts), told to this one's observers. */
export function announceBatch(m: { size?: number; numbering?: Numbering }): void {
  if (m.size !== undefined) for (const f of batchObservers) f(m.size);
  if (m.numbering !== undefined) for (const f of numberingObservers) f(m.numbering);
}

const numbered = (stats: CommitStats, how: Numbering): void => {
  stats[how]++;
  for (const f of numberingObservers) f(how);
};

/**
 * Submissions per transaction at most. PODPIS_ARCHIVE_BATCH_MAX=1 gives one transaction per
 * submission (what podpis did before group commit: the bench's baseline).
 */
export const BATCH_MAX = Math.max(1, Number(process.env.PODPIS_ARCHIVE_BATCH_MAX) || 64);

/** A register's last number and the log's next index: what a batch numbers on. */
export interface Base {
  last: ReadonlyMap<string, number>;
  logNext: number;
}

/** The adapter's side of group commit. */
export interface BatchWriter<R extends Receipt = string> {
  /** the base as committed now, read without the lock (a guess the commit checks) */
  peek(registers: readonly string[]): Promise<Base>;
  /**
   * One transaction under the lock: reads the actual base, asks `settle` what to write (the
   * receipts sealed for exactly that base), writes it and commits. Returns what it wrote.
   */
  commit(registers: readonly string[], settle: (actual: Base) => Promise<Sealed<R>[]>): Promise<Sealed<R>[]>;
  /** resolves once every commit made before the call is durable (SQLite: the WAL fsynced) */
  durable(): Promise<void>;
  record(id: string): Promise<SubmissionRecord>;
}

const sameBase = (a: Base, b: Base, registers: readonly string[]): boolean => a.logNext === b.logNext && registers.every((r) => (a.last.get(r) ?? 0) === (b.last.get(r) ?? 0));

/** the base after `sealed` commits on `base` */
function advance(base: Base, sealed: readonly Sealed<Receipt>[]): Base {
  const last = new Map(base.last);
  for (const s of sealed) last.set(s.item.input.register, Math.max(last.get(s.item.input.register) ?? 0, s.assigned.sequence));
  return { last, logNext: base.logNext + sealed.length };
}

/** Counts of how batches were numbered (the bench, tests). */
export interface CommitStats {
  batches: number;
  /** sealed outside the lock and written as sealed */
  guessed: number;
  /** sealed again inside the transaction: another process had committed since the guess */
  resealed: number;
  /** not guessed (contended, or the guess unreadable): numbered and sealed inside the transaction */
  locked: number;
}

/**
 * After this many batches sealed inside the lock in a row the guess is skipped for a while
 * (another writer keeps moving the base, so sealing twice would only waste the CPU).
 */
const CONTENDED_SKIP = 4;

/** submissions of this process waiting for a batch, and those in a batch not yet answered */
const queueState = { waiting: 0, committing: 0 };

/** a worker's submissions handed to the node's writer (writer-ipc.ts) and not answered yet count as committing */
export const handedToWriter = (n: 1 | -1): void => void (queueState.committing += n);

/** What the archive's writer has in hand (the metrics' view of SQLite's single writer, and of PostgreSQL's batches). */
export const commitQueue = (): { waiting: number; committing: number } => ({ ...queueState });

/**
 * What another committer of this process (PostgreSQL's, postgres-commit.ts) reports, so the
 * metrics see one queue and one count of batches whichever adapter runs.
 */
export const committerReports = {
  queued: (): void => void queueState.waiting++,
  batched(size: number): void {
    queueState.waiting -= size;
    queueState.committing += size;
    for (const f of batchObservers) f(size);
  },
  answered: (): void => void queueState.committing--,
  numbered,
};

/**
 * A submission into a committer's queue (either committer's `submit`): counted as waiting until
 * its batch is taken (committerReports.batched) and as committing until it is answered, once.
 */
export function enqueue<R extends Receipt = string>(queue: Pending<R>[], input: NewSubmission, seal: Seal<R>, kick: () => void): Promise<SubmissionRecord> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const answer = (): void => {
      if (!answered) (answered = true), committerReports.answered();
    };
    committerReports.queued();
    queue.push({ input, seal, resolve: (r) => (answer(), resolve(r)), reject: (e) => (answer(), reject(e)) });
    kick();
  });
}

/** One batch sealing and one committing per process; what arrives meanwhile is the next batch (at most `max`). */
export class GroupCommitter<R extends Receipt = string> {
  private readonly queue: Pending<R>[] = [];
  private sealing = false;
  /** the base the batch sealed last will leave, while the pipeline can trust it */
  private expected: Base | null = null;
  private commitTail: Promise<void> = Promise.resolve();
  private skipGuess = 0;
  /** bumped when a guess proved wrong: guesses read before it do not become the pipeline's */
  private epoch = 0;
  readonly stats: CommitStats = { batches: 0, guessed: 0, resealed: 0, locked: 0 };

  constructor(
    private readonly writer: BatchWriter<R>,
    private readonly numberFormat: string,
    private readonly max = BATCH_MAX,
  ) {}

  submit(input: NewSubmission, seal: Seal<R>): Promise<SubmissionRecord> {
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

  private async run(batch: Pending<R>[]): Promise<void> {
    const registers = [...new Set(batch.map((p) => p.input.register))].sort();
    // 1. seal outside the lock, on the guessed base
    let guess: Base | null = null;
    let sealed: Sealed<R>[] = [];
    try {
      const epoch = this.epoch;
      if (this.skipGuess > 0) this.skipGuess--;
      else {
        guess = this.expected ?? (await this.writer.peek(registers));
        sealed = await sealInOrder(batch, (r) => guess!.last.get(r) ?? 0, this.numberFormat, guess.logNext);
        if (epoch === this.epoch) this.expected = advance(guess, sealed);
      }
    } catch {
      // the guess could not be read: the commit numbers and seals under the lock
      guess = null;
      this.expected = null;
    }
    const items = guess ? sealed.map((s) => s.item) : batch;
    // 2. commit in seal order; the next batch starts sealing once the previous commit is done
    const previous = this.commitTail;
    let committed!: () => void;
    this.commitTail = new Promise((r) => (committed = r));
    await previous;
    this.sealing = false;
    this.kick();
    let written: Sealed<R>[] = [];
    try {
      if (items.length) {
        written = await this.writer.commit(registers, async (actual) => {
          if (guess && sameBase(guess, actual, registers)) {
            numbered(this.stats, "guessed");
            this.skipGuess = 0;
            return sealed;
          }
          if (guess) {
            numbered(this.stats, "resealed");
            this.skipGuess = CONTENDED_SKIP;
            this.forget();
          } else numbered(this.stats, "locked");
          return sealInOrder(items, (r) => actual.last.get(r) ?? 0, this.numberFormat, actual.logNext);
        });
      }
    } catch (e) {
      // a batch that fails as a whole (the commit, the database) fails each of its submissions
      this.forget();
      for (const p of items) p.reject(e);
    } finally {
      committed();
    }
    if (!written.length) return;
    // 3. acknowledged only once durable
    try {
      await this.writer.durable();
      for (const s of written) s.item.resolve(await this.writer.record(s.item.input.id));
    } catch (e) {
      for (const s of written) s.item.reject(e);
    }
  }

  private forget(): void {
    this.epoch++;
    this.expected = null;
  }
}
