/**
 * Issue 10.2: `audit verify` must see a rewritten archive, not only a rewritten log. Each
 * tampering below is made with raw SQL on a fresh archive (SQLite, and PostgreSQL when
 * reachable) and must be found with the object named; an untouched archive verifies.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import type { ArchiveStore, NewSubmission } from "../src/archive/port.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { sha256hex } from "../src/archive/record.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { type ArchiveVerification, verifyArchive } from "../src/archive/verify-archive.js";
import { auditCommand } from "../src/cli/audit.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const FORMAT = "{register}-{yyyy}-{seq:6}";
const AT = new Date("2026-06-01T00:00:00Z");

function submission(accepted: boolean): NewSubmission {
  const crl = Buffer.from(`a CRL ${randomUUID()}`);
  const indication = accepted ? "TOTAL_PASSED" : "TOTAL_FAILED";
  return {
    id: randomUUID(), register: "PDP", receivedAt: AT, validationTime: AT, applicant: "Иван Петров Иванов", service: "urn:service:test", accepted,
    policyVersion: "test-policy", document: Buffer.from(`signed ${randomUUID()}`), contents: [Buffer.from("content")],
    reportJson: JSON.stringify({ validationTime: AT.toISOString(), indication }), indication,
    material: [{ kind: "crl", sha256: sha256hex(crl), bytes: crl }],
    // long-term evidence is stored (and logged) with accepted submissions only
    evidence: accepted ? Buffer.from(`B-LTA evidence ${randomUUID()}`) : null,
  };
}

/** SQLite keeps a receipt once, as its log entry (issue 15): that is the stored copy to change */
const SQLITE_RECEIPT_TAMPER = "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'Receipt', 'Receipu') AS BLOB) WHERE submission_id = ?";

const seal = async (a: { registrationNumber: string }) => `<Receipt n="${a.registrationNumber}"/>`;

interface Target {
  open(): Promise<ArchiveStore>;
  /** raw SQL with ? placeholders */
  exec(store: ArchiveStore, sql: string, params?: unknown[]): Promise<void>;
  one(store: ArchiveStore, sql: string, params?: unknown[]): Promise<Record<string, unknown>>;
}

interface Fixture {
  store: ArchiveStore;
  accepted: string;
  rejected: string;
}

async function fixture(t: Target): Promise<Fixture> {
  const store = await t.open();
  await store.migrate();
  const a = await store.submit(submission(true), seal);
  const r = await store.submit(submission(false), seal);
  await store.submit(submission(true), seal);
  const { record } = newApiKey("portal", ["verify"], AT);
  await store.createApiKey(record);
  await store.appendAudit("revalidation", a.id, { indication: "TOTAL_PASSED" }, AT);
  // a renewal (`archive renew`): evidence version 2 of the accepted submission
  await store.addEvidence(a.id, Buffer.from(`renewed evidence ${randomUUID()}`), AT, { reason: "renewal" });
  return { store, accepted: a.id, rejected: r.id };
}

/** flips the first byte of a BLOB/BYTEA, read and written back as bytes */
async function flipByte(t: Target, store: ArchiveStore, table: string, column: string, where: string, params: unknown[]): Promise<void> {
  const row = await t.one(store, `SELECT ${column} AS b FROM ${table} WHERE ${where}`, params);
  const b = Buffer.from(row.b as Buffer);
  b[0] = b[0]! ^ 0x01;
  await t.exec(store, `UPDATE ${table} SET ${column} = ? WHERE ${where}`, [b, ...params]);
}

const found = (v: ArchiveVerification) => v.mismatches.map((m) => `${m.subject} | ${m.object}`);

