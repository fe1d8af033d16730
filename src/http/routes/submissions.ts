/** POST /api/v1/submissions: the portal hands in a signed form (scope "submit"). */
import { isMultipart, readSignedUpload } from "../body.js";
import { HttpProblem } from "../problem.js";
import { type Router, json, jsonOf, problem } from "./route.js";
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
        const up = await readSignedUpload(req, bodyLimit, ["applicant", "service"]);
        const applicant = up.fields.get("applicant")?.trim();
        const service = up.fields.get("service")?.trim();
        if (!applicant || !service) throw new HttpProblem("BAD_REQUEST", "the fields \"applicant\" and \"service\" are required");
        if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the \"signature\" part is empty");
        const r = await ctx.service.submit({ document: up.document, contents: up.contents, applicant, service });
        ctx.metrics.inc("podpis_submissions_total", { accepted: String(r.record.accepted) });
        res.setHeader("Location", `/api/v1/submissions/${r.record.id}`);
        json(res, 201, { id: r.record.id, registrationNumber: r.record.registrationNumber, accepted: r.record.accepted, report: r.report, receipt: r.receipt });
      },
    },
  ],
};

/** POST /api/v1/public/submissions: the citizen page hands in what it signed (rate-limited per address, the public body cap). */
export const publicSubmissionRoutes = submissionsRouter.routes.map((r) => ({
  ...r,
  path: "/api/v1/public/submissions",
  doc: { ...r.doc, summary: `${r.doc.summary} (public, for the citizen page)` },
}));
