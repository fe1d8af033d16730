/**
 * Past certificate validation (EN 319 102-1 §5.6.2.1): when a path no longer validates at the
 * time asked (a certificate has expired or been revoked since, the revocation data is no longer
 * fresh), it is validated at an earlier control time — the issue times of the revocation data the
 * signature carries, then the earliest time that matters — and the latest control time at which
 * it passes stands. A path that passes at a control time after the proof of existence (POE) of
 * the object it vouches for shows that object was made while the path was good.
 */
import type { Certificate } from "../pki/certificate.js";
import type { PathResult } from "../pki/path-types.js";
import type { SubIndication } from "./indication.js";
import { type EmbeddedRevocation, type ValidationContext, pathFor } from "./context.js";

/** What a later event (expiry, revocation, staleness) explains; anything else is final. */
const TIME_DEPENDENT: ReadonlySet<SubIndication | null> = new Set<SubIndication | null>([
  "OUT_OF_BOUNDS_NO_POE",
  "OUT_OF_BOUNDS_NOT_REVOKED",
  "EXPIRED",
  "REVOKED_NO_POE",
  "REVOKED_CA_NO_POE",
  "REVOKED",
  "TRY_LATER",
  "REVOCATION_OUT_OF_BOUNDS_NO_POE",
]);

/** Most control times tried besides the first (each is a path validation). */
const MAX_CONTROL_TIMES = 6;

export interface PastPath {
  /** the path at the control time where it passed, or the one at `upper` when it passed nowhere */
  path: PathResult;
  /** the control time of `path`; null when it passed nowhere */
  controlTime: Date | null;
  /** the path at `upper` */
  first: PathResult;
}

/** Revoked only after `poe`: the object was made before the revocation (§5.6.2.4 b). */
export function revokedOnlyAfter(path: PathResult, poe: Date): boolean {
  if (path.report.subIndication !== "REVOKED_NO_POE" && path.report.subIndication !== "REVOKED_CA_NO_POE") return false;
  const revs = path.revocation.filter((r) => r.status === "revoked");
  return revs.length > 0 && revs.every((r) => r.revocationDate !== undefined && r.revocationDate > poe) && path.report.errors.every((e) => e.code === "CERT_REVOKED" || e.code === "CA_REVOKED");
}

/**
 * The path of `cert` at the latest control time in [lower, upper] where it passes. `poe`: when
 * the object the path vouches for is proven to exist (a revocation after it does not count).
 */
export async function pathAtControlTime(
  ctx: ValidationContext,
  cert: Certificate,
  pool: readonly Certificate[],
  lower: Date,
  upper: Date,
  ev: EmbeddedRevocation,
  poe: Date,
  known?: PathResult,
): Promise<PastPath> {
  const first = known ?? (await pathFor(ctx, cert, pool, upper, ev));
  if (first.report.indication === "TOTAL_PASSED") return { path: first, controlTime: upper, first };
  if (revokedOnlyAfter(first, poe)) return { path: first, controlTime: upper, first };
  if (!TIME_DEPENDENT.has(first.report.subIndication) || lower >= upper) return { path: first, controlTime: null, first };
  const times = new Set<number>();
  for (const c of ev.crls) times.add(c.thisUpdate.getTime());
  for (const r of ev.ocsp) if (r.basic) times.add(r.basic.producedAt.getTime());
  const candidates = [...times].filter((t) => t >= lower.getTime() && t < upper.getTime()).sort((a, b) => b - a).slice(0, MAX_CONTROL_TIMES - 1);
  if (!candidates.includes(lower.getTime())) candidates.push(lower.getTime());
  for (const t of candidates) {
    const at = new Date(t);
    const p = await pathFor(ctx, cert, pool, at, ev);
    if (p.report.indication === "TOTAL_PASSED" || revokedOnlyAfter(p, poe)) return { path: p, controlTime: at, first };
  }
  return { path: first, controlTime: null, first };
}
