/**
 * Issue 15, what one SQLite submission costs to write: a new archive uses 16 KiB pages, the
 * receipt is kept once (as its log entry) and read back whole, a batch's audit entries chain
 * with one head write, and the record a submission answers with is the row as stored.
 */
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/archive/audit.js";
import type { NewSubmission } from "../src/archive/port.js";
import { sha256hex } from "../src/archive/record.js";
import { PAGE_SIZE, SqliteArchive } from "../src/archive/sqlite.js";
import { verifyArchive } from "../src/archive/verify-archive.js";

const AT = new Date("2026-06-01T00:00:00Z");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dbPath = () => {
  const d = mkdtempSync(join(tmpdir(), "podpis-sqlite-write-"));
  dirs.push(d);
  return join(d, "archive.db");
};

const crl = Buffer.from("a CRL");
const submission = (i: number): NewSubmission => ({
  id: randomUUID(), register: "PDP", receivedAt: AT, validationTime: AT, applicant: `Заявител ${i}`, service: "urn:service:test", accepted: true,
  policyVersion: "p", document: Buffer.from(`signed ${i}`), contents: [Buffer.from(`content ${i}`)], reportJson: `{"n":${i}}`, indication: "TOTAL_PASSED",
  material: [{ kind: "crl", sha256: sha256hex(crl), bytes: crl }], evidence: Buffer.from(`evidence ${i}`),
});
const seal = async (a: { registrationNumber: string }) => `<Receipt n="${a.registrationNumber}">Заявление</Receipt>`;

describe("the SQLite archive's write", () => {
  it("makes a new archive with 16 KiB pages; an existing one keeps its page size and works", async () => {
    const fresh = dbPath();
    const a = new SqliteArchive({ path: fresh, numberFormat: "{register}-{seq:6}" });
    await a.migrate();
    expect(a.raw.pragma("page_size", { simple: true })).toBe(PAGE_SIZE);
    expect(PAGE_SIZE).toBe(16_384);
    await a.close();
    const old = dbPath();
    const pre = new Database(old);
    pre.pragma("page_size = 4096");
    pre.pragma("journal_mode = WAL");
    pre.exec("CREATE TABLE t (x)");
    pre.close();
    const b = new SqliteArchive({ path: old, numberFormat: "{register}-{seq:6}" });
    await b.migrate();
    expect(b.raw.pragma("page_size", { simple: true })).toBe(4096);
    expect((await b.submit(submission(0), seal)).sequence).toBe(1);
    await b.close();
  });

  it("answers with the record as stored, keeps the receipt once, chains a batch's audit entries with one head", async () => {
    const a = new SqliteArchive({ path: dbPath(), numberFormat: "{register}-{seq:6}" });
    await a.migrate();
    const records = await Promise.all(Array.from({ length: 12 }, (_, i) => a.submit(submission(i), seal)));
    expect(a.commitStats.batches).toBeLessThan(12); // some shared a transaction
    for (const r of records) {
      expect(r).toEqual(await a.getSubmission(r.id));
      const receipt = await a.getReceipt(r.id);
      expect(receipt).toBe(`<Receipt n="${r.registrationNumber}">Заявление</Receipt>`);
      expect(sha256hex(receipt!)).toBe(r.receiptSha256);
      // one copy: the log entry; the row's column is empty
      expect((a.raw.prepare("SELECT receipt FROM submissions WHERE id = ?").get(r.id) as { receipt: string }).receipt).toBe("");
      expect((await a.transparencyLog.entryOf(r.id))!.entry.toString("utf8")).toBe(receipt);
    }
    const entries = await a.auditEntries();
    expect(entries.length).toBe(12 * 3);
    expect(verifyAuditChain(entries, await a.auditHead()).ok).toBe(true);
    expect(await a.auditHead()).toEqual({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });
    expect((await verifyArchive(a)).ok).toBe(true);
    await a.close();
  });

  it("reads a receipt kept in the row (written before it was kept once) and names a changed log entry", async () => {
    const a = new SqliteArchive({ path: dbPath(), numberFormat: "{register}-{seq:6}" });
    await a.migrate();
    const r = await a.submit(submission(1), seal);
    const receipt = (await a.getReceipt(r.id))!;
    // as an older version stored it: the column holds the copy
    a.raw.prepare("UPDATE submissions SET receipt = ? WHERE id = ?").run(receipt, r.id);
    expect(await a.getReceipt(r.id)).toBe(receipt);
    expect((await verifyArchive(a)).ok).toBe(true);
    a.raw.prepare("UPDATE submissions SET receipt = '' WHERE id = ?").run(r.id);
    a.raw.prepare("UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'Receipt', 'Receipu') AS BLOB) WHERE submission_id = ?").run(r.id);
    const v = await verifyArchive(a);
    expect(v.ok).toBe(false);
    await a.close();
  });

  it("checkpoints the batch writer's WAL in a thread of its own, not inside its COMMIT; the database file then holds the rows", async () => {
    const path = dbPath();
    const a = new SqliteArchive({ path, numberFormat: "{register}-{seq:6}" });
    await a.migrate();
    expect(a.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000); // not a batch writer yet
    const records = await Promise.all(Array.from({ length: 20 }, (_, i) => a.submit(submission(i), seal)));
    expect(a.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    await a.checkpointNow();
    const stats = a.commitStats.checkpoints!;
    expect(stats.failed).toBeNull();
    expect(stats.runs).toBeGreaterThan(0);
    expect(stats.lastLog).toBeGreaterThan(0);
    expect(stats.lastCheckpointed).toBe(stats.lastLog);
    // the database file alone (no -wal beside it) has every committed submission
    const copy = path + ".copy";
    copyFileSync(path, copy);
    const alone = new Database(copy, { readonly: true });
    expect((alone.prepare("SELECT count(*) AS n FROM submissions").get() as { n: number }).n).toBe(20);
    alone.close();
    await a.close();
    const b = new SqliteArchive({ path, numberFormat: "{register}-{seq:6}" });
    for (const r of records) expect(await b.getSubmission(r.id)).toEqual(r);
    expect((await verifyArchive(b)).ok).toBe(true);
    await b.close();
  });
  it("stores a receipt given as its UTF-8 bytes (the node's writer, writer-ipc.ts) as it stores the text", async () => {
    const a = new SqliteArchive({ path: dbPath(), numberFormat: "{register}-{seq:6}" });
    await a.migrate();
    const asText = await a.submit(submission(1), seal);
    const asBytes = await a.submit(submission(2), async (n) => Buffer.from(await seal(n), "utf8"));
    const text = await seal({ registrationNumber: asBytes.registrationNumber });
    expect(asBytes.receiptSha256).toBe(sha256hex(Buffer.from(text, "utf8")));
    expect(await a.getReceipt(asBytes.id)).toBe(text);
    expect((await a.transparencyLog.entryOf(asBytes.id))!.entry.toString("utf8")).toBe(text);
    expect(asText.receiptSha256).toBe(sha256hex(await seal({ registrationNumber: asText.registrationNumber })));
    expect((await verifyArchive(a)).ok).toBe(true);
    await a.close();
  });
});
