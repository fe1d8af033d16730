/**
 * The signer's side of RFC 3161 over HTTP (RFC 3161 §3.4): POST the request as
 * application/timestamp-query, read at most `maxBytes` of application/timestamp-reply within
 * `timeoutMs`, then check the answer (timestamp/request.ts, with the TSA's trust decided by
 * validation/timestamp.ts) before it is embedded. An adapter: the core only knows TsaTransport.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { TimestampError, type TsaTransport, buildTimestampRequest, checkTimestampResponse } from "../timestamp/request.js";
import { DependencyUnavailableError } from "./dependency.js";
import type { ValidationContext } from "../validation/context.js";
import { validateTimestamp } from "../validation/timestamp.js";

/**
 * For the service (issue 10.4): a TSA that cannot be reached, does not answer in time or answers
 * with an HTTP error is away, not wrong — a DependencyUnavailableError (503, Retry-After). A TSA
 * that answers something unusable (TSA_BAD_RESPONSE, TSA_REJECTED, TSA_MISMATCH, TSA_UNTRUSTED)
 * stays a TimestampError: retrying will not help, the configuration needs a look.
 */
export function tsaUnavailable(e: unknown): unknown {
  if (e instanceof TimestampError && (e.code === "TSA_UNREACHABLE" || e.code === "TSA_TIMEOUT" || e.code === "TSA_HTTP_ERROR")) {
    return new DependencyUnavailableError("tsa", `the time-stamping authority is unavailable: ${e.message}`, 10, { cause: e });
  }
  return e;
}

export type { TsaTransport } from "../timestamp/request.js";

export interface HttpTransportOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

export function httpTransport(opts: HttpTransportOptions = {}): TsaTransport {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return (url, body) =>
    new Promise<Buffer>((resolve, reject) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return reject(new TimestampError("TSA_UNREACHABLE", `not a URL: ${url}`));
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") return reject(new TimestampError("TSA_UNREACHABLE", `the TSA URL must be http or https: ${url}`));
      const send = u.protocol === "https:" ? httpsRequest : httpRequest;
      let settled = false;
      const fail = (e: TimestampError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const req = send(u, { method: "POST", headers: { "content-type": "application/timestamp-query", "content-length": body.length, accept: "application/timestamp-reply" } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail(new TimestampError("TSA_HTTP_ERROR", `the TSA answered HTTP ${res.statusCode}`));
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) return fail(new TimestampError("TSA_BAD_RESPONSE", `the TSA's answer is larger than ${maxBytes} bytes`));
          parts.push(c);
        });
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(Buffer.concat(parts));
        });
        res.on("error", (e) => fail(new TimestampError("TSA_UNREACHABLE", `reading the TSA's answer failed: ${e.message}`)));
      });
      // one deadline for the whole exchange, not per socket event: a slow-drip answer times out too
      const timer = setTimeout(() => fail(new TimestampError("TSA_TIMEOUT", `the TSA did not answer within ${timeoutMs} ms (${url})`)), timeoutMs);
      req.on("error", (e) => fail(new TimestampError("TSA_UNREACHABLE", `cannot reach the TSA at ${url}: ${e.message}`)));
      req.end(body);
    });
}

export interface TimestamperOptions {
  url: string;
  /** the TSA's certificate must chain to this context's trust store */
  context: ValidationContext;
  transport?: TsaTransport;
  /** the TSA policy to ask for */
  policy?: string;
  now?: () => Date;
}

/** A Timestamper (see cades/sign.ts) that asks one TSA and checks its answer. */
export function createTimestamper(opts: TimestamperOptions): (data: Uint8Array, hash: string) => Promise<Uint8Array> {
  const transport = opts.transport ?? httpTransport();
  return async (data, hash) => {
    const req = buildTimestampRequest(data, hash, { certReq: true, policy: opts.policy });
    const resp = await transport(opts.url, req.der);
    // (the network client is the edge: it supplies "now" to the core check)
    return checkTimestampResponse(resp, req, {
      data,
      trust: { sources: opts.context, validate: (token, at) => validateTimestamp(token, opts.context, at) },
      at: opts.now?.() ?? new Date(),
    });
  };
}
