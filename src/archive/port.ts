/**
 * The archive's one storage port. The service speaks only to this interface; SQLite (the
 * embedded default) and PostgreSQL implement it, and the same test suite runs against both.
 *
 * A submission is stored in ONE transaction with everything needed to replay its validation
 * later from the archive alone: the original bytes, detached contents, the report, the
 * revocation data and trust anchors that were used (stored once by SHA-256), the algorithm
 * policy, the registration number and the sealed receipt, plus its audit-log entries.
 */
import { PodpisError } from "../errors/base.js";
import type { LogStore } from "./log-port.js";

export type Scope = "verify" | "submit" | "audit";
export const SCOPES: readonly Scope[] = ["verify", "submit", "audit"];

/** Validation material kept once by SHA-256 and linked to the submissions that used it. */
export type MaterialKind = "crl" | "anchors" | "policy" | "untrusted" | "ocsp" | "seal-chain" | "tl";

export interface Material {
  kind: MaterialKind;
  sha256: string;
  bytes: Uint8Array;
}

/**
 * A detached content kept in the file store beside the database (issue 15, file-store.ts): the
 * row holds its hash, size and relative location instead of the bytes.
 */
export interface FileRef {
  stored: "file";
  sha256: string;
  size: number;
  location: string;
}

export interface NewSubmission {
  id: string;
  register: string;
  receivedAt: Date;
  validationTime: Date;
  applicant: string;
  service: string;
  accepted: boolean;
  policyVersion: string;
  document: Uint8Array;
  /** bytes kept in the row, or (issue 15) a file already written durably to the file store */
  contents: Array<Uint8Array | FileRef>;
  /** the validation report, as the JSON text that is served back byte for byte */
  reportJson: string;
  /** worst indication, for listings and the audit entry */
  indication: string;
  material: Material[];
  /**
   * the signature augmented to B-LTA at receipt (issue 13), stored beside the original as
   * evidence version 1 in the same transaction; null/absent when not augmented (not accepted)
   */
  evidence?: Uint8Array | null;
}

/** One version of a submission's long-term evidence: 1 at receipt, then one per renewal (`archive renew`). */
export interface EvidenceRecord {
  submissionId: string;
  version: number;
  createdAt: string;
  sha256: string;
  bytes: Buffer;
}

/** What the transaction assigned before the receipt is sealed. */
export interface Assigned {
  sequence: number;
  registrationNumber: string;
  /** the receipt's index in the transparency log (issue 16): its entry is written in the same transaction */
  logIndex: number;
}

export interface SubmissionRecord {
  id: string;
  register: string;
  sequence: number;
  registrationNumber: string;
  receivedAt: string;
  validationTime: string;
  applicant: string;
  service: string;
  accepted: boolean;
  indication: string;
  policyVersion: string;
  documentSha256: string;
  documentSize: number;
  contents: Array<{ sha256: string; size: number }>;
  receiptSha256: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  kind: "submission" | "receipt" | "revalidation" | "api-key" | "evidence";
  subject: string;
  /** canonical JSON text; the hash covers it exactly as stored */
  data: string;
  prevHash: string;
  hash: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** SHA-256 (hex) of the secret part; the key itself is shown once and never stored */
  secretHash: string;
  scopes: Scope[];
  createdAt: string;
  /** when `keys revoke` took it out of use (then 401 at once); null while usable */
  revokedAt?: string | null;
  /** the last request it authenticated (updated at most once a minute per process) */
  lastUsedAt?: string | null;
  /** after `keys rotate`: the old secret's hash, accepted until previousValidUntil */
  previousSecretHash?: string | null;
  previousValidUntil?: string | null;
}

/** What auditors look submissions up by (all given criteria must hold), a page at a time. */
export interface SubmissionQuery {
  registrationNumber?: string;
  /** exactly as handed in */
  applicant?: string;
  /** receivedAt >= from */
  from?: Date;
  /** receivedAt < to */
  to?: Date;
  accepted?: boolean;
  /** at most this many, in the stable order (receivedAt, id) */
  limit: number;
  /** only those after this position in that order: the last item of the previous page */
  after?: { receivedAt: string; id: string };
}

