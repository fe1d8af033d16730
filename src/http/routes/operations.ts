/** Health, readiness, metrics and this API's description: public and not rate-limited (probes and scrapers). */
import { readiness } from "../readiness.js";
import { type Router, json, send } from "./route.js";

export const operationsRouter: Router = {
  name: "operations",
  scope: null,
  rateLimited: false,
  routes: [
    {
      method: "GET",
      path: "/healthz",
      doc: { summary: "Liveness", responses: { "200": { description: "UP", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } } } },
      handler: async ({ res }) => json(res, 200, { status: "UP" }),
    },
    {
      method: "GET",
      path: "/readyz",
      doc: {
        summary: "Readiness: trust store, archive, TSA, seal key, CRL freshness",
        responses: {
          "200": { description: "READY", content: { "application/json": { schema: { $ref: "#/components/schemas/Readiness" } } } },
          "503": { description: "NOT_READY, with the failing checks", content: { "application/json": { schema: { $ref: "#/components/schemas/Readiness" } } } },
        },
      },
      handler: async ({ res, ctx }) => {
        const r = await readiness(ctx.service.validator, ctx.archive, ctx.service.clock(), ctx.dependencies);
        json(res, r.ready ? 200 : 503, { status: r.ready ? "READY" : "NOT_READY", checks: r.checks });
      },
    },
    {
      method: "GET",
      path: "/metrics",
      doc: { summary: "Prometheus metrics", responses: { "200": { description: "text exposition format", content: { "text/plain": {} } } } },
      handler: async ({ res, ctx }) => {
        send(res, 200, "text/plain; version=0.0.4; charset=utf-8", await ctx.metricsText());
      },
    },
    {
      method: "GET",
      path: "/openapi.json",
      doc: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": {} } } } },
      handler: async ({ res, ctx }) => json(res, 200, ctx.openApi()),
    },
  ],
};
