/**
 * The rate limit of a cluster (issue 10.10): the primary process holds the only token buckets and
 * the workers ask it over the cluster's IPC channel, so `--rate` is per API key (or client
 * address) for the whole node, however many workers share the load. Across several nodes it is
 * per node (README "Rate limits").
 *
 * A worker that gets no answer in time (the primary is busy or going away) decides with a bucket
 * of its own holding rate/workers: the service then admits at most what it did per node before.
 *
 * Issue 15 (speed): a question per request is an IPC round trip through a third process on the
 * request path. At a high rate a worker asks for a lease of several tokens at once and spends
 * them itself, without asking, for at most LEASE_MS: the tokens leave the node's bucket before
 * they are spent, so the node never admits more than the bucket gives; a lease that runs out
 * unspent is dropped (at most a small share of the rate, `leaseSize`, is lost that way). At
 * low rates the lease is one token, exactly the old question per request.
 */
import type { Worker } from "node:cluster";
import { type CallerLimiter, RateLimiter } from "./rate-limit.js";

interface Ask {
  type: "rate?";
  id: number;
  caller: string;
  /** tokens wanted at once (a lease); absent: one */
  want?: number;
}
interface Answer {
  type: "rate!";
  id: number;
  wait: number;
  /** tokens taken for the worker when admitted; absent: one */
  granted?: number;
}

const ANSWER_TIMEOUT_MS = 1_000;
/** how long a worker may spend a lease's tokens */
export const LEASE_MS = 100;

/**
 * Tokens per lease: what the rate refills in LEASE_MS, split over twice the workers (so each
 * worker's unspent lease is at most 1/(2·workers) of that), never more than the burst allows;
 * 1 below about 20 requests per second per worker.
 */
export function leaseSize(perSecond: number, burst: number, workers: number): number {
  return Math.max(1, Math.floor(Math.min(burst, (perSecond * LEASE_MS) / 1000) / (2 * Math.max(1, workers))));
}

/** In the primary: answers one worker's questions from the node's buckets. */
export function answerRateQuestions(worker: Worker, limiter: RateLimiter): void {
  worker.on("message", (m: Partial<Ask>) => {
    if (m?.type !== "rate?" || typeof m.id !== "number" || typeof m.caller !== "string") return;
    const want = typeof m.want === "number" && m.want > 1 ? Math.min(Math.floor(m.want), 10_000) : 1;
    const t = limiter.takeUpTo(m.caller, want);
    const a: Answer = { type: "rate!", id: m.id, wait: t.wait, granted: t.granted };
    if (worker.isConnected()) worker.send(a, (e: Error | null) => void e);
  });
}

/** In a worker: asks the primary; falls back to a local share of the rate when it does not answer. */
export class ClusterRateLimiter implements CallerLimiter {
  private readonly pending = new Map<number, (wait: number, granted: number) => void>();
  private readonly local: RateLimiter;
  /** the unspent tokens of each caller's lease, and until when they may be spent */
  private readonly leases = new Map<string, { tokens: number; until: number }>();
  private readonly lease: number;
  private next = 0;

  constructor(
    perSecond: number,
    burst: number,
    workers: number,
    private readonly channel: { send?: (m: Ask, done: (e: Error | null) => void) => unknown; on: (e: "message", f: (m: Partial<Answer>) => void) => unknown } = process as never,
  ) {
    const share = Math.max(1, workers);
    this.local = new RateLimiter(perSecond / share, Math.max(1, Math.floor(burst / share)));
    this.lease = leaseSize(perSecond, burst, workers);
    channel.on("message", (m) => {
      if (m?.type !== "rate!" || typeof m.id !== "number") return;
      this.pending.get(m.id)?.(typeof m.wait === "number" ? m.wait : 0, typeof m.granted === "number" ? m.granted : 1);
    });
  }

  /** 0 at once from a lease still running; otherwise the primary's answer */
  take(caller: string, now = Date.now()): number | Promise<number> {
    const held = this.leases.get(caller);
    if (held && held.tokens > 0 && now < held.until) {
      held.tokens--;
      return 0;
    }
    if (!this.channel.send) return this.local.take(caller);
    return this.ask(caller, now);
  }

  private ask(caller: string, now: number): Promise<number> {
    const id = ++this.next;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve(this.local.take(caller));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, (wait, granted) => {
        clearTimeout(t);
        this.pending.delete(id);
        if (wait === 0 && granted > 1) {
          if (this.leases.size > 10_000) this.leases.clear();
          this.leases.set(caller, { tokens: granted - 1, until: now + LEASE_MS });
        }
        resolve(wait);
      });
      const alone = (): void => {
        // the channel is closed (the primary is gone): decide here
        clearTimeout(t);
        if (this.pending.delete(id)) resolve(this.local.take(caller));
      };
      try {
        // with a callback, a closed channel is reported to it rather than as an 'error' on the process
        this.channel.send!({ type: "rate?", id, caller, ...(this.lease > 1 ? { want: this.lease } : {}) }, (e) => e && alone());
      } catch {
        alone();
      }
    });
  }
}
