/**
 * The HTTP application: the routers of ./routes/ dispatched from node:http, with what every route
 * shares — request id and one JSON log line (no bodies, no query strings, no EGNs), the router's
 * scope, the rate limit, the body cap of the route's budget, and errors as problem+json.
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
import type { Logger } from "pino";
import type { ArchiveStore, Scope } from "../archive/port.js";
import { DEFAULT_ROUTE_BUDGETS, type RouteBudgets } from "../limits/budgets.js";
import { Authenticator } from "./auth.js";
import type { DependencyProbe } from "./dependencies.js";
import { Metrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { problemFor } from "../edge/errors.js";
import { HttpProblem, sendProblem } from "./problem.js";
import { ClientGoneError } from "./client-gone.js";
import { type CallerLimiter, RateLimiter } from "./rate-limit.js";
import { ROUTERS } from "./routes/index.js";
import type { Handler, RouteContext, Router } from "./routes/route.js";
import type { PodpisService } from "./service.js";
import type { TwoStepSigning } from "./signing.js";

export { send } from "./routes/route.js";

export interface AppOptions {
  service: PodpisService;
  archive: ArchiveStore;
  log: Logger;
  /** body cap of the keyed routes (RouteBudget.bodyBytes); `budgets` wins when given */
  maxBodyBytes: number;
  /** per-route budgets: keyed routes and public (unkeyed) ones; default from src/limits/budgets.ts */
  budgets?: RouteBudgets;
  ratePerSecond: number;
  rateBurst: number;
  /** the rate limiter shared by the cluster's workers (server.ts); default: one in this process */
  limiter?: CallerLimiter;
  metrics?: Metrics;
  /** two-step signing (prepare/complete); without it those routes answer 501 */
  signing?: TwoStepSigning;
  /** the whole service's metrics text (the cluster primary's sum); default: this process's */
  metricsText?: () => Promise<string>;
  /** the routers to serve (tests); default: all of ./routes/ */
  routers?: readonly Router[];
  /** the TSA and the seal key, for /readyz */
  dependencies?: DependencyProbe[];
}

