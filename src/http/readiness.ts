/**
 * /readyz: ready only when the service can give a trustworthy answer — a non-empty trust store,
 * a reachable archive, and for every CA whose CRLs the service holds, a newest CRL that is not
 * past its nextUpdate (a stale CRL that could not be refreshed makes every verdict TRY_LATER).
 */
import type { ArchiveStore } from "../archive/port.js";
import type { Validator } from "../validator.js";
import { crlFreshness } from "./crl-freshness.js";

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export async function readiness(validator: Validator, archive: ArchiveStore, now: Date): Promise<{ ready: boolean; checks: ReadinessCheck[] }> {
  const checks: ReadinessCheck[] = [];
  const anchors = validator.trustStore.size;
  checks.push({ name: "trust-store", ok: anchors > 0, detail: `${anchors} trust anchor(s)` });
  try {
    await archive.ping();
    checks.push({ name: "archive", ok: true, detail: archive.kind });
  } catch (e) {
    checks.push({ name: "archive", ok: false, detail: `${archive.kind}: ${(e as Error).message}` });
  }
  checks.push(crlFreshness(validator.crlStore.all(), now));
  return { ready: checks.every((c) => c.ok), checks };
}
