/**
 * The revocation layer's errors: a CRL that does not parse (or is not a CRL), and a distribution
 * point that could not be fetched (a dependency: the edge answers it as unavailable, not as the
 * client's fault).
 */
import { PodpisError } from "../errors/base.js";
import type { OcspError } from "./ocsp-response.js";

export class CrlError extends PodpisError<"CRL_MALFORMED"> {
  readonly code = "CRL_MALFORMED";
}

export type CrlFetchReason =
  | "unsupported-scheme" // LDAP and anything but http(s): not fetched
  | "invalid-url"
  | "timeout"
  | "http-status"
  | "too-large"
  | "connection-refused"
  | "network"
  | "malformed" // the body is no (single) CRL
  | "redirect" // too many redirects, or one without a usable Location
  | "host-not-allowed" // the URL or a redirect target names a host the policy does not allow
  | "aborted"; // the caller's signal (the validation's fetch budget) stopped it

export class CrlFetchError extends PodpisError<"CRL_FETCH_FAILED"> {
  readonly code = "CRL_FETCH_FAILED";
  constructor(
    readonly url: string,
    readonly reason: CrlFetchReason,
    message: string,
    /** the HTTP status for reason "http-status" */
    readonly status: number | null = null,
  ) {
    super(`${url}: ${message}`);
  }
}

// (OcspError stays beside the OCSP reader that throws it)
export type RevocationLayerErrorCode = CrlError["code"] | CrlFetchError["code"] | OcspError["code"];
