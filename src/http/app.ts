/**
 * The express application: the contract's routes, thin — parse, call the service, render.
 * Errors are problem+json; every request gets an id and one JSON log line (no bodies, no
 * query strings, no EGNs).
 *
 * Speed (issue 6): the routes are a table dispatched straight from node:http. Express stays the
 * application object (listen, introspection of `app.router`, the 404/405 fallback), but its
 * per-request machinery — prototype swaps on req/res, the layer walk, res.send's content
 * negotiation — cost more than a whole CAdES validation, so a request for a known route never
 * enters it. The handlers use node's own request and response only.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { ArchiveStore, Scope } from "../archive/port.js";
import type { Logger } from "pino";
import { Authenticator } from "./auth.js";
import { isMultipart, readMultipart, readRaw } from "./body.js";
import { Metrics, renderPrometheus } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { HttpProblem, sendProblem } from "./problem.js";
import { RateLimiter } from "./rate-limit.js";
import { ClientGoneError, clientGone } from "./client-gone.js";
import { LimitExceededError } from "../limits/budgets.js";
import { readiness } from "./readiness.js";
import { type PodpisService, type RevalidationMode, isNotASignature } from "./service.js";
import type { Packaging, PrepareRequest, TwoStepSigning } from "./signing.js";

export interface AppOptions {
  service: PodpisService;
  archive: ArchiveStore;
  log: Logger;
  maxBodyBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  metrics?: Metrics;
  /** two-step signing (prepare/complete); without it those routes answer 501 */
  signing?: TwoStepSigning;
  /** the whole service's metrics text (the cluster primary's sum); default: this process's */
  metricsText?: () => Promise<string>;
}

/** One request as a handler sees it. */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

type Handler = (c: Call) => Promise<void>;

interface Route {
  method: "GET" | "POST";
  path: string;
  scope: Scope | null;
  handler: Handler;
  segments: string[];
}

/** What the log line and the metrics need, kept on the response. */
interface Trace {
  requestId: string;
  route: string;
  keyName?: string;
}

const TRACE = Symbol("podpis.trace");
type Traced = ServerResponse & { [TRACE]?: Trace };

const pathOf = (url: string | undefined): string => {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q < 0 ? u : u.slice(0, q);
};

function queryOf(url: string | undefined): Record<string, string | undefined> {
  const u = url ?? "";
  const q = u.indexOf("?");
  const out: Record<string, string | undefined> = {};
  if (q < 0) return out;
  // the first value of a repeated parameter, as express's "simple" parser gives it to these routes
  for (const [k, v] of new URLSearchParams(u.slice(q + 1))) if (!(k in out)) out[k] = v;
  return out;
}

function matchRoute(r: Route, parts: string[]): Record<string, string> | null {
  if (parts.length !== r.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = r.segments[i]!;
    if (seg.startsWith(":")) {
      try {
        params[seg.slice(1)] = decodeURIComponent(parts[i]!);
      } catch {
        return null;
      }
    } else if (seg !== parts[i]) return null;
  }
  return params;
}

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
}

