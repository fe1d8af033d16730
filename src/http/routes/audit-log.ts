/**
 * The audit log as the auditor's console reads it (scope "audit"): one submission's entries, and
 * `podpis audit verify` over HTTP — the hash chain, every archived object against it, and
 * optionally the head the auditor kept.
 */
import { verifyArchive } from "../../archive/verify-archive.js";
import { HttpProblem } from "../problem.js";
import { type Router, idParam, json, jsonOf, problem } from "./route.js";

export const auditLogRouter: Router = {
  name: "audit-log",
  scope: "audit",
  rateLimited: true,
  routes: [
    {
      method: "GET",
      path: "/api/v1/submissions/:id/audit",
      doc: { summary: "The audit-log entries about one submission, in log order", parameters: idParam, responses: { "200": jsonOf("the entries", "AuditEntries"), "404": problem("no such submission") } },
      handler: async ({ res, params, ctx }) => {
        const id = String(params.id);
        if (!/^[0-9a-f-]{36}$/.test(id) || !(await ctx.archive.getSubmission(id))) throw new HttpProblem("NOT_FOUND", "no such submission");
        json(res, 200, { entries: await ctx.archive.auditEntriesFor(id) });
      },
    },
    {
      method: "POST",
      path: "/api/v1/audit/verify",
      doc: {
        summary: "`podpis audit verify`: the audit log's hash chain, every archived object and row against it, and the head the auditor kept (?expectHead=SEQ:HASH)",
        parameters: [{ name: "expectHead", in: "query", required: false, description: "HASH or SEQ:HASH as audit verify prints it", schema: { type: "string" } }],
        responses: { "200": jsonOf("the verification (ok false: something was found)", "ArchiveVerification"), "400": problem("a malformed expectHead") },
      },
      handler: async ({ res, query, ctx }) => {
        const expectHead = query.expectHead || undefined;
        if (expectHead !== undefined && !/^(\d{1,12}:)?[0-9a-f]{64}$/.test(expectHead)) throw new HttpProblem("BAD_REQUEST", "expectHead is HASH or SEQ:HASH (64 hex digits)");
        json(res, 200, await verifyArchive(ctx.archive, { expectHead }));
      },
    },
  ],
};
