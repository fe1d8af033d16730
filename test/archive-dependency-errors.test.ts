/**
 * Issue 10.4, where the errors are classified: a SQLite write lock held past the busy timeout,
 * a PostgreSQL connection cut while a transaction holds it (the checked-out client's 'error'
 * event once had no listener and ended the process), and a seal key whose token went away.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { PostgresArchive } from "../src/archive/postgres.js";
import { sha256hex } from "../src/archive/record.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { pgUnavailable, sqliteUnavailable, withDependencyErrors } from "../src/archive/unavailable.js";
import { classifiedSealer, dependencyProbes } from "../src/http/dependencies.js";
import { DependencyUnavailableError } from "../src/io/dependency.js";
import { KeyError, type KeyProvider } from "../src/keys/provider.js";
import type { ReceiptSealer } from "../src/receipt/seal.js";
import { Relay } from "./helpers/tcp-relay.js";
import { PG_URL, dropSchemas, newSchemaName, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";

const dir = mkdtempSync(join(tmpdir(), "podpis-deps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AT = new Date("2026-06-01T00:00:00Z");

describe("SQLite", () => {
  it("a write lock held by another process past the busy timeout is 'database unavailable'", async () => {
    const path = join(dir, "busy.sqlite");
    const store = withDependencyErrors(new SqliteArchive({ path, numberFormat: "{seq}", busyTimeoutMs: 50 }), sqliteUnavailable);
    await store.migrate();
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const e = await store.createApiKey(newApiKey("k", ["verify"], AT).record).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DependencyUnavailableError);
      expect(e).toMatchObject({ dependency: "database", code: "DEPENDENCY_UNAVAILABLE" });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // an error that is the caller's, not the database's, stays what it was
    await store.createApiKey(newApiKey("dup", ["verify"], AT).record);
    const dup = await store.createApiKey({ ...newApiKey("dup", ["verify"], AT).record }).catch((x: unknown) => x);
    expect(dup).not.toBeInstanceOf(DependencyUnavailableError);
    await store.close();
  });
});

describe("withDependencyErrors", () => {
  it("wraps each method once, keeps classifying, and a method replaced on the store gets its own wrapper", async () => {
    const busy = Object.assign(new Error("locked"), { code: "SQLITE_BUSY" });
    const base = { fail: async () => Promise.reject(busy), ok: () => 7, value: 3 } as unknown as Record<string, unknown>;
    const store = withDependencyErrors(base as never, sqliteUnavailable) as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(store.fail).toBe(store.fail);
    expect(store.ok).toBe(store.ok);
    expect(store.ok!()).toBe(7);
    expect(store.value).toBe(3);
    await expect(store.fail!()).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(store.fail!()).rejects.toBeInstanceOf(DependencyUnavailableError);
    const before = store.ok;
    base.ok = () => { throw busy; };
    expect(store.ok).not.toBe(before);
    expect(() => store.ok!()).toThrow(DependencyUnavailableError);
  });
});

describe("seal key", () => {
  const gone = new KeyError("PKCS11_ERROR", "PKCS#11: CKR_DEVICE_REMOVED");
  const key = { certificate: new Uint8Array(), chain: [], keyType: "rsa", keyBits: 2048, schemes: ["rsa-pkcs1"], sign: async () => Promise.reject(gone), close: async () => {} } as KeyProvider;

  it("a token that went away makes sealing 'seal-key unavailable' and readiness not ready", async () => {
    const sealer = classifiedSealer({ certificateSha256: "", provider: { name: "", identifier: null }, seal: async () => Promise.reject(gone), close: async () => {} } as ReceiptSealer);
    await expect(sealer.seal("<r/>", AT)).rejects.toMatchObject({ dependency: "seal-key" });
    const [tsa, seal] = dependencyProbes({ timestamper: async () => new Uint8Array([1]), sealKey: key });
    await expect(tsa!.check()).resolves.toBeUndefined();
    await expect(seal!.check()).rejects.toThrow("CKR_DEVICE_REMOVED");
  });
});

const problem = await pgProblem();
(problem && process.env.CI !== "true" ? describe.skip : describe)("PostgreSQL", () => {
  const schemas: string[] = [];
  afterAll(() => dropSchemas(schemas));

  it("a connection cut inside a transaction fails that submission as 'database unavailable', and nothing else", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const u = new URL(PG_URL);
    const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
    await relay.open();
    const via = new URL(PG_URL);
    via.port = String(relay.port);
    const schema = newSchemaName();
    schemas.push(schema);
    const store = withDependencyErrors(new PostgresArchive({ url: via.toString(), numberFormat: "{seq}", schema }), pgUnavailable);
    await store.migrate();
    const doc = Buffer.from(`d ${randomUUID()}`);
    let sealing!: () => void;
    const inSeal = new Promise<void>((r) => (sealing = r));
    const submitted = store
      .submit(
        { id: randomUUID(), register: "PDP", receivedAt: AT, validationTime: AT, applicant: "A", service: "s", accepted: true, policyVersion: "p", document: doc, contents: [], reportJson: "{}", indication: "TOTAL_PASSED", material: [] },
        async () => {
          sealing();
          await new Promise((r) => setTimeout(r, 500)); // the cut happens while the transaction waits for its seal
          return `<r h="${sha256hex(doc)}"/>`;
        },
      )
      .catch((e: unknown) => e);
    await inSeal;
    await relay.cut();
    expect(await submitted).toMatchObject({ code: "DEPENDENCY_UNAVAILABLE", dependency: "database" });
    await relay.open();
    let back = false;
    for (let i = 0; i < 50 && !back; i++) back = await store.ping().then(() => true, () => new Promise((r) => setTimeout(() => r(false), 100)));
    expect(back).toBe(true);
    await store.close();
    await relay.cut();
  });
});