export function createApp(o: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  const metrics = o.metrics ?? new Metrics();
  const auth = new Authenticator(o.archive);
  const limiter = new RateLimiter(o.ratePerSecond, o.rateBurst || Math.max(1, o.ratePerSecond));
  const svc = o.service;
  const routes: Route[] = [];

  /** Request id, and at the end one log line and the metrics (for table routes and the fallback alike). */
  const begin = (req: IncomingMessage, res: Traced, route: string): Trace => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && given.length <= 64 && /^[\w-]+$/.test(given) ? given : randomUUID();
    const trace: Trace = { requestId, route };
    res[TRACE] = trace;
    res.setHeader("X-Request-Id", requestId);
    const t0 = process.hrtime.bigint();
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      metrics.inc("podpis_http_requests_total", { route: trace.route, method: req.method ?? "", status: res.statusCode });
      metrics.observe("podpis_http_request_duration_seconds", { route: trace.route }, seconds);
      o.log.info({
        reqId: requestId,
        method: req.method,
        route: trace.route,
        path: pathOf(req.url),
        status: res.statusCode,
        ms: Math.round(seconds * 1e4) / 10,
        bytesIn: Number(req.headers["content-length"] ?? 0) || undefined,
        key: trace.keyName,
        aborted: !res.writableFinished || undefined,
      }, "request");
    });
    return trace;
  };

  const caller = (req: IncomingMessage): string => req.socket.remoteAddress ?? "unknown";
  const rate = (who: string): void => {
    const wait = limiter.take(who);
    if (wait > 0) throw new HttpProblem("RATE_LIMITED", `rate limit reached; retry in ${wait} s`, { retryAfter: wait });
  };

  const fail = (e: unknown, res: Traced): void => {
    const requestId = res[TRACE]?.requestId;
    if (e instanceof ClientGoneError) return void res.destroy();
    if (e instanceof LimitExceededError) e = new HttpProblem("LIMIT_EXCEEDED", e.message, { limit: e.limit, max: e.max, used: e.used });
    if (e instanceof HttpProblem) {
      if (e.code === "RATE_LIMITED") res.setHeader("Retry-After", String(e.extra.retryAfter ?? 1));
      if (e.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
      sendProblem(res, e, requestId);
      return;
    }
    o.log.error({ reqId: requestId, err: { message: (e as Error)?.message, stack: (e as Error)?.stack } }, "internal error");
    sendProblem(res, new HttpProblem("INTERNAL", "an internal error occurred; the request id identifies it in the logs"), requestId);
  };

  /** A matched route: scope, rate limit, handler; errors → problem+json. */
  const run = async (r: Route, req: IncomingMessage, res: Traced, params: Record<string, string>): Promise<void> => {
    const trace = begin(req, res, r.path);
    try {
      if (r.scope) {
        const key = await auth.authorize(req.headers.authorization, r.scope);
        trace.keyName = key.name;
        rate(`key:${key.id}`);
      } else if (r.path.startsWith("/api/")) rate(`ip:${caller(req)}`);
      await r.handler({ req, res, params, query: queryOf(req.url) });
    } catch (e) {
      fail(e, res);
    }
  };

  /** a route: in the table, and registered with express too so that `app.router` lists it */
  const route = (method: "get" | "post", path: string, scope: Scope | null, handler: Handler): void => {
    const r: Route = { method: method.toUpperCase() as Route["method"], path, scope, handler, segments: path.split("/") };
    routes.push(r);
    app[method](path, (req: Request, res: Response) => run(r, req, res, req.params as Record<string, string>));
  };

  /** The table's route for a request, or null (then express answers: 404 or 405). */
  const dispatch = (req: IncomingMessage, res: ServerResponse): boolean => {
    const method = req.method === "HEAD" ? "GET" : req.method;
    const parts = pathOf(req.url).split("/");
    for (const r of routes) {
      if (r.method !== method) continue;
      const params = matchRoute(r, parts);
      if (params) {
        void run(r, req, res, params);
        return true;
      }
    }
    return false;
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, "application/json; charset=utf-8", typeof body === "string" ? body : JSON.stringify(body));

  const signedUpload = async (req: IncomingMessage, fields: readonly string[]) => {
    if (isMultipart(req)) {
      const u = await readMultipart(req, o.maxBodyBytes, ["signature", "content"], fields);
      const sig = u.files.get("signature");
      if (!sig || sig.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"signature\"");
      return { document: sig[0]!, contents: u.files.get("content") ?? [], fields: u.fields };
    }
    return { document: await readRaw(req, o.maxBodyBytes), contents: [] as Buffer[], fields: new Map<string, string>() };
  };

  route("post", "/api/v1/verify", "verify", async ({ req, res }) => {
    const up = await signedUpload(req, []);
    if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the request carries no signed file");
    const report = await svc.verify(up.document, up.contents, undefined, { signal: clientGone(res) });
    metrics.inc("podpis_validations_total", { indication: report.indication });
    if (isNotASignature(report)) throw new HttpProblem("NOT_A_SIGNATURE", "the input is neither CAdES/CMS nor XML with a signature", { errors: (report as { errors?: unknown }).errors });
    json(res, 200, report);
  });

  route("post", "/api/v1/submissions", "submit", async ({ req, res }) => {
    if (!isMultipart(req)) throw new HttpProblem("UNSUPPORTED_MEDIA_TYPE", "send the submission as multipart/form-data with parts signature, content (optional), applicant and service");
    const up = await signedUpload(req, ["applicant", "service"]);
    const applicant = up.fields.get("applicant")?.trim();
    const service = up.fields.get("service")?.trim();
    if (!applicant || !service) throw new HttpProblem("BAD_REQUEST", "the fields \"applicant\" and \"service\" are required");
    if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the \"signature\" part is empty");
    const r = await svc.submit({ document: up.document, contents: up.contents, applicant, service });
    metrics.inc("podpis_submissions_total", { accepted: String(r.record.accepted) });
    res.setHeader("Location", `/api/v1/submissions/${r.record.id}`);
    json(res, 201, { id: r.record.id, registrationNumber: r.record.registrationNumber, accepted: r.record.accepted, report: r.report, receipt: r.receipt });
  });

  const idParam = (params: Record<string, string>): string => {
    const id = String(params.id);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpProblem("NOT_FOUND", "no such submission");
    return id;
  };
  const notFound = (): never => {
    throw new HttpProblem("NOT_FOUND", "no such submission");
  };

  route("get", "/api/v1/submissions/:id", "audit", async ({ res, params }) => {
    json(res, 200, (await o.archive.getSubmission(idParam(params))) ?? notFound());
  });
  route("get", "/api/v1/submissions/:id/document", "audit", async ({ res, params, query }) => {
    const id = idParam(params);
    const doc = (await o.archive.getDocument(id)) ?? notFound();
    const q = query.content;
    if (q !== undefined) {
      const i = Number(q);
      const c = Number.isInteger(i) ? doc.contents[i] : undefined;
      if (!c) throw new HttpProblem("NOT_FOUND", `no detached content ${String(q)}`);
      send(res, 200, "application/octet-stream", c);
      return;
    }
    res.setHeader("Content-Disposition", `attachment; filename="${id}.sig"`);
    send(res, 200, "application/octet-stream", doc.document);
  });
  route("get", "/api/v1/submissions/:id/report", "audit", async ({ res, params }) => {
    json(res, 200, (await o.archive.getReport(idParam(params))) ?? notFound());
  });
  route("get", "/api/v1/submissions/:id/receipt", "audit", async ({ res, params }) => {
    const xml = (await o.archive.getReceipt(idParam(params))) ?? notFound();
    send(res, 200, "application/xml; charset=utf-8", xml);
  });
  route("post", "/api/v1/submissions/:id/revalidate", "audit", async ({ res, params, query }) => {
    const at = query.at ?? "received";
    if (at !== "received" && at !== "now") throw new HttpProblem("BAD_REQUEST", "at must be \"received\" or \"now\"");
    json(res, 200, (await svc.revalidate(idParam(params), at as RevalidationMode)) ?? notFound());
  });

  route("post", "/api/v1/receipts/verify", null, async ({ req, res }) => {
    const xml = await readRaw(req, o.maxBodyBytes);
    if (xml.length === 0) throw new HttpProblem("BAD_REQUEST", "send the receipt XML as the request body");
    const r = await svc.checkReceipt(xml, clientGone(res));
    metrics.inc("podpis_receipt_checks_total", { valid: String(r.valid) });
    json(res, 200, { valid: r.valid, registrationNumber: r.registrationNumber, submissionId: r.submissionId, accepted: r.accepted, archived: r.archived, problems: r.problems, report: r.report });
  });

  const signing = (): TwoStepSigning => o.signing ?? (() => { throw new HttpProblem("NOT_IMPLEMENTED", "two-step signing is not configured"); })();
  const PREPARE_FIELDS = ["format", "packaging", "hash", "scheme", "level", "name", "mimeType", "certificate"] as const;
  const one = (q: unknown): string | undefined => (typeof q === "string" && q !== "" ? q : undefined);

  // The document, the signer's certificate (+ chain) and the choices; scope "submit": the portal
  // prepares and completes on behalf of the citizen whose card or browser holds the key.
  route("post", "/api/v1/signing/prepare", "submit", async ({ req, res, query }) => {
    let r: PrepareRequest;
    if (isMultipart(req)) {
      const u = await readMultipart(req, o.maxBodyBytes, ["document", "certificate", "chain"], PREPARE_FIELDS);
      const docs = u.files.get("document") ?? [];
      if (docs.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"document\"");
      const certField = u.fields.get("certificate");
      const certificates = [...(certField ? [Buffer.from(certField, "utf8")] : []), ...(u.files.get("certificate") ?? []), ...(u.files.get("chain") ?? [])];
      const f = (k: string) => one(u.fields.get(k));
      r = { document: docs[0]!, certificates, format: f("format") as PrepareRequest["format"], packaging: f("packaging") as Packaging | undefined, hash: f("hash") as PrepareRequest["hash"], scheme: f("scheme") as PrepareRequest["scheme"], level: f("level") as PrepareRequest["level"], name: f("name"), mimeType: f("mimeType") };
    } else {
      const header = req.headers["x-signer-certificate"];
      const certificates = (typeof header === "string" ? header : "").split(",").map((c) => c.trim()).filter(Boolean).map((c) => Buffer.from(c, "base64"));
      const q = query;
      r = { document: await readRaw(req, o.maxBodyBytes), certificates, format: one(q.format) as PrepareRequest["format"], packaging: one(q.packaging) as Packaging | undefined, hash: one(q.hash) as PrepareRequest["hash"], scheme: one(q.scheme) as PrepareRequest["scheme"], level: one(q.level) as PrepareRequest["level"], name: one(q.name), mimeType: one(q.mimeType) };
    }
    const prepared = signing().prepare(r);
    metrics.inc("podpis_signing_total", { step: "prepare", format: prepared.format });
    json(res, 200, prepared);
  });

  // The state and the signature value (+ the document where the signature carries it) → the signed file.
  route("post", "/api/v1/signing/complete", "submit", async ({ req, res }) => {
    let state: string | undefined;
    let value: string | undefined;
    let document: Buffer | undefined;
    if (isMultipart(req)) {
      const u = await readMultipart(req, o.maxBodyBytes, ["document"], ["state", "signatureValue"]);
      state = u.fields.get("state");
      value = u.fields.get("signatureValue");
      const docs = u.files.get("document") ?? [];
      if (docs.length > 1) throw new HttpProblem("BAD_REQUEST", "at most one part named \"document\"");
      document = docs[0];
    } else {
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new HttpProblem("UNSUPPORTED_MEDIA_TYPE", "send application/json { state, signatureValue, document? } or multipart/form-data");
      let body: { state?: unknown; signatureValue?: unknown; document?: unknown };
      try {
        body = JSON.parse((await readRaw(req, o.maxBodyBytes)).toString("utf8")) as typeof body;
      } catch {
        throw new HttpProblem("BAD_REQUEST", "the body is not JSON");
      }
      state = typeof body?.state === "string" ? body.state : undefined;
      value = typeof body?.signatureValue === "string" ? body.signatureValue : undefined;
      if (body?.document !== undefined && typeof body.document !== "string") throw new HttpProblem("BAD_REQUEST", "document is base64 text");
      document = typeof body?.document === "string" ? Buffer.from(body.document, "base64") : undefined;
    }
    if (!state || !value) throw new HttpProblem("BAD_REQUEST", "state and signatureValue (base64) are required");
    if (!/^[A-Za-z0-9+/=_-\s]+$/.test(value)) throw new HttpProblem("BAD_REQUEST", "signatureValue is base64 text");
    const done = await signing().complete({ state, signatureValue: Buffer.from(value, "base64"), document });
    metrics.inc("podpis_signing_total", { step: "complete", format: done.mediaType === "application/xml" ? "xades" : "cades" });
    res.setHeader("Content-Disposition", `attachment; filename="${done.filename}"`);
    send(res, 200, done.mediaType, done.bytes);
  });

  route("get", "/healthz", null, async ({ res }) => json(res, 200, { status: "UP" }));
  route("get", "/readyz", null, async ({ res }) => {
    const r = await readiness(svc.validator, o.archive, svc.clock());
    json(res, r.ready ? 200 : 503, { status: r.ready ? "READY" : "NOT_READY", checks: r.checks });
  });
  route("get", "/metrics", null, async ({ res }) => {
    const text = o.metricsText ? await o.metricsText() : renderPrometheus(metrics.snapshot());
    send(res, 200, "text/plain; version=0.0.4; charset=utf-8", text);
  });
  route("get", "/openapi.json", null, async ({ res }) => json(res, 200, openApiDocument()));

  // Unknown path, or a known path with another method: the only requests express itself sees.
  app.use((req: Request, res: Response) => {
    const trace = begin(req, res, "unmatched");
    const path = pathOf(req.url).split("/");
    const known = routes.some((r) => matchRoute(r, path));
    sendProblem(res, known ? new HttpProblem("METHOD_NOT_ALLOWED", `${req.method} is not allowed here`) : new HttpProblem("NOT_FOUND", `no route ${req.method} ${req.path}`), trace.requestId);
  });
  app.use((e: unknown, _req: Request, res: Response, _next: NextFunction) => fail(e, res));

  // express's app function calls app.handle (express/lib/express.js); the table goes first
  type Handle = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;
  const withHandle = app as unknown as { handle: Handle };
  const viaExpress = withHandle.handle.bind(app);
  withHandle.handle = (req, res, next) => {
    if (!dispatch(req, res)) viaExpress(req, res, next);
  };
  return app;
}
