/**
 * The OpenAPI 3.1 description served at /openapi.json. test/http-openapi.test.ts compares its
 * paths and methods with the routes express actually has, both ways.
 */
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } });
const jsonOf = (description: string, ref: string) => ({ description, content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } } });
const auth = (scope: string) => ({ security: [{ apiKey: [scope] }], "x-scope": scope });
// 503 urn:podpis:problem:dependency-unavailable, with `dependency` ("database" | "tsa" | "seal-key") and a Retry-After header
const unavailable = { "503": problem("a dependency is unavailable: `dependency` names it (database, tsa, seal-key); Retry-After says when to try again") };
const common = { "401": problem("no or invalid API key"), "403": problem("the key lacks the scope"), "429": problem("rate limited"), ...unavailable };
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

const SIGNING_CHOICES = {
  format: { enum: ["cades", "xades"] },
  packaging: { enum: ["enveloping", "enveloped", "detached"], description: "default: enveloping (CAdES), enveloped (XAdES)" },
  hash: { enum: ["sha256", "sha384", "sha512"], default: "sha256" },
  scheme: { enum: ["rsa-pkcs1", "rsa-pss", "ecdsa"], description: "default: PKCS#1 v1.5 for RSA, ECDSA for EC" },
  level: { enum: ["B-B", "B-T"], default: "B-B" },
  name: { type: "string", description: "XAdES detached: the reference's file name" },
  mimeType: { type: "string", description: "XAdES DataObjectFormat MIME type" },
};

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
          responses: { "200": jsonOf("valid is false for any altered receipt or one not sealed by this service", "ReceiptCheck"), "400": problem("empty body"), "413": problem("over the size limit"), "429": problem("rate limited"), ...unavailable },
        },
      },
      "/api/v1/signing/prepare": {
        post: {
          summary: "Two-step signing, step 1: the exact octets a client-held key must sign, and a sealed state",
          description:
            "CAdES: toBeSigned is the DER of the signed attributes SET (RFC 5652 §5.4); XAdES: the exclusive-canonical ds:SignedInfo. " +
            "The state is HMAC-protected by the service and expires (expiresAt); no session is kept.",
          ...auth("submit"),
          parameters: [
            ...Object.keys(SIGNING_CHOICES).map((name) => ({ name, in: "query", required: false, description: "raw-body form only", schema: { type: "string" } })),
            { name: "X-Signer-Certificate", in: "header", required: false, description: "raw-body form: the signer's certificate, then its chain, base64 DER, comma-separated", schema: { type: "string" } },
          ],
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object", required: ["document", "certificate", "format"],
                  properties: {
                    document: { type: "string", contentMediaType: "application/octet-stream", description: "the document to sign" },
                    certificate: { type: "string", description: "the signer's certificate (DER or PEM; a PEM bundle may carry the chain after it)" },
                    chain: { type: "string", contentMediaType: "application/octet-stream", description: "further chain certificates (repeatable)" },
                    ...SIGNING_CHOICES,
                  },
                },
              },
              "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream", description: "the document; choices in the query, certificates in X-Signer-Certificate" } },
            },
          },
          responses: { "200": jsonOf("what to sign, how, and the state to send back", "SigningPrepared"), "400": problem("malformed request"), "413": problem("over the size limit"), "422": problem("CANNOT_SIGN: unreadable certificate, unsupported key or scheme, enveloped into a non-XML document"), "501": problem("B-T without a TSA"), ...common },
        },
      },
      "/api/v1/signing/complete": {
        post: {
          summary: "Two-step signing, step 2: the signature value in, the assembled CAdES/XAdES out",
          description: "The service rebuilds the to-be-signed octets from the state (and the document, for CAdES enveloping and XAdES enveloped/enveloping) and verifies the signature value against the certificate before assembling.",
          ...auth("submit"),
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/SigningComplete" } },
              "multipart/form-data": {
                schema: {
                  type: "object", required: ["state", "signatureValue"],
                  properties: { state: { type: "string" }, signatureValue: { type: "string", contentEncoding: "base64" }, document: { type: "string", contentMediaType: "application/octet-stream" } },
                },
              },
            },
          },
          responses: {
            "200": { description: "the signed file", content: { "application/pkcs7-mime": {}, "application/pkcs7-signature": {}, "application/xml": {} } },
            "400": problem("INVALID_SIGNING_STATE (altered or foreign state), missing field or document"),
            "413": problem("over the size limit"),
            "415": problem("neither JSON nor multipart"),
            "422": problem("SIGNATURE_VALUE_INVALID, SIGNING_STATE_EXPIRED, DOCUMENT_MISMATCH"),
            ...common,
          },
        },
      },
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "UP" } } } },
      "/readyz": { get: { summary: "Readiness: trust store, archive, TSA, seal key, CRL freshness", responses: { "200": { description: "READY" }, "503": { description: "NOT_READY, with the failing checks" } } } },
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
            integrity: { $ref: "#/components/schemas/Integrity" },
          },
        },
        Integrity: {
          type: "object", required: ["ok", "mismatches"], description: "do the stored bytes and fields still match what the audit log recorded when they were stored?",
          properties: {
            ok: { type: "boolean" },
            mismatches: {
              type: "array",
              items: { type: "object", required: ["subject", "object", "message"], properties: { subject: { type: "string" }, object: { type: "string", description: "document, content N, report, receipt, material KIND SHA256, applicant, accepted, row, …" }, message: { type: "string" }, entry: { type: "integer", description: "the audit entry compared with" } } },
            },
          },
        },
        Revalidation: {
          type: "object",
          properties: {
            mode: { enum: ["received", "now"] }, validationTime: { type: "string" }, indication: { type: "string" }, reproduced: { type: "boolean" },
            original: { type: "object" }, changes: { type: "array", items: { type: "object" } }, report: { $ref: "#/components/schemas/ValidationReport" },
            differences: {
              type: "array", description: "at=received and reproduced false: where the replay differs from the archived report (at most 50)",
              items: { type: "object", required: ["path"], properties: { path: { type: "string" }, archived: {}, replayed: {} } },
            },
            integrity: { $ref: "#/components/schemas/Integrity" },
          },
        },
        SigningPrepared: {
          type: "object", required: ["toBeSigned", "digest", "digestAlgorithm", "signatureAlgorithm", "state", "expiresAt"],
          properties: {
            format: { enum: ["cades", "xades"] }, packaging: { enum: ["enveloping", "enveloped", "detached"] }, level: { enum: ["B-B", "B-T"] },
            signingTime: { type: "string", format: "date-time" },
            toBeSigned: { type: "string", contentEncoding: "base64", description: "the octets to sign" },
            digest: { type: "string", contentEncoding: "base64", description: "their digest, for tokens that sign a hash" },
            digestAlgorithm: { enum: ["sha256", "sha384", "sha512"] },
            signatureAlgorithm: {
              type: "object",
              properties: { scheme: { enum: ["rsa-pkcs1", "rsa-pss", "ecdsa"] }, hash: { type: "string" }, id: { type: "string", description: "CMS OID or XMLDSig SignatureMethod URI" }, saltLength: { type: "integer" } },
            },
            signatureEncoding: { type: "string", description: "ECDSA: DER Ecdsa-Sig-Value or raw r||s, either accepted" },
            expiresAt: { type: "string", format: "date-time" },
            state: { type: "string", description: "opaque; send it back to /complete unchanged" },
          },
        },
        SigningComplete: {
          type: "object", required: ["state", "signatureValue"],
          properties: { state: { type: "string" }, signatureValue: { type: "string", contentEncoding: "base64" }, document: { type: "string", contentEncoding: "base64", description: "required for CAdES enveloping and XAdES enveloped/enveloping" } },
        },
        ReceiptCheck: {
          type: "object", required: ["valid", "registrationNumber", "report"],
          properties: { valid: { type: "boolean" }, registrationNumber: { type: ["string", "null"] }, problems: { type: "array", items: { type: "object" } }, report: { $ref: "#/components/schemas/ValidationReport" } },
        },
      },
    },
  };
}
