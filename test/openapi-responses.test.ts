/**
 * Issue 10.16: the OpenAPI document against the answers the service really gives, both ways.
 * Every route is driven through its answers — successes of each kind, every problem the route
 * can give here (400, 401, 403, 404, 405, 413, 415, 422, 429, 500) — and
 * - every answer's status and media type are documented for its operation, and its JSON body
 *   validates against the documented schema, with no undocumented field (helpers/json-schema.ts);
 * - every property the response schemas document appears in some real answer.
 */
import { constants, createPrivateKey, sign as nodeSign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { type ArchiveStore, ArchiveError, type Scope } from "../src/archive/port.js";
import type { SqliteArchive } from "../src/archive/sqlite.js";
import { sqliteUnavailable, withDependencyErrors } from "../src/archive/unavailable.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import type { PodpisService } from "../src/http/service.js";
import type { PrepareResponse } from "../src/http/signing.js";
import { type Schema, SchemaChecker } from "./helpers/json-schema.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const pki = (p: string): Buffer => readFileSync(join("certs-test", p));

interface MediaDoc {
  schema?: Schema;
}
interface OperationDoc {
  responses: Record<string, { content?: Record<string, MediaDoc> }>;
}
interface Doc {
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: Record<string, Schema> };
}

/** One real answer: which operation (documented path template), status, media type, body. */
interface Answer {
  what: string;
  method: string;
  path: string;
  status: number;
  media: string;
  body: Buffer;
}

const answers: Answer[] = [];
let doc: Doc;
let rt: Runtime;
let dir: string;
const servers: Server[] = [];
const runtimes: Runtime[] = [];
const key = {} as Record<Scope, string>;

