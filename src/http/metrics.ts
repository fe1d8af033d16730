/**
 * Prometheus metrics in the text exposition format (version 0.0.4). Each worker counts its own;
 * in a cluster the primary gathers the workers' snapshots so /metrics shows the whole service.
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSnapshot {
  counters: Record<string, number>;
  histograms: Record<string, { buckets: number[]; sum: number; count: number }>;
}

const HELP: Record<string, [string, "counter" | "histogram" | "gauge"]> = {
  podpis_http_requests_total: ["HTTP requests by route, method and status", "counter"],
  podpis_http_request_duration_seconds: ["HTTP request duration by route", "histogram"],
  podpis_validations_total: ["signature validations by indication", "counter"],
  podpis_submissions_total: ["archived submissions by outcome", "counter"],
  podpis_receipt_checks_total: ["receipt checks by outcome", "counter"],
  podpis_signing_total: ["two-step signing steps by format", "counter"],
};

const key = (name: string, labels: Record<string, string | number>): string =>
  name + "{" + Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, "_")}"`).join(",") + "}";

export class Metrics {
  private snap: MetricsSnapshot = { counters: {}, histograms: {} };

  inc(name: string, labels: Record<string, string | number>, by = 1): void {
    const k = key(name, labels);
    this.snap.counters[k] = (this.snap.counters[k] ?? 0) + by;
  }

  observe(name: string, labels: Record<string, string | number>, seconds: number): void {
    const k = key(name, labels);
    const h = (this.snap.histograms[k] ??= { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 });
    DURATION_BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  snapshot(): MetricsSnapshot {
    return structuredClone(this.snap);
  }
}

export function mergeSnapshots(list: MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = { counters: {}, histograms: {} };
  for (const s of list) {
    for (const [k, v] of Object.entries(s.counters)) out.counters[k] = (out.counters[k] ?? 0) + v;
    for (const [k, h] of Object.entries(s.histograms)) {
      const o = (out.histograms[k] ??= { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 });
      h.buckets.forEach((b, i) => (o.buckets[i]! += b));
      o.sum += h.sum;
      o.count += h.count;
    }
  }
  return out;
}

export function renderPrometheus(s: MetricsSnapshot, gauges: Record<string, number> = {}): string {
  const lines: string[] = [];
  const byName = new Map<string, string[]>();
  const add = (name: string, line: string): void => void (byName.get(name) ?? byName.set(name, []).get(name)!).push(line);
  for (const [k, v] of Object.entries(s.counters).sort()) add(k.slice(0, k.indexOf("{")), `${k} ${v}`);
  for (const [k, h] of Object.entries(s.histograms).sort()) {
    const name = k.slice(0, k.indexOf("{"));
    const labels = k.slice(k.indexOf("{") + 1, -1);
    const sep = labels ? "," : "";
    DURATION_BUCKETS.forEach((b, i) => add(name, `${name}_bucket{${labels}${sep}le="${b}"} ${h.buckets[i]}`));
    add(name, `${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}`);
    add(name, `${name}_sum{${labels}} ${h.sum}`);
    add(name, `${name}_count{${labels}} ${h.count}`);
  }
  for (const [name, v] of Object.entries(gauges)) add(name, `${name} ${v}`);
  for (const [name, ls] of byName) {
    const [help, type] = HELP[name] ?? [name, "gauge"];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...ls);
  }
  return lines.join("\n") + "\n";
}
