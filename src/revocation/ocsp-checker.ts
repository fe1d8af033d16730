/**
 * Certificate status from OCSP (RFC 6960): the responses supplied with the validation first,
 * then (when fetching is allowed) a verified answer kept from before, then the responders the
 * certificate names in authorityInfoAccess (id-ad-ocsp), within the validation's fetch budget.
 * Whatever cannot be verified leaves the status "unknown" with a code saying why.
 */
import { DEFAULT_VALIDATION_BUDGET } from "../limits/budgets.js";
import { FetchBudget } from "../limits/fetch-budget.js";
import type { Certificate } from "../pki/certificate.js";
import { CrlFetchError } from "./fetch.js";
import type { OcspFetcher } from "./ocsp-fetch.js";
import { type CertIdHash, buildOcspRequest, certIdOf } from "./ocsp-request.js";
import { OcspError, type OcspResponse } from "./ocsp-response.js";
import { type OcspVerdict, verifyOcspResponse } from "./ocsp-verify.js";
import type { RevocationChecker, RevocationContext, RevocationErrorCode, RevocationResult } from "./types.js";

export interface OcspCheckerOptions {
  fetcher?: OcspFetcher;
  /** responses given with the validation (offline use); matched by CertID */
  supplied?: readonly OcspResponse[];
  /** default true */
  nonce?: boolean;
  /** default "sha1" */
  hash?: CertIdHash;
  /** default 300 s */
  skewMs?: number;
  /**
   * The status of a delegated responder's certificate (without id-pkix-ocsp-nocheck): null when
   * it is good, else why not. Absent: such responders are refused (fail closed).
   */
  responderStatus?(responder: Certificate, ctx: RevocationContext): Promise<string | null>;
  /** responder URLs asked per certificate at most (default 2) */
  maxUrls?: number;
}

/** Which refusal to report when several responses could not be used; lower is more telling. */
const ORDER: RevocationErrorCode[] = [
  "OCSP_UNKNOWN",
  "OCSP_SIGNER_UNAUTHORISED",
  "OCSP_SIGNATURE_INVALID",
  "OCSP_CERTID_MISMATCH",
  "OCSP_NONCE_MISMATCH",
  "OCSP_STALE",
  "OCSP_NOT_YET_VALID",
  "OCSP_ERROR_STATUS",
  "OCSP_MALFORMED",
  "FETCH_LIMIT",
  "OCSP_FETCH_FAILED",
  "OCSP_MISSING",
];

export function createOcspChecker(opts: OcspCheckerOptions): RevocationChecker {
  const hash = opts.hash ?? "sha1";
  const skewMs = opts.skewMs ?? 300_000;
  const maxUrls = opts.maxUrls ?? 2;

  return {
    async check(cert, ctx) {
      let problem: { code: RevocationErrorCode; message: string } | null = null;
      const note = (code: RevocationErrorCode, message: string) => {
        if (!problem || ORDER.indexOf(code) < ORDER.indexOf(problem.code)) problem = { code, message };
      };
      // (a response that trips anything unforeseen is refused, never a crash of the validation)
      const verify = (res: OcspResponse, nonce: string | null): Promise<OcspVerdict> =>
        verifyOcspResponse(res, {
          cert,
          issuer: ctx.issuer,
          ...(ctx.issuerPublicKey ? { issuerKey: ctx.issuerPublicKey } : {}),
          at: ctx.at,
          skewMs,
          nonce,
          responderStatus: (r) => (opts.responderStatus ? opts.responderStatus(r, ctx) : Promise.resolve("not checked, and the certificate does not carry id-pkix-ocsp-nocheck")),
        }).catch((e: unknown) => ({ ok: false as const, code: "OCSP_MALFORMED" as const, message: `the response cannot be verified: ${e instanceof Error ? e.message : String(e)}` }));

      for (const res of opts.supplied ?? []) {
        const v = await verify(res, null);
        if (v.ok) return resultOf(v, res);
        if (v.code !== "OCSP_CERTID_MISMATCH") note(v.code, v.message);
      }
      const urls = cert.ocspUris.filter((u) => /^https?:\/\//i.test(u)).slice(0, maxUrls);
      const fetcher = opts.fetcher;
      if (urls.length === 0) note("OCSP_MISSING", "the certificate names no OCSP responder (authorityInfoAccess id-ad-ocsp)");
      else if (!ctx.allowFetch || !fetcher) note("OCSP_MISSING", "no OCSP response was supplied, and responders are not asked (offline)");
      if (!fetcher || !ctx.allowFetch) return unknown(problem);

      const certId = certIdOf(cert, ctx.issuer, hash);
      const budget = ctx.fetchBudget ?? new FetchBudget(DEFAULT_VALIDATION_BUDGET);
      for (const url of urls) {
        const kept = fetcher.cached(url, certId, ctx.at);
        if (kept) {
          const v = await verify(kept, null);
          if (v.ok) return resultOf(v, kept);
        }
        const signal = budget.take();
        if (!signal) {
          note("FETCH_LIMIT", `revocation not fully checked: ${budget.spent?.message ?? "fetch budget spent"}`);
          break;
        }
        const req = buildOcspRequest(cert, ctx.issuer, { hash, nonce: opts.nonce ?? true });
        let fetched;
        try {
          fetched = await fetcher.fetch(url, req, { signal, maxRedirects: budget.limits.fetchRedirects, allowHost: (h) => budget.allowsHost(h) });
        } catch (e) {
          if (e instanceof OcspError) note("OCSP_MALFORMED", e.message);
          else if (e instanceof CrlFetchError && e.reason === "aborted" && budget.spent) note("FETCH_LIMIT", `revocation not fully checked: ${budget.spent.message}`);
          else note("OCSP_FETCH_FAILED", `OCSP responder ${e instanceof Error ? e.message : String(e)}`);
          continue;
        }
        const v = await verify(fetched.res, fetched.nonce);
        if (v.ok) {
          if (v.single.nextUpdate) fetcher.remember(url, certId, fetched.res, v.single.nextUpdate);
          return resultOf(v, fetched.res);
        }
        note(v.code, `${url}: ${v.message}`);
      }
      return unknown(problem);
    },
  };
}

function resultOf(v: Extract<OcspVerdict, { ok: true }>, res: OcspResponse): RevocationResult {
  const base = { source: "OCSP" as const, crls: [], producedAt: v.producedAt, ocspResponse: res.sha256, ocspDer: res.der };
  if (v.status === "good") return { status: "good", ...base };
  return { status: "revoked", revocationDate: v.revocationTime!, ...(v.reason ? { reason: v.reason } : {}), ...base };
}

function unknown(problem: { code: RevocationErrorCode; message: string } | null): RevocationResult {
  const p = problem ?? { code: "OCSP_MISSING" as const, message: "no OCSP response" };
  return { status: "unknown", source: null, errorCode: p.code, message: p.message, crls: [] };
}
