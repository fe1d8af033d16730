/**
 * /readyz: ready only when the service can give a trustworthy answer — a non-empty trust store,
 * a reachable archive, a TSA and a seal key that can be used (issue 10.4: without them no
 * submission gets its receipt), and for every CA whose CRLs the service holds, a newest CRL that
 * is not past its nextUpdate (a stale CRL that could not be refreshed makes every verdict TRY_LATER).
 */
import { nameToString } from "../pki/name.js";
import type { ArchiveStore } from "../archive/port.js";
import type { Validator } from "../validator.js";
import type { DependencyProbe } from "./dependencies.js";

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
  const newest = new Map<string, { issuer: string; nextUpdate: Date | null }>();
  for (const crl of validator.crlStore.all()) {
    const k = crl.issuer.key;
    const cur = newest.get(k);
    const next = crl.nextUpdate;
    if (!cur || (next && (!cur.nextUpdate || next > cur.nextUpdate))) newest.set(k, { issuer: nameToString(crl.issuer), nextUpdate: next });
  }
  // A stale CRL can still be replaced by a fetch when validating; a fetched one enters the store,
  // so this check turns ready again once a refresh succeeded.
  const stale = [...newest.values()].filter((c) => c.nextUpdate && c.nextUpdate < now);
  checks.push({
    name: "crls",
    ok: stale.length === 0,
    detail: stale.length ? `past nextUpdate: ${stale.map((c) => `${c.issuer} (${c.nextUpdate!.toISOString()})`).join("; ")}` : `${newest.size} CRL issuer(s) current`,
  });
  return { ready: checks.every((c) => c.ok), checks };
}