async function listen(app: ReturnType<typeof createApp>): Promise<string> {
  const s = await new Promise<Server>((r) => {
    const x = app.listen(0, "127.0.0.1", () => r(x));
  });
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

/** Sends a request and records the answer under its documented path template. */
function recorder(base: string) {
  return async (what: string, method: string, template: string, init: { path?: string; scope?: Scope; body?: NonNullable<RequestInit["body"]>; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const r = await fetch(base + (init.path ?? template), {
      method,
      body: init.body,
      headers: { ...(init.scope ? { Authorization: `Bearer ${key[init.scope]}` } : {}), ...init.headers },
    });
    const a: Answer = { what, method, path: template, status: r.status, media: (r.headers.get("content-type") ?? "").split(";")[0]!.trim(), body: Buffer.from(await r.arrayBuffer()) };
    answers.push(a);
    return a;
  };
}

const json = <T>(a: Answer): T => JSON.parse(a.body.toString("utf8")) as T;

function form(parts: Record<string, Buffer | string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v]), `${k}.bin`);
  }
  return f;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-openapi-answers-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined });
  for (const s of ["verify", "submit", "audit"] as const) {
    const k = newApiKey(s, [s], new Date(AT));
    await rt.archive.createApiKey(k.record);
    key[s] = k.key;
  }
  const log = pino({ level: "silent" });
  const base = await listen(createApp({ service: rt.service, archive: rt.archive, signing: rt.signing, log, maxBodyBytes: 0, budgets: { keyed: { bodyBytes: 256 * 1024 }, public: { bodyBytes: 64 * 1024 } }, ratePerSecond: 0, rateBurst: 0 }));
  doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
  const call = recorder(base);

  // verify: reports of every shape the fixtures give, and the route's problems
  for (const f of ["cades/rsa2048-cades-attached.p7m", "cades/epes-policy.p7m", "cades/countersigned.p7m", "cades/expired-bt.p7m", "cades/tampered-content.p7m", "xades/zayavlenie-enveloped-rsa.xml"]) {
    await call(`verify ${f}`, "POST", "/api/v1/verify", { scope: "verify", body: fx(f) });
  }
  await call("verify multipart detached", "POST", "/api/v1/verify", { scope: "verify", body: form({ signature: fx("cades/rsa2048-cades-detached.p7s"), content: fx("cades/content.xml") }) });
  await call("verify no signature", "POST", "/api/v1/verify", { scope: "verify", body: "just text" });
  await call("verify empty", "POST", "/api/v1/verify", { scope: "verify", body: "" });
  await call("verify too large", "POST", "/api/v1/verify", { scope: "verify", body: Buffer.alloc(300 * 1024) });
  await call("verify no key", "POST", "/api/v1/verify", { body: "x" });
  await call("verify wrong scope", "POST", "/api/v1/verify", { scope: "submit", body: "x" });
  await call("verify with GET", "GET", "/api/v1/verify", { scope: "verify" });

  // submissions and the auditor's routes
  const sub = await call("submit", "POST", "/api/v1/submissions", { scope: "submit", body: form({ signature: fx("cades/rsa2048-cades-detached.p7s"), content: fx("cades/content.xml"), applicant: "Иван Петров Иванов", service: "urn:s" }) });
  expect(sub.status).toBe(201);
  const failing = await call("submit failing", "POST", "/api/v1/submissions", { scope: "submit", body: form({ signature: fx("cades/tampered-content.p7m"), applicant: "A", service: "urn:s" }) });
  await call("submit raw", "POST", "/api/v1/submissions", { scope: "submit", body: fx("cades/rsa2048-cades-attached.p7m") });
  await call("submit no fields", "POST", "/api/v1/submissions", { scope: "submit", body: form({ signature: fx("cades/rsa2048-cades-attached.p7m") }) });
  const { id, receipt } = json<{ id: string; receipt: string }>(sub);
  const at = (p: string) => p.replace("{id}", id);
  await call("list", "GET", "/api/v1/submissions", { scope: "audit", path: "/api/v1/submissions?limit=1" });
  await call("list bad", "GET", "/api/v1/submissions", { scope: "audit", path: "/api/v1/submissions?limit=0" });
  for (const p of ["/api/v1/submissions/{id}", "/api/v1/submissions/{id}/document", "/api/v1/submissions/{id}/report", "/api/v1/submissions/{id}/receipt", "/api/v1/submissions/{id}/evidence"]) {
    await call(`get ${p}`, "GET", p, { scope: "audit", path: at(p) });
    await call(`get ${p} unknown`, "GET", p, { scope: "audit", path: p.replace("{id}", "00000000-0000-0000-0000-000000000000") });
  }
  await call("content 0", "GET", "/api/v1/submissions/{id}/document", { scope: "audit", path: `${at("/api/v1/submissions/{id}/document")}?content=0` });
  for (const mode of ["received", "now", "later"]) await call(`revalidate ${mode}`, "POST", "/api/v1/submissions/{id}/revalidate", { scope: "audit", path: `${at("/api/v1/submissions/{id}/revalidate")}?at=${mode}` });
  // the archive rewritten behind the service's back: integrity mismatches, a replay that differs
  const other = json<{ id: string }>(failing).id;
  (rt.archive as unknown as SqliteArchive).raw.prepare("UPDATE submissions SET applicant = 'B', report = replace(report, 'TOTAL_FAILED', 'INDETERMINATE') WHERE id = ?").run(other);
  const tampered = await call("get tampered", "GET", "/api/v1/submissions/{id}", { scope: "audit", path: `/api/v1/submissions/${other}` });
  expect(json<{ integrity: { ok: boolean } }>(tampered).integrity.ok).toBe(false);
  const replay = await call("revalidate tampered", "POST", "/api/v1/submissions/{id}/revalidate", { scope: "audit", path: `/api/v1/submissions/${other}/revalidate?at=received` });
  expect(json<{ reproduced: boolean }>(replay).reproduced).toBe(false);

  // the transparency log (issue 16): a checkpoint over the two receipts issued above
  await rt.sequencer.drain();
  await call("log checkpoint", "GET", "/api/v1/log/checkpoint");
  await call("log key", "GET", "/api/v1/log/key");
  await call("log tile", "GET", "/api/v1/log/tile/{level}/{path}", { path: "/api/v1/log/tile/0/000.p/2" });
  await call("log tile beyond", "GET", "/api/v1/log/tile/{level}/{path}", { path: "/api/v1/log/tile/0/000" });
  await call("log bundle", "GET", "/api/v1/log/tile/entries/{path}", { path: "/api/v1/log/tile/entries/000.p/2" });
  await call("log bundle bad path", "GET", "/api/v1/log/tile/entries/{path}", { path: "/api/v1/log/tile/entries/0" });
  await call("log proof", "GET", "/api/v1/submissions/{id}/log-proof", { path: at("/api/v1/submissions/{id}/log-proof") });
  await call("log proof unknown", "GET", "/api/v1/submissions/{id}/log-proof", { path: "/api/v1/submissions/00000000-0000-0000-0000-000000000000/log-proof" });

  // the public receipt check
  await call("receipt valid", "POST", "/api/v1/receipts/verify", { body: receipt });
  await call("receipt altered", "POST", "/api/v1/receipts/verify", { body: receipt.replace("Иван Петров Иванов", "Петър Петров Иванов") });
  await call("receipt not xml", "POST", "/api/v1/receipts/verify", { body: "not xml" });
  await call("receipt empty", "POST", "/api/v1/receipts/verify", { body: "" });
  await call("receipt too large", "POST", "/api/v1/receipts/verify", { body: Buffer.alloc(80 * 1024, 0x20) });

  // two-step signing: RSA-PSS (saltLength) multipart, ECDSA raw; complete and its problems
  const cert = pki("citizen-rsa2048.der");
  const prep = await call("prepare pss", "POST", "/api/v1/signing/prepare", { scope: "submit", body: form({ document: Buffer.from("<a/>"), certificate: cert, chain: pki("qualified-ca.der"), format: "cades", scheme: "rsa-pss", hash: "sha384" }) });
  expect(prep.status).toBe(200);
  await call("prepare ecdsa raw", "POST", "/api/v1/signing/prepare", {
    scope: "submit",
    path: "/api/v1/signing/prepare?format=xades&packaging=detached",
    body: Buffer.from("<a/>"),
    headers: { "X-Signer-Certificate": pki("citizen-p256.der").toString("base64") },
  });
  await call("prepare bad format", "POST", "/api/v1/signing/prepare", { scope: "submit", body: form({ document: Buffer.from("<a/>"), certificate: cert, format: "pades" }) });
  await call("prepare bad certificate", "POST", "/api/v1/signing/prepare", { scope: "submit", body: form({ document: Buffer.from("<a/>"), certificate: Buffer.from("no certificate"), format: "cades" }) });
  const p = json<PrepareResponse>(prep);
  const value = nodeSign(p.signatureAlgorithm.hash, Buffer.from(p.toBeSigned, "base64"), { key: createPrivateKey(pki("keys/citizen-rsa2048.key.pem")), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.signatureAlgorithm.saltLength });
  const complete = (what: string, body: unknown, type = "application/json") => call(what, "POST", "/api/v1/signing/complete", { scope: "submit", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": type } });
  await complete("complete", { state: p.state, signatureValue: value.toString("base64"), document: Buffer.from("<a/>").toString("base64") });
  await complete("complete wrong value", { state: p.state, signatureValue: Buffer.alloc(value.length).toString("base64"), document: Buffer.from("<a/>").toString("base64") });
  await complete("complete altered state", { state: p.state.slice(0, -4) + "AAAA", signatureValue: value.toString("base64") });
  await complete("complete not json", "{", "application/json");
  await complete("complete text", "x", "text/plain");

  // operations
  for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json"]) await call(path, "GET", path);

  // issue 17: the pages, the citizen page's public routes, the auditor console's audit-log routes
  for (const path of ["/", "/audit", "/web/pages.css", "/web/no-such.css"]) await call(`page ${path}`, "GET", path === "/web/pages.css" || path === "/web/no-such.css" ? "/web/{file}" : path, { path });
  await call("public verify", "POST", "/api/v1/public/verify", { body: fx("cades/rsa2048-cades-attached.p7m") });
  await call("public verify detached", "POST", "/api/v1/public/verify", { body: form({ signature: fx("cades/rsa2048-cades-detached.p7s"), content: fx("cades/content.xml") }) });
  await call("public verify no signature", "POST", "/api/v1/public/verify", { body: "just text" });
  await call("public verify too large", "POST", "/api/v1/public/verify", { body: Buffer.alloc(80 * 1024) });
  const pubPrep = await call("public prepare", "POST", "/api/v1/public/signing/prepare", { body: form({ document: Buffer.from("<a/>"), certificate: cert, format: "cades", packaging: "detached" }) });
  expect(pubPrep.status).toBe(200);
  const pp = json<PrepareResponse>(pubPrep);
  const pubValue = nodeSign("sha256", Buffer.from(pp.toBeSigned, "base64"), createPrivateKey(pki("keys/citizen-rsa2048.key.pem")));
  const pubDone = await call("public complete", "POST", "/api/v1/public/signing/complete", { body: JSON.stringify({ state: pp.state, signatureValue: pubValue.toString("base64") }), headers: { "Content-Type": "application/json" } });
  expect(pubDone.status).toBe(200);
  await call("public complete wrong value", "POST", "/api/v1/public/signing/complete", { body: JSON.stringify({ state: pp.state, signatureValue: Buffer.alloc(256).toString("base64") }), headers: { "Content-Type": "application/json" } });
  const pubSub = await call("public submit", "POST", "/api/v1/public/submissions", { body: form({ signature: pubDone.body, content: Buffer.from("<a/>"), applicant: "Мария", service: "urn:s" }) });
  expect(pubSub.status).toBe(201);
  await call("public submit raw", "POST", "/api/v1/public/submissions", { body: "x" });
  await call("audit entries", "GET", "/api/v1/submissions/{id}/audit", { scope: "audit", path: at("/api/v1/submissions/{id}/audit") });
  await call("audit entries unknown", "GET", "/api/v1/submissions/{id}/audit", { scope: "audit", path: "/api/v1/submissions/00000000-0000-0000-0000-000000000000/audit" });
  const verified = await call("audit verify", "POST", "/api/v1/audit/verify", { scope: "audit" });
  const head = json<{ head: { seq: number; hash: string } }>(verified).head;
  await call("audit verify with head", "POST", "/api/v1/audit/verify", { scope: "audit", path: `/api/v1/audit/verify?expectHead=${head.seq}:${head.hash}` });
  await call("audit verify bad head", "POST", "/api/v1/audit/verify", { scope: "audit", path: "/api/v1/audit/verify?expectHead=nonsense" });

  // 429 from a rate-limited app; 500 from a service that fails
  const limited = recorder(await listen(createApp({ service: rt.service, archive: rt.archive, log, maxBodyBytes: 64 * 1024, ratePerSecond: 1, rateBurst: 1 })));
  await limited("rate 1", "POST", "/api/v1/receipts/verify", { body: "" });
  await limited("rate 2", "POST", "/api/v1/receipts/verify", { body: "" });
  // an app without two-step signing configured
  await limited("prepare unconfigured", "POST", "/api/v1/signing/prepare", { scope: "submit", body: form({ document: Buffer.from("<a/>"), certificate: cert, format: "cades" }) });
  // the same archive long after every test certificate expired: revalidation at=now finds what changed
  const later = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: "2099-06-01T00:00:00Z", offline: true, databaseUrl: undefined });
  runtimes.push(later);
  const moved = recorder(await listen(createApp({ service: later.service, archive: later.archive, log, maxBodyBytes: 1024, ratePerSecond: 0, rateBurst: 0 })));
  const changed = await moved("revalidate in 2099", "POST", "/api/v1/submissions/{id}/revalidate", { scope: "audit", path: `${at("/api/v1/submissions/{id}/revalidate")}?at=now` });
  expect(json<{ changes: unknown[] }>(changed).changes.length, changed.body.toString().slice(0, 600)).toBe(1);
  const defect = { ...rt.service, verify: async () => Promise.reject(new Error("a defect")) } as unknown as PodpisService;
  await recorder(await listen(createApp({ service: defect, archive: rt.archive, log, maxBodyBytes: 1024, ratePerSecond: 0, rateBurst: 0 })))("internal", "POST", "/api/v1/verify", { scope: "verify", body: "x" });
  // the database away: as the SQLite adapter classifies a busy database, and as a layer's own code
  const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
  const away = withDependencyErrors(new Proxy(rt.archive, { get: (t, k) => (k === "getReport" ? async () => Promise.reject(busy) : k === "getReceipt" ? async () => Promise.reject(new ArchiveError("STORAGE_UNAVAILABLE", "the archive is away")) : Reflect.get(t, k, t)) }) as ArchiveStore, sqliteUnavailable);
  const down = recorder(await listen(createApp({ service: rt.service, archive: away, log, maxBodyBytes: 1024, ratePerSecond: 0, rateBurst: 0 })));
  await down("database busy", "GET", "/api/v1/submissions/{id}/report", { scope: "audit", path: at("/api/v1/submissions/{id}/report") });
  await down("database away", "GET", "/api/v1/submissions/{id}/receipt", { scope: "audit", path: at("/api/v1/submissions/{id}/receipt") });
}, 120_000);

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const r of runtimes) await r.close();
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The documented answer for a real one: the operation's, or for 405 any operation's on the path. */
function documentedFor(a: Answer): { content?: Record<string, MediaDoc> } | undefined {
  const ops = doc.paths[a.path] ?? {};
  if (a.status === 405) return Object.values(ops).map((o) => o.responses["405"]).find(Boolean);
  return ops[a.method.toLowerCase()]?.responses[String(a.status)];
}

