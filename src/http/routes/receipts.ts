/** POST /api/v1/receipts/verify: anyone may check a receipt (public, rate-limited per address, the lower public body cap). */
import { readRaw } from "../body.js";
import { clientGone } from "../client-gone.js";
import { HttpProblem } from "../problem.js";
import { type Router, json, jsonOf, problem } from "./route.js";

export const receiptsRouter: Router = {
  name: "receipts",
  scope: null,
  rateLimited: true,
  routes: [
    {
      method: "POST",
      path: "/api/v1/receipts/verify",
      doc: {
        summary: "Check a receipt (public)",
        requestBody: { required: true, content: { "application/xml": { schema: { type: "string" } } } },
        responses: { "200": jsonOf("valid is false for any altered receipt or one not sealed by this service", "ReceiptCheck"), "400": problem("empty or truncated body"), "413": problem("over the size limit"), "422": problem("over the receipt check's budget (LIMIT_EXCEEDED: limit, max, used)") },
      },
      handler: async ({ req, res, ctx, bodyLimit }) => {
        const xml = await readRaw(req, bodyLimit);
        if (xml.length === 0) throw new HttpProblem("BAD_REQUEST", "send the receipt XML as the request body");
        const r = await ctx.service.checkReceipt(xml, clientGone(res));
        ctx.metrics.inc("podpis_receipt_checks_total", { valid: String(r.valid) });
        json(res, 200, { valid: r.valid, registrationNumber: r.registrationNumber, submissionId: r.submissionId, accepted: r.accepted, archived: r.archived, log: r.log, problems: r.problems, report: r.report });
      },
    },
  ],
};
