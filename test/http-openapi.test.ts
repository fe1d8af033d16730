/**
 * /openapi.json against what the service really does: the paths and methods express has, both
 * ways; and the scope of every route as it is *enforced* — each documented operation is driven
 * without a key and with a key of every other scope, and the answers (401, 403 with
 * `requiredScope`, or neither for a public route) are compared with the document's security.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { SCOPES, type Scope } from "../src/archive/port.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";

const AT = "2026-06-01T00:00:00Z";
const ID = "00000000-0000-0000-0000-000000000000";

let rt: Runtime;
let server: Server;
let base: string;
let dir: string;
let app: ReturnType<typeof createApp>;
const keyOf = {} as Record<Scope, string>;

interface Operation {
  security?: Array<Record<string, string[]>>;
  "x-scope"?: string;
  responses: Record<string, unknown>;
}
let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-openapi-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined });
  app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 64 * 1024, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  for (const s of SCOPES) {
    const { key, record } = newApiKey(`only-${s}`, [s], new Date(AT));
    await rt.archive.createApiKey(record);
    keyOf[s] = key;
  }
  // the document as the service serves it, not as the module builds it
  doc = (await (await fetch(`${base}/openapi.json`)).json()) as typeof doc;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

function expressRoutes(): Set<string> {
  const out = new Set<string>();
  for (const layer of app.router.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/[:*](\w+)/g, "{$1}");
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== "_all") out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

function operations(): Array<{ method: string; path: string; op: Operation }> {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) out.push({ method: method.toUpperCase(), path, op });
  return out;
}

/** An empty request of the operation: enough for authentication to answer first. */
const drive = (method: string, path: string, key?: string): Promise<Response> =>
  fetch(base + path.replace("{id}", ID), { method, headers: key ? { Authorization: `Bearer ${key}` } : {}, ...(method === "POST" ? { body: "" } : {}) });

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists operations", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(operations().length).toBe(expressRoutes().size);
    expect(expressRoutes().size).toBeGreaterThanOrEqual(14);
  });
  it("documents every express route, and nothing express does not serve", () => {
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    const real = expressRoutes();
    expect([...real].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !real.has(r))).toEqual([]);
  });

  it("declares for every operation exactly the scope the route enforces", async () => {
    const seen: string[] = [];
    for (const { method, path, op } of operations()) {
      const declared = op.security?.[0]?.apiKey?.[0];
      expect(op["x-scope"], `${method} ${path}`).toBe(declared);
      const anonymous = await drive(method, path);
      await anonymous.arrayBuffer();
      if (declared === undefined) {
        // public: no key is asked for, no 401/403 is documented
        expect(anonymous.status, `${method} ${path} without a key`).not.toBe(401);
        expect(Object.keys(op.responses)).not.toContain("401");
        for (const s of SCOPES) expect((await drive(method, path, keyOf[s])).status, `${method} ${path} with ${s}`).not.toBe(403);
        seen.push(`${method} ${path}: public`);
        continue;
      }
      expect(anonymous.status, `${method} ${path} without a key`).toBe(401);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403"]));
      for (const s of SCOPES) {
        const r = await drive(method, path, keyOf[s]);
        const body = (await r.json().catch(() => ({}))) as { requiredScope?: string };
        if (s === declared) expect([401, 403], `${method} ${path} with its own scope`).not.toContain(r.status);
        else {
          expect(r.status, `${method} ${path} with scope ${s}`).toBe(403);
          expect(body.requiredScope).toBe(declared);
        }
      }
      seen.push(`${method} ${path}: ${declared}`);
    }
    // the contract's scopes, as a summary of what was driven (the expectations above are the test)
    expect(seen).toEqual(expect.arrayContaining(["POST /api/v1/verify: verify", "POST /api/v1/submissions: submit", "POST /api/v1/receipts/verify: public", "GET /healthz: public"]));
  });
});
