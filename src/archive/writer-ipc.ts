/**
 * One writer per node (issue 15). A SQLite node's cluster workers do not each commit: every
 * worker's `submit` goes to the primary, which holds the node's one writing connection and its
 * one GroupCommitter. The receipts are still sealed in the workers (the seal key's RSA work
 * spread over the cores, outside the database lock): the primary asks the worker that owns a
 * submission to seal it with the numbers it guessed, and since no other process of the node
 * commits, the guess holds and nothing is sealed twice. Reads stay in the workers (WAL readers).
 *
 * Messages need the cluster's "advanced" serialization (Buffers and Dates as they are).
 * A worker that ends while its submission waits to be sealed fails that submission (its client
 * is gone with it); nothing half-done is written, since the batch commits as one transaction.
 */
import type { Worker } from "node:cluster";
import { LogError } from "../log/index.js";
import { announceBatch, handedToWriter, onBatchNumbered, onBatchSize, type Numbering } from "./group-commit.js";
import { ArchiveError, type ArchiveStore, type Assigned, type Material, type NewSubmission, type SubmissionRecord } from "./port.js";

/**
 * Material items the primary keeps per worker (the worker decides, in the order it sends): the
 * same anchors, policy, seal chain and CRLs come with every submission, ~12 KB the channel need
 * not carry each time. The oldest are forgotten past this many (a CRL replaced hourly must not
 * grow the primary without bound); a forgotten item is simply sent again.
 */
export const MATERIAL_KEPT = 64;

/** set in a worker's environment by a primary that hosts the node's writer */
export const WRITER_ENV = "PODPIS_ARCHIVE_WRITER";

type WireError = { kind: "archive" | "log" | "error"; message: string; code?: string };
/** a material item the primary was sent before on this channel: named, not sent again */
type MaterialRef = { kind: Material["kind"]; sha256: string; bytes?: undefined };
export type WireSubmission = Omit<NewSubmission, "material"> & { material: Array<Material | MaterialRef>; forget?: string[]; forgetAll?: true };
type ToPrimary =
  | { type: "archive:submit"; id: number; input: WireSubmission }
  | { type: "archive:sealed"; id: number; attempt: number; receipt?: string; failed?: boolean };
type ToWorker =
  | { type: "archive:seal"; id: number; attempt: number; assigned: Assigned }
  | { type: "archive:done"; id: number; record?: SubmissionRecord; sealAttempt?: number; error?: WireError }
  | { type: "archive:batch"; size?: number; numbering?: Numbering };

function toWire(e: unknown): WireError {
  const err = e as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
  // a DependencyUnavailableError of the primary's store carries the SQLite error as its cause:
  // the code goes across, and the worker's store classifies it again (sqliteUnavailable)
  const code = typeof err?.cause?.code === "string" ? err.cause.code : typeof err?.code === "string" ? err.code : undefined;
  const kind = e instanceof ArchiveError ? "archive" : e instanceof LogError ? "log" : "error";
  return { kind, message: String(err?.message ?? e), ...(code ? { code } : {}) };
}

function fromWire(w: WireError): Error {
  if (w.kind === "archive") return new ArchiveError(w.code as ArchiveError["code"], w.message);
  if (w.kind === "log") return new LogError(w.code as LogError["code"], w.message);
  return Object.assign(new Error(w.message), w.code ? { code: w.code } : {});
}

class SealFailed extends Error {
  constructor(readonly attempt: number) {
    super("the receipt could not be sealed");
  }
}

/** Primary: the node's writer answers these workers' submissions. Returns the unsubscribe of the metrics relay. */
export function hostWriter(archive: ArchiveStore, workers: () => Worker[]): { attach(w: Worker): void; close(): void } {
  // batch metrics are counted in a worker's registry (the aggregator sums the workers only)
  const relay = (m: ToWorker) => workers().find((w) => w.isConnected())?.send(m);
  const offSize = onBatchSize((size) => relay({ type: "archive:batch", size }));
  const offNumbered = onBatchNumbered((numbering) => relay({ type: "archive:batch", numbering }));
  return {
    attach(w: Worker) {
      const seals = new Map<string, { resolve: (r: string) => void; reject: (e: unknown) => void }>();
      const withMaterial = materialReceiver();
      const send = (m: ToWorker) => void (w.isConnected() && w.send(m));
      w.on("message", (m: ToPrimary) => {
        if (m?.type === "archive:sealed") {
          const k = `${m.id}/${m.attempt}`;
          const s = seals.get(k);
          seals.delete(k);
          if (m.failed || m.receipt === undefined) s?.reject(new SealFailed(m.attempt));
          else s?.resolve(m.receipt);
        }
        if (m?.type !== "archive:submit") return;
        const id = m.id;
        let input: NewSubmission;
        try {
          input = withMaterial(m.input);
        } catch (e) {
          return send({ type: "archive:done", id, error: toWire(e) });
        }
        let attempts = 0;
        const seal = (assigned: Assigned) =>
          new Promise<string>((resolve, reject) => {
            if (!w.isConnected()) return reject(new Error("the worker that received this submission has ended"));
            const attempt = ++attempts;
            seals.set(`${id}/${attempt}`, { resolve, reject });
            send({ type: "archive:seal", id, attempt, assigned });
          });
        archive.submit(input, seal).then(
          (record) => send({ type: "archive:done", id, record }),
          (e: unknown) => send(e instanceof SealFailed ? { type: "archive:done", id, sealAttempt: e.attempt } : { type: "archive:done", id, error: toWire(e) }),
        );
      });
      w.on("exit", () => {
        for (const s of seals.values()) s.reject(new Error("the worker that received this submission has ended"));
        seals.clear();
      });
    },
    close() {
      offSize();
      offNumbered();
    },
  };
}

