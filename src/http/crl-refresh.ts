/**
 * Keeps the service's CRLs fresh without waiting for a validation to need them (issue 10 item 5):
 * - at startup and then every minute, every CRL issuer whose newest CRL is past, or close to, its
 *   nextUpdate is fetched again from the distribution points the service knows for it (those in
 *   the trust anchors' and intermediates' certificates, in the CRLs' own issuingDistributionPoint,
 *   and any a validation fetched); a fetched CRL enters the store only when its signature
 *   verifies with a known certificate of its issuer, so a forged one cannot make /readyz green;
 * - the --crl files and directories are read again when they change (fs.watch) and on reload()
 *   (SIGHUP); CRLs of files that are gone leave the store.
 * The store is the validator's, so validations and /readyz see the result at once.
 */
import { type FSWatcher, watch } from "node:fs";
import { signatureAlgorithm, verifySignature } from "../pki/algorithms.js";
import { type Certificate, publicKeyOf } from "../pki/certificate.js";
import type { DistributionPointName } from "../pki/general-name.js";
import { nameToString } from "../pki/name.js";
import type { CrlStore } from "../revocation/crl-store.js";
import type { Crl } from "../revocation/crl-types.js";
import type { CrlFetcher } from "../revocation/fetch.js";
import { parseCrls } from "../revocation/crl.js";
import { readFileOrDir } from "../io/files.js";

/** How often due CRLs are looked for; a failed fetch is tried again at the next round. */
export const CRL_REFRESH_POLL_MS = 60_000;
/** Refresh this long before nextUpdate (at most; a tenth of the CRL's validity when shorter). */
const MAX_MARGIN_MS = 60 * 60_000;
/** File changes arrive in bursts (an editor writes, renames, touches): one re-read after a pause. */
const WATCH_DEBOUNCE_MS = 500;

export interface CrlRefreshOptions {
  store: CrlStore;
  /** certificates that may sign CRLs and carry distribution points: anchors and intermediates */
  certificates: () => readonly Certificate[];
  /** the --crl files and directories */
  crlPaths: string[];
  /** null: offline, files only */
  fetcher: CrlFetcher | null;
  now: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** default CRL_REFRESH_POLL_MS; 0 = no timer (tests drive refreshDue) */
  pollMs?: number;
  /** watch the --crl paths for changes (default true) */
  watchFiles?: boolean;
}

