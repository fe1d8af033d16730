/**
 * The embedded archive: SQLite through better-sqlite3, WAL journal, synchronous=FULL (a commit
 * is on disk before the 201 goes out; a submission batch commits with NORMAL and is fsynced off
 * the event loop before its 201, wal-sync.ts). Several processes (cluster workers) share the
 * file; writers serialise on SQLite's write lock (BEGIN IMMEDIATE) and, within a process, on a
 * mutex (a receipt whose guessed number proved wrong is sealed again inside the transaction).
 */
import Database from "better-sqlite3";
import { dirname } from "node:path";
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from "../io/private-files.js";
import { nextAuditEntry } from "./audit.js";
import { type Base, type BatchWriter, GroupCommitter, type Receipt, type Sealed } from "./group-commit.js";
import type { LogStore } from "./log-port.js";
import { SqliteLogStore, insertLogEntrySqlite, nextLogIndexSqlite } from "./log-sqlite.js";
import { Mutex } from "./mutex.js";
import type { ApiKeyRecord, ArchiveStore, Assigned, AuditEntry, EvidenceRecord, Material, MaterialKind, NewSubmission, FileRef, Scope, SubmissionQuery, SubmissionRecord } from "./port.js";
import { CONTENT_SIZE_SQL, asBuffer, auditDataFor, contentOf, contentRow, rowBytes, sha256hex, toRecord, writtenRecord } from "./record.js";
import { type MigrationStep, VERSION_TABLE_SQL, baselineSteps, pendingMigrations } from "./migrations.js";
import { API_KEY_COLUMNS, SUBMISSION_COLUMNS, type SubmissionRow, submissionQuerySql } from "./schema.js";
import { WalSync } from "./wal-sync.js";
import { WalCheckpointer } from "./wal-checkpoint.js";

export interface SqliteOptions {
  path: string;
  numberFormat: string;
  /** how long a writer waits for another process's write lock */
  busyTimeoutMs?: number;
}

type Db = Database.Database;

/** the page size of a new archive (bytes) */
export const PAGE_SIZE = 16_384;

interface AuditAppender {
  append(kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): AuditEntry;
  flush(): void;
}

export class SqliteArchive implements ArchiveStore {
  readonly kind = "sqlite" as const;
  private readonly db: Db;
  private readonly writes = new Mutex();
  private readonly committer: GroupCommitter<Receipt>;
  /** null in memory: nothing to fsync */
  private readonly walSync: WalSync | null;
  /** the batch writer's checkpoints, off its event loop: started at the first batch (null in memory, or before) */
  private checkpointer: WalCheckpointer | null = null;
  /** statements of the per-request path, compiled once (a prepare costs more than the read) */
  private readonly statements = new Map<string, Database.Statement>();
  /** this connection's own API key changes (apiKeysMark) */
  private keyWrites = 0;
  readonly transparencyLog: LogStore;
  /** material rows this process saw committed (the same few come with every submission) */
  private readonly knownMaterial = new Set<string>();
  /** records of the batch just committed, until group commit asks for them after the fsync */
  private readonly written = new Map<string, SubmissionRecord>();

