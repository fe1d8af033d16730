/**
 * The rate limit of a cluster (issue 10.10): the primary process holds the only token buckets and
 * the workers ask it over the cluster's IPC channel, so `--rate` is per API key (or client
 * address) for the whole node, however many workers share the load. Across several nodes it is
 * per node (README "Rate limits").
 *
 * A worker that gets no answer in time (the primary is busy or going away) decides with a bucket
 * of its own holding rate/workers: the service then admits at most what it did per node before.
 */
import type { Worker } from "node:cluster";
import { type CallerLimiter, RateLimiter } from "./rate-limit.js";

interface Ask {
  type: "rate?";
  id: number;
  caller: string;
}
interface Answer {
  type: "rate!";
  id: number;
  wait: number;
}

const ANSWER_TIMEOUT_MS = 1_000;

/** In the primary: answers one worker's questions from the node's buckets. */
export function answerRateQuestions(worker: Worker, limiter: RateLimiter): void {
  worker.on("message", (m: Partial<Ask>) => {
    if (m?.type !== "rate?" || typeof m.id !== "number" || typeof m.caller !== "string") return;
    const a: Answer = { type: "rate!", id: m.id, wait: limiter.take(m.caller) };
    if (worker.isConnected()) worker.send(a, (e: Error | null) => void e);
  });
}

/** In a worker: asks the primary; falls back to a local share of the rate when it does not answer. */
export class ClusterRateLimiter implements CallerLimiter {
  private readonly pending = new Map<number, (wait: number) => void>();
  private readonly local: RateLimiter;
  private next = 0;

  constructor(
    perSecond: number,
    burst: number,
    workers: number,
    private readonly channel: { send?: (m: Ask, done: (e: Error | null) => void) => unknown; on: (e: "message", f: (m: Partial<Answer>) => void) => unknown } = process as never,
  ) {
    const share = Math.max(1, workers);
    this.local = new RateLimiter(perSecond / share, Math.max(1, Math.floor(burst / share)));
    channel.on("message", (m) => {
      if (m?.type !== "rate!" || typeof m.id !== "number") return;
      this.pending.get(m.id)?.(typeof m.wait === "number" ? m.wait : 0);
    });
  }

  take(caller: string): Promise<number> {
    if (!this.channel.send) return Promise.resolve(this.local.take(caller));
    const id = ++this.next;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve(this.local.take(caller));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, (wait) => {
        clearTimeout(t);
        this.pending.delete(id);
        resolve(wait);
      });
      const alone = (): void => {
        // the channel is closed (the primary is gone): decide here
        clearTimeout(t);
        if (this.pending.delete(id)) resolve(this.local.take(caller));
      };
      try {
        // with a callback, a closed channel is reported to it rather than as an 'error' on the process
        this.channel.send!({ type: "rate?", id, caller }, (e) => e && alone());
      } catch {
        alone();
      }
    });
  }
}
