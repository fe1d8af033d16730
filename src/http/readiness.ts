/**
 * /readyz: ready only when the service can give a trustworthy answer — a non-empty trust store,
 * a reachable archive, a TSA and a seal key that can be used (issue 10.4: without them no
 * submission gets its receipt), and for every CA whose CRLs the service holds, a newest CRL that
 * is not past its nextUpdate (a stale CRL that could not be refreshed makes every verdict TRY_LATER).
 */
import type { ArchiveStore } from "../archive/port.js";
import type { Validator } from "../validator.js";
import { crlFreshness } from "./crl-freshness.js";
import type { DependencyProbe } from "./dependencies.js";
import { tlReadinessOf } from "./tl-refresh.js";

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export async function readiness(validator: Validator, archive: ArchiveStore, now: Date, dependencies: readonly DependencyProbe[] = []): Promise<{ ready: boolean; checks: ReadinessCheck[] }> {
  const checks: ReadinessCheck[] = [];
  const anchors = validator.trustStore.size;
  checks.push({ name: "trust-store", ok: anchors > 0, detail: `${anchors} trust anchor(s)` });
  try {
    await archive.ping();
    checks.push({ name: "archive", ok: true, detail: archive.kind });
  } catch (e) {
    checks.push({ name: "archive", ok: false, detail: `${archive.kind}: ${(e as Error).message}` });
  }
  const probed = await Promise.all(
    dependencies.map(async (d) => {
      try {
        await d.check();
        return { name: d.name, ok: true, detail: "usable" };
      } catch (e) {
        return { name: d.name, ok: false, detail: (e as Error).message };
      }
    }),
  );
  checks.push(...probed);
  checks.push(crlFreshness(validator.crlStore.all(), now));
  // trusted lists (issue 14): stale, badly signed or giving no anchor is not ready
  checks.push(...tlReadinessOf(validator, now));
  return { ready: checks.every((c) => c.ok), checks };
}