  constructor(private readonly opts: SqliteOptions) {
    const onDisk = opts.path !== ":memory:";
    // issue 10.9: the file holds EGNs and documents; SQLite gives its -wal and -shm the mode of
    // the database file, so a 0600 file made before SQLite opens it keeps all three private
    if (onDisk) {
      ensurePrivateDir(dirname(opts.path));
      ensurePrivateFile(opts.path);
    }
    this.db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 15_000 });
    // issue 15: a submission writes ~76 KB; with 16 KiB pages its commit writes (and the
    // checkpoint copies) a quarter as many pages as with the default 4 KiB — about half the CPU
    // of the write. Only a new database takes it (before its first table); an existing one keeps
    // its page size (changing it is a VACUUM, not something to do at start-up).
    this.db.pragma(`page_size = ${PAGE_SIZE}`);
    this.db.pragma("journal_mode = WAL");
    if (onDisk) for (const suffix of ["-wal", "-shm"]) restrictFile(opts.path + suffix);
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.transparencyLog = new SqliteLogStore(this.db, this.writes);
    this.walSync = onDisk ? new WalSync(opts.path + "-wal") : null;
    this.committer = new GroupCommitter(this.batchWriter(), opts.numberFormat);
  }

  /** migrations.ts: one migration per IMMEDIATE transaction (SQLite's write lock is the lock) */
  async migrate(): Promise<void> {
    for (let done = false; !done; ) {
      done = this.db
        .transaction(() => {
          this.db.exec(VERSION_TABLE_SQL);
          const row = this.db.prepare("SELECT version FROM schema_version WHERE id = 1").get() as { version: number } | undefined;
          const next = pendingMigrations(row?.version ?? 0, this.opts.path)[0];
          for (const step of next ? next.steps("BLOB") : baselineSteps("BLOB")) this.applyStep(step);
          if (!next) return true;
          this.db
            .prepare("INSERT INTO schema_version (id, version, applied_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at")
            .run(next.version, new Date().toISOString());
          return false;
        })
        .immediate();
    }
  }

  private applyStep(step: MigrationStep): void {
    if ("sql" in step) return void this.db.exec(step.sql);
    const c = step.addColumn;
    const have = this.db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ?`).get(c.table, c.column);
    if (!have) this.db.exec(`ALTER TABLE ${c.table} ADD COLUMN ${c.column} ${c.type}`);
  }

  /** the version the database records (tests, backup) */
  schemaVersion(): number {
    const row = this.db.prepare("SELECT version FROM schema_version WHERE id = 1").get() as { version: number } | undefined;
    return row?.version ?? 0;
  }

  /**
   * group-commit.ts: submissions that arrive during a batch's transaction share the next one.
   * `seal` may give the receipt as its UTF-8 bytes (the node's writer, writer-ipc.ts).
   */
  submit(input: NewSubmission, seal: (a: Assigned) => Promise<Receipt>): Promise<SubmissionRecord> {
    return this.committer.submit(input, seal);
  }

  /** how this process's batches were numbered (bench, tests) */
  get commitStats() {
    return { ...this.committer.stats, fsyncs: this.walSync?.syncs ?? 0, checkpoints: this.checkpointer ? { ...this.checkpointer.stats } : null };
  }

  /** a checkpoint of the batch writer's thread, started after this call (tests); nothing without one */
  async checkpointNow(): Promise<void> {
    await this.checkpointer?.checkpointNow();
  }

  /**
   * Only the process that commits submission batches (a node's one writer) checkpoints in a
   * thread (wal-checkpoint.ts); every other connection keeps SQLite's automatic checkpoint,
   * which the thread keeps from ever being due.
   */
  private startCheckpointer(): void {
    if (this.checkpointer || !this.walSync) return;
    this.stmt("PRAGMA wal_autocheckpoint = 0").run();
    this.checkpointer = new WalCheckpointer(this.opts.path, () => {
      if (this.db.open) this.stmt("PRAGMA wal_autocheckpoint = 1000").run();
    });
  }

  private base(registers: readonly string[]): Base {
    const last = (register: string) => (this.stmt("SELECT last_seq FROM registers WHERE name = ?").get(register) as { last_seq: number } | undefined)?.last_seq ?? 0;
    return { last: new Map(registers.map((r) => [r, last(r)])), logNext: nextLogIndexSqlite(this.db) };
  }

  private batchWriter(): BatchWriter<Receipt> {
    return {
      // outside a transaction a read sees the last commit of every process (WAL)
      peek: async (registers) => this.base(registers),
      commit: (registers, settle) => this.writes.run(() => this.commitBatch(registers, settle)),
      durable: async () => this.walSync?.sync(),
      // the record of what was just written (as getSubmission would read it back), else read
      record: async (id) => {
        const r = this.written.get(id);
        this.written.delete(id);
        return r ?? (await this.getSubmission(id))!;
      },
    };
  }

  private async commitBatch(registers: readonly string[], settle: (actual: Base) => Promise<Sealed<Receipt>[]>): Promise<Sealed<Receipt>[]> {
    // the fsync of this commit is WalSync's, before any 201 (group-commit.ts `durable`)
    if (this.walSync) this.stmt("PRAGMA synchronous = NORMAL").run();
    this.startCheckpointer();
    let bytes = 0;
    try {
      await this.beginImmediate();
      const records = new Map<string, SubmissionRecord>();
      const newMaterial: string[] = [];
      let sealed: Sealed<Receipt>[];
      try {
        sealed = await settle(this.base(registers));
        // the chain's head is read once and written once per batch: one transaction, one writer
        const audit = this.auditAppender();
        for (const s of sealed) {
          // the receipt's UTF-8 bytes, made once: its log entry, its hash (a string would be encoded for each)
          const receipt = typeof s.receipt === "string" ? Buffer.from(s.receipt, "utf8") : asBuffer(s.receipt);
          records.set(s.item.input.id, this.writeSubmission(s.item.input, s.assigned, receipt, audit, newMaterial));
          insertLogEntrySqlite(this.db, s.assigned.logIndex, s.item.input.id, receipt);
          bytes += committedBytes(s.item.input, receipt);
        }
        audit.flush();
        this.db.exec("COMMIT");
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
      for (const m of newMaterial) this.knownMaterial.add(m);
      if (this.written.size > 4096) this.written.clear(); // records of batches whose fsync failed: never asked for
      for (const [id, r] of records) this.written.set(id, r);
      this.checkpointer?.committed(bytes);
      return sealed;
    } finally {
      if (this.walSync) this.stmt("PRAGMA synchronous = FULL").run();
    }
  }

  /**
   * BEGIN IMMEDIATE without blocking the event loop: SQLite's busy handler sleeps in the calling
   * thread, so a worker waiting for another worker's write lock could not even read requests.
   * Instead the lock is tried without waiting and tried again after a short timer, up to the
   * configured busy timeout (then SQLITE_BUSY: 503, try again).
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + (this.opts.busyTimeoutMs ?? 15_000);
    this.stmt("PRAGMA busy_timeout = 0").run();
    try {
      for (let wait = 1; ; wait = Math.min(wait * 2, 8)) {
        try {
          this.db.exec("BEGIN IMMEDIATE");
          return;
        } catch (e) {
          if ((e as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw e;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      this.stmt(`PRAGMA busy_timeout = ${this.opts.busyTimeoutMs ?? 15_000}`).run();
    }
  }

  /** Writes one submission's rows; returns its record as getSubmission would read it back. */
  private writeSubmission(s: NewSubmission, a: Assigned, receipt: Buffer, audit: AuditAppender, newMaterial: string[]): SubmissionRecord {
    const digests = { document: sha256hex(s.document), receipt: sha256hex(receipt) };
    const receivedAt = s.receivedAt.toISOString();
    this.stmt("INSERT INTO registers (name, last_seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET last_seq = excluded.last_seq").run(s.register, a.sequence);
    this.stmt(
      `INSERT INTO submissions (id, register, seq, registration_number, received_at, validation_time, applicant, service, accepted,
        indication, policy_version, document_sha256, document, report, receipt, receipt_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      s.id, s.register, a.sequence, a.registrationNumber, receivedAt, s.validationTime.toISOString(), s.applicant, s.service,
      // the receipt is kept once, as its log entry (log_entries.entry, the same UTF-8 bytes); the
      // column stays '' (rows written before keep their copy; getReceipt reads either)
      s.accepted ? 1 : 0, s.indication, s.policyVersion, digests.document, asBuffer(s.document), s.reportJson, "", digests.receipt,
    );
    const content = this.stmt("INSERT INTO submission_contents (submission_id, idx, sha256, bytes, size, location) VALUES (?, ?, ?, ?, ?, ?)");
    const contents = s.contents.map((c, i) => {
      const row = contentRow(c);
      content.run(s.id, i, row.sha256, row.bytes, row.size, row.location);
      return { sha256: row.sha256, size: row.size };
    });
    const material = this.stmt("INSERT INTO material (sha256, kind, bytes) VALUES (?, ?, ?) ON CONFLICT(sha256) DO NOTHING");
    const link = this.stmt("INSERT INTO submission_material (submission_id, sha256) VALUES (?, ?) ON CONFLICT DO NOTHING");
    for (const m of s.material) {
      // the same anchors, policy and CRLs come with every submission: a row this process saw
      // committed is not bound again (rows of `material` are never deleted)
      if (!this.knownMaterial.has(m.sha256)) {
        material.run(m.sha256, m.kind, asBuffer(m.bytes));
        newMaterial.push(m.sha256);
      }
      link.run(s.id, m.sha256);
    }
    const data = auditDataFor(s, a, receipt, digests);
    audit.append("submission", s.id, data.submission, s.receivedAt);
    audit.append("receipt", s.id, data.receipt, s.receivedAt);
    if (s.evidence) this.writeEvidence(s.id, 1, s.evidence, s.receivedAt, { reason: "receipt" }, audit);
    return writtenRecord(s, a, digests, contents);
  }

  private writeEvidence(id: string, version: number, bytes: Uint8Array, at: Date, audit: Record<string, unknown>, chain: AuditAppender): EvidenceRecord {
    const rec: EvidenceRecord = { submissionId: id, version, createdAt: at.toISOString(), sha256: sha256hex(bytes), bytes: asBuffer(bytes) };
    this.stmt("INSERT INTO submission_evidence (submission_id, version, created_at, sha256, bytes) VALUES (?, ?, ?, ?, ?)").run(id, version, rec.createdAt, rec.sha256, rec.bytes);
    chain.append("evidence", id, { ...audit, version, sha256: rec.sha256 }, at);
    return rec;
  }

  async getEvidence(id: string): Promise<EvidenceRecord | null> {
    const r = this.db.prepare("SELECT version, created_at, sha256, bytes FROM submission_evidence WHERE submission_id = ? ORDER BY version DESC LIMIT 1").get(id) as
      | { version: number; created_at: string; sha256: string; bytes: Buffer }
      | undefined;
    return r ? { submissionId: id, version: Number(r.version), createdAt: r.created_at, sha256: r.sha256, bytes: r.bytes } : null;
  }

  async addEvidence(id: string, bytes: Uint8Array, at: Date, audit: Record<string, unknown>): Promise<EvidenceRecord> {
    return this.writes.run(async () =>
      this.db
        .transaction(() => {
          const r = this.db.prepare("SELECT max(version) AS v FROM submission_evidence WHERE submission_id = ?").get(id) as { v: number | null };
          const chain = this.auditAppender();
          const rec = this.writeEvidence(id, (r.v ?? 0) + 1, bytes, at, audit, chain);
          chain.flush();
          return rec;
        })
        .immediate(),
    );
  }

  /**
   * Entries appended to the audit chain inside the caller's transaction: the head is read once,
   * each entry links to the one before, and the head row is written once at `flush` (before
   * COMMIT — the head and its entries commit together, audit.ts "truncated").
   */
  private auditAppender(): AuditAppender {
    let head = (this.stmt("SELECT seq, hash FROM audit_head WHERE id = 1").get() as { seq: number; hash: string } | undefined) ?? null;
    let moved = false;
    const insert = this.stmt("INSERT INTO audit_log (seq, at, kind, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)");
    return {
      append: (kind, subject, data, at) => {
        const e = nextAuditEntry(head, kind, subject, data, at);
        insert.run(e.seq, e.at, e.kind, e.subject, e.data, e.prevHash, e.hash);
        head = { seq: e.seq, hash: e.hash };
        moved = true;
        return e;
      },
      flush: () => {
        if (moved && head) this.stmt("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash").run(head.seq, head.hash);
        moved = false;
      },
    };
  }

  private appendAuditSync(kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): AuditEntry {
    const chain = this.auditAppender();
    const e = chain.append(kind, subject, data, at);
    chain.flush();
    return e;
  }

  async appendAudit(kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): Promise<AuditEntry> {
    return this.writes.run(async () => this.db.transaction(() => this.appendAuditSync(kind, subject, data, at)).immediate());
  }

  async getSubmission(id: string): Promise<SubmissionRecord | null> {
    const r = this.stmt(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE id = ?`).get(id) as SubmissionRow | undefined;
    return r ? this.withContents(r) : null;
  }

  async findByRegistrationNumber(n: string): Promise<SubmissionRecord | null> {
    const r = this.stmt(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE registration_number = ?`).get(n) as SubmissionRow | undefined;
    return r ? this.withContents(r) : null;
  }

  async findSubmissions(q: SubmissionQuery): Promise<SubmissionRecord[]> {
    const { where, params } = submissionQuerySql(q);
    const rows = this.db.prepare(`SELECT ${SUBMISSION_COLUMNS} FROM submissions ${where} ORDER BY received_at, id LIMIT ?`).all(...params, q.limit) as SubmissionRow[];
    return rows.map((r) => this.withContents(r));
  }

  private withContents(r: SubmissionRow): SubmissionRecord {
    const c = this.stmt(`SELECT sha256, ${CONTENT_SIZE_SQL} AS size FROM submission_contents WHERE submission_id = ? ORDER BY idx`).all(r.id) as Array<{ sha256: string; size: number }>;
    return toRecord(r, c);
  }

  async getDocument(id: string): Promise<{ document: Buffer; contents: Array<Buffer | FileRef> } | null> {
    const r = this.db.prepare("SELECT document FROM submissions WHERE id = ?").get(id) as { document: Buffer } | undefined;
    if (!r) return null;
    const c = this.db.prepare("SELECT sha256, bytes, size, location FROM submission_contents WHERE submission_id = ? ORDER BY idx").all(id) as Array<{ sha256: string; bytes: Buffer; size: number | null; location: string | null }>;
    return { document: r.document, contents: c.map(contentOf) };
  }

  async getReport(id: string): Promise<string | null> {
    return (this.db.prepare("SELECT report FROM submissions WHERE id = ?").get(id) as { report: string } | undefined)?.report ?? null;
  }

  async getReceipt(id: string): Promise<string | null> {
    const r = this.stmt(
      "SELECT CASE WHEN s.receipt <> '' THEN s.receipt ELSE CAST(l.entry AS TEXT) END AS receipt FROM submissions s LEFT JOIN log_entries l ON l.submission_id = s.id WHERE s.id = ?",
    ).get(id) as { receipt: string | null } | undefined;
    return r?.receipt ?? null;
  }

  async getMaterial(id: string): Promise<Material[]> {
    const rows = this.db
      .prepare("SELECT m.sha256, m.kind, m.bytes FROM submission_material l JOIN material m ON m.sha256 = l.sha256 WHERE l.submission_id = ? ORDER BY m.kind, m.sha256")
      .all(id) as Array<{ sha256: string; kind: MaterialKind; bytes: Buffer }>;
    return rows.map((r) => ({ sha256: r.sha256, kind: r.kind, bytes: r.bytes }));
  }

  async auditEntries(): Promise<AuditEntry[]> {
    const rows = this.db.prepare("SELECT seq, at, kind, subject, data, prev_hash, hash FROM audit_log ORDER BY seq").all() as Array<Record<string, unknown>>;
    return rows.map(auditRow);
  }

  async auditHead(): Promise<{ seq: number; hash: string } | null> {
    const r = this.db.prepare("SELECT seq, hash FROM audit_head WHERE id = 1").get() as { seq: number; hash: string } | undefined;
    return r ? { seq: Number(r.seq), hash: r.hash } : null;
  }

  async submissionIds(): Promise<string[]> {
    return (this.db.prepare("SELECT id FROM submissions ORDER BY register, seq").all() as Array<{ id: string }>).map((r) => r.id);
  }

  async auditEntriesFor(subject: string): Promise<AuditEntry[]> {
    const rows = this.db.prepare("SELECT seq, at, kind, subject, data, prev_hash, hash FROM audit_log WHERE subject = ? ORDER BY seq").all(subject) as Array<Record<string, unknown>>;
    return rows.map(auditRow);
  }

  async createApiKey(k: ApiKeyRecord): Promise<void> {
    await this.writes.run(async () =>
      this.db.transaction(() => {
        this.keyWrites++;
        this.db.prepare("INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)").run(k.id, k.name, k.secretHash, k.scopes.join(","), k.createdAt);
        this.appendAuditSync("api-key", k.name, apiKeyCreated(k), new Date(k.createdAt));
      }).immediate(),
    );
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /**
   * SQLite's data_version changes on this connection whenever another connection (a `keys
   * revoke` process, the node's writer) commits anything; keyWrites counts this connection's own
   * key changes, which data_version does not show. Conservative (any commit elsewhere moves it)
   * and exact: no key changes while the mark stands still.
   */
  apiKeysMark(): string {
    return `${this.stmt("PRAGMA data_version").pluck().get() as number}.${this.keyWrites}`;
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | null> {
    const r = this.stmt(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id) as Record<string, string> | undefined;
    return r ? apiKeyRow(r) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY name`).all() as Array<Record<string, string>>).map(apiKeyRow);
  }

  private keyByName(name: string): ApiKeyRecord | null {
    const r = this.db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE name = ?`).get(name) as Record<string, string> | undefined;
    return r ? apiKeyRow(r) : null;
  }

  async revokeApiKey(name: string, at: Date): Promise<ApiKeyRecord | null> {
    return this.writes.run(async () =>
      this.db.transaction(() => {
        const k = this.keyByName(name);
        if (!k || k.revokedAt) return k;
        this.keyWrites++;
        this.db.prepare("UPDATE api_keys SET revoked_at = ?, previous_secret_hash = NULL, previous_valid_until = NULL WHERE id = ?").run(at.toISOString(), k.id);
        this.appendAuditSync("api-key", name, { action: "revoke", id: k.id }, at);
        return this.keyByName(name);
      }).immediate(),
    );
  }

  async rotateApiKey(name: string, secretHash: string, graceUntil: Date, at: Date): Promise<ApiKeyRecord | null> {
    return this.writes.run(async () =>
      this.db.transaction(() => {
        const k = this.keyByName(name);
        if (!k || k.revokedAt) return null;
        this.keyWrites++;
        this.db
          .prepare("UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = ?, secret_hash = ? WHERE id = ?")
          .run(graceUntil.toISOString(), secretHash, k.id);
        this.appendAuditSync("api-key", name, { action: "rotate", id: k.id, secretHash, previousValidUntil: graceUntil.toISOString() }, at);
        return this.keyByName(name);
      }).immediate(),
    );
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await this.writes.run(async () => void this.db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(at.toISOString(), id));
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    await this.writes.run(async () => {
      await this.checkpointer?.close();
      this.db.close();
    });
    await this.walSync?.close();
  }

  /** for tests that tamper with the log */
  get raw(): Db {
    return this.db;
  }
}

/** about what a submission's rows take in the WAL (the checkpointer's measure, not exact) */
const committedBytes = (s: NewSubmission, receipt: Buffer): number => rowBytes(s, receipt) + 4096;

export function auditRow(r: Record<string, unknown>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: String(r.at),
    kind: r.kind as AuditEntry["kind"],
    subject: String(r.subject),
    data: String(r.data),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

export function apiKeyRow(r: Record<string, string | null>): ApiKeyRecord {
  return {
    id: r.id!,
    name: r.name!,
    secretHash: r.secret_hash!,
    scopes: r.scopes!.split(",").filter(Boolean) as Scope[],
    createdAt: r.created_at!,
    revokedAt: r.revoked_at ?? null,
    lastUsedAt: r.last_used_at ?? null,
    previousSecretHash: r.previous_secret_hash ?? null,
    previousValidUntil: r.previous_valid_until ?? null,
  };
}

/** The log entry of a new key: since schema 2 with its secret's hash, so a row swapped in by hand shows. */
export const apiKeyCreated = (k: ApiKeyRecord) => ({ action: "create", id: k.id, scopes: k.scopes, secretHash: k.secretHash });
