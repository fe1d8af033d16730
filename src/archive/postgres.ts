/**
 * The PostgreSQL archive (DATABASE_URL), for when one machine is not enough. Submissions commit
 * in batches on numbers reserved before the seal (postgres-commit.ts, postgres-slots.ts), so
 * several nodes seal at once and numbers stay gap-free per register; every transaction that
 * appends to the audit chain locks its head row (last, so for a short while), which keeps the
 * chain linear across every process and machine.
 */
import pg from "pg";
import { nextAuditEntry } from "./audit.js";
import { ArchiveError, type ApiKeyRecord, type ArchiveStore, type Assigned, type AuditEntry, type EvidenceRecord, type Material, type MaterialKind, type NewSubmission, type FileRef, type SubmissionQuery, type SubmissionRecord } from "./port.js";
import { CONTENT_SIZE_SQL, auditDataFor, contentOf, sha256hex, toRecord } from "./record.js";
import type { Reservation } from "./postgres-slots.js";
import type { Sealed } from "./group-commit.js";
import type { LogStore } from "./log-port.js";
import { PostgresLogStore } from "./log-postgres.js";
import { ReservingCommitter, type ReservingWriter, reservationOf } from "./postgres-commit.js";
import { PostgresSlots } from "./postgres-slots.js";
import { AUDIT_STATEMENT, BATCH_STATEMENT, auditRows, batchParts, batchRows, digestsOf, submissionRecord } from "./postgres-rows.js";
import { pgUnavailable } from "./unavailable.js";
import { VERSION_TABLE_SQL, baselineSteps, pendingMigrations } from "./migrations.js";
import { ADDED_COLUMNS, API_KEY_COLUMNS, SUBMISSION_COLUMNS, type SubmissionRow, submissionQuerySql } from "./schema.js";
import { apiKeyCreated, apiKeyRow, auditRow } from "./sqlite.js";

export interface PostgresOptions {
  url: string;
  numberFormat: string;
  /** a schema of its own (tests use one per run); default: public */
  schema?: string;
  /** connections this process keeps at most (PostgreSQL's max_connections is shared by every node) */
  poolSize?: number;
  /** a statement running longer is cancelled by the server (SQLSTATE 57014), ms; 0: none */
  statementTimeoutMs?: number;
  /** how long a new connection (or a wait for a free one) may take, ms */
  connectTimeoutMs?: number;
}

export const PG_DEFAULTS = { poolSize: 8, statementTimeoutMs: 15_000, connectTimeoutMs: 5_000 } as const;

type Client = pg.PoolClient;

/**
 * Whether every relation the baseline creates and every column it adds already exists (catalog
 * reads only: no table lock). A baseline statement of any other shape means "run the baseline".
 */
async function baselineInPlace(c: Client): Promise<boolean> {
  const names: string[] = [];
  for (const step of baselineSteps("BYTEA")) {
    if (!("sql" in step)) continue;
    const m = /^\s*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+([a-z_][a-z0-9_]*)/i.exec(step.sql);
    if (!m) return false;
    names.push(m[1]!.toLowerCase());
  }
  const cols = ADDED_COLUMNS.map((col) => [col.table, col.column]);
  const r = await c.query<{ missing: number }>(
    `SELECT (SELECT count(*) FROM unnest($1::text[]) AS t(name) WHERE to_regclass(quote_ident(current_schema()) || '.' || quote_ident(name)) IS NULL)
          + (SELECT count(*) FROM unnest($2::text[], $3::text[]) AS t(tab, col)
             WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = tab AND column_name = col)) AS missing`,
    [names, cols.map((x) => x[0]), cols.map((x) => x[1])],
  );
  return Number(r.rows[0]!.missing) === 0;
}

export class PostgresArchive implements ArchiveStore {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  readonly transparencyLog: LogStore;
  private readonly committer: ReservingCommitter;
  private readonly slots: PostgresSlots;
  /** material rows this process has seen committed (content-addressed, never removed) */
  private readonly storedMaterial = new Set<string>();
  private pendingMaterial = new Set<string>();

