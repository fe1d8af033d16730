/**
 * One writer per node (issue 15). A SQLite node's cluster workers do not each commit: every
 * worker's `submit` goes to the primary, which holds the node's one writing connection and its
 * one GroupCommitter. The receipts are still sealed in the workers (the seal key's RSA work
 * spread over the cores, outside the database lock): the primary asks the worker that owns a
 * submission to seal it with the numbers it guessed, and since no other process of the node
 * commits, the guess holds and nothing is sealed twice. Reads stay in the workers (WAL readers).
 *
 * A worker's submissions and sealed receipts go to the primary as frames (writer-frames.ts) on a
 * channel of their own, the worker's fd WRITER_FD (a socket pair the primary makes when it forks,
 * server.ts); the primary's few small messages to the workers stay on the cluster's IPC (its
 * "advanced" serialization: Dates as they are). A worker that ends while its submission waits to be sealed fails that submission (its client
 * is gone with it); nothing half-done is written, since the batch commits as one transaction.
 */
import type { Worker } from "node:cluster";
import { Socket } from "node:net";
import type { Readable } from "node:stream";
import { LogError } from "../log/index.js";
import { type Numbering, type Receipt, type Seal, announceBatch, handedToWriter, onBatchNumbered, onBatchSize } from "./group-commit.js";
import { ArchiveError, type ArchiveStore, type Assigned, type FileRef, type Material, type NewSubmission, type SubmissionRecord } from "./port.js";
import { type Frame, FrameError, FrameReader, encodeFrame } from "./writer-frames.js";

/**
 * Material items the primary keeps per worker (the worker decides, in the order it sends): the
 * same anchors, policy, seal chain and CRLs come with every submission, ~12 KB the channel need
 * not carry each time. The oldest are forgotten past this many (a CRL replaced hourly must not
 * grow the primary without bound); a forgotten item is simply sent again.
 */
export const MATERIAL_KEPT = 64;

/** set in a worker's environment by a primary that hosts the node's writer */
export const WRITER_ENV = "PODPIS_ARCHIVE_WRITER";

/** the worker's end of its frame channel to the primary: the fd after the cluster's IPC (3) */
export const WRITER_FD = 4;

/** a worker's stdio as a primary that hosts the writer forks it (cluster.setupPrimary): fd 4 the frame channel */
export const WRITER_STDIO = ["inherit", "inherit", "inherit", "ipc", "pipe"] as const;

type WireError = { kind: "archive" | "log" | "error"; message: string; code?: string };
/** a material item the primary was sent before on this channel: named, not sent again */
type MaterialRef = { kind: Material["kind"]; sha256: string; bytes?: undefined };
export type WireSubmission = Omit<NewSubmission, "material"> & { material: Array<Material | MaterialRef>; forget?: string[]; forgetAll?: true };
export type ToPrimary =
  | { type: "archive:submit"; id: number; input: WireSubmission }
  // the receipt as the worker's text; as its UTF-8 bytes once read from a frame
  | { type: "archive:sealed"; id: number; attempt: number; receipt?: Receipt; failed?: boolean };
type ToWorker =
  | { type: "archive:seal"; id: number; attempt: number; assigned: Assigned }
  | { type: "archive:done"; id: number; record?: SubmissionRecord; sealAttempt?: number; error?: WireError }
  | { type: "archive:batch"; size?: number; numbering?: Numbering }
  | { type: "archive:many"; list: ToWorker[] };

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

/**
 * A message to the primary as a frame: the document, the report (UTF-8), the evidence, the
 * contents and new material items as parts, the receipt (UTF-8) as the part of a sealed
 * answer; the rest, and each part's index, in the head.
 */