function tamperSuite(t: Target): void {
  const withFixture = async (fn: (f: Fixture) => Promise<void>) => {
    const f = await fixture(t);
    try {
      await fn(f);
    } finally {
      await f.store.close();
    }
  };

  it("an untouched archive verifies, and so does the head an auditor kept", () =>
    withFixture(async ({ store }) => {
      const v = await verifyArchive(store);
      expect(v).toMatchObject({ ok: true, submissions: 3, apiKeys: 1, mismatches: [] });
      expect(v.head!.seq).toBe(v.entries);
      expect((await verifyArchive(store, { expectHead: v.head!.hash })).ok).toBe(true);
      expect((await verifyArchive(store, { expectHead: `${v.head!.seq}:${v.head!.hash}` })).ok).toBe(true);
      // an older head the auditor kept is fine too: the log only grew since
      const older = (await store.auditEntries())[3]!;
      expect((await verifyArchive(store, { expectHead: `${older.seq}:${older.hash}` })).expectedHead).toMatchObject({ ok: true });
    }));

  const cases: Array<{ name: string; tamper: (f: Fixture) => Promise<void>; object: string; subject: (f: Fixture) => string }> = [
    { name: "one byte of a stored report", object: "report", subject: (f) => f.accepted, tamper: (f) => t.exec(f.store, "UPDATE submissions SET report = replace(report, 'TOTAL_PASSED', 'TOTAL_PASSEd') WHERE id = ?", [f.accepted]) },
    { name: "one byte of a stored receipt", object: "receipt", subject: (f) => f.rejected, tamper: (f) => (f.store.kind === "sqlite" ? t.exec(f.store, SQLITE_RECEIPT_TAMPER, [f.rejected]) : t.exec(f.store, "UPDATE submissions SET receipt = replace(receipt, 'Receipt', 'Receipu') WHERE id = ?", [f.rejected])) },
    { name: "one byte of a stored document", object: "document", subject: (f) => f.accepted, tamper: (f) => flipByte(t, f.store, "submissions", "document", "id = ?", [f.accepted]) },
    { name: "one byte of a detached content", object: "content 0", subject: (f) => f.accepted, tamper: (f) => flipByte(t, f.store, "submission_contents", "bytes", "submission_id = ? AND idx = 0", [f.accepted]) },
    {
      name: "one byte of a stored CRL",
      object: "material crl",
      subject: (f) => f.accepted,
      tamper: async (f) => {
        const m = await f.store.getMaterial(f.accepted);
        await flipByte(t, f.store, "material", "bytes", "sha256 = ?", [m[0]!.sha256]);
      },
    },
    { name: "one byte of the newest evidence", object: "evidence 2", subject: (f) => f.accepted, tamper: (f) => flipByte(t, f.store, "submission_evidence", "bytes", "submission_id = ? AND version = 2", [f.accepted]) },
    {
      name: "the newest evidence rewritten with its row's hash to match",
      object: "evidence 2",
      subject: (f) => f.accepted,
      tamper: async (f) => {
        const forged = Buffer.from("forged evidence");
        await t.exec(f.store, "UPDATE submission_evidence SET bytes = ?, sha256 = ? WHERE submission_id = ? AND version = 2", [forged, sha256hex(forged), f.accepted]);
      },
    },
    { name: "a renewal removed (evidence rolled back to version 1)", object: "evidence", subject: (f) => f.accepted, tamper: (f) => t.exec(f.store, "DELETE FROM submission_evidence WHERE submission_id = ? AND version = 2", [f.accepted]) },
    { name: "the applicant", object: "applicant", subject: (f) => f.accepted, tamper: (f) => t.exec(f.store, "UPDATE submissions SET applicant = 'Мария Георгиева' WHERE id = ?", [f.accepted]) },
    { name: "a rejected submission flipped to accepted", object: "accepted", subject: (f) => f.rejected, tamper: (f) => t.exec(f.store, "UPDATE submissions SET accepted = 1, indication = 'TOTAL_PASSED' WHERE id = ?", [f.rejected]) },
    {
      name: "a deleted submission row",
      object: "row",
      subject: (f) => f.rejected,
      tamper: async (f) => {
        for (const table of ["submission_contents", "submission_material", "submission_evidence"]) await t.exec(f.store, `DELETE FROM ${table} WHERE submission_id = ?`, [f.rejected]);
        await t.exec(f.store, "DELETE FROM submissions WHERE id = ?", [f.rejected]);
      },
    },
  ];
  for (const c of cases) {
    it(`finds ${c.name}`, () =>
      withFixture(async (f) => {
        await c.tamper(f);
        const v = await verifyArchive(f.store);
        expect(v.ok).toBe(false);
        expect(v.chain.ok).toBe(true); // the log itself is untouched: only the comparison shows it
        expect(found(v).some((x) => x.startsWith(`submission ${c.subject(f)}`) && x.includes(`| ${c.object}`))).toBe(true);
        // nothing about the submissions that were left alone
        expect(v.mismatches.every((m) => m.subject.startsWith(`submission ${c.subject(f)}`))).toBe(true);
      }));
  }

  it("finds the last audit entry deleted with the head row rewound, given the kept head", () =>
    withFixture(async ({ store }) => {
      const kept = (await verifyArchive(store)).head!;
      await t.exec(store, "DELETE FROM audit_log WHERE seq = ?", [kept.seq]);
      const prev = await t.one(store, "SELECT seq, hash FROM audit_log WHERE seq = ?", [kept.seq - 1]);
      await t.exec(store, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [Number(prev.seq), String(prev.hash)]);
      expect((await verifyArchive(store)).chain.ok).toBe(true); // invisible to the chain alone
      for (const expected of [kept.hash, `${kept.seq}:${kept.hash}`]) {
        const v = await verifyArchive(store, { expectHead: expected });
        expect(v.ok).toBe(false);
        expect(v.expectedHead).toMatchObject({ ok: false });
      }
      expect((await verifyArchive(store, { expectHead: `${kept.seq}:${kept.hash}` })).expectedHead!.message).toContain(`entries ${kept.seq}…${kept.seq} were removed`);
    }));

  it("finds a receipt entry deleted from the end of the log even without a kept head", () =>
    withFixture(async ({ store }) => {
      const entries = await store.auditEntries();
      const last = entries.filter((e) => e.kind === "receipt").at(-1)!;
      // everything from the last receipt entry on goes, and the head is rewound to the entry before
      await t.exec(store, "DELETE FROM audit_log WHERE seq >= ?", [last.seq]);
      const prev = entries.find((e) => e.seq === last.seq - 1)!;
      await t.exec(store, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [prev.seq, prev.hash]);
      const v = await verifyArchive(store);
      expect(v.ok).toBe(false);
      expect(found(v)).toContain(`submission ${last.subject} (PDP-2026-000003) | receipt`);
    }));

  it("finds an API key inserted by hand and a revoked key made usable again", () =>
    withFixture(async ({ store }) => {
      const { record } = newApiKey("intruder", ["audit"], AT);
      await t.exec(store, "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)", [record.id, record.name, record.secretHash, "audit", record.createdAt]);
      await store.revokeApiKey("portal", AT);
      await t.exec(store, "UPDATE api_keys SET revoked_at = NULL WHERE name = ?", ["portal"]);
      await t.exec(store, "UPDATE api_keys SET scopes = 'verify,audit' WHERE name = ?", ["portal"]);
      const v = await verifyArchive(store);
      expect(found(v).sort()).toEqual(["api key intruder | row", "api key portal | revokedAt", "api key portal | scopes"]);
    }));
}

