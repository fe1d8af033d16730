/** POST /api/v1/submissions: the portal hands in a signed form (scope "submit"). */
import { isMultipart, readSignedUpload } from "../body.js";
import { readSubmissionUpload } from "../upload-store.js";
import { HttpProblem } from "../problem.js";
import type { SubmissionResult } from "../service.js";
import { type Router, json, jsonOf, problem, send } from "./route.js";
import { signedBody } from "./verify.js";

export const submissionsRouter: Router = {
  name: "submissions",
  scope: "submit",
  rateLimited: true,
  routes: [
    {
      method: "POST",
      path: "/api/v1/submissions",
      doc: {
        summary: "Hand in a signed form: validate, archive, issue a sealed receipt",
        requestBody: signedBody(true),
        responses: {
          "201": jsonOf("archived; receipt issued (also when the signature failed)", "SubmissionResult"),
          "400": problem("missing part or field, or a truncated body"),
          "413": problem("over the size limit"),
          "415": problem("not multipart"),
        },
      },
      handler: async ({ req, res, ctx, bodyLimit }) => {
        if (!isMultipart(req)) throw new HttpProblem("UNSUPPORTED_MEDIA_TYPE", "send the submission as multipart/form-data with parts signature, content (optional), applicant and service");
        // issue 15: with a file store, a large content streams to it (hashed on the way) instead of memory
        const files = ctx.service.files;
        const up = files ? await readSubmissionUpload(req, bodyLimit, ["applicant", "service"], files, ctx.service.fileStoreOver) : await readSignedUpload(req, bodyLimit, ["applicant", "service"]);
        const applicant = up.fields.get("applicant")?.trim();
        const service = up.fields.get("service")?.trim();
        if (!applicant || !service) throw new HttpProblem("BAD_REQUEST", "the fields \"applicant\" and \"service\" are required");
        if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the \"signature\" part is empty");
        const r = await ctx.service.submit({ document: up.document, contents: up.contents, applicant, service });
        ctx.metrics.inc("podpis_submissions_total", { accepted: String(r.record.accepted) });
        res.setHeader("Location", `/api/v1/submissions/${r.record.id}`);
        json(res, 201, submissionAnswer(r));
      },
    },
  ],
};

/**
 * The 201's body: JSON.stringify of { id, registrationNumber, accepted, report, receipt, log }
 * with the report's JSON text, already made for the archive, spliced in (one serialisation of
 * the report per submission, not two).
 */
export function submissionAnswer(r: SubmissionResult): string {
  const head = JSON.stringify({ id: r.record.id, registrationNumber: r.record.registrationNumber, accepted: r.record.accepted });
  return `${head.slice(0, -1)},"report":${r.reportJson},"receipt":${JSON.stringify(r.receipt)},"log":${JSON.stringify({ index: r.logIndex })}}`;
}

/** POST /api/v1/public/submissions: the citizen page hands in what it signed (rate-limited per address, the public body cap). */
export const publicSubmissionRoutes = submissionsRouter.routes.map((r) => ({
  ...r,
  path: "/api/v1/public/submissions",
  doc: { ...r.doc, summary: `${r.doc.summary} (public, for the citizen page)` },
}));

/**
 * GET /api/v1/submissions/{id}/evidence (scope "audit", issue 13): the signature as augmented to
 * B-LTA at receipt, or its newest renewal (`podpis archive renew`); the original stays at /document.
 */
export const evidenceRouter: Router = {
  name: "evidence",
  scope: "audit",
  rateLimited: true,
  routes: [
    {
      method: "GET",
      path: "/api/v1/submissions/:id/evidence",
      doc: {
        summary: "The signature augmented to B-LTA at receipt (newest renewal): signed bytes as received, plus time-stamps, certificates and revocation data",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
        responses: {
          "200": { description: "the augmented signature (CAdES DER or XAdES XML); X-Evidence-Version says which renewal", content: { "application/octet-stream": {}, "application/xml": {} } },
          "404": problem("no such submission, or none kept for it (not accepted, or received before evidence was kept)"),
        },
      },
      handler: async ({ res, params, ctx }) => {
        const id = String(params.id);
        const ev = /^[0-9a-f-]{36}$/.test(id) ? await ctx.service.evidence(id) : null;
        if (!ev) throw new HttpProblem("NOT_FOUND", "no evidence for this submission (no such submission, not accepted, or received before evidence was kept)");
        const xml = ev.bytes[0] === 0x3c || (ev.bytes[0] === 0xef && ev.bytes[3] === 0x3c);
        res.setHeader("X-Evidence-Version", String(ev.version));
        res.setHeader("Content-Disposition", `attachment; filename="${id}-evidence${xml ? ".xml" : ".p7s"}"`);
        send(res, 200, xml ? "application/xml" : "application/octet-stream", ev.bytes);
      },
    },
  ],
};