/** Primary, per worker: the worker's submissions with their material as bytes again. */
export function materialReceiver(): (wire: WireSubmission) => NewSubmission {
  const kept = new Map<string, Material>();
  return (wire) => {
    const { forget, forgetAll, ...input } = wire;
    if (forgetAll) kept.clear();
    const items = input.material.map((m): Material => {
      if (m.bytes !== undefined) {
        kept.set(m.sha256, m);
        return m;
      }
      const known = kept.get(m.sha256);
      if (!known) throw new Error(`the worker named material ${m.sha256} it had not sent`);
      return known;
    });
    // after the items: one evicted by this very submission was still named in it
    for (const sha of forget ?? []) kept.delete(sha);
    return { ...input, material: items };
  };
}

/** Worker: submissions as sent to the primary, material it already has named by its hash. */
export function materialSender(): { wire(input: NewSubmission): WireSubmission; unsure(): void } {
  // insertion order: the oldest are forgotten first
  const sent = new Set<string>();
  // a send failed: what the primary got is not known, so it forgets everything and is sent all again
  let unsure = false;
  return {
    unsure: () => void (unsure = true),
    wire(input) {
      const reset = unsure;
      unsure = false;
      if (reset) sent.clear();
      const material = input.material.map((m): Material | MaterialRef => (sent.has(m.sha256) ? { kind: m.kind, sha256: m.sha256 } : m));
      const forget: string[] = [];
      for (const m of input.material) {
        if (sent.has(m.sha256)) continue;
        sent.add(m.sha256);
        if (sent.size > MATERIAL_KEPT) {
          const oldest = sent.values().next().value!;
          sent.delete(oldest);
          forget.push(oldest);
        }
      }
      return { ...input, material, ...(forget.length ? { forget } : {}), ...(reset ? { forgetAll: true as const } : {}) };
    },
  };
}

/** one primary per worker process */
const toPrimary = materialSender();

type Waiting = { seal: (a: Assigned) => Promise<string>; resolve: (r: SubmissionRecord) => void; reject: (e: unknown) => void; failures: Map<number, unknown> };
/** one id space per process, however many stores it opens */
const waiting = new Map<number, Waiting>();
let nextId = 0;
let listening = false;

function onPrimaryMessage(m: ToWorker): void {
  if (m?.type === "archive:batch") return announceBatch(m);
  if (m?.type === "archive:seal") {
    const w = waiting.get(m.id);
    if (!w) return void process.send?.({ type: "archive:sealed", id: m.id, attempt: m.attempt, failed: true } satisfies ToPrimary);
    w.seal(m.assigned).then(
      (receipt) => process.send?.({ type: "archive:sealed", id: m.id, attempt: m.attempt, receipt } satisfies ToPrimary),
      (e: unknown) => {
        // the seal's own error (a TSA away, a token gone) is what the request answers with
        w.failures.set(m.attempt, e);
        process.send?.({ type: "archive:sealed", id: m.id, attempt: m.attempt, failed: true } satisfies ToPrimary);
      },
    );
  }
  if (m?.type === "archive:done") {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (!w) return;
    if (m.record) w.resolve(m.record);
    else if (m.sealAttempt !== undefined) w.reject(w.failures.get(m.sealAttempt) ?? new Error("the receipt could not be sealed"));
    else w.reject(fromWire(m.error ?? { kind: "error", message: "the archive's writer failed" }));
  }
}

/** classified as the database being away (503, Retry-After) by the store's sqliteUnavailable */
const writerAway = (why: string) => Object.assign(new Error(`the node's archive writer cannot be reached: ${why}`), { code: "SQLITE_IOERR_WRITER" });

/** at the store's opening, not its first submit: the primary relays batch metrics to any worker */
function listen(): void {
  if (!listening) {
    listening = true;
    process.on("message", onPrimaryMessage);
    // the primary gone (killed): what waits for it fails now (503) instead of at the shutdown timeout
    process.on("disconnect", () => {
      for (const w of waiting.values()) w.reject(writerAway("the primary process has ended"));
      waiting.clear();
    });
  }
}

function submitToPrimary(input: NewSubmission, seal: (a: Assigned) => Promise<string>): Promise<SubmissionRecord> {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    handedToWriter(1);
    let answered = false;
    const answer = () => void (answered || ((answered = true), handedToWriter(-1)));
    waiting.set(id, { seal, resolve: (r) => (answer(), resolve(r)), reject: (e) => (answer(), reject(e)), failures: new Map() });
    const failed = (e: Error): void => {
      toPrimary.unsure();
      const w = waiting.get(id);
      waiting.delete(id);
      w?.reject(writerAway(e.message));
    };
    try {
      process.send!({ type: "archive:submit", id, input: toPrimary.wire(input) } satisfies ToPrimary, (e: Error | null) => void (e && failed(e)));
    } catch (e) {
      failed(e as Error);
    }
  });
}

/** Worker: `store` with its submit sent to the primary's writer (the rest stays local). */
export function submitThroughPrimary<T extends ArchiveStore>(store: T): T {
  listen();
  return new Proxy(store, { get: (t, p, r) => (p === "submit" ? submitToPrimary : Reflect.get(t, p, r)) });
}
