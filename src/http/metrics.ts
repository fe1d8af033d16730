/**
 * Prometheus metrics through prom-client (issue 15). Each process counts into its own registry;
 * in a cluster the primary's AggregatorRegistry asks every worker for its registry and sums them
 * (prom-client's cluster protocol), so /metrics on any worker shows the whole node.
 *
 * The routes keep calling `inc` and `observe` by metric name; what each metric is (help, type,
 * labels, buckets) is written down once in DEFS. Gauges that are read when scraped (the
 * database pool) are registered with `gauge(name, read)`.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** how the cluster primary combines the workers' values (prom-client's aggregator; default sum) */
type Aggregate = "sum" | "max" | "min" | "first";
type Def = { help: string; labels: string[]; aggregate?: Aggregate } & ({ type: "counter" } | { type: "histogram"; buckets: number[] } | { type: "gauge" });

const DEFS: Record<string, Def> = {
  podpis_http_requests_total: { help: "HTTP requests by route, method and status", type: "counter", labels: ["route", "method", "status"] },
  podpis_http_request_duration_seconds: { help: "HTTP request duration by route", type: "histogram", labels: ["route"], buckets: DURATION_BUCKETS },
  podpis_validations_total: { help: "signature validations by indication", type: "counter", labels: ["indication"] },
  podpis_submissions_total: { help: "archived submissions by outcome", type: "counter", labels: ["accepted"] },
  podpis_receipt_checks_total: { help: "receipt checks by outcome", type: "counter", labels: ["valid"] },
  podpis_signing_total: { help: "two-step signing steps by format", type: "counter", labels: ["step", "format"] },
  // group commit (archive/group-commit.ts): how many submissions shared one transaction
  podpis_archive_batch_size: { help: "submissions committed together in one archive transaction", type: "histogram", labels: [], buckets: [1, 2, 4, 8, 16, 32, 64] },
  podpis_archive_batches_total: { help: "committed archive batches by how their numbers were given: guessed (sealed outside the lock), resealed (guess taken by another writer), locked (sealed inside)", type: "counter", labels: ["numbering"] },
  // what the archive's writer has in hand: SQLite has one connection, so its "pool" is this queue
  podpis_archive_commit_queue: { help: "submissions of this process waiting for a group commit, or in the one being committed", type: "gauge", labels: ["state"] },
  // outbound fetches (revocation/fetch.ts onFetchExchange): CRLs, OCSP, trusted lists
  podpis_fetches_total: { help: "outbound CRL, OCSP and trusted-list fetches by kind and outcome (ok or the failure reason)", type: "counter", labels: ["kind", "outcome"] },
  podpis_fetch_duration_seconds: { help: "outbound fetch duration by kind", type: "histogram", labels: ["kind"], buckets: DURATION_BUCKETS },
  podpis_fetch_bytes_total: { help: "body bytes received by outbound fetches, by kind", type: "counter", labels: ["kind"] },
  // trusted lists in use (tl-refresh.ts); read when scraped
  podpis_trusted_list_age_seconds: { help: "seconds since the trusted list in use was issued (ListIssueDateTime)", type: "gauge", labels: ["territory"], aggregate: "max" },
  podpis_trusted_list_fetched_age_seconds: { help: "seconds since the trusted list in use was fetched", type: "gauge", labels: ["territory"], aggregate: "max" },
  podpis_trusted_list_next_update_seconds: { help: "seconds until the trusted list in use reaches its NextUpdate (negative: past it)", type: "gauge", labels: ["territory"], aggregate: "min" },
  podpis_db_pool_connections: { help: "PostgreSQL pool connections of this process by state (total, idle, waiting clients)", type: "gauge", labels: ["state"] },
};

type Labels = Record<string, string | number>;

export class Metrics {
  readonly registry = new Registry();
  private readonly made = new Map<string, Counter | Histogram | Gauge>();

  constructor(opts: { defaults?: boolean } = {}) {
    // process metrics (CPU, memory, event-loop lag) — summed over workers like the rest
    if (opts.defaults) collectDefaultMetrics({ register: this.registry, prefix: "podpis_" });
  }

  private metric(name: string): Counter | Histogram | Gauge {
    let m = this.made.get(name);
    if (m) return m;
    const d = DEFS[name] ?? ({ help: name, type: "counter", labels: [] } as Def);
    const base = { name, help: d.help, labelNames: d.labels, registers: [this.registry] };
    m = d.type === "histogram" ? new Histogram({ ...base, buckets: d.buckets }) : d.type === "gauge" ? new Gauge(base) : new Counter(base);
    this.made.set(name, m);
    return m;
  }

  inc(name: string, labels: Labels, by = 1): void {
    (this.metric(name) as Counter).inc(strings(labels), by);
  }

  observe(name: string, labels: Labels, value: number): void {
    (this.metric(name) as Histogram).observe(strings(labels), value);
  }

  /** a gauge read when scraped: `read` gives a value per label set */
  gauge(name: string, read: () => Array<[Labels, number]>): void {
    const d = DEFS[name];
    const made = new Gauge({
      name,
      help: d?.help ?? name,
      labelNames: d?.labels ?? [],
      registers: [this.registry],
      // (ages of one list in several workers are not added up)
      ...(d?.aggregate ? { aggregator: d.aggregate } : {}),
      collect() {
        this.reset(); // a list or state that is gone leaves the exposition
        for (const [labels, v] of read()) this.set(strings(labels), v);
      },
    });
    this.made.set(name, made);
  }

  /** this process's metrics in the text exposition format */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** prom-client wants string label values; the request path's labels mostly are already (issue 15: no copy then) */
function strings(l: Labels): Record<string, string> {
  let out: Record<string, string> | null = null;
  for (const k in l) {
    const v = l[k]!;
    if (typeof v === "string") continue;
    out ??= { ...(l as Record<string, string>) };
    out[k] = String(v);
  }
  return out ?? (l as Record<string, string>);
}

/** The primary's view: every worker's registry summed (prom-client's cluster aggregation). */
export class ClusterMetrics {
  private readonly aggregator = new AggregatorRegistry();

  async text(extra: Record<string, number> = {}): Promise<string> {
    let body = await this.aggregator.clusterMetrics();
    for (const [name, v] of Object.entries(extra)) body += `# HELP ${name} ${name.replace(/_/g, " ")}\n# TYPE ${name} gauge\n${name} ${v}\n`;
    return body;
  }
}

/** In a worker: answer the primary's aggregation requests with this registry. */
export function serveToAggregator(m: Metrics): void {
  new AggregatorRegistry(); // installs the worker's listener for the primary's requests
  AggregatorRegistry.setRegistries([m.registry]);
}
