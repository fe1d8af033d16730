/**
 * Reserved numbers on PostgreSQL (issue 15): how several nodes seal receipts outside the
 * database lock while registration numbers and log indexes stay unique and gap-free.
 *
 * Why reservations. A receipt carries its registration number and its log index, both signed,
 * so they must be known before the seal and cannot change after it. Guessing them and checking
 * under the lock (group-commit.ts, right for SQLite's one writer) fails with two nodes: each
 * node's guess is taken by the other's batch, and the batch is sealed again under the lock.
 * Weighed:
 *  - a sequencer node (elected with an advisory lock) that numbers for everyone: every
 *    submission crosses two nodes, and a new failure mode (the sequencer dies mid-batch, the
 *    others must notice and elect) for what the database can already serialize;
 *  - predicting the nodes' interleaving (node i takes every n-th number): a node that is slow,
 *    idle or dead leaves gaps that the others cannot fill without knowing it is gone;
 *  - reserving: one tiny transaction takes the numbers (the counter row locked for microseconds,
 *    inside one PL/pgSQL call, one round trip), the batch seals outside any lock, and its own
 *    transaction writes the submissions and gives the reservations back. Chosen.
 *
 * A reservation is a row per number (number_slots) and per log index (log_slots) with its owner:
 * a key the owning process holds a session advisory lock on for as long as it lives
 * (PostgresSlots.owner). So a reservation is always in one of three states, and none is lost:
 *  - owned by a live process: its batch is sealing; the batch's transaction deletes the rows
 *    (podpis_claim, which checks every one is still this owner's) with the submissions it writes;
 *  - free (owner NULL): the batch gave it back (a seal failed, the database failed under it);
 *  - owned by a dead process (kill -9, a lost connection): its advisory lock is gone, which any
 *    other session can tell with pg_try_advisory_xact_lock on the owners registered in
 *    slot_owners (one row per process); each reservation first frees the rows of dead owners.
 * Every reservation takes free and dead numbers first, lowest first, before it moves a counter;
 * and a free number at the top of its register is simply given back to the counter. So a number
 * a failed batch or a killed node left is the next submission's, on whichever node: a gap lasts
 * until the next submission (or not at all, when nothing was numbered after it).
 *
 * The reservation commits with synchronous_commit off: nothing is acknowledged on it, and the
 * batch's own (durable) commit comes later in the same WAL, so it flushes the reservation too. A
 * reservation lost in a database crash was never written on; its numbers are reserved again.
 */
import { randomInt } from "node:crypto";
import pg from "pg";

/** the advisory lock class of slot owners (two-key form; migrations and the log sequencer use one-key locks) */
export const OWNER_LOCK_CLASS = 7365725;

