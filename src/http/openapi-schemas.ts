/** The component schemas of the OpenAPI document: what the routes' bodies and answers look like. */
export const SCHEMAS: Record<string, unknown> = {
  Problem: {
    type: "object", required: ["type", "title", "status", "code"],
    properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" }, code: { type: "string" }, detail: { type: "string" }, instance: { type: "string" },
      dependency: { enum: ["database", "tsa", "seal-key"], description: "dependency-unavailable (503): what cannot be used now" },
      retryAfter: { type: "integer", description: "seconds; also the Retry-After header" },
    },
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
    type: "object", required: ["ok", "mismatches"], description: "GET /submissions/{id} and revalidate: do the stored bytes and fields still match what the audit log recorded when they were stored?",
    properties: {
      ok: { type: "boolean" },
      mismatches: {
        type: "array",
        items: { type: "object", required: ["subject", "object", "message"], properties: { subject: { type: "string" }, object: { type: "string", description: "document, content N, report, receipt, material KIND SHA256, applicant, accepted, row, …" }, message: { type: "string" }, entry: { type: "integer", description: "the audit entry compared with" } } },
      },
    },
  },
  SubmissionPage: {
    type: "object", required: ["items", "nextCursor"],
    properties: { items: { type: "array", items: { $ref: "#/components/schemas/Submission" } }, nextCursor: { type: ["string", "null"], description: "give it as cursor for the next page; null on the last" } },
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
  Health: { type: "object", required: ["status"], properties: { status: { enum: ["UP"] } } },
  Readiness: {
    type: "object", required: ["status", "checks"],
    properties: {
      status: { enum: ["READY", "NOT_READY"] },
      checks: { type: "array", items: { type: "object", required: ["name", "ok", "detail"], properties: { name: { type: "string" }, ok: { type: "boolean" }, detail: { type: "string" } } } },
    },
  },
};