const uris = (n: DistributionPointName | null | undefined): string[] =>
  n && "fullName" in n ? n.fullName.flatMap((g) => (g.type === "uniformResourceIdentifier" && /^https?:\/\//i.test(g.value) ? [g.value] : [])) : [];

export class CrlRefresher {
  /** distribution point URLs per CRL issuer (Name.key) */
  private readonly urls = new Map<string, Set<string>>();
  /** sha256 of the CRL last fetched from each URL (the older one is dropped, as the checker does) */
  private readonly fetched = new Map<string, string>();
  /** sha256 of the CRLs that came from --crl files */
  private fromFiles = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  /** the first refresh, started by start() */
  firstRound: Promise<void> = Promise.resolve();

  constructor(private readonly o: CrlRefreshOptions) {
    for (const c of o.store.all()) this.fromFiles.add(c.sha256);
  }

  start(): void {
    this.firstRound = this.refreshDue();
    const poll = this.o.pollMs ?? CRL_REFRESH_POLL_MS;
    if (poll > 0) {
      this.timer = setInterval(() => void this.refreshDue(), poll);
      this.timer.unref();
    }
    if (this.o.watchFiles ?? true) this.watchPaths();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** SIGHUP: the --crl files again, then whatever is due. */
  async reload(): Promise<void> {
    this.rereadFiles();
    await this.refreshDue();
  }

  /** Reads the --crl paths again: new CRLs enter, CRLs of removed files leave. */
  rereadFiles(): void {
    const now = new Set<string>();
    for (const p of this.o.crlPaths) {
      let files;
      try {
        files = readFileOrDir(p, "CRL (--crl)");
      } catch (e) {
        this.o.log?.("crl file unreadable, keeping what was loaded", { path: p, error: (e as Error).message });
        return; // a half-written directory must not empty the store
      }
      for (const f of files) {
        try {
          for (const crl of parseCrls(f.bytes)) now.add(this.o.store.add(crl).sha256);
        } catch (e) {
          this.o.log?.("crl file not usable, skipped", { path: f.path, error: (e as Error).message });
        }
      }
    }
    for (const s of this.fromFiles) if (!now.has(s) && ![...this.fetched.values()].includes(s)) this.o.store.remove(s);
    this.fromFiles = now;
    this.o.log?.("crl files read", { crls: now.size });
  }

  /** One round: fetch every issuer whose newest CRL is due. Rounds never overlap. */
  refreshDue(): Promise<void> {
    if (!this.round) this.round = this.doRound().finally(() => (this.round = null));
    return this.round;
  }

  private async doRound(): Promise<void> {
    if (!this.o.fetcher) return;
    this.learnUrls();
    const now = this.o.now();
    for (const [issuer, newest] of newestByIssuer(this.o.store.all())) {
      if (!isDue(newest, now)) continue;
      for (const url of this.urls.get(issuer) ?? []) {
        try {
          // ask for a copy current a margin ahead, so the fetcher's cache does not answer with the aging one
          const crl = await this.o.fetcher.fetch(url, new Date(now.getTime() + margin(newest)));
          if (crl.issuer.key !== issuer || !this.signedByKnownIssuer(crl)) {
            this.o.log?.("crl refresh: not signed by a known certificate of its issuer, ignored", { url });
            continue;
          }
          if (crl.thisUpdate <= newest.thisUpdate) continue;
          const stored = this.o.store.add(crl);
          const previous = this.fetched.get(url);
          if (previous && previous !== stored.sha256 && !this.fromFiles.has(previous)) this.o.store.remove(previous);
          this.fetched.set(url, stored.sha256);
          this.o.log?.("crl refreshed", { issuer: nameToString(crl.issuer), url, nextUpdate: crl.nextUpdate?.toISOString() ?? null });
          break;
        } catch (e) {
          this.o.log?.("crl refresh failed, tried again later", { url, error: (e as Error).message });
        }
      }
    }
  }

  private learnUrls(): void {
    const add = (issuer: string, url: string): void => {
      const set = this.urls.get(issuer) ?? new Set<string>();
      set.add(url);
      this.urls.set(issuer, set);
    };
    // a certificate's distribution points name its issuer's CRLs (unless cRLIssuer says otherwise)
    for (const c of this.o.certificates()) {
      for (const dp of c.crlDistributionPoints ?? []) if (!dp.crlIssuer) for (const u of uris(dp.name)) add(c.issuer.key, u);
    }
    for (const crl of this.o.store.all()) for (const u of uris(crl.issuingDistributionPoint?.distributionPoint)) add(crl.issuer.key, u);
  }

  private signedByKnownIssuer(crl: Crl): boolean {
    for (const c of this.o.certificates()) {
      if (c.subject.key !== crl.issuer.key) continue;
      try {
        if (verifySignature(signatureAlgorithm(crl.signatureAlgorithm), publicKeyOf(c), crl.tbs, crl.signatureValue)) return true;
      } catch {
        // an unsupported algorithm or key: try the next certificate
      }
    }
    return false;
  }

  private watchPaths(): void {
    for (const p of this.o.crlPaths) {
      try {
        const w = watch(p, { persistent: false }, () => {
          if (this.debounce) clearTimeout(this.debounce);
          this.debounce = setTimeout(() => {
            this.debounce = null;
            this.rereadFiles();
          }, WATCH_DEBOUNCE_MS);
          this.debounce.unref();
        });
        w.on("error", () => w.close());
        this.watchers.push(w);
      } catch {
        // not watchable here (some network file systems): SIGHUP still re-reads
      }
    }
  }
}

function margin(crl: Crl): number {
  const life = crl.nextUpdate ? crl.nextUpdate.getTime() - crl.thisUpdate.getTime() : 0;
  return Math.max(0, Math.min(MAX_MARGIN_MS, life / 10));
}

function isDue(crl: Crl, now: Date): boolean {
  return crl.nextUpdate !== null && now.getTime() >= crl.nextUpdate.getTime() - margin(crl);
}

/** The newest (latest thisUpdate) complete CRL of each issuer. */
export function newestByIssuer(crls: readonly Crl[]): Map<string, Crl> {
  const out = new Map<string, Crl>();
  for (const c of crls) {
    if (c.deltaCrlIndicator !== null) continue;
    const cur = out.get(c.issuer.key);
    if (!cur || c.thisUpdate > cur.thisUpdate) out.set(c.issuer.key, c);
  }
  return out;
}
