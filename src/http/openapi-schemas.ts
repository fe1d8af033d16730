/**
 * The component schemas of the OpenAPI document: what the routes' bodies and answers look like.
 * test/openapi-responses.test.ts validates every route's real answers against these and checks
 * that every property written here appears in some real answer. Objects are not closed
 * (`additionalProperties` is left open): the contract welcomes more fields, and clients must
 * ignore what they do not know; the test itself treats undocumented fields as errors.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (name: string) => ({ oneOf: [ref(name), { type: "null" }] });
const str = { type: "string" };
const strOrNull = { type: ["string", "null"] };
const time = { type: "string", format: "date-time" };
const timeOrNull = { type: ["string", "null"], format: "date-time" };
const hex = { type: "string", description: "SHA-256, hex" };
const messages = { type: "array", items: ref("Message") };
const indication = { enum: ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"], description: "ETSI EN 319 102-1 §5.1.3" };
const subIndication = { type: ["string", "null"], description: "ETSI EN 319 102-1 §5.1.3 Tables 5 and 6 (FORMAT_FAILURE, HASH_FAILURE, REVOKED, TRY_LATER, …)" };

export const SCHEMAS: Record<string, unknown> = {
  Problem: {
    type: "object", required: ["type", "title", "status", "code", "detail"],
    description: "RFC 9457 problem details; switch on `type` or `code`, never on `detail`",
    properties: {
      type: { type: "string", description: "urn:podpis:problem:<code in kebab case>" }, title: str, status: { type: "integer" }, code: str, detail: str,
      instance: { type: "string", description: "urn:podpis:request:<request id>, as in the log and X-Request-Id" },
      errors: { ...messages, description: "NOT_A_SIGNATURE: why the input is no signature" },
      limit: { type: "string", description: "PAYLOAD_TOO_LARGE, LIMIT_EXCEEDED: the budget spent (bodyBytes, xmlNodes, signatureChecks, …: src/limits/budgets.ts)" },
      max: { type: "integer", description: "that budget's value" },
      used: { type: "integer", description: "what the request used when it was stopped (bodyBytes: declared or received)" },
      requiredScope: { enum: ["verify", "submit", "audit"], description: "FORBIDDEN: the scope the route needs" },
      retryAfter: { type: "integer", description: "RATE_LIMITED and DEPENDENCY_UNAVAILABLE: seconds, as in Retry-After" },
      dependency: { enum: ["database", "tsa", "seal-key", "crl-distribution-point", "pkcs11-token"], description: "503: what cannot be used now" },
      family: { enum: ["DEPENDENCY_UNAVAILABLE"], description: "503 with a layer's own code (STORAGE_UNAVAILABLE, …): the family it belongs to" },
    },
  },
  Integrity: {
    type: "object", required: ["ok", "mismatches"], description: "GET /submissions/{id} and revalidate: do the stored bytes and fields still match what the audit log recorded when they were stored?",
    properties: {
      ok: { type: "boolean" },
      mismatches: {
        type: "array",
        items: { type: "object", required: ["subject", "object", "message"], properties: { subject: str, object: { type: "string", description: "document, content N, report, receipt, material KIND SHA256, applicant, accepted, row, …" }, message: str, entry: { type: "integer", description: "the audit entry compared with" } } },
      },
    },
  },
  Message: { type: "object", required: ["code", "message"], properties: { code: { type: "string", description: "stable" }, message: str } },
  Identifier: {
    type: "object", required: ["type", "country", "value"],
    description: "ETSI EN 319 412-1 §5.1.3 semantics identifier (PNOBG-…: EGN, NTRBG-…: EIK)",
    properties: { type: { type: "string", description: "PNO, NTR, IDC, PAS, VAT, …" }, country: str, value: str },
  },
  Signer: {
    type: "object", required: ["subject", "commonName", "serialNumber", "sha256", "identifier"],
    properties: {
      subject: { type: "string", description: "RFC 4514" }, commonName: strOrNull, serialNumber: { type: "string", description: "hex" }, sha256: hex,
      identifier: nullable("Identifier"), organizationIdentifier: nullable("Identifier"), issuer: str, notBefore: time, notAfter: time,
    },
  },
  ChainEntry: {
    type: "object", required: ["subject", "sha256", "revocation"],
    properties: {
      subject: str, sha256: hex,
      revocation: {
        type: "object", required: ["status", "source"],
        description: "when OCSP decided, producedAt (date-time) of the deciding response stands in place of thisUpdate",
        properties: {
          status: { enum: ["good", "revoked", "unknown"] }, source: { enum: ["CRL", "OCSP", null] },
          thisUpdate: { type: "string", format: "date-time", description: "of the newest CRL used (source CRL)" },
          embedded: { type: "boolean", description: "the deciding revocation data came from inside the signature (B-LT/B-LTA); signature reports only" },
        },
      },
    },
  },
  Timestamp: {
    type: "object", required: ["type", "intact", "valid", "kind", "genTime", "indication", "subIndication", "tsa"],
    properties: {
      type: { enum: ["signature", "content", "archive", "validation-data", "refs"], description: "what the time-stamp covers" },
      intact: { type: "boolean", description: "the message imprint is the digest of exactly what the time-stamp covers (ATSv3: and its hash index matches)" },
      valid: { type: "boolean", description: "intact, and the TSA's path and signature check" },
      kind: { enum: ["signature", "content", "archive", "validation-data", "refs"], description: "the same as type" }, genTime: timeOrNull, indication, subIndication,
      tsa: { oneOf: [{ type: "object", required: ["subject", "sha256"], properties: { subject: str, sha256: hex } }, { type: "null" }] },
      sha256: { type: "string", description: "SHA-256 of the token, hex" }, errors: messages,
    },
  },
  SignedData: {
    type: "object", required: ["kind", "ref", "sha256"],
    properties: { kind: { enum: ["whole-document", "element", "detached", "external"] }, ref: str, sha256: { type: ["string", "null"], description: "hex; null when only another digest is known" } },
  },
  SignaturePolicy: { type: "object", properties: { id: strOrNull, hashAlgorithm: strOrNull, hash: strOrNull, uri: strOrNull } },
  SignatureReport: {
    type: "object", required: ["id", "indication", "subIndication", "intact", "level", "signer", "qualification", "signedData", "chain", "timestamps", "errors", "warnings"],
    properties: {
      id: str, format: { enum: ["CAdES", "XAdES"] }, indication, subIndication,
      intact: { type: "boolean", description: "signature value and every signed reference / message digest verify" },
      coversWholeDocument: { type: "boolean", description: "XAdES: the signed references cover the whole form (false: only part of it is signed)" },
      level: { type: "string", description: "B-B, B-T, B-LT, B-LTA, …" },
      signer: nullable("Signer"),
      qualification: { enum: ["QESig", "QESeal", "AdESig-QC", "AdESeal-QC", "AdESig", "AdESeal", "N/A"] },
      claimedSigningTime: timeOrNull, bestSignatureTime: { ...timeOrNull, description: "the earliest time a valid signature time-stamp proves" },
      counterSignatureOf: { type: ["string", "null"], description: "the id of the signature this one countersigns" },
      signedData: { type: "array", items: ref("SignedData") }, chain: { type: "array", items: ref("ChainEntry") }, timestamps: { type: "array", items: ref("Timestamp") },
      signaturePolicy: nullable("SignaturePolicy"), commitmentTypes: { type: "array", items: str },
      errors: messages, warnings: messages, hints: messages,
    },
  },
  ValidationReport: {
    type: "object", required: ["validationTime", "indication", "document", "signatures"],
    properties: {
      validationTime: time,
      indication: { ...indication, description: "the worst over all signatures" },
      subIndication: { ...subIndication, description: "when no signature could be read at all (FORMAT_FAILURE)" },
      document: {
        type: "object", required: ["sha256", "format", "packaging"],
        properties: {
          sha256: hex, format: { enum: ["CAdES", "XAdES", null] }, packaging: { enum: ["enveloping", "enveloped", "detached", null] },
          coversWholeDocument: { type: "boolean", description: "XAdES: some intact signature covers the whole form" },
        },
      },
      signatures: { type: "array", items: ref("SignatureReport") },
      errors: { ...messages, description: "why no signature could be read" },
    },
  },
  SubmissionResult: {
    type: "object", required: ["id", "registrationNumber", "accepted", "report", "receipt"],
    properties: { id: { type: "string", format: "uuid" }, registrationNumber: str, accepted: { type: "boolean" }, report: ref("ValidationReport"), receipt: { type: "string", description: "sealed receipt XML (XAdES-B-T)" },
      log: { type: "object", required: ["index"], description: "issue 16: the receipt's entry in the transparency log (its exact UTF-8 bytes); GET /api/v1/submissions/{id}/log-proof proves it once a checkpoint covers it", properties: { index: { type: "integer" } } } },
  },
  Submission: {
    type: "object", required: ["id", "registrationNumber", "receivedAt", "accepted", "indication", "documentSha256"],
    properties: {
      id: { type: "string", format: "uuid" }, register: str, sequence: { type: "integer" }, registrationNumber: str, receivedAt: time,
      validationTime: time, applicant: str, service: str, accepted: { type: "boolean" }, indication,
      policyVersion: str, documentSha256: hex, documentSize: { type: "integer" },
      contents: { type: "array", items: { type: "object", required: ["sha256", "size"], properties: { sha256: hex, size: { type: "integer" } } } },
      receiptSha256: hex,
      integrity: ref("Integrity"),
    },
  },
  SubmissionPage: {
    type: "object", required: ["items", "nextCursor"],
    properties: { items: { type: "array", items: ref("Submission") }, nextCursor: { type: ["string", "null"], description: "give it as cursor for the next page; null on the last" } },
  },
  Revalidation: {
    type: "object", required: ["id", "registrationNumber", "mode", "validationTime", "original", "indication", "changes", "report"],
    properties: {
      id: { type: "string", format: "uuid" }, registrationNumber: str,
      mode: { enum: ["received", "now"] }, validationTime: time, indication,
      reproduced: { type: "boolean", description: "at=received: the replay gave the archived report exactly" },
      evaluated: { enum: ["evidence", "document"], description: "what was validated: at=now, the evidence augmented at receipt (from the archive alone) when there is one; else the document as received" },
      original: { type: "object", required: ["validationTime", "indication"], properties: { validationTime: time, indication } },
      changes: { type: "array", items: { type: "object", required: ["id", "from", "to"], properties: { id: str, from: str, to: str } } },
      report: ref("ValidationReport"),
      differences: {
        type: "array", description: "at=received and reproduced false: where the replay differs from the archived report (at most 50)",
        items: { type: "object", required: ["path"], properties: { path: str, archived: {}, replayed: {} } },
      },
      integrity: ref("Integrity"),
    },
  },
  SigningPrepared: {
    type: "object", required: ["toBeSigned", "digest", "digestAlgorithm", "signatureAlgorithm", "state", "expiresAt"],
    properties: {
      format: { enum: ["cades", "xades"] }, packaging: { enum: ["enveloping", "enveloped", "detached"] }, level: { enum: ["B-B", "B-T"] },
      signingTime: time,
      toBeSigned: { type: "string", contentEncoding: "base64", description: "the octets to sign" },
      digest: { type: "string", contentEncoding: "base64", description: "their digest, for tokens that sign a hash" },
      digestAlgorithm: { enum: ["sha256", "sha384", "sha512"] },
      signatureAlgorithm: {
        type: "object", required: ["scheme", "hash", "id"],
        properties: { scheme: { enum: ["rsa-pkcs1", "rsa-pss", "ecdsa"] }, hash: str, id: { type: "string", description: "CMS OID or XMLDSig SignatureMethod URI" }, saltLength: { type: "integer", description: "RSA-PSS only" } },
      },
      signatureEncoding: { type: "string", description: "ECDSA: DER Ecdsa-Sig-Value or raw r||s, either accepted" },
      expiresAt: time,
      state: { type: "string", description: "opaque; send it back to /complete unchanged" },
    },
  },
  SigningComplete: {
    type: "object", required: ["state", "signatureValue"],
    properties: { state: str, signatureValue: { type: "string", contentEncoding: "base64" }, document: { type: "string", contentEncoding: "base64", description: "required for CAdES enveloping and XAdES enveloped/enveloping" } },
  },
  ReceiptCheck: {
    type: "object", required: ["valid", "registrationNumber", "submissionId", "accepted", "archived", "problems", "report"],
    properties: {
      valid: { type: "boolean", description: "false for any altered receipt, one not sealed by this service, or one not in its archive" },
      registrationNumber: strOrNull, submissionId: strOrNull,
      accepted: { type: ["boolean", "null"], description: "what the receipt says: acknowledged or not" },
      archived: { type: ["boolean", "null"], description: "the archive holds that submission; null when the receipt was not checked that far" },
      problems: messages, report: ref("ValidationReport"),
      log: {
        oneOf: [{ type: "object", required: ["index", "treeSize"], properties: { index: { type: "integer" }, treeSize: { type: "integer", description: "the size of the checkpoint the inclusion was proven in" } } }, { type: "null" }],
        description: "issue 16: \"in the public log at index N\" — the presented bytes are that log entry, proven from the tiles to the latest checkpoint; null when that cannot be proven",
      },
    },
  },
  // issue 17: the auditor's console
  AuditEntries: {
    type: "object", required: ["entries"],
    properties: {
      entries: {
        type: "array",
        items: { type: "object", required: ["seq", "at", "kind", "subject", "data", "prevHash", "hash"], properties: { seq: { type: "integer" }, at: time, kind: { enum: ["submission", "receipt", "revalidation", "api-key", "evidence"] }, subject: str, data: { type: "string", description: "canonical JSON, as hashed" }, prevHash: hex, hash: hex } },
      },
    },
  },
  ArchiveVerification: {
    type: "object", required: ["ok", "entries", "head", "chain", "expectedHead", "submissions", "apiKeys", "mismatches"], description: "what `podpis audit verify --json` prints",
    properties: {
      ok: { type: "boolean" }, entries: { type: "integer" },
      head: { type: ["object", "null"], description: "the log's last entry: { seq, hash }; keep it and pass it back as expectHead" },
      chain: { type: "object", description: "the hash chain: { ok, entries, headHash, firstProblem: { seq, problem, message } | null }" },
      expectedHead: { type: ["object", "null"], description: "{ expected, ok, message } when expectHead was given" },
      submissions: { type: "integer" }, apiKeys: { type: "integer" },
      mismatches: { type: "array", description: "as Integrity.mismatches" },
      log: { type: "object", description: "issue 16, archive and transparency log agree: { ok, entries, size, checkpoints, signaturesChecked, mismatches }" },
    },
  },
  Health: { type: "object", required: ["status"], properties: { status: { enum: ["UP"] } } },
  Readiness: {
    type: "object", required: ["status", "checks"],
    properties: {
      status: { enum: ["READY", "NOT_READY"] },
      checks: { type: "array", items: { type: "object", required: ["name", "ok", "detail"], properties: { name: str, ok: { type: "boolean" }, detail: str } } },
    },
  },
};
