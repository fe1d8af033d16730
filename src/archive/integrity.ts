/**
 * Does what is stored still match what the audit log recorded when it was stored (issue 10.2)?
 * The chain (audit.ts) proves the log itself; this compares every archived object and row with
 * its log entry: the document, each detached content, the report, the receipt and the linked
 * material by SHA-256, the row's fields by value. Pure: the caller reads the archive.
 *
 * Entries written before schema 2 do not record the applicant, the service or the validation
 * time; for those the sealed receipt (whose hash every entry records) and the archived report
 * (likewise) are the witnesses: the receipt names applicant and service, the report its time.
 */
import { parseXml } from "../xades/xml.js";
import { RECEIPT_NS } from "../receipt/document.js";
import { auditHash } from "./audit.js";
import type { ApiKeyRecord, AuditEntry, EvidenceRecord, FileRef, Material, SubmissionRecord } from "./port.js";
import { applicantHash, sha256hex } from "./record.js";

export interface Mismatch {
  /** what the finding is about: "submission <id>", "api key <name>", "audit entry <n>" */
  subject: string;
  /** the archived object or field: "document", "content 0", "report", "receipt", "material crl <sha256>", "applicant", "accepted", "row", … */
  object: string;
  message: string;
  /** the audit entry compared with, when there is one */
  entry?: number;
}

export interface Integrity {
  ok: boolean;
  mismatches: Mismatch[];
}

/** A content in the file store, read back by the caller (file-store.ts check). */
export interface StoredContentCheck {
  ref: FileRef;
  /** the file's SHA-256 as read; null when it could not be read (missing, other size) */
  sha256: string | null;
  problem: string | null;
}

/** One submission as stored, with the log entries about it. */
export interface SubmissionSnapshot {
  record: SubmissionRecord;
  document: Buffer;
  /** bytes from the row, or a file-store content as read back (its SHA-256, or what was wrong) */
  contents: Array<Buffer | StoredContentCheck>;
  report: string;
  receipt: string;
  material: Material[];
  entries: AuditEntry[];
  /** the newest version of the long-term evidence (B-LTA), when the snapshot read it */
  evidence?: EvidenceRecord | null;
}

interface LoggedSubmission {
  registrationNumber?: string;
  register?: string;
  sequence?: number;
  documentSha256?: string;
  contents?: string[];
  reportSha256?: string;
  indication?: string;
  accepted?: boolean;
  policyVersion?: string;
  material?: string[];
  applicantSha256?: string;
  service?: string;
  validationTime?: string;
}

const parse = <T>(e: AuditEntry | undefined): T | null => {
  if (!e) return null;
  try {
    return JSON.parse(e.data) as T;
  } catch {
    return null;
  }
};

/** The applicant and service the sealed receipt names (the witness for entries before schema 2). */
function receiptNames(receipt: string): { applicant: string | null; service: string | null } {
  try {
    const root = parseXml(receipt).root;
    return {
      applicant: root.first(RECEIPT_NS, "Applicant")?.text() ?? null,
      service: root.first(RECEIPT_NS, "DocumentType")?.first(RECEIPT_NS, "URI")?.text() ?? null,
    };
  } catch {
    return { applicant: null, service: null };
  }
}

function reportTime(report: string): string | undefined {
  try {
    const t = (JSON.parse(report) as { validationTime?: unknown }).validationTime;
    return typeof t === "string" ? t : undefined;
  } catch {
    return undefined;
  }
}

