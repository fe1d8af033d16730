/** POST /api/v1/verify: a signed file in, the validation report out (scope "verify"). */
import { readSignedUploadStreaming } from "../body.js";
import { clientGone } from "../client-gone.js";
import { HttpProblem } from "../problem.js";
import { isNotASignature } from "../service.js";
import { DEFAULT_ROUTE_BUDGETS, type ValidationBudget } from "../../limits/budgets.js";
import { type Handler, type RouteDef, type Router, json, jsonOf, problem } from "./route.js";

/** the multipart form of a signed upload; submissions add their fields */
export const signedBody = (withFields: boolean) => ({
  required: true,
  content: {
    "multipart/form-data": {
      schema: {
        type: "object",
        required: withFields ? ["signature", "applicant", "service"] : ["signature"],
        properties: {
          signature: { type: "string", contentMediaType: "application/octet-stream", description: "the signed file (CAdES .p7s/.p7m or XAdES .xml)" },
          content: { type: "string", contentMediaType: "application/octet-stream", description: "detached content (repeatable)" },
          ...(withFields ? { applicant: { type: "string" }, service: { type: "string", description: "the e-service / document type URI" } } : {}),
        },
      },
    },
    ...(withFields ? {} : { "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } } }),
  },
});

/** The route's work; the public route passes the public validation budget (src/limits/budgets.ts). */
const verifyHandler = (budget?: Partial<ValidationBudget>): Handler => async ({ req, res, ctx, bodyLimit }) => {
  // a large detached content is hashed as it streams (issue 15), not held in memory
  const up = await readSignedUploadStreaming(req, bodyLimit, []);
  if (up.document.length === 0) throw new HttpProblem("BAD_REQUEST", "the request carries no signed file");
  const report = await ctx.service.verify(up.document, up.contents, undefined, { budget, signal: clientGone(res) });
  ctx.metrics.inc("podpis_validations_total", { indication: report.indication });
  if (isNotASignature(report)) throw new HttpProblem("NOT_A_SIGNATURE", "the input is neither CAdES/CMS nor XML with a signature", { errors: (report as { errors?: unknown }).errors });
  json(res, 200, report);
};

export const verifyRouter: Router = {
  name: "verify",
  scope: "verify",
  rateLimited: true,
  routes: [
    {
      method: "POST",
      path: "/api/v1/verify",
      doc: {
        summary: "Validate a signed file",
        requestBody: signedBody(false),
        responses: { "200": jsonOf("the validation report (valid or not)", "ValidationReport"), "400": problem("malformed or truncated request"), "413": problem("over the size limit"), "422": problem("not a signature at all, or over a validation budget (LIMIT_EXCEEDED: limit, max, used)") },
      },
      handler: verifyHandler(),
    },
  ],
};

/** POST /api/v1/public/verify (the citizen page): the same report, no key, the public body cap and validation budget. */
export const publicVerifyRoute: RouteDef = {
  ...verifyRouter.routes[0]!,
  path: "/api/v1/public/verify",
  doc: { ...verifyRouter.routes[0]!.doc, summary: "Validate a signed file (public, for the citizen page: rate-limited per address, the public size limit and validation budget)" },
  handler: verifyHandler(DEFAULT_ROUTE_BUDGETS.public.validation),
};