/** Components reachable from the responses (request-only schemas are no answer's business). */
function responseComponents(): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === "$ref" && typeof x === "string") {
        const name = x.split("/").pop()!;
        if (!out.has(name)) {
          out.add(name);
          walk(doc.components.schemas[name]);
        }
      } else walk(x);
    }
  };
  for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) walk(op.responses);
  return out;
}

describe("the JSON Schema helper", () => {
  it("finds what it is meant to find", () => {
    const c = new SchemaChecker({ T: { type: "object", required: ["a"], properties: { a: { type: "integer" }, b: { oneOf: [{ $ref: "#/components/schemas/U" }, { type: "null" }] }, e: { enum: ["x", null] } } }, U: { type: "object", properties: { u: { type: ["string", "null"] } } } });
    const t = { $ref: "#/components/schemas/T" };
    expect(c.validate(t, { a: 1, b: { u: null }, e: null })).toEqual([]);
    expect([...c.covered].sort()).toEqual(["T.a", "T.b", "T.e", "U.u"]);
    expect(c.validate(t, { a: 1.5 })[0]!.message).toMatch(/number where integer/);
    expect(c.validate(t, {})[0]!.message).toMatch(/required property "a"/);
    expect(c.validate(t, { a: 1, z: 1 })[0]!.message).toMatch(/"z" is not documented/);
    expect(c.validate(t, { a: 1, b: { u: 3 } })[0]!.message).toMatch(/oneOf: 0 of 2/);
    expect(c.validate(t, { a: 1, e: "y" })[0]!.message).toMatch(/not one of/);
    expect([...c.documented()].sort()).toEqual(["T.a", "T.b", "T.e", "U.u"]);
  });
});