/** PostgreSQL-only objects of schema version 3 (SQLite numbers under its one write lock and needs none). */
export const RESERVATION_SQL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS number_slots (register TEXT NOT NULL, seq BIGINT NOT NULL, owner INTEGER, PRIMARY KEY (register, seq))`,
  `CREATE TABLE IF NOT EXISTS log_slots (idx BIGINT PRIMARY KEY, owner INTEGER)`,
  // lock order everywhere: the counter row (registers, log_state) first, then its slot rows
  `CREATE OR REPLACE FUNCTION podpis_reserve_numbers(p_owner integer, p_register text, p_count integer) RETURNS bigint[]
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE got bigint[]; top bigint; need integer;
   BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     INSERT INTO registers (name, last_seq) VALUES (p_register, 0) ON CONFLICT (name) DO NOTHING;
     SELECT last_seq INTO top FROM registers WHERE name = p_register FOR UPDATE;
     WITH c AS (
       SELECT seq FROM number_slots
        WHERE register = p_register AND (owner IS NULL OR (owner <> p_owner AND pg_try_advisory_xact_lock(${OWNER_LOCK_CLASS}, owner)))
        ORDER BY seq LIMIT p_count FOR UPDATE SKIP LOCKED),
     u AS (UPDATE number_slots s SET owner = p_owner FROM c WHERE s.register = p_register AND s.seq = c.seq RETURNING s.seq)
     SELECT coalesce(array_agg(seq ORDER BY seq), '{}') INTO got FROM u;
     need := p_count - cardinality(got);
     IF need > 0 THEN
       UPDATE registers SET last_seq = top + need WHERE name = p_register;
       INSERT INTO number_slots (register, seq, owner) SELECT p_register, s, p_owner FROM generate_series(top + 1, top + need) AS s;
       got := got || ARRAY(SELECT generate_series(top + 1, top + need));
     END IF;
     RETURN got;
   END $$`,
  `CREATE OR REPLACE FUNCTION podpis_reserve_log(p_owner integer, p_count integer) RETURNS bigint[]
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE got bigint[]; top bigint; need integer;
   BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     INSERT INTO log_state (id, next_index) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
     SELECT next_index INTO top FROM log_state WHERE id = 1 FOR UPDATE;
     WITH c AS (
       SELECT idx FROM log_slots
        WHERE owner IS NULL OR (owner <> p_owner AND pg_try_advisory_xact_lock(${OWNER_LOCK_CLASS}, owner))
        ORDER BY idx LIMIT p_count FOR UPDATE SKIP LOCKED),
     u AS (UPDATE log_slots s SET owner = p_owner FROM c WHERE s.idx = c.idx RETURNING s.idx)
     SELECT coalesce(array_agg(idx ORDER BY idx), '{}') INTO got FROM u;
     need := p_count - cardinality(got);
     IF need > 0 THEN
       UPDATE log_state SET next_index = top + need WHERE id = 1;
       INSERT INTO log_slots (idx, owner) SELECT s, p_owner FROM generate_series(top, top + need - 1) AS s;
       got := got || ARRAY(SELECT generate_series(top, top + need - 1));
     END IF;
     RETURN got;
   END $$`,
  // inside the batch's transaction: true when every reservation is still this owner's (then they are gone with the commit)
  `CREATE OR REPLACE FUNCTION podpis_claim(p_owner integer, p_registers text[], p_seqs bigint[], p_idxs bigint[]) RETURNS boolean
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE n bigint; m bigint;
   BEGIN
     WITH d AS (DELETE FROM number_slots s USING unnest(p_registers, p_seqs) AS x(register, seq)
                 WHERE s.owner = p_owner AND s.register = x.register AND s.seq = x.seq RETURNING 1)
     SELECT count(*) INTO n FROM d;
     WITH d AS (DELETE FROM log_slots WHERE owner = p_owner AND idx = ANY(p_idxs) RETURNING 1) SELECT count(*) INTO m FROM d;
     RETURN n = cardinality(p_seqs) AND m = cardinality(p_idxs);
   END $$`,
  // gives reservations back: free for the next reservation, or back to the counter when nothing was numbered after them
  `CREATE OR REPLACE FUNCTION podpis_release(p_owner integer, p_registers text[], p_seqs bigint[], p_idxs bigint[]) RETURNS void
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE r text; top bigint;
   BEGIN
     FOR r IN SELECT DISTINCT x FROM unnest(p_registers) AS x ORDER BY 1 LOOP
       SELECT last_seq INTO top FROM registers WHERE name = r FOR UPDATE;
       UPDATE number_slots s SET owner = NULL FROM unnest(p_registers, p_seqs) AS x(register, seq)
        WHERE s.owner = p_owner AND s.register = r AND x.register = r AND s.seq = x.seq;
       LOOP
         DELETE FROM number_slots WHERE register = r AND seq = top AND owner IS NULL;
         EXIT WHEN NOT FOUND;
         top := top - 1;
       END LOOP;
       UPDATE registers SET last_seq = top WHERE name = r;
     END LOOP;
     IF cardinality(p_idxs) > 0 THEN
       SELECT next_index INTO top FROM log_state WHERE id = 1 FOR UPDATE;
       UPDATE log_slots SET owner = NULL WHERE owner = p_owner AND idx = ANY(p_idxs);
       LOOP
         DELETE FROM log_slots WHERE idx = top - 1 AND owner IS NULL;
         EXIT WHEN NOT FOUND;
         top := top - 1;
       END LOOP;
       UPDATE log_state SET next_index = top WHERE id = 1;
     END IF;
   END $$`,
];

/**
 * Schema version 4: finding free and dead reservations without scanning. The slot tables churn
 * (two rows in and out per submission), so until autovacuum comes their indexes are mostly dead
 * entries, and version 3's scan for free or dead-owned rows walked them on every reservation.
 * Now free rows have a partial index of their own, and dead owners are found among the
 * registered owners (slot_owners: a row per process, written when it takes its key): their rows
 * are freed through the owner index, then taken like any free row.
 */
export const RESERVATION_V4_SQL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS slot_owners (owner INTEGER PRIMARY KEY)`,
  `INSERT INTO slot_owners (owner) SELECT DISTINCT owner FROM number_slots WHERE owner IS NOT NULL UNION SELECT DISTINCT owner FROM log_slots WHERE owner IS NOT NULL ON CONFLICT DO NOTHING`,
  `CREATE INDEX IF NOT EXISTS number_slots_free ON number_slots (register, seq) WHERE owner IS NULL`,
  `CREATE INDEX IF NOT EXISTS number_slots_owner ON number_slots (owner)`,
  `CREATE INDEX IF NOT EXISTS log_slots_free ON log_slots (idx) WHERE owner IS NULL`,
  `CREATE INDEX IF NOT EXISTS log_slots_owner ON log_slots (owner)`,
  // the rows of every registered owner whose session is gone become free (a few try-locks: one per process on the database)
  `CREATE OR REPLACE FUNCTION podpis_free_dead(p_owner integer) RETURNS void
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE dead integer[];
   BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     -- every owner with rows is registered, even one whose session died before it knew
     INSERT INTO slot_owners (owner) VALUES (p_owner) ON CONFLICT DO NOTHING;
     SELECT coalesce(array_agg(owner), '{}') INTO dead FROM slot_owners WHERE owner <> p_owner AND pg_try_advisory_xact_lock(${OWNER_LOCK_CLASS}, owner);
     IF cardinality(dead) > 0 THEN
       UPDATE number_slots SET owner = NULL WHERE owner = ANY(dead);
       UPDATE log_slots SET owner = NULL WHERE owner = ANY(dead);
       DELETE FROM slot_owners WHERE owner = ANY(dead);
     END IF;
   END $$`,
  `CREATE OR REPLACE FUNCTION podpis_reserve_numbers(p_owner integer, p_register text, p_count integer) RETURNS bigint[]
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE got bigint[]; top bigint; need integer;
   BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     INSERT INTO registers (name, last_seq) VALUES (p_register, 0) ON CONFLICT (name) DO NOTHING;
     SELECT last_seq INTO top FROM registers WHERE name = p_register FOR UPDATE;
     WITH c AS (SELECT seq FROM number_slots WHERE register = p_register AND owner IS NULL ORDER BY seq LIMIT p_count FOR UPDATE SKIP LOCKED),
     u AS (UPDATE number_slots s SET owner = p_owner FROM c WHERE s.register = p_register AND s.seq = c.seq RETURNING s.seq)
     SELECT coalesce(array_agg(seq ORDER BY seq), '{}') INTO got FROM u;
     need := p_count - cardinality(got);
     IF need > 0 THEN
       UPDATE registers SET last_seq = top + need WHERE name = p_register;
       INSERT INTO number_slots (register, seq, owner) SELECT p_register, s, p_owner FROM generate_series(top + 1, top + need) AS s;
       got := got || ARRAY(SELECT generate_series(top + 1, top + need));
     END IF;
     RETURN got;
   END $$`,
  `CREATE OR REPLACE FUNCTION podpis_reserve_log(p_owner integer, p_count integer) RETURNS bigint[]
   LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
   DECLARE got bigint[]; top bigint; need integer;
   BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     INSERT INTO log_state (id, next_index) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
     SELECT next_index INTO top FROM log_state WHERE id = 1 FOR UPDATE;
     WITH c AS (SELECT idx FROM log_slots WHERE owner IS NULL ORDER BY idx LIMIT p_count FOR UPDATE SKIP LOCKED),
     u AS (UPDATE log_slots s SET owner = p_owner FROM c WHERE s.idx = c.idx RETURNING s.idx)
     SELECT coalesce(array_agg(idx ORDER BY idx), '{}') INTO got FROM u;
     need := p_count - cardinality(got);
     IF need > 0 THEN
       UPDATE log_state SET next_index = top + need WHERE id = 1;
       INSERT INTO log_slots (idx, owner) SELECT s, p_owner FROM generate_series(top, top + need - 1) AS s;
       got := got || ARRAY(SELECT generate_series(top, top + need - 1));
     END IF;
     RETURN got;
   END $$`,
];

