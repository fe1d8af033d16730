/**
 * Issue 15: /metrics through prom-client with its cluster aggregator — whichever worker answers
 * the scrape, the counts are the whole node's (the sum over both workers) — plus the archive's
 * group-commit batch sizes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createKey, startServe, tempData } from "./helpers/serve-process.js";

const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe("metrics of a two-worker node", () => {
  it("sums the workers' counters and shows the batch sizes", async () => {
    const d = tempData();
    cleanup.push(d.remove);
    const key = await createKey(d.dir, ["verify", "submit"]);
    const server = await startServe(d.dir, ["--workers", "2", "--clock", "2026-06-01T00:00:00Z"]);
    cleanup.push(() => server.stop());
    const auth = { Authorization: `Bearer ${key}` };
    // new connections each time, so both workers answer some
    const verify = () => fetch(server.base + "/api/v1/verify", { method: "POST", body: fx("cades/rsa2048-cades-attached.p7m"), headers: { ...auth, Connection: "close" } });
    const statuses = await Promise.all(Array.from({ length: 12 }, verify).map((p) => p.then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    const f = new FormData();
    f.append("signature", new Blob([fx("cades/rsa2048-cades-attached.p7m")]), "a.p7m");
    f.append("applicant", "Иван Петров Иванов");
    f.append("service", "urn:podpis:service:metrics");
    expect((await fetch(server.base + "/api/v1/submissions", { method: "POST", body: f, headers: auth })).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const text = await (await fetch(server.base + "/metrics", { headers: { Connection: "close" } })).text();
      expect(text).toMatch(/# TYPE podpis_http_requests_total counter/);
      const verified = /podpis_http_requests_total\{[^}]*route="\/api\/v1\/verify"[^}]*status="200"[^}]*\} (\d+)/.exec(text);
      expect(Number(verified?.[1])).toBe(12);
      expect(text).toMatch(/^podpis_workers 2$/m);
      expect(text).toMatch(/^podpis_archive_batch_size_count(\{\})? 1$/m);
      expect(text).toMatch(/^podpis_process_resident_memory_bytes /m);
    }
  }, 120_000);
});
