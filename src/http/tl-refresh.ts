/**
 * The service's trusted lists (issue 14): loaded at start, refreshed in the background before the
 * earliest NextUpdate (and soon again while something is wrong), and judged by /readyz. A refresh
 * that brings a list badly signed, unreadable or unreachable keeps the last good copy of it; what
 * is stale, badly signed without a good copy, or leaves no anchor at all makes the service not
 * ready — SiVa #64's failure, a service with zero anchors answering UP, is what this prevents.
 */
import type { Certificate } from "../pki/certificate.js";
import type { ListSource } from "../trust/source.js";
import { type TrustState, loadTrustedLists } from "../trust/load.js";
import { TrustedListIndex } from "../trust/list-index.js";
import type { Validator } from "../validator.js";

/** (the shape of readiness.ts's checks; declared here so that readiness.ts may import this file) */
export interface TlReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface TlRefreshOptions {
  locations: readonly string[];
  signers: readonly Certificate[];
  source: ListSource;
  now: () => Date;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** while not healthy, try again this soon (ms); default 60 s */
  retryMs?: number;
  /** refresh this long before the earliest NextUpdate (ms); default 1 h */
  marginMs?: number;
  /** and at least this often (ms): lists are re-issued before their NextUpdate; default 1 h */
  maxIntervalMs?: number;
}

const DAY = 86_400_000;

export class TlRefresher {
  private timer: NodeJS.Timeout | null = null;
  private validator: Validator | null = null;
  private running: Promise<void> | null = null;
  /** what the last refresh could not get, with the good copy it kept (if any) */
  private kept: string[] = [];
  state: TrustState | null = null;
  refreshes = 0;

  constructor(private readonly o: TlRefreshOptions) {}

  /** the first load (before the validator is built with its result) */
  async load(): Promise<TrustState> {
    this.state = await loadTrustedLists({ locations: this.o.locations, signers: this.o.signers, source: this.o.source, at: this.o.now() });
    this.report(this.state);
    return this.state;
  }

  attach(validator: Validator): void {
    this.validator = validator;
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One refresh now (a refresh under way is joined). */
  refresh(): Promise<void> {
    this.running ??= this.doRefresh().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async doRefresh(): Promise<void> {
    const prev = this.state;
    let next: TrustState;
    try {
      next = await loadTrustedLists({ locations: this.o.locations, signers: this.o.signers, source: this.o.source, at: this.o.now() });
    } catch (e) {
      this.o.log("trusted lists: refresh failed, the lists in use are kept", { error: (e as Error).message });
      return;
    }
    this.refreshes++;
    // keep the last good copy of every list the refresh could not bring good
    this.kept = [];
    if (prev) {
      const missing = prev.accepted.filter((old) => !next.accepted.some((a) => a.list.kind === old.list.kind && a.list.schemeTerritory === old.list.schemeTerritory));
      if (missing.length) {
        for (const m of missing) this.kept.push(`${m.list.schemeTerritory} sequence ${m.list.sequenceNumber}`);
        const accepted = [...next.accepted, ...missing];
        const territories = new Set(missing.map((m) => m.list.schemeTerritory));
        next = { ...next, accepted, problems: next.problems.filter((p) => !(p.territory && territories.has(p.territory)) && !missing.some((m) => m.location === p.location)), index: new TrustedListIndex(accepted) };
        this.o.log("trusted lists: refresh did not bring a good copy; the last good one is kept", { kept: this.kept });
      }
    }
    this.state = next;
    this.report(next);
    this.validator?.useTrustedLists(next);
  }

  private report(s: TrustState): void {
    for (const a of s.accepted) this.o.log("trusted list in use", { territory: a.list.schemeTerritory, sequenceNumber: a.list.sequenceNumber, sha256: a.list.sha256, nextUpdate: a.list.nextUpdate?.toISOString() ?? null });
    for (const p of s.problems) this.o.log("trusted list not used", { location: p.location, territory: p.territory, reason: p.reason });
  }

  private schedule(): void {
    this.stop();
    const now = this.o.now().getTime();
    const retry = this.o.retryMs ?? 60_000;
    let delay = this.o.maxIntervalMs ?? 3_600_000;
    const healthy = this.state ? tlReadiness(this.state, new Date(now)).ok : false;
    if (!healthy) delay = retry;
    else {
      for (const a of this.state!.accepted) {
        const nu = a.list.nextUpdate?.getTime();
        if (nu !== undefined) delay = Math.min(delay, Math.max(retry, nu - (this.o.marginMs ?? 3_600_000) - now));
      }
    }
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, Math.min(delay, 7 * DAY));
    this.timer.unref();
  }
}

/**
 * /readyz's judgement of the lists: some list accepted, some anchor from them, none past its
 * NextUpdate, and no configured list refused for its signature or form (an unreachable list
 * that was never had is refused too; one whose last good copy is kept is not).
 */
export function tlReadiness(state: TrustState, now: Date): TlReadinessCheck {
  const bad: string[] = [];
  if (state.accepted.length === 0) bad.push("no trusted list accepted");
  else if (state.index.anchors().length === 0) bad.push("the trusted lists give no trust anchor");
  for (const a of state.accepted) {
    const nu = a.list.nextUpdate;
    if (nu && nu.getTime() < now.getTime()) bad.push(`${a.list.schemeTerritory} sequence ${a.list.sequenceNumber} is past its NextUpdate ${nu.toISOString()}`);
  }
  for (const p of state.problems) if (p.kind !== "unavailable" || state.accepted.length === 0) bad.push(`${p.territory ?? p.location}: ${p.reason}`);
  const used = state.accepted.map((a) => `${a.list.schemeTerritory}#${a.list.sequenceNumber}`).join(", ");
  return { name: "trusted-lists", ok: bad.length === 0, detail: bad.length ? bad.join("; ") : `${state.accepted.length} list(s) in use (${used}), ${state.index.anchors().length} anchor(s)` };
}

/** The readiness check of a validator with lists (none without). */
export function tlReadinessOf(validator: Validator, now: Date): TlReadinessCheck[] {
  return validator.trustState ? [tlReadiness(validator.trustState, now)] : [];
}
