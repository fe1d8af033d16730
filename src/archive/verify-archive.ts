/**
 * `podpis audit verify` and the auditor's routes: the log's chain, then every archived object
 * and row against the log (integrity.ts), then the head the auditor kept. A clean result means:
 * the log is one unbroken chain up to a head the auditor knows, and nothing stored differs from
 * what the log recorded when it was stored.
 */
import { type AuditVerification, verifyAuditChain } from "./audit.js";
import { type Integrity, type Mismatch, type StoredContentCheck, type SubmissionSnapshot, checkApiKeys, checkSubmission, orphanEntries } from "./integrity.js";
import type { ArchiveStore, AuditEntry, FileRef } from "./port.js";
import { type FileStore, isFileRef } from "./file-store.js";
import { type LogVerification, verifyLog } from "./log-verify.js";
import type { NoteVerifier } from "../log/index.js";

export interface HeadCheck {
  /** as given: HASH, or SEQ:HASH as `audit verify` prints it */
  expected: string;
  ok: boolean;
  message: string;
}

export interface ArchiveVerification {
  ok: boolean;
  entries: number;
  /** the log's last entry: publish or keep it, and pass it back with --expect-head */
  head: { seq: number; hash: string } | null;
  chain: AuditVerification;
  expectedHead: HeadCheck | null;
  submissions: number;
  apiKeys: number;
  mismatches: Mismatch[];
  /** archive and transparency log agree (issue 16) */
  log: LogVerification;
}

/** A file-store content read back and hashed; without a file store it cannot be found. */
export async function checkStoredContent(ref: FileRef, files: FileStore | undefined): Promise<StoredContentCheck> {
  if (!files) return { ref, sha256: null, problem: `the content ${ref.location} is kept in a file store, and none was given (--file-store)` };
  const c = await files.check(ref);
  return c.ok ? { ref, sha256: c.sha256, problem: null } : { ref, sha256: null, problem: c.problem };
}

export async function snapshotSubmission(store: ArchiveStore, id: string, files?: FileStore): Promise<SubmissionSnapshot | null> {
  const record = await store.getSubmission(id);
  if (!record) return null;
  const [doc, report, receipt, material, entries, evidence] = await Promise.all([
    store.getDocument(id),
    store.getReport(id),
    store.getReceipt(id),
    store.getMaterial(id),
    store.auditEntriesFor(id),
    store.getEvidence(id),
  ]);
  const contents = await Promise.all((doc?.contents ?? []).map((c) => (isFileRef(c) ? checkStoredContent(c, files) : c)));
  return { record, document: doc?.document ?? Buffer.alloc(0), contents, report: report ?? "", receipt: receipt ?? "", material, entries, evidence };
}

/** One submission's stored bytes and fields against its log entries; null when there is no such submission. */
export async function submissionIntegrity(store: ArchiveStore, id: string, files?: FileStore): Promise<Integrity | null> {
  const snap = await snapshotSubmission(store, id, files);
  if (!snap) return null;
  const mismatches = checkSubmission(snap);
  return { ok: mismatches.length === 0, mismatches };
}

const HEAD = /^(?:(\d{1,15}):)?([0-9a-f]{64})$/;

export function parseExpectedHead(text: string): { seq: number | null; hash: string } | null {
  const m = HEAD.exec(text.trim().toLowerCase());
  return m ? { seq: m[1] ? Number(m[1]) : null, hash: m[2]! } : null;
}

/** Is the head an auditor kept still in the log (the log may have grown since, never shrunk or changed)? */
export function checkExpectedHead(entries: readonly AuditEntry[], expected: string): HeadCheck {
  const want = parseExpectedHead(expected);
  if (!want) return { expected, ok: false, message: `not a head: give the SHA-256 hex (or SEQ:HASH) that audit verify printed` };
  const last = entries.at(-1);
  const now = last ? `the log now ends at entry ${last.seq} (${last.hash})` : "the log is now empty";
  if (want.seq !== null) {
    const at = entries.find((e) => e.seq === want.seq);
    if (!at) return { expected, ok: false, message: `the kept head is entry ${want.seq}, but ${now}: entries ${last ? last.seq + 1 : 1}…${want.seq} were removed` };
    if (at.hash !== want.hash) return { expected, ok: false, message: `entry ${want.seq} is not the kept head (${want.hash}): the log was rewritten at or before entry ${want.seq}` };
    return { expected, ok: true, message: `entry ${want.seq} is the kept head${last && last.seq > want.seq ? `; ${last.seq - want.seq} entries added since` : ""}` };
  }
  const at = entries.find((e) => e.hash === want.hash);
  if (!at) return { expected, ok: false, message: `the kept head ${want.hash} is in no entry, ${now}: entries were removed from the end or the log was rewritten before the kept head` };
  return { expected, ok: true, message: `entry ${at.seq} is the kept head${last && last.seq > at.seq ? `; ${last.seq - at.seq} entries added since` : ""}` };
}

export async function verifyArchive(store: ArchiveStore, opts: { expectHead?: string; logKey?: NoteVerifier; files?: FileStore } = {}): Promise<ArchiveVerification> {
  const entries = await store.auditEntries();
  const chain = verifyAuditChain(entries, await store.auditHead());
  const ids = await store.submissionIds();
  const mismatches: Mismatch[] = [];
  for (const id of ids) {
    const snap = await snapshotSubmission(store, id, opts.files);
    if (snap) mismatches.push(...checkSubmission(snap));
  }
  mismatches.push(...orphanEntries(entries, new Set(ids)));
  const keys = await store.listApiKeys();
  mismatches.push(...checkApiKeys(keys, entries));
  const expectedHead = opts.expectHead !== undefined ? checkExpectedHead(entries, opts.expectHead) : null;
  const last = entries.at(-1);
  const log = await verifyLog(store, opts.logKey);
  return {
    ok: chain.ok && mismatches.length === 0 && (expectedHead?.ok ?? true) && log.ok,
    entries: entries.length,
    head: last ? { seq: last.seq, hash: last.hash } : null,
    chain,
    expectedHead,
    submissions: ids.length,
    apiKeys: keys.length,
    mismatches,
    log,
  };
}