  constructor(private readonly opts: PostgresOptions) {
    this.schema = opts.schema ?? "public";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) throw new ArchiveError("BAD_CONFIG", `invalid PostgreSQL schema name "${this.schema}"`);
    // the schema is a startup parameter of every connection, so a query is one round trip
    const statementTimeout = opts.statementTimeoutMs ?? PG_DEFAULTS.statementTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? PG_DEFAULTS.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? PG_DEFAULTS.connectTimeoutMs,
      // A server that vanishes without closing the connection (a failover, a cut network) never
      // answers: keepalive notices the dead socket, and the client-side query timeout (a little
      // over the server's statement_timeout) ends a query that would otherwise wait forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      ...(statementTimeout > 0 ? { query_timeout: statementTimeout + 2_000 } : {}),
      options: `-c search_path=${this.schema}` + (statementTimeout > 0 ? ` -c statement_timeout=${statementTimeout} -c idle_in_transaction_session_timeout=${statementTimeout * 2}` : ""),
    });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.pool.on("error", () => {});
    // A client checked out of the pool has no pool listener: a server restart or
    // pg_terminate_backend during its transaction would emit an unhandled 'error' and end the
    // process. The query in flight fails on its own (and is classified as "database unavailable").
    this.pool.on("connect", (c) => c.on("error", () => {}));
    this.transparencyLog = new PostgresLogStore(this.pool);
    this.slots = new PostgresSlots(this.pool, {
      connectionString: opts.url,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? PG_DEFAULTS.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    });
    this.committer = new ReservingCommitter(this.batchWriter(), this.opts.numberFormat);
  }

  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      // a connection that failed (or a query that never answered) is thrown away, not rolled back
      // over: the server rolls back a transaction whose connection ends
      if (pgUnavailable(e) !== e) broken = true;
      else await c.query("ROLLBACK").catch(() => void (broken = true));
      throw e;
    } finally {
      c.release(broken);
    }
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /**
   * migrations.ts: every node takes the same session advisory lock, so one migrates and the
   * others wait and then find nothing to do; each migration commits on its own.
   */
  async migrate(): Promise<void> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query("SELECT pg_advisory_lock(7365723)");
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await c.query(VERSION_TABLE_SQL);
        for (let done = false; !done; ) {
          await c.query("BEGIN");
          try {
            const row = (await c.query<{ version: number }>("SELECT version FROM schema_version WHERE id = 1")).rows[0];
            const next = pendingMigrations(row?.version ?? 0, `schema ${this.schema}`)[0];
            // a current schema with every baseline table, index and column in place has nothing to
            // repair: ALTER TABLE … ADD COLUMN IF NOT EXISTS (and CREATE INDEX IF NOT EXISTS) take
            // their table lock before they look, so a node starting beside running ones would queue
            // an ACCESS EXCLUSIVE lock behind their writes and stall every request behind it
            const steps = next ? next.steps("BYTEA") : (await baselineInPlace(c)) ? [] : baselineSteps("BYTEA");
            for (const step of steps) {
              await c.query("sql" in step ? step.sql : `ALTER TABLE ${step.addColumn.table} ADD COLUMN IF NOT EXISTS ${step.addColumn.column} ${step.addColumn.type}`);
            }
            if (next) {
              await c.query(
                "INSERT INTO schema_version (id, version, applied_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at",
                [next.version, new Date().toISOString()],
              );
            }
            await c.query("COMMIT");
            done = !next;
          } catch (e) {
            await c.query("ROLLBACK").catch(() => void (broken = true));
            throw e;
          }
        }
      } finally {
        await c.query("SELECT pg_advisory_unlock(7365723)").catch(() => void (broken = true));
      }
    } catch (e) {
      if (pgUnavailable(e) !== e) broken = true;
      throw e;
    } finally {
      c.release(broken);
    }
  }

  /** the version the database records (tests) */
  async schemaVersion(): Promise<number> {
    const r = (await this.q<{ version: number }>("SELECT version FROM schema_version WHERE id = 1"))[0];
    return r ? Number(r.version) : 0;
  }

  /**
   * postgres-commit.ts: the submissions that arrive while a batch is sealed share the next one:
   * its numbers reserved in one round trip, sealed outside any lock, written in one transaction of
   * four round trips (the claim and every row in one statement, the audit head, its entries, the
   * commit) whatever the batch's size.
   */
  submit(input: NewSubmission, seal: (a: Assigned) => Promise<string>): Promise<SubmissionRecord> {
    return this.committer.submit(input, seal);
  }

  /** how this process's batches were numbered (bench, tests) */
  get commitStats() {
    return { ...this.committer.stats };
  }

  private batchWriter(): ReservingWriter {
    return {
      reserve: (counts, logCount) => this.slots.reserve(counts, logCount),
      complete: async (sealed, used) => {
        try {
          this.pendingMaterial = new Set();
          await this.tx((c) => this.completeBatch(c, sealed, used));
          for (const sha of this.pendingMaterial) this.storedMaterial.add(sha);
          return true;
        } catch (e) {
          if (e instanceof ClaimLost) return false;
          throw e;
        }
      },
      release: (unused) => this.slots.release(unused),
      record: (s) => submissionRecord(s),
    };
  }

  /**
   * postgres-commit.ts step 3: the claim first (a batch whose numbers were taken over writes
   * nothing), the rows, then the audit head, locked last so that other nodes' batches wait for
   * it only over the chain's two statements and this commit.
   */
  private async completeBatch(c: Client, sealed: readonly Sealed[], used: Reservation): Promise<void> {
    const material = new Map(sealed.flatMap((s) => s.item.input.material.map((m) => [m.sha256, m] as const)));
    // material is kept once: the bytes go only when this process has not yet seen them stored (most submissions share their CRLs and anchors)
    let unseen = [...material.values()].filter((m) => !this.storedMaterial.has(m.sha256));
    // (one part unless contents are large, postgres-rows.ts; each part claims its own reservations)
    for (const part of batchParts(sealed)) {
      const claim = this.slots.claimParams(reservationOf(used.owner, part));
      let ok: boolean;
      try {
        ok = (await BATCH_STATEMENT.run<{ ok: boolean }>(c, claim, batchRows(part, unseen)))[0]!.ok;
      } catch (e) {
        const code = (e as { code?: string }).code;
        // a material row this process thought stored is gone (a foreign key violation): send the bytes again next time
        if (code === "23503") this.storedMaterial.clear();
        // the claim and the rows are one statement: numbers taken over collide with the rows of
        // whoever took them (a unique violation) before the claim's answer is seen
        if (code === "23505") throw new ClaimLost();
        throw e;
      }
      if (!ok) throw new ClaimLost();
      unseen = [];
    }
    await this.appendManyIn(c, sealed.flatMap((s) => {
      const audit = auditDataFor(s.item.input, s.assigned, s.receipt, digestsOf(s));
      const at = s.item.input.receivedAt;
      const id = s.item.input.id;
      const evidence = s.item.input.evidence;
      return [
        { kind: "submission" as const, subject: id, data: audit.submission, at },
        { kind: "receipt" as const, subject: id, data: audit.receipt, at },
        ...(evidence ? [{ kind: "evidence" as const, subject: id, data: { reason: "receipt", version: 1, sha256: sha256hex(evidence) }, at }] : []),
      ];
    }));
    for (const sha of material.keys()) this.pendingMaterial.add(sha);
  }

  /** audit entries in order, chained on the head (locked once); the entries and the new head in one statement */
  private async appendManyIn(c: Client, entries: ReadonlyArray<{ kind: AuditEntry["kind"]; subject: string; data: unknown; at: Date }>): Promise<void> {
    const lockHead = () => c.query<{ seq: string; hash: string }>({ name: "podpis_audit_head", text: LOCK_HEAD });
    let h = (await lockHead()).rows[0];
    if (!h) {
      await c.query("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING");
      h = (await lockHead()).rows[0]!;
    }
    let prev = Number(h.seq) === 0 ? null : { seq: Number(h.seq), hash: h.hash };
    const chained = entries.map((x) => (prev = nextAuditEntry(prev, x.kind, x.subject, x.data, x.at)));
    if (!prev || !chained.length) return;
    const head = prev as { seq: number; hash: string };
    await AUDIT_STATEMENT.run(c, [head.seq, head.hash], [auditRows(chained)]);
  }

  private async writeEvidence(c: Client, id: string, version: number, bytes: Uint8Array, at: Date, audit: Record<string, unknown>): Promise<EvidenceRecord> {
    const rec: EvidenceRecord = { submissionId: id, version, createdAt: at.toISOString(), sha256: sha256hex(bytes), bytes: Buffer.from(bytes) };
    await c.query("INSERT INTO submission_evidence (submission_id, version, created_at, sha256, bytes) VALUES ($1, $2, $3, $4, $5)", [id, version, rec.createdAt, rec.sha256, rec.bytes]);
    await this.appendIn(c, "evidence", id, { ...audit, version, sha256: rec.sha256 }, at);
    return rec;
  }

  async getEvidence(id: string): Promise<EvidenceRecord | null> {
    const r = (await this.q<{ version: number; created_at: string; sha256: string; bytes: Buffer }>(
      "SELECT version, created_at, sha256, bytes FROM submission_evidence WHERE submission_id = $1 ORDER BY version DESC LIMIT 1",
      [id],
    ))[0];
    return r ? { submissionId: id, version: Number(r.version), createdAt: r.created_at, sha256: r.sha256, bytes: r.bytes } : null;
  }

  addEvidence(id: string, bytes: Uint8Array, at: Date, audit: Record<string, unknown>): Promise<EvidenceRecord> {
    return this.tx(async (c) => {
      // (the submission row, locked: two renewals of one submission take turns)
      await c.query("SELECT id FROM submissions WHERE id = $1 FOR UPDATE", [id]);
      const r = (await c.query<{ v: number | null }>("SELECT max(version) AS v FROM submission_evidence WHERE submission_id = $1", [id])).rows[0];
      return this.writeEvidence(c, id, Number(r?.v ?? 0) + 1, bytes, at, audit);
    });
  }

  private async appendIn(c: Client, kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): Promise<AuditEntry> {
    await c.query("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING");
    const h = (await c.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")).rows[0]!;
    const e = nextAuditEntry(Number(h.seq) === 0 ? null : { seq: Number(h.seq), hash: h.hash }, kind, subject, data, at);
    await c.query("INSERT INTO audit_log (seq, at, kind, subject, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)", [e.seq, e.at, e.kind, e.subject, e.data, e.prevHash, e.hash]);
    await c.query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", [e.seq, e.hash]);
    return e;
  }

  appendAudit(kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): Promise<AuditEntry> {
    return this.tx((c) => this.appendIn(c, kind, subject, data, at));
  }

  async getSubmission(id: string): Promise<SubmissionRecord | null> {
    const r = (await this.q<SubmissionRow & pg.QueryResultRow>(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE id = $1`, [id]))[0];
    return r ? this.withContents(r) : null;
  }

  async findByRegistrationNumber(n: string): Promise<SubmissionRecord | null> {
    const r = (await this.q<SubmissionRow & pg.QueryResultRow>(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE registration_number = $1`, [n]))[0];
    return r ? this.withContents(r) : null;
  }

  async findSubmissions(q: SubmissionQuery): Promise<SubmissionRecord[]> {
    const { where, params } = submissionQuerySql(q, ' COLLATE "C"');
    let n = 0;
    const sql = `SELECT ${SUBMISSION_COLUMNS} FROM submissions ${where} ORDER BY received_at COLLATE "C", id COLLATE "C" LIMIT ?`.replace(/\?/g, () => `$${++n}`);
    const rows = await this.q<SubmissionRow & pg.QueryResultRow>(sql, [...params, q.limit]);
    return Promise.all(rows.map((r) => this.withContents(r)));
  }

  private async withContents(r: SubmissionRow): Promise<SubmissionRecord> {
    const c = await this.q<{ sha256: string; size: string }>(`SELECT sha256, ${CONTENT_SIZE_SQL} AS size FROM submission_contents WHERE submission_id = $1 ORDER BY idx`, [r.id]);
    return toRecord(r, c);
  }

  async getDocument(id: string): Promise<{ document: Buffer; contents: Array<Buffer | FileRef> } | null> {
    const r = (await this.q<{ document: Buffer }>("SELECT document FROM submissions WHERE id = $1", [id]))[0];
    if (!r) return null;
    const c = await this.q<{ sha256: string; bytes: Buffer; size: string | null; location: string | null }>("SELECT sha256, bytes, size, location FROM submission_contents WHERE submission_id = $1 ORDER BY idx", [id]);
    return { document: r.document, contents: c.map(contentOf) };
  }

  async getReport(id: string): Promise<string | null> {
    return (await this.q<{ report: string }>("SELECT report FROM submissions WHERE id = $1", [id]))[0]?.report ?? null;
  }

  async getReceipt(id: string): Promise<string | null> {
    return (await this.q<{ receipt: string }>("SELECT receipt FROM submissions WHERE id = $1", [id]))[0]?.receipt ?? null;
  }

  async getMaterial(id: string): Promise<Material[]> {
    const rows = await this.q<{ sha256: string; kind: MaterialKind; bytes: Buffer }>(
      "SELECT m.sha256, m.kind, m.bytes FROM submission_material l JOIN material m ON m.sha256 = l.sha256 WHERE l.submission_id = $1 ORDER BY m.kind, m.sha256",
      [id],
    );
    return rows.map((r) => ({ sha256: r.sha256, kind: r.kind, bytes: r.bytes }));
  }

  async auditEntries(): Promise<AuditEntry[]> {
    return (await this.q("SELECT seq, at, kind, subject, data, prev_hash, hash FROM audit_log ORDER BY seq")).map(auditRow);
  }

  async auditHead(): Promise<{ seq: number; hash: string } | null> {
    const r = (await this.q<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_head WHERE id = 1"))[0];
    return r && Number(r.seq) > 0 ? { seq: Number(r.seq), hash: r.hash } : null;
  }

  async submissionIds(): Promise<string[]> {
    return (await this.q<{ id: string }>("SELECT id FROM submissions ORDER BY register, seq")).map((r) => r.id);
  }

  async reservedLogIndexes(): Promise<number[]> {
    return (await this.q<{ idx: string }>("SELECT idx FROM log_slots ORDER BY idx")).map((r) => Number(r.idx));
  }

  async auditEntriesFor(subject: string): Promise<AuditEntry[]> {
    return (await this.q("SELECT seq, at, kind, subject, data, prev_hash, hash FROM audit_log WHERE subject = $1 ORDER BY seq", [subject])).map(auditRow);
  }

  async createApiKey(k: ApiKeyRecord): Promise<void> {
    await this.tx(async (c) => {
      await c.query("INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)", [k.id, k.name, k.secretHash, k.scopes.join(","), k.createdAt]);
      await this.appendIn(c, "api-key", k.name, apiKeyCreated(k), new Date(k.createdAt));
    });
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | null> {
    const r = (await this.q<Record<string, string>>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]))[0];
    return r ? apiKeyRow(r) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.q<Record<string, string>>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY name`)).map(apiKeyRow);
  }

  private async keyByName(c: Client, name: string): Promise<ApiKeyRecord | null> {
    const r = (await c.query<Record<string, string>>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE name = $1 FOR UPDATE`, [name])).rows[0];
    return r ? apiKeyRow(r) : null;
  }

  revokeApiKey(name: string, at: Date): Promise<ApiKeyRecord | null> {
    return this.tx(async (c) => {
      const k = await this.keyByName(c, name);
      if (!k || k.revokedAt) return k;
      await c.query("UPDATE api_keys SET revoked_at = $2, previous_secret_hash = NULL, previous_valid_until = NULL WHERE id = $1", [k.id, at.toISOString()]);
      await this.appendIn(c, "api-key", name, { action: "revoke", id: k.id }, at);
      return this.keyByName(c, name);
    });
  }

  rotateApiKey(name: string, secretHash: string, graceUntil: Date, at: Date): Promise<ApiKeyRecord | null> {
    return this.tx(async (c) => {
      const k = await this.keyByName(c, name);
      if (!k || k.revokedAt) return null;
      await c.query("UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = $2, secret_hash = $3 WHERE id = $1", [k.id, graceUntil.toISOString(), secretHash]);
      await this.appendIn(c, "api-key", name, { action: "rotate", id: k.id, secretHash, previousValidUntil: graceUntil.toISOString() }, at);
      return this.keyByName(c, name);
    });
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await this.q("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", [id, at.toISOString()]);
  }

  /** connections of this process's pool (metrics) */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async ping(): Promise<void> {
    await this.q("SELECT 1");
  }

  async close(): Promise<void> {
    await this.slots.close();
    await this.pool.end();
  }

  /** for tests: run SQL in this archive's schema */
  async rawQuery(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    return this.q(sql, params);
  }
}

/** the batch's reservations were taken over (postgres-commit.ts): it is reserved and sealed again */
class ClaimLost extends Error {}

const LOCK_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";