export function checkSubmission(s: SubmissionSnapshot): Mismatch[] {
  const r = s.record;
  const subject = `submission ${r.id} (${r.registrationNumber})`;
  const out: Mismatch[] = [];
  const add = (object: string, message: string, entry?: AuditEntry) => out.push({ subject, object, message, ...(entry ? { entry: entry.seq } : {}) });
  const subEntry = s.entries.find((e) => e.kind === "submission");
  const rcptEntry = s.entries.find((e) => e.kind === "receipt");
  for (const e of [subEntry, rcptEntry]) if (e && auditHash(e) !== e.hash) add("audit entry", `audit entry ${e.seq} (${e.kind}) no longer matches its own hash`, e);
  if (!subEntry) add("row", "no audit entry records this submission: the row was written outside the service");
  if (!rcptEntry) add("receipt", "no audit entry records this submission's receipt");
  const logged = parse<LoggedSubmission>(subEntry) ?? {};

  const bytes = (object: string, actual: string, row: string | null, log: string | undefined) => {
    if (row !== null && actual !== row) add(object, `the stored bytes hash to ${actual}, the row records ${row}`);
    if (subEntry && log !== undefined && actual !== log) add(object, `the stored bytes hash to ${actual}, audit entry ${subEntry.seq} recorded ${log}`, subEntry);
  };
  bytes("document", sha256hex(s.document), r.documentSha256, logged.documentSha256);
  const loggedContents = logged.contents ?? [];
  if (subEntry && loggedContents.length !== s.contents.length) add("contents", `${s.contents.length} detached content(s) stored, audit entry ${subEntry.seq} recorded ${loggedContents.length}`, subEntry);
  s.contents.forEach((c, i) => {
    if (c instanceof Uint8Array) return bytes(`content ${i}`, sha256hex(c), r.contents[i]?.sha256 ?? null, loggedContents[i]);
    // issue 15: a file-store content is checked by reading the file (missing or altered is a finding)
    if (c.problem !== null || c.sha256 === null) return add(`content ${i}`, c.problem ?? `the file ${c.ref.location} cannot be read`);
    bytes(`content ${i}`, c.sha256, r.contents[i]?.sha256 ?? null, loggedContents[i]);
  });
  bytes("report", sha256hex(s.report), null, logged.reportSha256);

  const receiptSha = sha256hex(s.receipt);
  if (receiptSha !== r.receiptSha256) add("receipt", `the stored receipt hashes to ${receiptSha}, the row records ${r.receiptSha256}`);
  const loggedReceipt = parse<{ receiptSha256?: string }>(rcptEntry)?.receiptSha256;
  const receiptTrusted = rcptEntry !== undefined && loggedReceipt === receiptSha;
  if (rcptEntry && !receiptTrusted) add("receipt", `the stored receipt hashes to ${receiptSha}, audit entry ${rcptEntry.seq} recorded ${loggedReceipt}`, rcptEntry);

  for (const m of s.material) {
    const actual = sha256hex(m.bytes);
    if (actual !== m.sha256) add(`material ${m.kind} ${m.sha256}`, `the stored ${m.kind} bytes hash to ${actual}, not to the hash they are stored under`);
  }
  if (subEntry && logged.material) {
    const stored = s.material.map((m) => m.sha256).sort();
    const log = [...logged.material].sort();
    for (const h of log) if (!stored.includes(h)) add(`material ${h}`, `audit entry ${subEntry.seq} links this material, the archive no longer does`, subEntry);
    for (const h of stored) if (!log.includes(h)) add(`material ${h}`, `the archive links material audit entry ${subEntry.seq} does not record`, subEntry);
  }

  if (subEntry) {
    const field = (object: string, stored: unknown, log: unknown) => {
      if (log !== undefined && stored !== log) add(object, `the row says ${JSON.stringify(stored)}, audit entry ${subEntry.seq} recorded ${JSON.stringify(log)}`, subEntry);
    };
    field("registrationNumber", r.registrationNumber, logged.registrationNumber);
    field("register", r.register, logged.register);
    field("sequence", r.sequence, logged.sequence);
    field("indication", r.indication, logged.indication);
    field("accepted", r.accepted, logged.accepted);
    field("policyVersion", r.policyVersion, logged.policyVersion);
    field("receivedAt", r.receivedAt, subEntry.at);
    field("service", r.service, logged.service);
    field("validationTime", r.validationTime, logged.validationTime);
    if (logged.applicantSha256 !== undefined && applicantHash(r.id, r.applicant) !== logged.applicantSha256) {
      add("applicant", `the row's applicant is not the one audit entry ${subEntry.seq} recorded`, subEntry);
    }
  }
  // entries before schema 2: the receipt (when its hash is the logged one) and the report witness the rest
  if (receiptTrusted && (logged.applicantSha256 === undefined || logged.service === undefined)) {
    const named = receiptNames(s.receipt);
    if (logged.applicantSha256 === undefined && named.applicant !== null && named.applicant !== r.applicant) add("applicant", "the row's applicant is not the one the sealed receipt names", rcptEntry);
    if (logged.service === undefined && named.service !== null && named.service !== r.service) add("service", `the row says ${JSON.stringify(r.service)}, the sealed receipt names ${JSON.stringify(named.service)}`, rcptEntry);
  }
  if (s.evidence !== undefined) out.push(...checkEvidence(s.evidence, s.entries, subject));
  if (logged.validationTime === undefined && logged.reportSha256 === sha256hex(s.report)) {
    const t = reportTime(s.report);
    if (t !== undefined && t !== r.validationTime) add("validationTime", `the row says ${r.validationTime}, the archived report ${t}`);
  }
  return out;
}

/**
 * The long-term evidence against its log entries: every version is logged with its SHA-256 when
 * it is stored (at receipt, then by `archive renew`). The newest stored version must hash to what
 * its row and its entry record, and no logged version may be newer than the newest stored one
 * (a renewal removed, or evidence rolled back to an older version).
 */
