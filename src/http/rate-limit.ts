/** What the app asks before a request: seconds to wait, or 0 when admitted. */
export interface CallerLimiter {
  take(caller: string): number | Promise<number>;
}

/**
 * A token bucket per caller (API key id, or client address for public routes) in one process.
 * In a cluster the primary holds the only instance and the workers ask it (cluster-rate.ts), so
 * the rate is per key for the whole node. Zero disables it.
 */
export class RateLimiter implements CallerLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number = Math.max(1, perSecond),
  ) {}

  /** seconds to wait, or 0 when admitted */
  take(caller: string, now = Date.now()): number {
    if (this.perSecond <= 0) return 0;
    let b = this.buckets.get(caller);
    if (!b) {
      if (this.buckets.size > 100_000) this.buckets.clear();
      b = { tokens: this.burst, at: now };
      this.buckets.set(caller, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.perSecond);
  }

  /**
   * Up to `n` tokens at once (a cluster worker's lease, cluster-rate.ts): how many were taken,
   * at least 1 when admitted; otherwise none and the seconds to wait.
   */
  takeUpTo(caller: string, n: number, now = Date.now()): { granted: number; wait: number } {
    const wait = this.take(caller, now);
    if (wait > 0) return { granted: 0, wait };
    if (this.perSecond <= 0) return { granted: Math.max(1, n), wait: 0 };
    const b = this.buckets.get(caller)!;
    const more = Math.max(0, Math.min(n - 1, Math.floor(b.tokens)));
    b.tokens -= more;
    return { granted: 1 + more, wait: 0 };
  }
}