export interface ArchiveStore {
  readonly kind: "sqlite" | "postgres";
  /** the transparency log's tables on the same database (issue 16) */
  readonly transparencyLog: LogStore;
  /** creates or upgrades the schema; safe to call from several processes */
  migrate(): Promise<void>;
  /**
   * Stores a submission in one transaction: assigns the next gap-free number of its register,
   * lets `seal` produce the receipt for that number (still inside the transaction, so a failed
   * seal leaves no number used), writes everything and the audit entries, and commits.
   */
  submit(input: NewSubmission, seal: (assigned: Assigned) => Promise<string>): Promise<SubmissionRecord>;
  getSubmission(id: string): Promise<SubmissionRecord | null>;
  /** the signed file and its detached contents (bytes, or where the file store keeps them) */
  getDocument(id: string): Promise<{ document: Buffer; contents: Array<Buffer | FileRef> } | null>;
  getReport(id: string): Promise<string | null>;
  getReceipt(id: string): Promise<string | null>;
  findByRegistrationNumber(registrationNumber: string): Promise<SubmissionRecord | null>;
  /** submissions matching the query, ordered by (receivedAt, id) */
  findSubmissions(query: SubmissionQuery): Promise<SubmissionRecord[]>;
  /** the material linked to a submission */
  getMaterial(id: string): Promise<Material[]>;
  /** the newest version of a submission's evidence, or null */
  getEvidence(id: string): Promise<EvidenceRecord | null>;
  /** stores a new version of a submission's evidence (renewal) with its audit entry, in one transaction */
  addEvidence(id: string, bytes: Uint8Array, at: Date, audit: Record<string, unknown>): Promise<EvidenceRecord>;
  /** appends one audit entry (revalidations, key creation) */
  appendAudit(kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): Promise<AuditEntry>;
  /** every audit entry in log order */
  auditEntries(): Promise<AuditEntry[]>;
  /** the stored head (last seq and hash), kept with each append so truncation shows */
  auditHead(): Promise<{ seq: number; hash: string } | null>;
  /** every submission id in register/number order (the auditor's walk) */
  submissionIds(): Promise<string[]>;
  /** the audit entries about one subject (a submission id, a key name), in log order */
  auditEntriesFor(subject: string): Promise<AuditEntry[]>;
  /**
   * log indexes reserved by a batch not yet committed (PostgreSQL, postgres-slots.ts): another
   * node may have committed the ones after them, so the log has a hole there for the moment
   */
  reservedLogIndexes?(): Promise<number[]>;
  createApiKey(record: ApiKeyRecord): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** every key, revoked ones included, by name */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** marks the key revoked (and logs it); null when no key has that name */
  revokeApiKey(name: string, at: Date): Promise<ApiKeyRecord | null>;
  /** a new secret for the key; the old one stays valid until `graceUntil` (logged); null when no usable key has that name */
  rotateApiKey(name: string, secretHash: string, graceUntil: Date, at: Date): Promise<ApiKeyRecord | null>;
  /** records that the key authenticated a request at `at` */
  touchApiKey(id: string, at: Date): Promise<void>;
  /**
   * A mark that is the same on two calls only when no API key can have changed in between, by
   * any process (issue 15: a worker may then answer from a key's record read earlier, and a
   * revocation still takes effect at once, issues 10.8/11.9). Absent: no such knowledge — the key
   * is read on every request. May throw when the database cannot be asked (read then, and fail
   * as a read does).
   */
  apiKeysMark?(): string;
  /** cheap liveness check of the database */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type ArchiveErrorCode = "REGISTRATION_CONFLICT" | "DUPLICATE" | "STORAGE_UNAVAILABLE" | "BAD_CONFIG" | "NOT_FOUND" | "SCHEMA_TOO_NEW" | "ARCHIVE_IN_USE" | "FILE_STORE_MISMATCH";

export class ArchiveError extends PodpisError<ArchiveErrorCode> {
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}
