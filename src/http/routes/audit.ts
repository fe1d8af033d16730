/** The archive as auditors read it: submissions, their bytes, report, receipt, revalidation (scope "audit"). */
import type { SubmissionQuery } from "../../archive/port.js";
import { isFileRef } from "../../archive/file-store.js";
import { HttpProblem } from "../problem.js";
import { sendStoredFile } from "../upload-store.js";
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

const PAGE = { default: 20, max: 100 };
const SEARCH = ["registrationNumber", "applicant", "from", "to", "accepted", "limit", "cursor"];
const bad = (detail: string): never => {
  throw new HttpProblem("BAD_REQUEST", detail);
};
const instant = (v: string, name: string): Date => {
  // a date, or a date and time with a zone: no local-time guesses
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) || Number.isNaN(Date.parse(v))) bad(`${name} is an ISO-8601 date or instant with a zone (got "${v.slice(0, 40)}")`);
  return new Date(v);
};
/** The cursor is the position of a page's last item, opaque to clients. */
const cursorOf = (r: { receivedAt: string; id: string }): string => Buffer.from(JSON.stringify([r.receivedAt, r.id])).toString("base64url");
function positionOf(cursor: string): { receivedAt: string; id: string } {
  try {
    const [receivedAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof receivedAt === "string" && typeof id === "string" && receivedAt.length <= 40 && id.length <= 64) return { receivedAt, id };
  } catch {
    /* below */
  }
  return bad("cursor is not one this service gave out");
}

/** GET /api/v1/submissions?…: the query string as an archive query (every parameter checked). */
export function submissionQuery(query: Record<string, string | undefined>): SubmissionQuery {
  for (const k of Object.keys(query)) if (!SEARCH.includes(k)) bad(`unknown parameter "${k.slice(0, 40)}" (expected ${SEARCH.join(", ")})`);
  const q: SubmissionQuery = { limit: PAGE.default };
  if (query.registrationNumber) q.registrationNumber = query.registrationNumber;
  if (query.applicant) q.applicant = query.applicant;
  if (query.from) q.from = instant(query.from, "from");
  if (query.to) q.to = instant(query.to, "to");
  if (query.accepted !== undefined) q.accepted = query.accepted === "true" ? true : query.accepted === "false" ? false : bad("accepted is true or false");
  if (query.limit !== undefined) {
    const n = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || n < 1 || n > PAGE.max) bad(`limit is a whole number from 1 to ${PAGE.max}`);
    q.limit = n;
  }
  if (query.cursor) q.after = positionOf(query.cursor);
  return q;
}

export const auditRouter: Router = {
  name: "audit",
  scope: "audit",
  rateLimited: true,
  routes: [
    {
      method: "GET",
      path: "/api/v1/submissions",
      doc: {
        summary: "Look submissions up by registration number, applicant, time received, outcome; a page at a time, oldest first",
        parameters: [
          { name: "registrationNumber", in: "query", required: false, schema: { type: "string" } },
          { name: "applicant", in: "query", required: false, description: "exactly as handed in", schema: { type: "string" } },
          { name: "from", in: "query", required: false, description: "received at or after (ISO-8601 date or instant)", schema: { type: "string" } },
          { name: "to", in: "query", required: false, description: "received before (ISO-8601 date or instant)", schema: { type: "string" } },
          { name: "accepted", in: "query", required: false, schema: { type: "string", enum: ["true", "false"] } },
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: PAGE.max, default: PAGE.default } },
          { name: "cursor", in: "query", required: false, description: "nextCursor of the previous page", schema: { type: "string" } },
        ],
        responses: { "200": jsonOf("a page of submissions in the order (receivedAt, id)", "SubmissionPage"), "400": problem("an unknown or malformed parameter") },
      },
      handler: async ({ res, query, ctx }) => {
        const q = submissionQuery(query);
        // one more than asked tells whether there is a next page
        const found = await ctx.archive.findSubmissions({ ...q, limit: q.limit + 1 });
        const items = found.slice(0, q.limit);
        json(res, 200, { items, nextCursor: found.length > q.limit ? cursorOf(items[items.length - 1]!) : null });
      },
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id",
      doc: { summary: "The archived submission", parameters: idParam, responses: { "200": jsonOf("the submission", "Submission"), ...noSuch } },
      handler: async ({ res, params, ctx }) => json(res, 200, (await ctx.service.submission(idOf(params))) ?? notFound()),
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id/document",
      doc: {
        summary: "The signed file as received (or a detached content with ?content=N)",
        parameters: [...idParam, { name: "content", in: "query", required: false, schema: { type: "integer", minimum: 0 } }],
        responses: { "200": { description: "bytes", content: { "application/octet-stream": {} } }, "409": problem("the content is kept in the file store, and its file is missing there (FILE_STORE_MISMATCH)"), ...noSuch },
      },
      handler: async ({ res, params, query, ctx }) => {
        const id = idOf(params);
        const doc = (await ctx.archive.getDocument(id)) ?? notFound();
        const q = query.content;
        if (q !== undefined) {
          const i = Number(q);
          const c = Number.isInteger(i) ? doc.contents[i] : undefined;
          if (!c) throw new HttpProblem("NOT_FOUND", `no detached content ${String(q)}`);
          if (isFileRef(c)) return sendStoredFile(res, c, ctx.service.files);
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
        responses: { "200": jsonOf("the revalidation", "Revalidation"), "400": problem("bad at"), "409": problem("a content in the file store is missing or altered (FILE_STORE_MISMATCH)"), ...noSuch },
      },
      handler: async ({ res, params, query, ctx }) => {
        const at = query.at ?? "received";
        if (at !== "received" && at !== "now") throw new HttpProblem("BAD_REQUEST", "at must be \"received\" or \"now\"");
        json(res, 200, (await ctx.service.revalidate(idOf(params), at as RevalidationMode)) ?? notFound());
      },
    },
  ],
};
