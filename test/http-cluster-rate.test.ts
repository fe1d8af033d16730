/**
 * Issue 10.10: `--rate` is per API key (and per client address on public routes) for the whole
 * service, not per worker. A real server with 2 workers and `--rate 1 --rate-burst 2`: a burst
 * of concurrent requests with one key, spread over both workers (the request log says which
 * worker answered), admits the burst and what the rate refilled while they ran — with per-worker
 * buckets it admitted twice the burst.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterRateLimiter } from "../src/http/cluster-rate.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";

let s: ServeProcess;
let key: string;
const data = tempData();

beforeAll(async () => {
  key = await createKey(data.dir, ["verify"]);
  s = await startServe(data.dir, ["--clock", "2026-06-01T00:00:00Z", "--workers", "2", "--rate", "1", "--rate-burst", "2", "--log-level", "info"]);
}, 90_000);

afterAll(async () => {
  await s?.stop();
  data.remove();
});

interface LogLine {
  msg?: string;
  pid?: number;
  status?: number;
  route?: string;
}
const requestLines = (): LogLine[] =>
  s.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === "request");

async function burst(n: number, send: () => Promise<Response>): Promise<{ admitted: number; limited: number; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const codes = await Promise.all(Array.from({ length: n }, async () => {
    const r = await send();
    await r.arrayBuffer();
    if (r.status === 429) expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    return r.status;
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { admitted: codes.filter((c) => c !== 429).length, limited: codes.filter((c) => c === 429).length, seconds };
}

describe("rate limit across workers", () => {
  it("admits one key's burst once for the whole service, not once per worker", async () => {
    const before = requestLines().length;
    // an empty body: the route answers 400 after the rate check, cheaply
    const r = await burst(12, () => fetch(`${s.base}/api/v1/verify`, { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: "" }));
    // what the bucket can have given: the burst, plus one token per second elapsed
    expect(r.admitted).toBeGreaterThanOrEqual(2);
    expect(r.admitted).toBeLessThanOrEqual(2 + Math.floor(r.seconds * 1));
    expect(r.limited).toBe(12 - r.admitted);
    // wait for the asynchronous log lines, then check that both workers answered part of the burst
    let lines: LogLine[] = [];
    for (let i = 0; i < 50 && lines.length < 12; i++) {
      await new Promise((x) => setTimeout(x, 100));
      lines = requestLines().slice(before).filter((l) => l.route === "/api/v1/verify");
    }
    expect(lines.length).toBe(12);
    expect(new Set(lines.map((l) => l.pid)).size).toBe(2);
    expect(s.workers().sort()).toEqual([...new Set(lines.map((l) => l.pid!))].sort());
  }, 60_000);

  it("limits a public route per client address the same way", async () => {
    const r = await burst(12, () => fetch(`${s.base}/api/v1/receipts/verify`, { method: "POST", body: "" }));
    expect(r.admitted).toBeGreaterThanOrEqual(2);
    expect(r.admitted).toBeLessThanOrEqual(2 + Math.floor(r.seconds * 1));
  }, 60_000);
});

describe("a worker's limiter without its primary", () => {
  it("decides with its share of the rate when the channel is closed, instead of failing the request", async () => {
    const closed = { send: (_m: unknown, done: (e: Error | null) => void) => done(new Error("channel closed")), on: () => undefined };
    const l = new ClusterRateLimiter(4, 4, 2, closed);
    // rate 4, burst 4 over 2 workers: this worker alone admits 2 at once
    expect([await l.take("k"), await l.take("k"), await l.take("k")].map((w) => w === 0)).toEqual([true, true, false]);
  });
  it("uses the primary's answer when there is one", async () => {
    let answer: ((m: { type: string; id: number; wait: number }) => void) | undefined;
    const channel = {
      send: (m: { id: number }, done: (e: Error | null) => void) => (done(null), setImmediate(() => answer!({ type: "rate!", id: m.id, wait: 7 }))),
      on: (_e: string, f: typeof answer) => void (answer = f),
    };
    expect(await new ClusterRateLimiter(1, 1, 2, channel as never).take("k")).toBe(7);
  });
});
