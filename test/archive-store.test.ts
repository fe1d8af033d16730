/**
 * One storage suite, run against both adapters: SQLite always; PostgreSQL when
 * PODPIS_TEST_DATABASE_URL reaches a server (scripts/ci-postgres.sh starts one). In CI (CI=true)
 * an unreachable server fails the suite; locally it is skipped with a loud message.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { PG_URL, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";
import { afterAll, describe, expect, it } from "vitest";
import { keyAccepts, newApiKey, newSecret, parseApiKey, secretMatches } from "../src/archive/api-keys.js";
import { verifyAuditChain } from "../src/archive/audit.js";
import type { ArchiveStore, NewSubmission } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { sha256hex } from "../src/archive/record.js";
import { SqliteArchive } from "../src/archive/sqlite.js";

const FORMAT = "{register}-{yyyy}-{seq:6}";
const AT = new Date("2026-06-01T00:00:00Z");

function submission(over: Partial<NewSubmission> = {}): NewSubmission {
  const doc = Buffer.from(`signed ${randomUUID()}`);
  const crl = Buffer.from("a CRL");
  return {
    id: randomUUID(),
    register: "PDP",
    receivedAt: AT,
    validationTime: AT,
    applicant: "Иван Петров Иванов",
    service: "urn:service:test",
    accepted: true,
    policyVersion: "test-policy",
    document: doc,
    contents: [Buffer.from("content")],
    reportJson: JSON.stringify({ indication: "TOTAL_PASSED" }),
    indication: "TOTAL_PASSED",
    material: [{ kind: "crl", sha256: sha256hex(crl), bytes: crl }],
    ...over,
  };
}

const seal = async (a: { registrationNumber: string }) => `<Receipt n="${a.registrationNumber}"/>`;

interface Target {
  name: string;
  /** a new, empty store each time: every test sets up what it reads, so any order works */
  open(): Promise<ArchiveStore>;
  /** raw SQL to tamper with the log */
  exec(store: ArchiveStore, sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

function storageSuite(t: Target): void {
  const opened: ArchiveStore[] = [];
  const freshStore = async (): Promise<ArchiveStore> => {
    const store = await t.open();
    opened.push(store);
    await store.migrate();
    await store.migrate(); // idempotent
    return store;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
    await t.cleanup();
  });

  it("stores a submission with everything in one record and serves it back", async () => {
    const store = await freshStore();
    const s = submission();
    const rec = await store.submit(s, seal);
    expect(rec.registrationNumber).toBe("PDP-2026-000001");
    expect(rec.sequence).toBe(1);
    expect(rec.accepted).toBe(true);
    expect(rec.documentSha256).toBe(sha256hex(s.document));
    expect(rec.contents).toEqual([{ sha256: sha256hex("content"), size: 7 }]);
    const doc = await store.getDocument(s.id);
    expect(Buffer.compare(doc!.document, Buffer.from(s.document))).toBe(0);
    expect(doc!.contents.map((c) => c.toString())).toEqual(["content"]);
    expect(await store.getReport(s.id)).toBe(s.reportJson);
    expect(await store.getReceipt(s.id)).toBe('<Receipt n="PDP-2026-000001"/>');
    expect(rec.receiptSha256).toBe(sha256hex('<Receipt n="PDP-2026-000001"/>'));
    const m = await store.getMaterial(s.id);
    expect(m.map((x) => x.kind)).toEqual(["crl"]);
    expect(Buffer.from(m[0]!.bytes).toString()).toBe("a CRL");
    expect((await store.findByRegistrationNumber("PDP-2026-000001"))?.id).toBe(s.id);
    expect(await store.getSubmission(randomUUID())).toBeNull();
  });

  it("keeps shared material once and links it to every submission", async () => {
    const store = await freshStore();
    const a = await store.submit(submission(), seal);
    const b = await store.submit(submission(), seal);
    expect((await store.getMaterial(a.id))[0]!.sha256).toBe((await store.getMaterial(b.id))[0]!.sha256);
  });

  it("uses no number when sealing fails: the transaction rolls back", async () => {
    const store = await freshStore();
    expect((await store.submit(submission(), seal)).sequence).toBe(1);
    const s = submission();
    await expect(store.submit(s, async () => Promise.reject(new Error("HSM unplugged")))).rejects.toThrow("HSM unplugged");
    expect(await store.getSubmission(s.id)).toBeNull();
    const next = await store.submit(submission(), seal);
    expect(next.sequence).toBe(2);
  });

  it("numbers concurrent submissions gap-free and in order per register", async () => {
    const store = await freshStore();
    const recs = await Promise.all(Array.from({ length: 20 }, () => store.submit(submission(), seal)));
    expect(recs.map((r) => r.sequence).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 1 + i));
    const other = await store.submit(submission({ register: "ZAP" }), seal);
    expect(other.registrationNumber).toBe("ZAP-2026-000001");
  });

  it("stores API keys hashed, with scopes", async () => {
    const store = await freshStore();
    const { key, record } = newApiKey(`portal-${randomUUID()}`, ["verify", "submit"], AT);
    await store.createApiKey(record);
    const p = parseApiKey(key)!;
    const found = await store.findApiKey(p.id);
    expect(found?.scopes).toEqual(["verify", "submit"]);
    expect(found?.secretHash).not.toContain(p.secret);
    expect(secretMatches(found!, p.secret)).toBe(true);
    expect(secretMatches(found!, p.secret.replace(/.$/, (c) => (c === "A" ? "B" : "A")))).toBe(false);
  });

  it("lists, revokes and rotates API keys, each logged (issue 10.8)", async () => {
    const store = await freshStore();
    const name = `rot-${randomUUID()}`;
    const { key, record } = newApiKey(name, ["audit"], AT);
    await store.createApiKey(record);
    expect((await store.listApiKeys()).find((k) => k.name === name)).toMatchObject({ revokedAt: null, lastUsedAt: null, previousSecretHash: null });
    await store.touchApiKey(record.id, AT);
    expect((await store.findApiKey(record.id))?.lastUsedAt).toBe(AT.toISOString());
    const fresh = newSecret(record.id);
    const until = new Date(AT.getTime() + 60_000);
    const rotated = (await store.rotateApiKey(name, fresh.secretHash, until, AT))!;
    const oldSecret = parseApiKey(key)!.secret;
    const newSecretText = parseApiKey(fresh.key)!.secret;
    expect(keyAccepts(rotated, newSecretText, AT)).toBe(true);
    expect(keyAccepts(rotated, oldSecret, AT)).toBe(true);
    expect(keyAccepts(rotated, oldSecret, until)).toBe(false);
    const revoked = (await store.revokeApiKey(name, AT))!;
    expect(revoked.revokedAt).toBe(AT.toISOString());
    expect(keyAccepts(revoked, newSecretText, AT)).toBe(false);
    expect(await store.revokeApiKey(`none-${randomUUID()}`, AT)).toBeNull();
    expect(await store.rotateApiKey(name, fresh.secretHash, until, AT)).toBeNull(); // a revoked key is not rotated back to life
    const logged = (await store.auditEntriesFor(name)).map((e) => JSON.parse(e.data).action);
    expect(logged).toEqual(["create", "rotate", "revoke"]);
  });

  it("keeps an audit chain that verifies, and names the first changed, removed or reordered entry", async () => {
    const store = await freshStore();
    for (let i = 0; i < 12; i++) await store.submit(submission(), seal);
    await store.createApiKey(newApiKey(`audit-${randomUUID()}`, ["audit"], AT).record);
    await store.appendAudit("revalidation", "x", { indication: "TOTAL_PASSED" }, AT);
    const entries = await store.auditEntries();
    const head = await store.auditHead();
    // each submission logs itself and its receipt
    expect(entries.map((e) => e.kind)).toEqual([...Array.from({ length: 12 }, () => ["submission", "receipt"]).flat(), "api-key", "revalidation"]);
    expect(verifyAuditChain(entries, head)).toMatchObject({ ok: true, firstProblem: null });
    expect(head?.seq).toBe(entries.at(-1)!.seq);

    const changed = entries.map((e) => (e.seq === 7 ? { ...e, data: e.data.replace("TOTAL_PASSED", "TOTAL_FAILED") } : e));
    expect(verifyAuditChain(changed, head).firstProblem).toMatchObject({ seq: 7, problem: "changed" });
    const removed = entries.filter((e) => e.seq !== 9);
    expect(verifyAuditChain(removed, head).firstProblem).toMatchObject({ seq: 9, problem: "removed" });
    const swapped = [...entries];
    [swapped[4], swapped[5]] = [swapped[5]!, swapped[4]!];
    expect(verifyAuditChain(swapped, head).firstProblem).toMatchObject({ problem: "reordered" });
    expect(verifyAuditChain(entries.slice(0, -2), head).firstProblem).toMatchObject({ seq: entries.length - 1, problem: "truncated" });

    // the same, in the database itself
    await t.exec(store, "UPDATE audit_log SET data = replace(data, 'PDP', 'XXX') WHERE seq = 3");
    const v = verifyAuditChain(await store.auditEntries(), await store.auditHead());
    expect(v.firstProblem).toMatchObject({ seq: 3, problem: "changed" });
  });
}

