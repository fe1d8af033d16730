/**
 * The service's operational metrics (issue 15) beyond requests: outbound fetches (CRLs, OCSP,
 * trusted lists), the trusted lists' age and NextUpdate margin, and what the archive's writer
 * has in hand. Each is wired once per serving process; the values are read at scrape time where
 * they are states (gauges) and counted as they happen where they are events.
 */
import { commitQueue } from "../archive/group-commit.js";
import { onFetchExchange } from "../revocation/fetch.js";
import type { TrustState } from "../trust/load.js";
import type { Metrics } from "./metrics.js";

/** Every CRL, OCSP and trusted-list exchange of this process: count by outcome, duration, bytes. */
export function observeFetches(metrics: Metrics): () => void {
  return onFetchExchange((e) => {
    metrics.inc("podpis_fetches_total", { kind: e.kind, outcome: e.outcome });
    metrics.observe("podpis_fetch_duration_seconds", { kind: e.kind }, e.seconds);
    if (e.bytes > 0) metrics.inc("podpis_fetch_bytes_total", { kind: e.kind }, e.bytes);
  });
}

/** The lists in use now (`state()`: the refresher's current state, null without --tl), by territory. */
export function observeTrustedLists(metrics: Metrics, state: () => TrustState | null, now: () => Date): void {
  const per = (f: (a: TrustState["accepted"][number], t: number) => number | null) => (): Array<[Record<string, string>, number]> => {
    const s = state();
    if (!s) return [];
    const t = now().getTime();
    return s.accepted.flatMap((a) => {
      const v = f(a, t);
      return v === null ? [] : [[{ territory: a.list.schemeTerritory }, v] as [Record<string, string>, number]];
    });
  };
  metrics.gauge("podpis_trusted_list_age_seconds", per((a, t) => (t - a.list.issueDate.getTime()) / 1000));
  metrics.gauge("podpis_trusted_list_fetched_age_seconds", per((a, t) => (t - a.fetchedAt.getTime()) / 1000));
  metrics.gauge("podpis_trusted_list_next_update_seconds", per((a, t) => (a.list.nextUpdate ? (a.list.nextUpdate.getTime() - t) / 1000 : null)));
}

/** SQLite has one writer connection, not a pool: what waits for it (and for PostgreSQL's batches) is this queue. */
export function observeCommitQueue(metrics: Metrics): void {
  metrics.gauge("podpis_archive_commit_queue", () => {
    const q = commitQueue();
    return [[{ state: "waiting" }, q.waiting], [{ state: "committing" }, q.committing]];
  });
}

/**
 * A cluster primary that hosts the node's SQLite writer (archive/writer-ipc.ts) holds the commit
 * queue; the workers' gauges (always 0 there) in the summed exposition are replaced by its own.
 */
export function withCommitQueueOfThisProcess(text: string): string {
  const q = commitQueue();
  return text.replace(/^podpis_archive_commit_queue\{state="(waiting|committing)"\} .*$/gm, (_line, state: "waiting" | "committing") => `podpis_archive_commit_queue{state="${state}"} ${q[state]}`);
}