const dir = mkdtempSync(join(tmpdir(), "podpis-tamper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("audit verify against a rewritten archive: SQLite", () => {
  const sqlite = (s: ArchiveStore) => (s as SqliteArchive).raw;
  tamperSuite({
    open: async () => new SqliteArchive({ path: join(dir, `${randomUUID()}.sqlite`), numberFormat: FORMAT }),
    exec: async (s, sql, params = []) => void sqlite(s).prepare(sql).run(...params),
    one: async (s, sql, params = []) => sqlite(s).prepare(sql).get(...params) as Record<string, unknown>,
  });

  it("audit verify prints the head, names what was changed, and checks --expect-head", async () => {
    const data = join(dir, "cli");
    const store = new SqliteArchive({ path: join(data, "podpis.sqlite"), numberFormat: FORMAT });
    await store.migrate();
    const s = await store.submit(submission(true), seal);
    const head = (await verifyArchive(store)).head!;
    await store.close();
    let text = "";
    const out = { stdout: (x: string) => void (text += x), stderr: () => {} };
    expect(await auditCommand(["verify", "--data", data, "--expect-head", head.hash], out)).toBe(0);
    expect(text).toContain(`head ${head.seq}:${head.hash}`);
    expect(text).toContain(`kept head found: entry ${head.seq}`);
    const raw = new SqliteArchive({ path: join(data, "podpis.sqlite"), numberFormat: FORMAT });
    raw.raw.prepare("UPDATE submissions SET applicant = 'X' WHERE id = ?").run(s.id);
    await raw.close();
    text = "";
    expect(await auditCommand(["verify", "--data", data], out)).toBe(2);
    expect(text).toContain(`submission ${s.id} (PDP-2026-000001): applicant:`);
    text = "";
    expect(await auditCommand(["verify", "--data", data, "--expect-head", "0".repeat(64), "--json"], out)).toBe(2);
    expect(JSON.parse(text)).toMatchObject({ ok: false, expectedHead: { ok: false } });
  });
});

const problem = await pgProblem();
if (problem) {
  if (process.env.CI === "true") describe("audit verify against a rewritten archive: PostgreSQL", () => it("needs a PostgreSQL server in CI", () => expect.fail(pgSkipMessage(problem))));
  else {
    console.warn(`\n!!! SKIPPING the PostgreSQL tamper suite: ${pgSkipMessage(problem)}\n`);
    describe.skip("audit verify against a rewritten archive: PostgreSQL (server not reachable)", () => it("skipped", () => {}));
  }
} else {
  describe("audit verify against a rewritten archive: PostgreSQL", () => {
    const schemas: string[] = [];
    afterAll(() => dropSchemas(schemas));
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    tamperSuite({
      open: async () => {
        const schema = newSchemaName();
        schemas.push(schema);
        return new PostgresArchive({ url: PG_URL, numberFormat: FORMAT, schema });
      },
      exec: async (s, sql, params = []) => void (await (s as PostgresArchive).rawQuery(numbered(sql), params)),
      one: async (s, sql, params = []) => (await (s as PostgresArchive).rawQuery(numbered(sql), params))[0]!,
    });
  });
}
