/**
 * The OpenAPI 3.1 description served at /openapi.json. test/http-openapi.test.ts compares its
 * paths and methods with the routes express actually has, both ways.
 */
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } });
const jsonOf = (description: string, ref: string) => ({ description, content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } } });
const auth = (scope: string) => ({ security: [{ apiKey: [scope] }], "x-scope": scope });
const common = { "401": problem("no or invalid API key"), "403": problem("the key lacks the scope"), "429": problem("rate limited") };
const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }];
const signedBody = (withFields: boolean) => ({
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

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "podpis", version: "0.1.0", description: "Qualified electronic signature validation, durable archive and signed receipts." },
    paths: {
      "/api/v1/verify": {
        post: {
          summary: "Validate a signed file", ...auth("verify"), requestBody: signedBody(false),
          responses: { "200": jsonOf("the validation report (valid or not)", "ValidationReport"), "400": problem("malformed request"), "413": problem("over the size limit"), "422": problem("not a signature at all"), ...common },
        },
      },
      "/api/v1/submissions": {
        post: {
          summary: "Hand in a signed form: validate, archive, issue a sealed receipt", ...auth("submit"), requestBody: signedBody(true),
          responses: { "201": jsonOf("archived; receipt issued (also when the signature failed)", "SubmissionResult"), "400": problem("missing part or field"), "413": problem("over the size limit"), "415": problem("not multipart"), ...common },
        },
      },
      "/api/v1/submissions/{id}": { get: { summary: "The archived submission", ...auth("audit"), parameters: idParam, responses: { "200": jsonOf("the submission", "Submission"), "404": problem("no such submission"), ...common } } },
      "/api/v1/submissions/{id}/document": {
        get: {
          summary: "The signed file as received (or a detached content with ?content=N)", ...auth("audit"),
          parameters: [...idParam, { name: "content", in: "query", required: false, schema: { type: "integer", minimum: 0 } }],
          responses: { "200": { description: "bytes", content: { "application/octet-stream": {} } }, "404": problem("no such submission"), ...common },
        },
      },
      "/api/v1/submissions/{id}/report": { get: { summary: "The validation report made at receipt", ...auth("audit"), parameters: idParam, responses: { "200": jsonOf("the report", "ValidationReport"), "404": problem("no such submission"), ...common } } },
      "/api/v1/submissions/{id}/receipt": { get: { summary: "The sealed receipt", ...auth("audit"), parameters: idParam, responses: { "200": { description: "receipt XML", content: { "application/xml": {} } }, "404": problem("no such submission"), ...common } } },
      "/api/v1/submissions/{id}/revalidate": {
        post: {
          summary: "Replay the validation from archived material only (at=received) or validate now", ...auth("audit"),
          parameters: [...idParam, { name: "at", in: "query", required: false, schema: { type: "string", enum: ["received", "now"], default: "received" } }],
          responses: { "200": jsonOf("the revalidation", "Revalidation"), "400": problem("bad at"), "404": problem("no such submission"), ...common },
        },
      },
      "/api/v1/receipts/verify": {
        post: {
          summary: "Check a receipt (public)", requestBody: { required: true, content: { "application/xml": { schema: { type: "string" } } } },
          responses: { "200": jsonOf("valid is false for any altered receipt or one not sealed by this service", "ReceiptCheck"), "400": problem("empty body"), "413": problem("over the size limit"), "429": problem("rate limited") },
        },
      },
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "UP" } } } },
      "/readyz": { get: { summary: "Readiness: trust store, archive, CRL freshness", responses: { "200": { description: "READY" }, "503": { description: "NOT_READY, with the failing checks" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "text exposition format", content: { "text/plain": {} } } } } },
      "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": {} } } } } },
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "`podpis keys create --name NAME --scope verify|submit|audit`" } },
      schemas: {
        Problem: {
          type: "object", required: ["type", "title", "status", "code"],
          properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" }, code: { type: "string" }, detail: { type: "string" }, instance: { type: "string" } },
        },
        ValidationReport: {
          type: "object", required: ["validationTime", "indication", "document", "signatures"],
          properties: {
            validationTime: { type: "string", format: "date-time" },
            indication: { enum: ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"] },
            document: { type: "object" },
            signatures: { type: "array", items: { type: "object" } },
          },
        },
        SubmissionResult: {
          type: "object", required: ["id", "registrationNumber", "accepted", "report", "receipt"],
          properties: { id: { type: "string", format: "uuid" }, registrationNumber: { type: "string" }, accepted: { type: "boolean" }, report: { $ref: "#/components/schemas/ValidationReport" }, receipt: { type: "string", description: "sealed receipt XML (XAdES-B-T)" } },
        },
        Submission: {
          type: "object",
          properties: {
            id: { type: "string" }, register: { type: "string" }, sequence: { type: "integer" }, registrationNumber: { type: "string" }, receivedAt: { type: "string" },
            validationTime: { type: "string" }, applicant: { type: "string" }, service: { type: "string" }, accepted: { type: "boolean" }, indication: { type: "string" },
            policyVersion: { type: "string" }, documentSha256: { type: "string" }, documentSize: { type: "integer" }, contents: { type: "array", items: { type: "object" } }, receiptSha256: { type: "string" },
          },
        },
        Revalidation: {
          type: "object",
          properties: {
            mode: { enum: ["received", "now"] }, validationTime: { type: "string" }, indication: { type: "string" }, reproduced: { type: "boolean" },
            original: { type: "object" }, changes: { type: "array", items: { type: "object" } }, report: { $ref: "#/components/schemas/ValidationReport" },
          },
        },
        ReceiptCheck: {
          type: "object", required: ["valid", "registrationNumber", "report"],
          properties: { valid: { type: "boolean" }, registrationNumber: { type: ["string", "null"] }, problems: { type: "array", items: { type: "object" } }, report: { $ref: "#/components/schemas/ValidationReport" } },
        },
      },
    },
  };
}
