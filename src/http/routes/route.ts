/**
 * What a router is: a resource's routes, its one scope, and next to each route the part of the
 * OpenAPI operation only the route knows (summary, parameters, body, its own responses). The
 * app dispatches from these tables; openapi.ts builds the document from the same tables, adding
 * what follows from the scope (security, 401/403/429), so a scope is written down exactly once.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ArchiveStore, Scope } from "../../archive/port.js";
import type { DependencyProbe } from "../dependencies.js";
import type { Metrics } from "../metrics.js";
import type { PodpisService } from "../service.js";
import type { TwoStepSigning } from "../signing.js";

/** What every handler may use; built once per app. */
export interface RouteContext {
  service: PodpisService;
  archive: ArchiveStore;
  metrics: Metrics;
  signing?: TwoStepSigning;
  /** the whole service's metrics text (the cluster primary's sum) */
  metricsText: () => Promise<string>;
  /** the OpenAPI document (built by the app from the routers) */
  openApi: () => Record<string, unknown>;
  /** the TSA and the seal key, probed by /readyz */
  dependencies: readonly DependencyProbe[];
}

/** One request as a handler sees it. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  ctx: RouteContext;
  /** the body cap of this route (RouteBudget.bodyBytes: keyed or public) */
  bodyLimit: number;
}

export type Handler = (c: Call) => Promise<void>;

/** An OpenAPI 3.1 operation object without what the router's scope implies. */
export type OperationDoc = Record<string, unknown> & { summary: string; responses: Record<string, unknown> };

export interface RouteDef {
  method: "GET" | "POST";
  /** express-style: `/api/v1/submissions/:id` */
  path: string;
  handler: Handler;
  doc: OperationDoc;
}

export interface Router {
  name: string;
  /** the API-key scope every route of this router requires; null: public */
  scope: Scope | null;
  /** public routes: rate-limited per client address (the API), or not at all (health, metrics) */
  rateLimited: boolean;
  routes: RouteDef[];
}

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
}

export const json = (res: ServerResponse, status: number, body: unknown): void =>
  send(res, status, "application/json; charset=utf-8", typeof body === "string" ? body : JSON.stringify(body));

/** OpenAPI building blocks the route docs share. */
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } });
export const jsonOf = (description: string, ref: string) => ({ description, content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } } });
export const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }];