describe("archive storage: SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "podpis-archive-"));
  storageSuite({
    name: "sqlite",
    open: async () => new SqliteArchive({ path: join(dir, `${randomUUID()}.sqlite`), numberFormat: FORMAT }),
    exec: async (s, sql) => void (s as SqliteArchive).raw.exec(sql),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  });

  it("runs in WAL mode with synchronous=FULL", () => {
    const s = new SqliteArchive({ path: join(dir, "b.sqlite"), numberFormat: FORMAT });
    expect(s.raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(s.raw.pragma("synchronous", { simple: true })).toBe(2);
    void s.close();
  });
});

const pgDown = await pgProblem();
if (pgDown) {
  const msg = pgSkipMessage(pgDown);
  if (process.env.CI === "true") {
    describe("archive storage: PostgreSQL", () => it("needs a PostgreSQL server in CI", () => expect.fail(msg)));
  } else {
    console.warn(`\n!!! SKIPPING the PostgreSQL archive suite: ${msg}\n`);
    describe.skip("archive storage: PostgreSQL (server not reachable)", () => it("skipped", () => {}));
  }
} else {
  describe("archive storage: PostgreSQL", () => {
    const schemas: string[] = [];
    storageSuite({
      name: "postgres",
      open: async () => {
        const schema = `t_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
        schemas.push(schema);
        return new PostgresArchive({ url: PG_URL, numberFormat: FORMAT, schema });
      },
      exec: async (s, sql) => void (await (s as PostgresArchive).rawQuery(sql)),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    });
  });
}
