/**
 * Issue 15: at a high `--rate` a cluster worker leases several tokens from the primary's bucket
 * per question instead of asking per request. The node still never admits more than one bucket
 * gives; a lease is spent only for LEASE_MS; at low rates the lease is one token (the question
 * per request of issue 10.10, whose end-to-end test is http-cluster-rate.test.ts).
 */
import type { Worker } from "node:cluster";
import { describe, expect, it } from "vitest";
import { ClusterRateLimiter, LEASE_MS, answerRateQuestions, leaseSize } from "../src/http/cluster-rate.js";
import { RateLimiter } from "../src/http/rate-limit.js";

/** a worker's channel wired to the primary's answering code through plain callbacks (no processes) */
function pair(primary: RateLimiter) {
  const stats = { asks: 0 };
  let toWorker: ((m: never) => void) | undefined;
  let toPrimary: ((m: never) => void) | undefined;
  const workerSide = {
    send: (m: never, done: (e: Error | null) => void) => {
      stats.asks++;
      done(null);
      setImmediate(() => toPrimary!(m));
    },
    on: (_e: "message", f: (m: never) => void) => void (toWorker = f),
  };
  const primarySide = {
    on: (_e: string, f: (m: never) => void) => void (toPrimary = f),
    send: (m: never, done?: (e: Error | null) => void) => (done?.(null), setImmediate(() => toWorker!(m)), true),
    isConnected: () => true,
  };
  answerRateQuestions(primarySide as unknown as Worker, primary);
  return { workerSide: workerSide as unknown as ConstructorParameters<typeof ClusterRateLimiter>[3], stats };
}

describe("the lease size", () => {
  it("is one token at low rates and a share of LEASE_MS's refill at high ones", () => {
    expect(leaseSize(1, 2, 2)).toBe(1);
    expect(leaseSize(20, 40, 2)).toBe(1);
    expect(leaseSize(1000, 1000, 2)).toBe(25);
    // never more than the burst allows
    expect(leaseSize(1000, 8, 2)).toBe(2);
  });
});

describe("two workers leasing from one bucket", () => {
  it("admit no more than the bucket gives, asking far less often than once a request", async () => {
    const perSecond = 1000;
    const burst = 200;
    const primary = new RateLimiter(perSecond, burst);
    const a = pair(primary);
    const b = pair(primary);
    const workers = [new ClusterRateLimiter(perSecond, burst, 2, a.workerSide), new ClusterRateLimiter(perSecond, burst, 2, b.workerSide)];
    const t0 = Date.now();
    let admitted = 0;
    for (let i = 0; i < 400; i++) if ((await workers[i % 2]!.take("key:k")) === 0) admitted++;
    const seconds = (Date.now() - t0) / 1000;
    // one bucket: the burst and what the rate refilled meanwhile, however the workers shared it
    expect(admitted).toBeGreaterThanOrEqual(burst * 0.75);
    expect(admitted).toBeLessThanOrEqual(burst + Math.ceil(seconds * perSecond) + 1);
    // leases of leaseSize(1000, 200, 2) = 25 tokens: a question per 25 admitted requests, and one
    // per request that had to be refused
    expect(a.stats.asks + b.stats.asks).toBeLessThan(admitted / 5 + (400 - admitted) + 4);
  });

  it("spends a lease only for LEASE_MS, then asks again", async () => {
    const primary = new RateLimiter(1000, 1000);
    const p = pair(primary);
    const w = new ClusterRateLimiter(1000, 1000, 2, p.workerSide);
    const now = Date.now();
    expect(await w.take("key:k", now)).toBe(0);
    expect(p.stats.asks).toBe(1);
    // from the lease, at once (no promise)
    expect(w.take("key:k", now + 1)).toBe(0);
    expect(p.stats.asks).toBe(1);
    // past LEASE_MS the rest of the lease is dropped
    expect(await w.take("key:k", now + LEASE_MS + 1)).toBe(0);
    expect(p.stats.asks).toBe(2);
  });

  it("asks once per request at a low rate, as before", async () => {
    const primary = new RateLimiter(1, 2);
    const p = pair(primary);
    const w = new ClusterRateLimiter(1, 2, 2, p.workerSide);
    const waits = [await w.take("key:k"), await w.take("key:k"), await w.take("key:k")];
    expect(waits.map((x) => x === 0)).toEqual([true, true, false]);
    expect(p.stats.asks).toBe(3);
  });
});
