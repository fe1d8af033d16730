/**
 * Issue 10.2, the auditor's routes: GET /api/v1/submissions/{id} and revalidate say when the
 * stored bytes no longer match their logged hashes (`integrity`), and a replay at the time of
 * receipt that does not reproduce the archived report lists where it differs (`differences`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import type { SqliteArchive } from "../src/archive/sqlite.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
let rt: Runtime;
let server: Server;
let base: string;
let dir: string;
let key: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-integrity-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined }, pino({ level: "silent" }));
  const app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1 << 20, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const k = newApiKey("auditor", ["submit", "audit"], new Date(AT));
  await rt.archive.createApiKey(k.record);
  key = k.key;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, init: RequestInit = {}) => fetch(base + path, { ...init, headers: { Authorization: `Bearer ${key}` } });

async function submit(): Promise<string> {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:test");
  const r = await call("/api/v1/submissions", { method: "POST", body: f });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

describe("integrity on the auditor's routes", () => {
  it("says intact for an untouched submission, and names the object once its stored bytes change", async () => {
    const id = await submit();
    const before = (await (await call(`/api/v1/submissions/${id}`)).json()) as { integrity: unknown };
    expect(before.integrity).toEqual({ ok: true, mismatches: [] });
    const again = (await (await call(`/api/v1/submissions/${id}/revalidate?at=received`, { method: "POST" })).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ reproduced: true, integrity: { ok: true } });
    expect(again.differences).toBeUndefined();

    // the archived report is rewritten to say the signature failed
    const raw = (rt.archive as SqliteArchive).raw;
    const report = JSON.parse((raw.prepare("SELECT report FROM submissions WHERE id = ?").get(id) as { report: string }).report) as { signatures: Array<{ indication: string }> };
    report.signatures[0]!.indication = "TOTAL_FAILED";
    raw.prepare("UPDATE submissions SET report = ? WHERE id = ?").run(JSON.stringify(report), id);

    const after = (await (await call(`/api/v1/submissions/${id}`)).json()) as { integrity: { ok: boolean; mismatches: Array<{ object: string }> } };
    expect(after.integrity.ok).toBe(false);
    expect(after.integrity.mismatches.map((m) => m.object)).toEqual(["report"]);

    const r = (await (await call(`/api/v1/submissions/${id}/revalidate?at=received`, { method: "POST" })).json()) as Record<string, unknown>;
    expect(r).toMatchObject({ reproduced: false, integrity: { ok: false } });
    expect(r.differences).toContainEqual({ path: "signatures[0].indication", archived: "TOTAL_FAILED", replayed: "TOTAL_PASSED" });
  });
});