/** the claim of a batch's reservations, answering `ok` (PostgresSlots.claimParams: its four parameters) */
export const CLAIM_SQL = "SELECT podpis_claim($1, $2::text[], $3::bigint[], $4::bigint[]) AS ok";

/** What one batch reserved: numbers per register and log indexes, ascending. */
export interface Reservation {
  owner: number;
  numbers: Map<string, number[]>;
  logIndexes: number[];
}

const flat = (r: Reservation): [string[], number[]] => {
  const regs: string[] = [];
  const seqs: number[] = [];
  for (const [reg, ns] of r.numbers) for (const n of ns) regs.push(reg), seqs.push(n);
  return [regs, seqs];
};

/**
 * This process's side of reservations: the owner key (held as a session advisory lock on a
 * connection of its own, outside the pool) and the calls of the functions above.
 */
export class PostgresSlots {
  private client: pg.Client | null = null;
  private key = 0;
  private acquiring: Promise<number> | null = null;
  /** reservations a failed batch could not give back (the database was away): given back before the next reservation */
  private unreleased: Reservation[] = [];
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
  ) {}

  /** the owner key, (re)acquiring the lock when its connection is gone */
  owner(): Promise<number> {
    if (this.client) return Promise.resolve(this.key);
    this.acquiring ??= this.acquire().finally(() => (this.acquiring = null));
    return this.acquiring;
  }

  private async acquire(): Promise<number> {
    const c = new pg.Client(this.clientConfig);
    c.on("error", () => {});
    await c.connect();
    try {
      // the old key first: this process's batches in flight keep their numbers unless someone took them meanwhile
      for (let tries = 0; ; tries++) {
        const key = tries === 0 && this.key ? this.key : randomInt(1, 2 ** 31 - 1);
        const ok = (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [OWNER_LOCK_CLASS, key])).rows[0]!.ok;
        if (!ok) {
          if (tries > 20) throw new Error("no free owner key for reserved numbers");
          continue;
        }
        if (key !== this.key) {
          // rows under a key nobody held are a dead process's: free them (a new key has nothing in flight)
          await this.pool.query("SELECT podpis_release($1, ARRAY(SELECT register FROM number_slots WHERE owner = $1 ORDER BY register, seq), ARRAY(SELECT seq FROM number_slots WHERE owner = $1 ORDER BY register, seq), ARRAY(SELECT idx FROM log_slots WHERE owner = $1))", [key]);
        }
        this.key = key;
        break;
      }
    } catch (e) {
      await c.end().catch(() => {});
      throw e;
    }
    const lost = (): void => {
      if (this.client === c) this.client = null;
    };
    c.on("error", lost);
    c.on("end", lost);
    if (this.closed) {
      await c.end().catch(() => {});
      throw new Error("closed");
    }
    this.client = c;
    return this.key;
  }

  /** One round trip, one tiny transaction: the numbers for `counts` (per register) and `logCount` log indexes. */
  async reserve(counts: ReadonlyMap<string, number>, logCount: number): Promise<Reservation> {
    const owner = await this.owner();
    await this.retryReleases();
    const registers = [...counts.keys()].sort();
    const params: unknown[] = [owner];
    const calls = ["podpis_free_dead($1) AS dead"];
    calls.push(...registers.map((r) => {
      params.push(r, counts.get(r));
      return `podpis_reserve_numbers($1, $${params.length - 1}, $${params.length}) AS n${params.length}`;
    }));
    params.push(logCount);
    calls.push(`podpis_reserve_log($1, $${params.length}) AS log`);
    const { dead: _, ...row } = (await this.pool.query<Record<string, string[]>>(`SELECT ${calls.join(", ")}`, params)).rows[0]!;
    const values = Object.values(row).map((a) => a.map(Number));
    const logIndexes = values.pop()!;
    return { owner, numbers: new Map(registers.map((r, i) => [r, values[i]!])), logIndexes };
  }

  /**
   * Inside the batch's transaction: CLAIM_SQL's parameters, which take `used` out of the
   * reservations; its `ok` is false when one is no longer this owner's (the transaction must
   * then roll back).
   */
  claimParams(used: Reservation): unknown[] {
    const [regs, seqs] = flat(used);
    return [used.owner, regs, seqs, used.logIndexes];
  }

  /** Gives reservations back (best effort: what cannot be given back now is given back before the next reservation). */
  async release(r: Reservation): Promise<void> {
    if (!r.logIndexes.length && [...r.numbers.values()].every((n) => !n.length)) return;
    try {
      await this.releaseNow(r);
    } catch {
      this.unreleased.push(r);
    }
  }

  private async releaseNow(r: Reservation): Promise<void> {
    const [regs, seqs] = flat(r);
    await this.pool.query("SELECT podpis_release($1, $2::text[], $3::bigint[], $4::bigint[])", [r.owner, regs, seqs, r.logIndexes]);
  }

  /** (a release that fails again waits for the next reservation: a reservation is not refused for it) */
  private async retryReleases(): Promise<void> {
    while (this.unreleased.length) {
      try {
        await this.releaseNow(this.unreleased[0]!);
      } catch {
        return;
      }
      this.unreleased.shift();
    }
  }

  /** ends the owner connection (its lock with it): whatever it still owned is free for the other nodes */
  async close(): Promise<void> {
    this.closed = true;
    await this.retryReleases();
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
