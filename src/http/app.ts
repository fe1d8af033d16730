/**
 * The express application: the contract's routes, thin — parse, call the service, render.
 * Errors are problem+json; every request gets an id and one JSON log line (no bodies, no
 * query strings, no EGNs).
 */
import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import type { ArchiveStore, Scope } from "../archive/port.js";
import type { Logger } from "pino";
import { Authenticator } from "./auth.js";
import { isMultipart, readMultipart, readRaw } from "./body.js";
import { Metrics, renderPrometheus } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { HttpProblem, sendProblem } from "./problem.js";
import { RateLimiter } from "./rate-limit.js";
import { readiness } from "./readiness.js";
import { type PodpisService, type RevalidationMode, isNotASignature } from "./service.js";

export interface AppOptions {
  service: PodpisService;
  archive: ArchiveStore;
  log: Logger;
  maxBodyBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  metrics?: Metrics;
  /** the whole service's metrics text (the cluster primary's sum); default: this process's */
  metricsText?: () => Promise<string>;
}

type Handler = (req: Request, res: Response) => Promise<void>;

interface Locals {
  requestId: string;
  keyName?: string;
  route?: string;
}

const locals = (res: Response): Locals => res.locals as Locals;

export function createApp(o: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  const metrics = o.metrics ?? new Metrics();
  const auth = new Authenticator(o.archive);
  const limiter = new RateLimiter(o.ratePerSecond, o.rateBurst || Math.max(1, o.ratePerSecond));
  const svc = o.service;

  app.use((req, res, next) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    const t0 = process.hrtime.bigint();
    res.on("close", () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const route = locals(res).route ?? "unmatched";
      metrics.inc("podpis_http_requests_total", { route, method: req.method, status: res.statusCode });
      metrics.observe("podpis_http_request_duration_seconds", { route }, seconds);
      o.log.info({
        reqId: requestId,
        method: req.method,
        route,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(seconds * 1e4) / 10,
        bytesIn: Number(req.headers["content-length"] ?? 0) || undefined,
        key: locals(res).keyName,
        aborted: !res.writableFinished || undefined,
      }, "request");
    });
    next();
  });

  const caller = (req: Request): string => req.socket.remoteAddress ?? "unknown";
  const rate = (who: string): void => {
    const wait = limiter.take(who);
    if (wait > 0) throw new HttpProblem("RATE_LIMITED", `rate limit reached; retry in ${wait} s`, { retryAfter: wait });
  };

  /** a route: optional scope, handler errors → problem+json */
  const route = (method: "get" | "post", path: string, scope: Scope | null, h: Handler): void => {
    app[method](path, async (req: Request, res: Response) => {
      locals(res).route = path;
      try {
        if (scope) {
          const key = await auth.authorize(req.headers.authorization, scope);
          locals(res).keyName = key.name;
          rate(`key:${key.id}`);
        } else if (path.startsWith("/api/")) rate(`ip:${caller(req)}`);
        await h(req, res);
      } catch (e) {
        fail(e, req, res);
      }
    });
  };

  const fail = (e: unknown, req: Request, res: Response): void => {
    if (e instanceof HttpProblem) {
      if (e.code === "RATE_LIMITED") res.setHeader("Retry-After", String(e.extra.retryAfter ?? 1));
      if (e.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
      sendProblem(res, e, locals(res).requestId);
      return;
    }
    o.log.error({ reqId: locals(res).requestId, err: { message: (e as Error)?.message, stack: (e as Error)?.stack } }, "internal error");
    sendProblem(res, new HttpProblem("INTERNAL", "an internal error occurred; the request id identifies it in the logs"), locals(res).requestId);
    void req;
  };

  const json = (res: Response, status: number, body: unknown): void => void res.status(status).type("application/json").send(typeof body === "string" ? body : JSON.stringify(body));

  const signedUpload = async (req: Request, fields: readonly string[]) => {
    if (isMultipart(req)) {
      const u = await readMultipart(req, o.maxBodyBytes, ["signature", "content"], fields);
      const sig = u.files.get("signature");
      if (!sig || sig.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"signature\"");
      return { document: sig[0]!, contents: u.files.get("content") ?? [], fields: u.fields };
    }
    return { document: await readRaw(req, o.maxBodyBytes), contents: [] as Buffer[], fields: new Map<string, string>() };
  };

  route("post", "/api/v1/verify", "verify", async (req, res) => {
    const up = await signedUpload(req, []);
    if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the request carries no signed file");
    const report = await svc.verify(up.document, up.contents);
    metrics.inc("podpis_validations_total", { indication: report.indication });
    if (isNotASignature(report)) throw new HttpProblem("NOT_A_SIGNATURE", "the input is neither CAdES/CMS nor XML with a signature", { errors: (report as { errors?: unknown }).errors });
    json(res, 200, report);
  });

  route("post", "/api/v1/submissions", "submit", async (req, res) => {
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

  const idParam = (req: Request): string => {
    const id = String(req.params.id);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpProblem("NOT_FOUND", "no such submission");
    return id;
  };
  const notFound = (): never => {
    throw new HttpProblem("NOT_FOUND", "no such submission");
  };

  route("get", "/api/v1/submissions/:id", "audit", async (req, res) => {
    json(res, 200, (await o.archive.getSubmission(idParam(req))) ?? notFound());
  });
  route("get", "/api/v1/submissions/:id/document", "audit", async (req, res) => {
    const id = idParam(req);
    const doc = (await o.archive.getDocument(id)) ?? notFound();
    const q = req.query.content;
    if (q !== undefined) {
      const i = Number(q);
      const c = Number.isInteger(i) ? doc.contents[i] : undefined;
      if (!c) throw new HttpProblem("NOT_FOUND", `no detached content ${String(q)}`);
      res.type("application/octet-stream").send(c);
      return;
    }
    res.type("application/octet-stream").setHeader("Content-Disposition", `attachment; filename="${id}.sig"`);
    res.send(doc.document);
  });
  route("get", "/api/v1/submissions/:id/report", "audit", async (req, res) => {
    json(res, 200, (await o.archive.getReport(idParam(req))) ?? notFound());
  });
  route("get", "/api/v1/submissions/:id/receipt", "audit", async (req, res) => {
    const xml = (await o.archive.getReceipt(idParam(req))) ?? notFound();
    res.type("application/xml").send(xml);
  });
  route("post", "/api/v1/submissions/:id/revalidate", "audit", async (req, res) => {
    const at = (req.query.at ?? "received") as string;
    if (at !== "received" && at !== "now") throw new HttpProblem("BAD_REQUEST", "at must be \"received\" or \"now\"");
    json(res, 200, (await svc.revalidate(idParam(req), at as RevalidationMode)) ?? notFound());
  });

  route("post", "/api/v1/receipts/verify", null, async (req, res) => {
    const xml = await readRaw(req, o.maxBodyBytes);
    if (xml.length === 0) throw new HttpProblem("BAD_REQUEST", "send the receipt XML as the request body");
    const r = await svc.checkReceipt(xml);
    metrics.inc("podpis_receipt_checks_total", { valid: String(r.valid) });
    json(res, 200, { valid: r.valid, registrationNumber: r.registrationNumber, submissionId: r.submissionId, accepted: r.accepted, archived: r.archived, problems: r.problems, report: r.report });
  });

  route("get", "/healthz", null, async (_req, res) => json(res, 200, { status: "UP" }));
  route("get", "/readyz", null, async (_req, res) => {
    const r = await readiness(svc.validator, o.archive, svc.clock());
    json(res, r.ready ? 200 : 503, { status: r.ready ? "READY" : "NOT_READY", checks: r.checks });
  });
  route("get", "/metrics", null, async (_req, res) => {
    const text = o.metricsText ? await o.metricsText() : renderPrometheus(metrics.snapshot());
    res.type("text/plain; version=0.0.4; charset=utf-8").send(text);
  });
  route("get", "/openapi.json", null, async (_req, res) => json(res, 200, openApiDocument()));

  // Unknown path, or a known path with another method.
  app.use((req: Request, res: Response) => {
    locals(res).route = "unmatched";
    const known = (app.router.stack as Array<{ route?: { path: string } ; match?: (p: string) => boolean }>).some((l) => l.route && l.match?.(req.path));
    sendProblem(res, known ? new HttpProblem("METHOD_NOT_ALLOWED", `${req.method} is not allowed here`) : new HttpProblem("NOT_FOUND", `no route ${req.method} ${req.path}`), locals(res).requestId);
  });
  app.use((e: unknown, req: Request, res: Response, _next: NextFunction) => fail(e, req, res));
  return app;
}
