/**
 * Issue 15, "/verify near the ceiling": the cheaper request path keeps every protection. A route
 * found through the exact-path map still authenticates, checks the scope, rate-limits, caps the
 * body, counts and logs; the table's first-match order still wins over the map; the report is the
 * one the validator gives in process; the client-gone signal, now one per connection, still
 * fires for the request at work when its client goes away and for no answered one.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import type { Scope } from "../src/archive/port.js";
import { createApp } from "../src/http/app.js";
import { ClientGoneError, clientGone } from "../src/http/client-gone.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { ROUTERS } from "../src/http/routes/index.js";
import { type Router, json } from "../src/http/routes/route.js";
import { Metrics } from "../src/http/metrics.js";

const AT = "2026-06-01T00:00:00Z";
const p7m = readFileSync(join("fixtures", "cades/rsa2048-cades-attached.p7m"));

let rt: Runtime;
let dir: string;
const servers: Server[] = [];
const logLines: string[] = [];

async function mkKey(name: string, scopes: Scope[]): Promise<string> {
  const { key, record } = newApiKey(name, scopes, new Date(AT));
  await rt.archive.createApiKey(record);
  return key;
}

async function listen(app: ReturnType<typeof createApp>): Promise<string> {
  const s = await new Promise<Server>((r) => {
    const srv = app.listen(0, "127.0.0.1", () => r(srv));
  });
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-fast-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined, logLevel: "silent" });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (base: string, path: string, body: Buffer | string, key?: string): Promise<Response> =>
  fetch(base + path, { method: "POST", body, headers: { "Content-Type": "application/octet-stream", ...(key ? { Authorization: `Bearer ${key}` } : {}) } });

describe("POST /api/v1/verify on the exact-path map", () => {
  let base: string;
  let verifyKey: string;
  let submitKey: string;
  const metrics = new Metrics();
  beforeAll(async () => {
    const sink = new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) });
    // a body cap just above the fixture, and two requests a key may send before it waits
    const app = createApp({ service: rt.service, archive: rt.archive, log: pino(sink), maxBodyBytes: p7m.length + 16, ratePerSecond: 0.001, rateBurst: 2, metrics });
    base = await listen(app);
    verifyKey = await mkKey("fast-verify", ["verify"]);
    submitKey = await mkKey("fast-submit", ["submit"]);
  });

  it("answers 401 without a key or with a wrong one and 403 without the scope, before reading the body", async () => {
    expect((await post(base, "/api/v1/verify", p7m)).status).toBe(401);
    expect((await post(base, "/api/v1/verify", p7m, verifyKey.slice(0, -2) + "xx")).status).toBe(401);
    const r = await post(base, "/api/v1/verify", p7m, submitKey);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { requiredScope: string }).requiredScope).toBe("verify");
  });

  it("gives the report the validator gives in process, then caps the body and rate-limits the key", async () => {
    const r = await post(base, "/api/v1/verify", p7m, verifyKey);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const report = (await r.json()) as { validationTime: string };
    // the service clock runs on from AT: the same instant in process
    const inProcess = await rt.validator.verify(p7m, { at: new Date(report.validationTime) });
    expect(report).toEqual(JSON.parse(JSON.stringify(inProcess)));
    // the second token of the burst: over the body cap is a 413 (and spends the token)
    const big = await post(base, "/api/v1/verify", Buffer.concat([p7m, Buffer.alloc(64)]), verifyKey);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { limit: string }).limit).toBe("bodyBytes");
    // the bucket is empty now: 429 with Retry-After
    const limited = await post(base, "/api/v1/verify", p7m, verifyKey);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("counts and logs every request it answered", async () => {
    const text = await metrics.text();
    for (const status of ["200", "401", "403", "413", "429"]) expect(text).toContain(`podpis_http_requests_total{route="/api/v1/verify",method="POST",status="${status}"}`);
    expect(text).toMatch(/podpis_http_request_duration_seconds_count\{route="\/api\/v1\/verify"\} [1-9]/);
    const lines = logLines.map((l) => JSON.parse(l) as { msg: string; route: string; status: number; key?: string });
    const verified = lines.filter((l) => l.msg === "request" && l.route === "/api/v1/verify");
    expect(verified.map((l) => l.status).sort()).toEqual([200, 401, 401, 403, 413, 429]);
    expect(verified.find((l) => l.status === 200)?.key).toBe("fast-verify");
  });
});

describe("the exact-path map keeps the table's order", () => {
  it("lets an earlier route with a parameter take a path a later exact route also names", async () => {
    const routers: Router[] = [
      ...ROUTERS,
      {
        name: "order",
        scope: null,
        rateLimited: false,
        routes: [
          { method: "GET", path: "/t/:id", handler: async ({ res, params }) => json(res, 200, { by: "param", id: params.id }), doc: { summary: "t", responses: {} } },
          { method: "GET", path: "/t/fixed", handler: async ({ res }) => json(res, 200, { by: "exact" }), doc: { summary: "t", responses: {} } },
          { method: "GET", path: "/u/fixed", handler: async ({ res }) => json(res, 200, { by: "exact" }), doc: { summary: "u", responses: {} } },
        ],
      },
    ];
    const base = await listen(createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1024, ratePerSecond: 0, rateBurst: 0, routers }));
    expect(await (await fetch(base + "/t/fixed")).json()).toEqual({ by: "param", id: "fixed" });
    expect(await (await fetch(base + "/u/fixed")).json()).toEqual({ by: "exact" });
    expect((await fetch(base + "/u/fixed", { method: "POST" })).status).toBe(405);
  });
});

describe("the client-gone signal, one per connection", () => {
  const seen: AbortSignal[] = [];
  let waiting: ((s: AbortSignal) => void) | null = null;
  let base: string;
  beforeAll(async () => {
    const routers: Router[] = [
      {
        name: "gone",
        scope: null,
        rateLimited: false,
        routes: [
          { method: "GET", path: "/quick", handler: async ({ res }) => (seen.push(clientGone(res)), json(res, 200, { ok: true })), doc: { summary: "q", responses: {} } },
          // answers only once its signal aborts (it never does while the client waits)
          { method: "GET", path: "/slow", handler: async ({ res }) => {
            const s = clientGone(res);
            waiting?.(s);
            await new Promise((r) => s.addEventListener("abort", r, { once: true }));
          }, doc: { summary: "s", responses: {} } },
        ],
      },
    ];
    base = await listen(createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1024, ratePerSecond: 0, rateBurst: 0, routers }));
  });

  const get = (path: string, agent: import("node:http").Agent) =>
    new Promise<import("node:http").ClientRequest>((resolve) => {
      const req = httpRequest(base + path, { agent }, (res) => res.resume());
      req.on("error", () => {});
      req.end();
      resolve(req);
    });

  it("is not aborted by answered requests on a keep-alive connection, and aborts when the client leaves mid-work", async () => {
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve) => httpRequest(base + "/quick", { agent }, (res) => res.resume().on("end", () => resolve())).end());
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]!.aborted).toBe(false);
    const atWork = new Promise<AbortSignal>((r) => (waiting = r));
    const req = await get("/slow", agent);
    const signal = await atWork;
    // the same connection: the answered requests' signal is this one, still not aborted
    expect(signal).toBe(seen[0]);
    expect(signal.aborted).toBe(false);
    req.destroy();
    await new Promise((r) => (signal.aborted ? r(null) : signal.addEventListener("abort", r, { once: true })));
    expect(signal.reason).toBeInstanceOf(ClientGoneError);
    agent.destroy();
  });

  it("gives a fresh connection its own signal", async () => {
    const agent = new (await import("node:http")).Agent({ keepAlive: false });
    await new Promise<void>((resolve) => httpRequest(base + "/quick", { agent }, (res) => res.resume().on("end", () => resolve())).end());
    expect(seen.at(-1)).not.toBe(seen[0]);
    agent.destroy();
  });
});
