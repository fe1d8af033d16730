/**
 * The CRL part of /readyz (issue 10 item 5), apart from the TSA/seal/archive checks so both can
 * grow on their own: ready when, for every CA whose CRLs the service holds, the newest complete
 * CRL is not past its nextUpdate. A stale one that the background refresh (crl-refresh.ts)
 * replaces turns this green again by itself.
 */
import { nameToString } from "../pki/name.js";
import type { Crl } from "../revocation/crl-types.js";
import { newestByIssuer } from "./crl-refresh.js";

export interface CrlFreshness {
  name: "crls";
  ok: boolean;
  detail: string;
}

export function crlFreshness(crls: readonly Crl[], now: Date): CrlFreshness {
  const newest = [...newestByIssuer(crls).values()];
  const stale = newest.filter((c) => c.nextUpdate && c.nextUpdate < now);
  return {
    name: "crls",
    ok: stale.length === 0,
    detail: stale.length ? `past nextUpdate: ${stale.map((c) => `${nameToString(c.issuer)} (${c.nextUpdate!.toISOString()})`).join("; ")}` : `${newest.length} CRL issuer(s) current`,
  };
}