export function checkEvidence(ev: EvidenceRecord | null, entries: readonly AuditEntry[], subject: string): Mismatch[] {
  const out: Mismatch[] = [];
  const logged = entries
    .filter((e) => e.kind === "evidence")
    .map((e) => ({ e, d: parse<{ version?: number; sha256?: string }>(e) ?? {} }))
    .filter((x) => typeof x.d.version === "number");
  for (const x of logged) if (auditHash(x.e) !== x.e.hash) out.push({ subject, object: "audit entry", entry: x.e.seq, message: `audit entry ${x.e.seq} (evidence) no longer matches its own hash` });
  const newestLogged = logged.reduce<(typeof logged)[number] | null>((m, x) => (!m || x.d.version! > m.d.version! ? x : m), null);
  if (!ev) {
    if (newestLogged) out.push({ subject, object: "evidence", entry: newestLogged.e.seq, message: `audit entry ${newestLogged.e.seq} recorded evidence version ${newestLogged.d.version}, the archive holds none` });
    return out;
  }
  const object = `evidence ${ev.version}`;
  const actual = sha256hex(ev.bytes);
  if (actual !== ev.sha256) out.push({ subject, object, message: `the stored evidence hashes to ${actual}, its row records ${ev.sha256}` });
  const mine = logged.find((x) => x.d.version === ev.version);
  if (!mine) out.push({ subject, object, message: `no audit entry records evidence version ${ev.version}: it was written outside the service` });
  else if (mine.d.sha256 !== actual) out.push({ subject, object, entry: mine.e.seq, message: `the stored evidence hashes to ${actual}, audit entry ${mine.e.seq} recorded ${mine.d.sha256}` });
  if (newestLogged && newestLogged.d.version! > ev.version) {
    out.push({ subject, object: "evidence", entry: newestLogged.e.seq, message: `audit entry ${newestLogged.e.seq} recorded evidence version ${newestLogged.d.version}, the newest stored is version ${ev.version}` });
  }
  return out;
}

/** The log entries about submissions that are no longer in the archive. */
export function orphanEntries(entries: readonly AuditEntry[], submissionIds: ReadonlySet<string>): Mismatch[] {
  const out: Mismatch[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.kind !== "submission" && e.kind !== "receipt" && e.kind !== "revalidation") continue;
    if (submissionIds.has(e.subject) || seen.has(e.subject)) continue;
    seen.add(e.subject);
    out.push({ subject: `submission ${e.subject}`, object: "row", entry: e.seq, message: `audit entry ${e.seq} (${e.kind}) names submission ${e.subject}, which is no longer in the archive` });
  }
  return out;
}

interface LoggedKey {
  action?: "create" | "revoke" | "rotate";
  id?: string;
  scopes?: string[];
  secretHash?: string;
}

/**
 * Every key row against its log entries: created by the service (not inserted by hand), with the
 * logged scopes and secret, and still revoked once the log says so. Entries before schema 2
 * carry no secret hash; for those only id and scopes are compared.
 */
export function checkApiKeys(keys: readonly ApiKeyRecord[], entries: readonly AuditEntry[]): Mismatch[] {
  const out: Mismatch[] = [];
  const byName = new Map<string, AuditEntry[]>();
  for (const e of entries) if (e.kind === "api-key") byName.set(e.subject, [...(byName.get(e.subject) ?? []), e]);
  for (const k of keys) {
    const subject = `api key ${k.name}`;
    const mine = (byName.get(k.name) ?? []).map((e) => ({ e, d: parse<LoggedKey>(e) ?? {} })).filter((x) => x.d.id === k.id);
    const created = mine.find((x) => (x.d.action ?? "create") === "create");
    if (!created) {
      out.push({ subject, object: "row", message: `no audit entry records the creation of key ${k.id}: the row was written outside the service` });
      continue;
    }
    if (created.d.scopes && [...created.d.scopes].sort().join(",") !== [...k.scopes].sort().join(",")) {
      out.push({ subject, object: "scopes", entry: created.e.seq, message: `the row grants ${k.scopes.join(", ")}, audit entry ${created.e.seq} recorded ${created.d.scopes.join(", ")}` });
    }
    const lastSecret = [...mine].reverse().find((x) => x.d.secretHash !== undefined);
    if (lastSecret && lastSecret.d.secretHash !== k.secretHash) {
      out.push({ subject, object: "secret", entry: lastSecret.e.seq, message: `the row's secret hash is not the one audit entry ${lastSecret.e.seq} recorded` });
    }
    const revoked = mine.find((x) => x.d.action === "revoke");
    if (revoked && !k.revokedAt) out.push({ subject, object: "revokedAt", entry: revoked.e.seq, message: `audit entry ${revoked.e.seq} revoked this key, the row makes it usable again` });
  }
  const rows = new Set(keys.map((k) => k.id));
  for (const [name, list] of byName) {
    for (const e of list) {
      const d = parse<LoggedKey>(e) ?? {};
      if ((d.action ?? "create") === "create" && d.id && !rows.has(d.id)) {
        out.push({ subject: `api key ${name}`, object: "row", entry: e.seq, message: `audit entry ${e.seq} created key ${d.id}, which is no longer in the archive` });
      }
    }
  }
  return out;
}