describe("OpenAPI document against real answers", () => {
  it("drove every documented operation", () => {
    const driven = new Set(answers.map((a) => `${a.method} ${a.path}`));
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.length).toBeGreaterThanOrEqual(15);
    expect(operations.filter((o) => !driven.has(o))).toEqual([]);
    // and every problem status the issue names was seen at least once
    expect([...new Set(answers.map((a) => a.status))].sort()).toEqual(expect.arrayContaining([200, 201, 400, 401, 403, 404, 405, 413, 415, 422, 429, 500, 501, 503]));
  });

  it("documents every answer's status and media type, and every JSON answer validates, with no undocumented field", () => {
    const checker = new SchemaChecker(doc.components.schemas);
    const wrong: string[] = [];
    for (const a of answers) {
      const d = documentedFor(a);
      if (!d) {
        wrong.push(`${a.what}: ${a.status} is not documented for ${a.method} ${a.path}`);
        continue;
      }
      const media = d.content?.[a.media];
      if (d.content && !media) wrong.push(`${a.what}: ${a.status} ${a.media} is not among ${Object.keys(d.content).join(", ")}`);
      if (media?.schema) for (const i of checker.validate(media.schema, json(a))) wrong.push(`${a.what} (${a.status}): ${i.at}: ${i.message}`);
    }
    expect(wrong).toEqual([]);
  });

  it("returns, somewhere, every field the response schemas document", () => {
    const checker = new SchemaChecker(doc.components.schemas);
    for (const a of answers) {
      const schema = documentedFor(a)?.content?.[a.media]?.schema;
      if (schema) checker.validate(schema, json(a));
    }
    const reachable = responseComponents();
    expect(reachable).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect([...reachable]).toEqual(expect.arrayContaining(["Problem", "ValidationReport", "SignatureReport", "ReceiptCheck", "Revalidation", "SubmissionPage"]));
    const never = [...checker.documented()].filter((loc) => reachable.has(loc.split(/[.[]/)[0]!) && !checker.covered.has(loc));
    expect(never).toEqual([]);
  });
});
