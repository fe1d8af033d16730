/**
 * RFC 9457 problem details. Every error the service sends is one of these codes; `type` is a
 * stable URN built from the code, so clients switch on it (or on `code`), never on `detail`.
 */
import type { ServerResponse } from "node:http";
import { PodpisError } from "../errors/base.js";

export const PROBLEMS = {
  BAD_REQUEST: { status: 400, title: "The request is malformed" },
  UNAUTHORIZED: { status: 401, title: "An API key is required" },
  FORBIDDEN: { status: 403, title: "The API key lacks the scope this route needs" },
  NOT_FOUND: { status: 404, title: "No such resource" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed on this resource" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The upload exceeds the size limit" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported content type" },
  INVALID_SIGNING_STATE: { status: 400, title: "The signing state was altered or not issued by this service" },
  NOT_A_SIGNATURE: { status: 422, title: "The input is not a signature" },
  CANNOT_SIGN: { status: 422, title: "A signature cannot be prepared with this certificate or document" },
  SIGNING_STATE_EXPIRED: { status: 422, title: "The signing state has expired" },
  DOCUMENT_MISMATCH: { status: 422, title: "The document is not the one prepared for signing" },
  SIGNATURE_VALUE_INVALID: { status: 422, title: "The signature value does not verify" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL: { status: 500, title: "Internal error" },
  NOT_IMPLEMENTED: { status: 501, title: "Not available in this version" },
  UNAVAILABLE: { status: 503, title: "The service cannot answer now" },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: "A service podpis depends on is unavailable" },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export class HttpProblem extends PodpisError<ProblemCode> {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

export const problemType = (code: ProblemCode): string => `urn:podpis:problem:${code.toLowerCase().replace(/_/g, "-")}`;

/** A problem ready to send (src/edge/errors.ts builds one for any error, from its table). */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: { type: string; title: string; status: number; code: string; detail: string };
  /** members after `instance` (RFC 9457 §3.2 extension members) */
  extra: Record<string, unknown>;
}

export function sendProblem(res: ServerResponse, p: HttpProblem | ProblemResponse, requestId: string | undefined): void {
  const r: ProblemResponse =
    p instanceof HttpProblem
      ? { status: p.status, headers: {}, body: { type: problemType(p.code), title: PROBLEMS[p.code].title, status: p.status, code: p.code, detail: p.detail }, extra: p.extra }
      : p;
  const body = { ...r.body, ...(requestId ? { instance: `urn:podpis:request:${requestId}` } : {}), ...r.extra };
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.setHeader("Content-Type", "application/problem+json; charset=utf-8");
  res.end(JSON.stringify(body));
}
