/**
 * What outbound fetching one validation may do (issue 11.5): a number of fetches and a total wall
 * time, shared by every certificate of every path of that validation, so a certificate naming a
 * dozen distribution points on a port that never answers costs the budget's time, not a dozen
 * timeouts in a row. The numbers come from the policy's budget (src/limits/budgets.ts).
 */
import { setMaxListeners } from "node:events";
import { LimitExceededError } from "./budgets.js";

export interface FetchLimits {
  readonly fetches: number;
  readonly fetchTimeMs: number;
  readonly fetchRedirects: number;
}

export class FetchBudget {
  private used = 0;
  private deadline = 0;
  /** made with the first fetch: most validations fetch nothing, and they should not pay for it */
  private controller: AbortController | null = null;
  /** the first limit that stopped or cut short a fetch; null while none was reached */
  spent: LimitExceededError | null = null;

  constructor(
    readonly limits: FetchLimits,
    /** hosts fetches may go to (lower case); null: any */
    readonly hosts: readonly string[] | null = null,
  ) {}

  /**
   * Starts one fetch: the signal aborts it when the budget's time is up. Null, with `spent` set,
   * when no fetch is left or the time is already spent.
   */
  take(): AbortSignal | null {
    const { fetches, fetchTimeMs } = this.limits;
    if (this.used >= fetches) {
      this.spent ??= new LimitExceededError("fetches", fetches, this.used + 1, `fetches: this validation may start ${fetches} fetch(es); more distribution points were not fetched`);
      return null;
    }
    // The clock starts with the first fetch: time spent validating before it is not fetching.
    const now = Date.now();
    if (this.controller === null) {
      const controller = (this.controller = new AbortController());
      // every fetch under way listens on the one signal
      setMaxListeners(Math.max(10, fetches + 1), controller.signal);
      this.deadline = now + fetchTimeMs;
      const timer = setTimeout(() => {
        this.spent ??= new LimitExceededError("fetchTimeMs", fetchTimeMs, fetchTimeMs, `fetchTimeMs: the fetches of this validation ran out of their ${fetchTimeMs} ms`);
        controller.abort();
      }, fetchTimeMs);
      timer.unref();
    } else if (now >= this.deadline || this.controller.signal.aborted) {
      this.spent ??= new LimitExceededError("fetchTimeMs", fetchTimeMs, now - (this.deadline - fetchTimeMs), `fetchTimeMs: the fetches of this validation ran out of their ${fetchTimeMs} ms`);
      return null;
    }
    this.used++;
    return this.controller.signal;
  }

  /** fetches started so far */
  get count(): number {
    return this.used;
  }

  /** true when the budget's time ran out (a fetch aborted then was cut short by the budget) */
  get timeSpent(): boolean {
    return this.controller?.signal.aborted ?? false;
  }

  allowsHost(host: string): boolean {
    return this.hosts === null || this.hosts.includes(host.toLowerCase());
  }
}
