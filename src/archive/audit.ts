/**
 * The audit log's hash chain. Each entry's hash covers the previous entry's hash and its own
 * content (time, kind, subject, data), not its position: so a changed entry fails its own hash,
 * a removed one leaves a link to a hash no entry has, and a moved one links to an entry that
 * sits elsewhere. `verifyAuditChain` tells these apart and names the first entry concerned.
 */
import { createHash } from "node:crypto";
import type { AuditEntry } from "./port.js";

export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted, so the same data always gives the same text (and hash). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

export function auditHash(e: Pick<AuditEntry, "prevHash" | "at" | "kind" | "subject" | "data">): string {
  return createHash("sha256").update(JSON.stringify([e.prevHash, e.at, e.kind, e.subject, e.data])).digest("hex");
}

/** The next entry after `prev` (null: the first entry). */
export function nextAuditEntry(prev: { seq: number; hash: string } | null, kind: AuditEntry["kind"], subject: string, data: unknown, at: Date): AuditEntry {
  const base = { prevHash: prev?.hash ?? GENESIS_HASH, at: at.toISOString(), kind, subject, data: canonicalJson(data ?? {}) };
  return { seq: (prev?.seq ?? 0) + 1, ...base, hash: auditHash(base) };
}

export type AuditProblem = "changed" | "removed" | "reordered" | "truncated";

export interface AuditVerification {
  ok: boolean;
  entries: number;
  headHash: string | null;
  /** the first entry found wrong; seq is its place in the log */
  firstProblem: { seq: number; problem: AuditProblem; message: string } | null;
}

export function verifyAuditChain(entries: readonly AuditEntry[], head: { seq: number; hash: string } | null): AuditVerification {
  const position = new Map<string, number>();
  entries.forEach((e, i) => position.set(e.hash, i));
  const fail = (seq: number, problem: AuditProblem, message: string): AuditVerification => ({
    ok: false,
    entries: entries.length,
    headHash: entries.at(-1)?.hash ?? null,
    firstProblem: { seq, problem, message },
  });
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (auditHash(e) !== e.hash) return fail(e.seq, "changed", `entry ${e.seq} (${e.kind} ${e.subject}) was changed: its content no longer matches its hash`);
    if (e.prevHash !== prevHash) {
      const linked = position.get(e.prevHash);
      if (linked !== undefined && linked !== i - 1) {
        return fail(e.seq, "reordered", `entry ${e.seq} (${e.kind} ${e.subject}) is out of order: it follows entry ${entries[linked]!.seq}, not entry ${expectedSeq - 1}`);
      }
      if (e.seq > expectedSeq) return fail(expectedSeq, "removed", `entry ${expectedSeq} was removed (entry ${e.seq} links to a hash no entry has)`);
      if (i === 0) return fail(e.seq, "removed", `the entries before entry ${e.seq} were removed`);
      return fail(entries[i - 1]!.seq, "changed", `entry ${entries[i - 1]!.seq} was changed (entry ${e.seq} no longer links to it)`);
    }
    if (e.seq !== expectedSeq) return fail(expectedSeq, "reordered", `entry numbering is broken at ${expectedSeq} (found ${e.seq})`);
    prevHash = e.hash;
    expectedSeq = e.seq + 1;
  }
  // the head row is written in the same transaction as every entry: entries without it were cut
  if (!head && entries.length) return fail(entries.at(-1)!.seq, "truncated", `the log's recorded head is missing: entries may have been removed from the end (the log now ends at entry ${entries.at(-1)!.seq})`);
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prevHash)) {
    if (head.seq >= expectedSeq) return fail(expectedSeq, "truncated", `entries ${expectedSeq}…${head.seq} were removed from the end of the log`);
    return fail(head.seq, "changed", `the log's recorded head (entry ${head.seq}) does not match its last entry`);
  }
  return { ok: true, entries: entries.length, headHash: entries.length ? prevHash : null, firstProblem: null };
}