export function toFrame(m: ToPrimary): Buffer[] {
  if (m.type === "archive:sealed") {
    const head = { type: m.type, id: m.id, attempt: m.attempt, ...(m.failed ? { failed: true } : {}) };
    return encodeFrame(head, m.receipt === undefined ? [] : [typeof m.receipt === "string" ? Buffer.from(m.receipt, "utf8") : m.receipt]);
  }
  const { document, reportJson, evidence, contents, material, receivedAt, validationTime, ...fields } = m.input;
  const blobs: Uint8Array[] = [document, Buffer.from(reportJson, "utf8")];
  const part = (b: Uint8Array): number => blobs.push(b) - 1;
  const input = {
    ...fields,
    receivedAt: receivedAt.getTime(),
    validationTime: validationTime.getTime(),
    evidence: evidence ? part(evidence) : null,
    contents: contents.map((c) => (c instanceof Uint8Array ? part(c) : c)),
    material: material.map((x) => (x.bytes !== undefined ? { kind: x.kind, sha256: x.sha256, bytes: part(x.bytes) } : { kind: x.kind, sha256: x.sha256 })),
  };
  return encodeFrame({ type: m.type, id: m.id, input }, blobs);
}

/** The message of a frame toFrame made; FrameError when it is not one. */
export function fromFrame(f: Frame): ToPrimary {
  const h = f.head as Record<string, any>;
  const blob = (i: unknown): Buffer => {
    if (!Number.isSafeInteger(i) || (i as number) < 0 || (i as number) >= f.blobs.length) throw new FrameError("a frame names a part it does not have");
    return f.blobs[i as number]!;
  };
  const int = (n: unknown): number => {
    if (!Number.isSafeInteger(n)) throw new FrameError("a frame's id is not an integer");
    return n as number;
  };
  if (h.type === "archive:sealed") {
    if (f.blobs.length > 1) throw new FrameError("a sealed answer carries one receipt at most");
    return { type: "archive:sealed", id: int(h.id), attempt: int(h.attempt), ...(h.failed === true ? { failed: true } : {}), ...(f.blobs.length ? { receipt: f.blobs[0]! } : {}) };
  }
  const i = h.input as Record<string, any> | undefined;
  if (h.type !== "archive:submit" || typeof i !== "object" || i === null || !Array.isArray(i.contents) || !Array.isArray(i.material)) throw new FrameError("a frame that is no submission");
  const input: WireSubmission = {
    ...(i as object as WireSubmission),
    receivedAt: new Date(int(i.receivedAt)),
    validationTime: new Date(int(i.validationTime)),
    document: blob(0),
    reportJson: blob(1).toString("utf8"),
    evidence: i.evidence === null || i.evidence === undefined ? null : blob(i.evidence),
    contents: (i.contents as unknown[]).map((c) => (typeof c === "number" ? blob(c) : (c as FileRef))),
    // a new item's bytes are kept by the primary (materialReceiver): copied out of the frame, whose buffer is the read's
    material: (i.material as Array<{ kind: Material["kind"]; sha256: string; bytes?: number }>).map((x) =>
      x.bytes === undefined ? { kind: x.kind, sha256: x.sha256 } : { kind: x.kind, sha256: x.sha256, bytes: Buffer.from(blob(x.bytes)) },
    ),
  };
  return { type: "archive:submit", id: int(h.id), input };
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
      const seals = new Map<string, { resolve: (r: Receipt) => void; reject: (e: unknown) => void }>();
      const withMaterial = materialReceiver();
      // what the writer tells a worker in one turn of its loop — a batch's seal requests, its
      // answers — goes as one message: a message costs a write and a wake-up of the worker
      // (~30 µs of CPU on the two sides), whatever it holds
      let outbox: ToWorker[] | null = null;
      const flush = (): void => {
        const list = outbox!;
        outbox = null;
        if (w.isConnected()) w.send(list.length === 1 ? list[0]! : ({ type: "archive:many", list } satisfies ToWorker));
      };
      const send = (m: ToWorker): void => {
        if (!w.isConnected()) return;
        if (outbox) return void outbox.push(m);
        outbox = [m];
        setImmediate(flush);
      };
      const channel = w.process.stdio?.[WRITER_FD] as Readable | null | undefined;
      const reader = new FrameReader();
      // a frame that does not read is a fault of this node's own code: the worker is let go (its
      // waiting submissions fail with 503, the cluster starts another), nothing is guessed
      const lost = (): void => {
        channel?.destroy();
        if (w.isConnected()) w.disconnect();
      };
      channel?.on("error", lost);
      channel?.on("data", (chunk: Buffer) => {
        let messages: ToPrimary[];
        try {
          messages = reader.push(chunk).map(fromFrame);
        } catch {
          return lost();
        }
        for (const m of messages) handle(m);
      });
      const handle = (m: ToPrimary): void => {
        if (m.type === "archive:sealed") {
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
          new Promise<Receipt>((resolve, reject) => {
            if (!w.isConnected()) return reject(new Error("the worker that received this submission has ended"));
            const attempt = ++attempts;
            seals.set(`${id}/${attempt}`, { resolve, reject });
            send({ type: "archive:seal", id, attempt, assigned });
          });
        // SQLite's store (the one a node's primary hosts) takes the receipt's bytes as the worker sent them
        const submit = archive.submit as (input: NewSubmission, seal: Seal<Receipt>) => Promise<SubmissionRecord>;
        const text = async (a: Assigned): Promise<string> => {
          const r = await seal(a);
          return typeof r === "string" ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString("utf8");
        };
        submit.call(archive, input, archive.kind === "sqlite" ? seal : text).then(
          (record) => send({ type: "archive:done", id, record }),
          (e: unknown) => send(e instanceof SealFailed ? { type: "archive:done", id, sealAttempt: e.attempt } : { type: "archive:done", id, error: toWire(e) }),
        );
      };
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

/** this worker's end of the frame channel (null: not opened, or given up) */
let channel: Socket | null = null;

/** frames of this turn of the loop wait in the socket, to go as one write at its end */
let corked = false;

/** one frame to the primary; `done` gets the write's error, if any */
function sendFrame(m: ToPrimary, done?: (e: Error | null | undefined) => void): void {
  const ch = channel;
  if (!ch || ch.destroyed || !ch.writable) return void (done && queueMicrotask(() => done(new Error("the channel to the primary is closed"))));
  const parts = toFrame(m);
  if (!corked) {
    // (the receipts of a batch's seals that end together, submissions that came together)
    corked = true;
    ch.cork();
    setImmediate(() => {
      corked = false;
      ch.uncork();
    });
  }
  parts.forEach((p, i) => ch.write(p, i === parts.length - 1 ? done : undefined));
}

function onPrimaryMessage(m: ToWorker): void {
  if (m?.type === "archive:many") return m.list.forEach(onPrimaryMessage);
  if (m?.type === "archive:batch") return announceBatch(m);
  if (m?.type === "archive:seal") {
    const w = waiting.get(m.id);
    if (!w) return sendFrame({ type: "archive:sealed", id: m.id, attempt: m.attempt, failed: true });
    w.seal(m.assigned).then(
      (receipt) => sendFrame({ type: "archive:sealed", id: m.id, attempt: m.attempt, receipt }),
      (e: unknown) => {
        // the seal's own error (a TSA away, a token gone) is what the request answers with
        w.failures.set(m.attempt, e);
        sendFrame({ type: "archive:sealed", id: m.id, attempt: m.attempt, failed: true });
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
      channel?.destroy();
      for (const w of waiting.values()) w.reject(writerAway("the primary process has ended"));
      waiting.clear();
    });
    try {
      channel = new Socket({ fd: WRITER_FD, readable: false, writable: true });
      // the channel does not keep a worker alive; a write that fails says so to its submission
      channel.unref();
      channel.on("error", () => channel?.destroy());
    } catch {
      // not forked by a primary that hosts the writer (no such fd): every submit is refused, 503
      channel = null;
    }
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
      sendFrame({ type: "archive:submit", id, input: toPrimary.wire(input) }, (e) => void (e && failed(e)));
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
