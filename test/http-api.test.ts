/**
 * The HTTP API in process: the real express app on 127.0.0.1 (port 0) over a SQLite archive in a
 * temporary directory, the bundled test PKI, and a service clock pinned to 2026-06-01.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import type { Scope } from "../src/archive/port.js";
import { serveConfigFromArgs } from "../src/cli/serve.js";
import { createApp } from "../src/http/app.js";
import { DEFAULT_ROUTE_BUDGETS } from "../src/limits/budgets.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { openKey } from "../src/keys/index.js";
import { signXades } from "../src/xades/sign.js";

const AT = "2026-06-01T00:00:00Z";
const EGN = "8503154023"; // citizen-rsa2048's EGN (certs-test/manifest.json)
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));

let rt: Runtime;
let server: Server;
let base: string;
let dir: string;
const logLines: string[] = [];
const keys: Record<string, string> = {};

async function mkKey(name: string, scopes: Scope[]): Promise<string> {
  const { key, record } = newApiKey(name, scopes, new Date(AT));
  await rt.archive.createApiKey(record);
  return key;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-http-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined });
  const sink = new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) });
  const app = createApp({ service: rt.service, archive: rt.archive, log: pino(sink), maxBodyBytes: 256 * 1024, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  keys.all = await mkKey("all", ["verify", "submit", "audit"]);
  keys.verify = await mkKey("verify-only", ["verify"]);
  keys.submit = await mkKey("portal", ["submit"]);
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, init: RequestInit & { key?: string } = {}): Promise<Response> =>
  fetch(base + path, { ...init, headers: { ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}), ...(init.headers as Record<string, string>) } });

function form(parts: Record<string, Buffer | string | Array<Buffer>>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === "string") f.append(k, x);
      else f.append(k, new Blob([x]), `${k}.bin`);
    }
  }
  return f;
}

async function problem(r: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await r.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:podpis:problem:${code.toLowerCase().replace(/_/g, "-")}` });
  return body;
}

describe("authentication and scopes", () => {
  it("answers 401 without a key, 401 with a wrong one, 403 without the scope", async () => {
    await problem(await call("/api/v1/verify", { method: "POST", body: fx("cades/rsa2048-cades-attached.p7m") }), 401, "UNAUTHORIZED");
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.all!.slice(0, -2) + "xx", body: "x" }), 401, "UNAUTHORIZED");
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.submit, body: "x" }), 403, "FORBIDDEN");
    await problem(await call("/api/v1/submissions/00000000-0000-0000-0000-000000000000", { key: keys.submit }), 403, "FORBIDDEN");
  });
  it("keeps the health routes and the receipt check public", async () => {
    expect((await call("/healthz")).status).toBe(200);
    expect((await call("/readyz")).status).toBe(200);
    expect((await call("/openapi.json")).status).toBe(200);
    expect((await call("/api/v1/receipts/verify", { method: "POST", body: "<x/>" })).status).toBe(200);
  });
});

describe("POST /api/v1/verify", () => {
  it("validates a raw CAdES body", async () => {
    const r = await call("/api/v1/verify", { method: "POST", key: keys.verify, body: fx("cades/rsa2048-cades-attached.p7m") });
    expect(r.status).toBe(200);
    const rep = (await r.json()) as { indication: string; signatures: Array<{ signer: { identifier: { value: string } } }> };
    expect(rep.indication).toBe("TOTAL_PASSED");
    expect(rep.signatures[0]!.signer.identifier.value).toBe(EGN);
  });
  it("validates a detached CAdES and XAdES sent as multipart", async () => {
    const c = await call("/api/v1/verify", { method: "POST", key: keys.verify, body: form({ signature: fx("cades/rsa2048-cades-detached.p7s"), content: fx("cades/content.xml") }) });
    expect(((await c.json()) as { indication: string }).indication).toBe("TOTAL_PASSED");
    const x = await call("/api/v1/verify", { method: "POST", key: keys.verify, body: form({ signature: fx("xades/zayavlenie-enveloped-rsa.xml") }) });
    expect(((await x.json()) as { indication: string }).indication).toBe("TOTAL_PASSED");
  });
  it("answers 200 for a failing signature and 422 for no signature at all", async () => {
    const bad = await call("/api/v1/verify", { method: "POST", key: keys.verify, body: fx("cades/tampered-content.p7m") });
    expect(bad.status).toBe(200);
    expect(((await bad.json()) as { indication: string }).indication).toBe("TOTAL_FAILED");
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.verify, body: "just text, no signature" }), 422, "NOT_A_SIGNATURE");
  });
  it("answers 413 over the size limit, raw and multipart, declared or streamed", async () => {
    const big = Buffer.alloc(300 * 1024, 0x30);
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.verify, body: big }), 413, "PAYLOAD_TOO_LARGE");
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.verify, body: form({ signature: big }) }), 413, "PAYLOAD_TOO_LARGE");
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 6; i++) c.enqueue(new Uint8Array(64 * 1024));
        c.close();
      },
    });
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.verify, body: chunked, duplex: "half" } as RequestInit), 413, "PAYLOAD_TOO_LARGE");
  });
  it("rejects unknown multipart parts", async () => {
    await problem(await call("/api/v1/verify", { method: "POST", key: keys.verify, body: form({ sig: fx("cades/rsa2048-cades-attached.p7m") }) }), 400, "BAD_REQUEST");
  });
});

type Accepted = { id: string; registrationNumber: string; accepted: boolean; receipt: string; report: { indication: string } };

async function submitValid(headers: Record<string, string> = {}): Promise<{ r: Response; accepted: Accepted }> {
  const r = await call("/api/v1/submissions", { method: "POST", key: keys.submit, headers, body: form({ signature: fx("cades/rsa2048-cades-detached.p7s"), content: fx("cades/content.xml"), applicant: "Иван Петров Иванов", service: "urn:podpis:service:test" }) });
  expect(r.status).toBe(201);
  return { r, accepted: (await r.json()) as Accepted };
}

describe("submissions, auditor routes and receipts", () => {
  // one archived submission, made by whichever test needs it first: each test stands alone
  let made: Promise<Accepted> | undefined;
  const archived = (): Promise<Accepted> => (made ??= submitValid().then((x) => x.accepted));

  it("archives a valid submission and answers 201 with the sealed receipt", async () => {
    const { r, accepted } = await submitValid();
    expect(r.headers.get("location")).toBe(`/api/v1/submissions/${accepted.id}`);
    expect(accepted).toMatchObject({ accepted: true, registrationNumber: expect.stringMatching(/^PDP-2026-\d{6}$/) });
    expect(accepted.receipt).toContain("<ReceiptAcknowledged");
    expect(accepted.receipt).toContain(accepted.registrationNumber);
    expect(accepted.receipt).not.toContain(EGN); // masked in the receipt
    expect(accepted.receipt).toContain("******4023");
  });

  it("also issues a (not-acknowledged) receipt when the signature fails", async () => {
    const r = await call("/api/v1/submissions", { method: "POST", key: keys.submit, body: form({ signature: fx("cades/tampered-content.p7m"), applicant: "A", service: "urn:s" }) });
    expect(r.status).toBe(201);
    const b = (await r.json()) as { accepted: boolean; receipt: string };
    expect(b.accepted).toBe(false);
    expect(b.receipt).toContain("<ReceiptNotAcknowledged");
    expect(b.receipt).toContain("HASH_FAILURE");
  });

  it("requires multipart and the applicant/service fields", async () => {
    await problem(await call("/api/v1/submissions", { method: "POST", key: keys.submit, body: fx("cades/rsa2048-cades-attached.p7m") }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await problem(await call("/api/v1/submissions", { method: "POST", key: keys.submit, body: form({ signature: fx("cades/rsa2048-cades-attached.p7m") }) }), 400, "BAD_REQUEST");
  });

  it("serves the archived submission, document, report and receipt to auditors", async () => {
    const accepted = await archived();
    const rec = (await (await call(`/api/v1/submissions/${accepted.id}`, { key: keys.all })).json()) as Record<string, unknown>;
    expect(rec).toMatchObject({ id: accepted.id, registrationNumber: accepted.registrationNumber, accepted: true, validationTime: expect.stringMatching(/^2026-06-01T/) });
    const doc = Buffer.from(await (await call(`/api/v1/submissions/${accepted.id}/document`, { key: keys.all })).arrayBuffer());
    expect(doc.equals(fx("cades/rsa2048-cades-detached.p7s"))).toBe(true);
    const content = Buffer.from(await (await call(`/api/v1/submissions/${accepted.id}/document?content=0`, { key: keys.all })).arrayBuffer());
    expect(content.equals(fx("cades/content.xml"))).toBe(true);
    expect(await (await call(`/api/v1/submissions/${accepted.id}/report`, { key: keys.all })).json()).toEqual(accepted.report);
    const receipt = await call(`/api/v1/submissions/${accepted.id}/receipt`, { key: keys.all });
    expect(receipt.headers.get("content-type")).toMatch(/application\/xml/);
    expect(await receipt.text()).toBe(accepted.receipt);
    await problem(await call(`/api/v1/submissions/00000000-0000-0000-0000-000000000000`, { key: keys.all }), 404, "NOT_FOUND");
  });

  it("replays the validation from the archive (at=received) exactly, and validates now", async () => {
    const accepted = await archived();
    const r = (await (await call(`/api/v1/submissions/${accepted.id}/revalidate?at=received`, { method: "POST", key: keys.all })).json()) as { reproduced: boolean; report: unknown; changes: unknown[] };
    expect(r.reproduced).toBe(true);
    expect(r.report).toEqual(accepted.report);
    expect(r.changes).toEqual([]);
    const n = (await (await call(`/api/v1/submissions/${accepted.id}/revalidate?at=now`, { method: "POST", key: keys.all })).json()) as { mode: string; indication: string };
    expect(n).toMatchObject({ mode: "now", indication: "TOTAL_PASSED" });
    await problem(await call(`/api/v1/submissions/${accepted.id}/revalidate?at=later`, { method: "POST", key: keys.all }), 400, "BAD_REQUEST");
  });

  it("says valid only for an unaltered receipt sealed by this service", async () => {
    const accepted = await archived();
    const ok = (await (await call("/api/v1/receipts/verify", { method: "POST", body: accepted.receipt })).json()) as { valid: boolean; registrationNumber: string };
    expect(ok).toMatchObject({ valid: true, registrationNumber: accepted.registrationNumber });
    const altered = accepted.receipt.replace("Иван Петров Иванов", "Петър Петров Иванов");
    expect(((await (await call("/api/v1/receipts/verify", { method: "POST", body: altered })).json()) as { valid: boolean }).valid).toBe(false);
    // a look-alike receipt, validly sealed by another (qualified!) seal
    const unsigned = accepted.receipt.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, "");
    const key = await openKey({ key: "certs-test/keys/seal-p256.p12", secret: "podpis-test" });
    const other = (await signXades({ key, packaging: "enveloped", content: Buffer.from(unsigned), signingTime: new Date(AT) })).toString("utf8");
    await key.close();
    const r = (await (await call("/api/v1/receipts/verify", { method: "POST", body: other })).json()) as { valid: boolean; problems: Array<{ code: string }> };
    expect(r.valid).toBe(false);
    expect(r.problems.map((p) => p.code)).toContain("NOT_THIS_SERVICE");
    expect(((await (await call("/api/v1/receipts/verify", { method: "POST", body: "not xml" })).json()) as { valid: boolean }).valid).toBe(false);
  });

  it("logs one JSON line per request with a request id, and never an EGN or document contents", async () => {
    // requests of its own, whose documents carry the EGN and the name, tagged with request ids
    const ids = ["log-test-verify", "log-test-submit", "log-test-receipt"];
    const v = await call("/api/v1/verify", { method: "POST", key: keys.verify, headers: { "X-Request-Id": ids[0]! }, body: fx("cades/rsa2048-cades-attached.p7m") });
    expect([v.status, v.headers.get("x-request-id")]).toEqual([200, ids[0]]);
    const { accepted } = await submitValid({ "X-Request-Id": ids[1]! });
    expect(accepted.receipt).toContain("Иван Петров Иванов");
    expect((await call("/api/v1/receipts/verify", { method: "POST", headers: { "X-Request-Id": ids[2]! }, body: accepted.receipt })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50)); // the log line is written when the response ends
    const lines = logLines.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === "request");
    expect(ids.map((id) => requests.filter((l) => l.reqId === id).length)).toEqual([1, 1, 1]);
    for (const l of requests) expect(l.reqId).toMatch(/^[\w-]+$/);
    const all = logLines.join("");
    expect(all).not.toContain(EGN);
    expect(all).not.toContain("Иван");
    expect(all).not.toContain("<ReceiptAcknowledged");
  });
});

describe("errors and metrics", () => {
  it("answers unknown routes 404 and wrong methods 405, as problem+json", async () => {
    await problem(await call("/api/v1/nothing"), 404, "NOT_FOUND");
    await problem(await call("/api/v1/verify"), 405, "METHOD_NOT_ALLOWED");
  });
  it("answers a malformed percent-encoding in the path 400, before authentication, and logs no internal error (issue 11.7)", async () => {
    const before = logLines.length;
    const b = await problem(await call("/api/v1/submissions/%ZZ"), 400, "BAD_REQUEST");
    expect(b.detail).toMatch(/percent-encoding/);
    await problem(await call("/api/v1/submissions/%E0%A4%A/report", { key: keys.all }), 400, "BAD_REQUEST");
    await new Promise((r) => setTimeout(r, 50));
    const logged = logLines.slice(before).join("");
    expect(logged).not.toMatch(/internal error|"stack"/);
  });
  it("answers a JSON body over the limit to /signing/complete 413, not 'not JSON' (issue 10.13)", async () => {
    const big = JSON.stringify({ state: "x", signatureValue: "A".repeat(300 * 1024) });
    const b = await problem(await call("/api/v1/signing/complete", { method: "POST", key: keys.submit, headers: { "Content-Type": "application/json" }, body: big }), 413, "PAYLOAD_TOO_LARGE");
    expect(b).toMatchObject({ limit: "bodyBytes", max: 256 * 1024 });
    expect(b.used).toBeGreaterThan(256 * 1024);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    await problem(await call("/api/v1/signing/complete", { method: "POST", key: keys.submit, headers: { "Content-Type": "application/json" }, body: chunked, duplex: "half" } as RequestInit), 413, "PAYLOAD_TOO_LARGE");
  });
  it("caps the public receipt check lower than the keyed routes (RouteBudget)", async () => {
    const app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1, budgets: { keyed: { bodyBytes: 64 * 1024 }, public: { bodyBytes: 8 * 1024 } }, ratePerSecond: 0, rateBurst: 0 });
    const s = await new Promise<Server>((r) => {
      const x = app.listen(0, "127.0.0.1", () => r(x));
    });
    const at = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    const body = Buffer.alloc(10 * 1024, 0x20);
    const pub = await fetch(`${at}/api/v1/receipts/verify`, { method: "POST", body });
    const keyed = await fetch(`${at}/api/v1/verify`, { method: "POST", headers: { Authorization: `Bearer ${keys.verify}` }, body });
    await new Promise((r) => s.close(r));
    const p = (await problem(pub, 413, "PAYLOAD_TOO_LARGE")) as { max: number };
    expect(p.max).toBe(8 * 1024);
    expect(keyed.status).toBe(422); // read whole, and found to be no signature
  });
  it("takes both body caps from serve's flags, the defaults from src/limits/budgets.ts", () => {
    expect(serveConfigFromArgs([]).config).toMatchObject({ maxBodyBytes: DEFAULT_ROUTE_BUDGETS.keyed.bodyBytes, maxPublicBodyBytes: DEFAULT_ROUTE_BUDGETS.public.bodyBytes });
    expect(DEFAULT_ROUTE_BUDGETS.public.bodyBytes).toBeLessThan(DEFAULT_ROUTE_BUDGETS.keyed.bodyBytes);
    expect(serveConfigFromArgs(["--max-body", "8m", "--max-public-body", "64k"]).config).toMatchObject({ maxBodyBytes: 8 * 1024 * 1024, maxPublicBodyBytes: 64 * 1024 });
    expect(() => serveConfigFromArgs(["--max-public-body", "lots"])).toThrow(/--max-public-body/);
  });
  it("serves Prometheus metrics", async () => {
    expect((await call("/api/v1/verify", { method: "POST", key: keys.verify, body: fx("cades/rsa2048-cades-attached.p7m") })).status).toBe(200);
    const t = await (await call("/metrics")).text();
    expect(t).toMatch(/# TYPE podpis_http_requests_total counter/);
    expect(t).toMatch(/podpis_http_requests_total\{route="\/api\/v1\/verify",method="POST",status="200"\} \d+/);
    expect(t).toMatch(/podpis_http_request_duration_seconds_bucket\{(le="\+Inf",route="\/api\/v1\/verify"|route="\/api\/v1\/verify",le="\+Inf")\} \d+/);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After past the configured rate", async () => {
    // one token per 100 s, two in the bucket: however slow the machine, the third request finds it empty
    const app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1024, ratePerSecond: 0.01, rateBurst: 2 });
    const s = await new Promise<Server>((r) => {
      const x = app.listen(0, "127.0.0.1", () => r(x));
    });
    const url = `http://127.0.0.1:${(s.address() as { port: number }).port}/api/v1/receipts/verify`;
    const codes: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(url, { method: "POST", body: "<x/>" });
      codes.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    await new Promise((r) => s.close(r));
    expect(codes).toEqual([200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(99); // ⌈(1 − tokens) / 0.01⌉ s
  });
});