/** A route of the dispatch table: the router's scope and limits resolved once. */
interface Route {
  method: "GET" | "POST";
  path: string;
  scope: Scope | null;
  rateLimited: boolean;
  bodyLimit: number;
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
/** one listener function for every request's stream errors, not two closures per request */
const ignore = (): void => {};
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

/** A `%` not followed by two hex digits: express's param decoding would throw (a 500) on it. */
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

function matchRoute(r: Route, parts: string[]): Record<string, string> | null {
  // a last segment `*name` takes the rest of the path, slashes and all (tlog-tiles paths)
  const rest = r.segments.at(-1)!.startsWith("*");
  if (rest ? parts.length < r.segments.length : parts.length !== r.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.segments.length; i++) {
    const seg = r.segments[i]!;
    if (seg.startsWith("*")) {
      const tail = parts.slice(i);
      if (tail.some((p) => p === "" || BAD_PERCENT.test(p))) return null;
      params[seg.slice(1)] = tail.map((p) => decodeURIComponent(p)).join("/");
      break;
    }
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

export function createApp(o: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  const metrics = o.metrics ?? new Metrics();
  const auth = new Authenticator(o.archive);
  const limiter: CallerLimiter = o.limiter ?? new RateLimiter(o.ratePerSecond, o.rateBurst || Math.max(1, o.ratePerSecond));
  const budgets: RouteBudgets = o.budgets ?? {
    keyed: { bodyBytes: o.maxBodyBytes },
    public: { bodyBytes: Math.min(o.maxBodyBytes, DEFAULT_ROUTE_BUDGETS.public.bodyBytes) },
  };
  const routers = o.routers ?? ROUTERS;
  const ctx: RouteContext = {
    service: o.service,
    archive: o.archive,
    metrics,
    signing: o.signing,
    metricsText: o.metricsText ?? (() => metrics.text()),
    openApi: () => openApiDocument(routers),
    dependencies: o.dependencies ?? [],
  };

  /** Request id, and at the end one log line and the metrics (for table routes and the fallback alike). */
  const begin = (req: IncomingMessage, res: Traced, route: string): Trace => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && given.length <= 64 && /^[\w-]+$/.test(given) ? given : randomUUID();
    const trace: Trace = { requestId, route };
    res[TRACE] = trace;
    res.setHeader("X-Request-Id", requestId);
    // A client that goes away makes these streams emit errors; with no listener that would end
    // the worker (issue 10.1). The request log below still records the request as aborted.
    req.on("error", ignore);
    res.on("error", ignore);
    const t0 = process.hrtime.bigint();
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      metrics.inc("podpis_http_requests_total", { route: trace.route, method: req.method ?? "", status: String(res.statusCode) });
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
  const limited = (wait: number): void => {
    if (wait > 0) throw new HttpProblem("RATE_LIMITED", `rate limit reached; retry in ${wait} s`, { retryAfter: wait });
  };
  /** a local limiter answers at once: no promise on the hot path; the cluster's answers over IPC */
  const rate = (who: string): void | Promise<void> => {
    const wait = limiter.take(who);
    return typeof wait === "number" ? limited(wait) : wait.then(limited);
  };

  /** Any error → problem+json through the one edge table (src/edge/errors.ts); a 500's cause goes to the log only. */
  const fail = (e: unknown, res: Traced): void => {
    const requestId = res[TRACE]?.requestId;
    // nobody is waiting for the answer (issue 11): nothing to send, nothing to log as an error
    if (e instanceof ClientGoneError) return void res.destroy();
    const p = problemFor(e);
    if (p.status === 503) o.log.warn({ reqId: requestId, code: p.body.code, dependency: p.extra.dependency, err: { message: (e as Error)?.message } }, "dependency unavailable");
    else if (p.status === 500) {
      o.log.error({ reqId: requestId, code: p.body.code, err: { message: (e as Error)?.message, stack: (e as Error)?.stack } }, "internal error");
      // the request log holds lines for a while (config.ts createLogger): an error goes out now
      o.log.flush();
    }
    sendProblem(res, p, requestId);
  };

  /** A matched route: scope, rate limit, handler; errors → problem+json. */
  const run = async (r: Route, req: IncomingMessage, res: Traced, params: Record<string, string>): Promise<void> => {
    const trace = begin(req, res, r.path);
    try {
      if (r.scope) {
        const key = await auth.authorize(req.headers.authorization, r.scope);
        trace.keyName = key.name;
        const waiting = rate(`key:${key.id}`);
        if (waiting) await waiting;
      } else if (r.rateLimited) {
        const waiting = rate(`ip:${caller(req)}`);
        if (waiting) await waiting;
      }
      await r.handler({ req, res, params, query: queryOf(req.url), ctx, bodyLimit: r.bodyLimit });
    } catch (e) {
      fail(e, res);
    }
  };

  // The dispatch table, and each route registered with express too so that `app.router` lists it.
  const routes: Route[] = [];
  for (const router of routers) {
    const bodyLimit = (router.scope ? budgets.keyed : budgets.public).bodyBytes;
    for (const d of router.routes) {
      const r: Route = { method: d.method, path: d.path, scope: router.scope, rateLimited: router.rateLimited, bodyLimit, handler: d.handler, segments: d.path.split("/") };
      routes.push(r);
      const method = d.method === "GET" ? "get" : "post";
      app[method](d.path, (req: Request, res: Response) => run(r, req, res, req.params as Record<string, string>));
    }
  }

  // Issue 15: a path without parameters is found in one map lookup rather than by walking the
  // table — when no route before it in the table would take the same request (first match wins).
  const exact = new Map<string, Route>();
  routes.forEach((r, i) => {
    if (r.segments.some((seg) => seg.startsWith(":") || seg.startsWith("*"))) return;
    const shadowed = routes.slice(0, i).some((e) => e.method === r.method && matchRoute(e, r.segments));
    if (!shadowed && !exact.has(`${r.method} ${r.path}`)) exact.set(`${r.method} ${r.path}`, r);
  });

  /** The table's route for a request, or null (then express answers: 404 or 405). */
  const dispatch = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = pathOf(req.url);
    if (BAD_PERCENT.test(path)) {
      // before authentication, routing or express's decoding (issue 11.7)
      const trace = begin(req, res, "unmatched");
      req.resume();
      sendProblem(res, new HttpProblem("BAD_REQUEST", "the path has a malformed percent-encoding"), trace.requestId);
      return true;
    }
    const method = req.method === "HEAD" ? "GET" : req.method;
    const known = exact.get(`${method} ${path}`);
    if (known) {
      void run(known, req, res, {});
      return true;
    }
    const parts = path.split("/");
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
