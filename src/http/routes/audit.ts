/** The archive as auditors read it: submissions, their bytes, report, receipt, revalidation (scope "audit"). */
import { HttpProblem } from "../problem.js";
import type { RevalidationMode } from "../service.js";
import { type Router, idParam, json, jsonOf, problem, send } from "./route.js";

const idOf = (params: Record<string, string>): string => {
  const id = String(params.id);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpProblem("NOT_FOUND", "no such submission");
  return id;
};
const notFound = (): never => {
  throw new HttpProblem("NOT_FOUND", "no such submission");
};
const noSuch = { "404": problem("no such submission") };

export const auditRouter: Router = {
  name: "audit",
  scope: "audit",
  rateLimited: true,
  routes: [
    {
      method: "GET",
      path: "/api/v1/submissions/:id",
      doc: { summary: "The archived submission", parameters: idParam, responses: { "200": jsonOf("the submission", "Submission"), ...noSuch } },
      handler: async ({ res, params, ctx }) => json(res, 200, (await ctx.archive.getSubmission(idOf(params))) ?? notFound()),
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id/document",
      doc: {
        summary: "The signed file as received (or a detached content with ?content=N)",
        parameters: [...idParam, { name: "content", in: "query", required: false, schema: { type: "integer", minimum: 0 } }],
        responses: { "200": { description: "bytes", content: { "application/octet-stream": {} } }, ...noSuch },
      },
      handler: async ({ res, params, query, ctx }) => {
        const id = idOf(params);
        const doc = (await ctx.archive.getDocument(id)) ?? notFound();
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
      },
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id/report",
      doc: { summary: "The validation report made at receipt", parameters: idParam, responses: { "200": jsonOf("the report", "ValidationReport"), ...noSuch } },
      handler: async ({ res, params, ctx }) => json(res, 200, (await ctx.archive.getReport(idOf(params))) ?? notFound()),
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id/receipt",
      doc: { summary: "The sealed receipt", parameters: idParam, responses: { "200": { description: "receipt XML", content: { "application/xml": {} } }, ...noSuch } },
      handler: async ({ res, params, ctx }) => send(res, 200, "application/xml; charset=utf-8", (await ctx.archive.getReceipt(idOf(params))) ?? notFound()),
    },
    {
      method: "POST",
      path: "/api/v1/submissions/:id/revalidate",
      doc: {
        summary: "Replay the validation from archived material only (at=received) or validate now",
        parameters: [...idParam, { name: "at", in: "query", required: false, schema: { type: "string", enum: ["received", "now"], default: "received" } }],
        responses: { "200": jsonOf("the revalidation", "Revalidation"), "400": problem("bad at"), ...noSuch },
      },
      handler: async ({ res, params, query, ctx }) => {
        const at = query.at ?? "received";
        if (at !== "received" && at !== "now") throw new HttpProblem("BAD_REQUEST", "at must be \"received\" or \"now\"");
        json(res, 200, (await ctx.service.revalidate(idOf(params), at as RevalidationMode)) ?? notFound());
      },
    },
  ],
};
