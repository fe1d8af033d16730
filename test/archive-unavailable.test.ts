/**
 * Issue 10.4: a dependency that is away gives 503 with Retry-After and a problem naming it —
 * never an opaque 500 — and /readyz is not ready meanwhile; the service survives it and recovers.
 * A real server process on PostgreSQL reached through a TCP relay this test controls: closing
 * the relay cuts every database connection and refuses new ones, as a stopped server would,
 * without touching the PostgreSQL others use. And a TSA URL that refuses.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keysCommand } from "../src/cli/keys.js";
import { PG_URL, pgProblem, pgSkipMessage } from "./helpers/pg-target.js";
import { type ServeProcess, startServe } from "./helpers/serve-process.js";
import { Relay } from "./helpers/tcp-relay.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function createKey(args: string[]): Promise<string> {
  let out = "";
  const code = await keysCommand(["create", "--name", `k-${randomUUID().slice(0, 8)}`, "--scope", "verify", "--scope", "submit", "--scope", "audit", "--json", ...args], { stdout: (t) => void (out += t), stderr: () => {} });
  expect(code).toBe(0);
  return (JSON.parse(out) as { key: string }).key;
}

function submissionForm(): FormData {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:test");
  return f;
}

async function expectDependencyProblem(r: Response, dependency: string): Promise<void> {
  const body = (await r.json()) as Record<string, unknown>;
  expect([r.status, body.type, body.dependency]).toEqual([503, "urn:podpis:problem:dependency-unavailable", dependency]);
  expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
}

const problem = await pgProblem();
const pgDescribe = problem && process.env.CI !== "true" ? describe.skip : describe;
if (problem && process.env.CI !== "true") console.warn(`\n!!! SKIPPING the PostgreSQL outage test: ${pgSkipMessage(problem)}\n`);

pgDescribe("PostgreSQL away", () => {
  it("answers 503 naming the database with Retry-After, is not ready, survives, and recovers", async () => {
    if (problem) expect.fail(pgSkipMessage(problem));
    const u = new URL(PG_URL);
    const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
    await relay.open();
    cleanup.push(() => relay.cut());
    const viaRelay = new URL(PG_URL);
    viaRelay.port = String(relay.port);
    const key = await createKey(["--database-url", PG_URL]);
    const data = mkdtempSync(join(tmpdir(), "podpis-pg-away-"));
    cleanup.push(() => rmSync(data, { recursive: true, force: true }));
    const server: ServeProcess = await startServe(data, ["--database-url", viaRelay.toString(), "--clock", AT, "--workers", "1"]);
    cleanup.push(() => server.stop());
    const call = (path: string, init: RequestInit = {}) => fetch(server.base + path, { ...init, headers: { Authorization: `Bearer ${key}` } });
    const verify = () => call("/api/v1/verify", { method: "POST", body: fx("cades/rsa2048-cades-attached.p7m") });

    expect((await verify()).status).toBe(200);
    const sub = await call("/api/v1/submissions", { method: "POST", body: submissionForm() });
    expect(sub.status).toBe(201);
    const receipt = ((await sub.json()) as { receipt: string }).receipt;

    await relay.cut();
    await expectDependencyProblem(await verify(), "database");
    await expectDependencyProblem(await call("/api/v1/submissions", { method: "POST", body: submissionForm() }), "database");
    await expectDependencyProblem(await fetch(server.base + "/api/v1/receipts/verify", { method: "POST", body: receipt }), "database");
    const ready = await fetch(server.base + "/readyz");
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Array<{ name: string; ok: boolean }> }).checks.find((c) => c.name === "archive")?.ok).toBe(false);
    expect(server.proc.exitCode).toBeNull(); // the outage did not end the process

    await relay.open(); // same port: the database is back
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await verify()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect((await fetch(server.base + "/readyz")).status).toBe(200);
    expect(server.stderr()).not.toMatch(/internal error|Unhandled|uncaught/i);
  }, 120_000);
});

describe("TSA away", () => {
  it("answers a submission 503 naming the TSA, and /readyz is not ready", async () => {
    // a port nobody listens on: take one from the kernel, then close it
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const data = mkdtempSync(join(tmpdir(), "podpis-tsa-away-"));
    cleanup.push(() => rmSync(data, { recursive: true, force: true }));
    const key = await createKey(["--data", data]);
    const server = await startServe(data, ["--tsa", `http://127.0.0.1:${port}/`, "--allow-test-material", "--clock", AT, "--workers", "1"]);
    cleanup.push(() => server.stop());
    const r = await fetch(server.base + "/api/v1/submissions", { method: "POST", body: submissionForm(), headers: { Authorization: `Bearer ${key}` } });
    await expectDependencyProblem(r, "tsa");
    const ready = await fetch(server.base + "/readyz");
    expect(ready.status).toBe(503);
    const checks = ((await ready.json()) as { checks: Array<{ name: string; ok: boolean }> }).checks;
    expect(checks.find((c) => c.name === "tsa")?.ok).toBe(false);
    expect(checks.find((c) => c.name === "seal-key")?.ok).toBe(true);
  }, 120_000);
});
