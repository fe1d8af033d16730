/**
 * The sequencer (issue 16): turns committed log entries into tiles and a signed checkpoint, at
 * least every second while entries arrive. Every serving process runs one; the store's database
 * lock lets one at a time work, so several nodes on one PostgreSQL write one log. Everything a
 * step writes commits together, so a kill -9 at any point leaves the last checkpoint and its
 * tiles intact, and the next step (here or on another node) carries on from it.
 *
 * After a new checkpoint, the process that made it asks the configured witnesses to cosign it
 * (C2SP tlog-witness add-checkpoint) and keeps their cosignatures with it.
 */
import { type NoteSigner, type NoteVerifier, TreeHashes, acceptCosignatures, addCheckpointBody, integrate, parseCheckpointText, parseNote, signCheckpoint } from "../log/index.js";
import type { LogStore, StoredCheckpoint } from "./log-port.js";

export interface WitnessTarget {
  /** the witness's cosignature key (type 0x04) */
  key: NoteVerifier;
  /** its submission prefix: add-checkpoint is POSTed to `${url}/add-checkpoint` */
  url: string;
}

export interface SequencerOptions {
  store: LogStore;
  signer: NoteSigner;
  clock: () => Date;
  witnesses?: readonly WitnessTarget[];
  /** between steps; default 500 ms, so a checkpoint follows an entry within a second */
  intervalMs?: number;
  /** entries integrated per step at most */
  batch?: number;
  onError?: (what: string, e: unknown) => void;
  /** for witness requests (tests pass their own); default global fetch */
  fetch?: typeof fetch;
}

const WITNESS_TIMEOUT_MS = 5_000;

export const checkpointSize = (c: StoredCheckpoint | null): number => (c ? parseCheckpointText(parseNote(c.note).text).size : 0);

export class LogSequencer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** the size each witness last cosigned (0 until it tells us otherwise: tlog-witness 409) */
  private readonly witnessSizes = new Map<string, number>();

  constructor(private readonly o: SequencerOptions) {}

  get origin(): string {
    return this.o.signer.name;
  }

  start(): void {
    const tick = (): void => {
      this.running = this.drain()
        .catch((e) => this.o.onError?.("log sequencer step failed", e))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs ?? 500);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => {});
  }

  /** Steps until nothing is pending (or another process holds the lock). */
  async drain(): Promise<StoredCheckpoint | null> {
    let last: StoredCheckpoint | null = null;
    for (;;) {
      const r = await this.step();
      if (!r) return last;
      last = r.checkpoint;
      await this.cosign(r.checkpoint);
      if (!r.more) return last;
    }
  }

  /** One step under the lock: the new checkpoint, or null when there was nothing to do. */
  async step(): Promise<{ checkpoint: StoredCheckpoint; more: boolean } | null> {
    const batch = this.o.batch ?? 4096;
    let made: { checkpoint: StoredCheckpoint; more: boolean } | null = null;
    await this.o.store.sequence(async (view) => {
      const size = checkpointSize(view.latest);
      const leaves = await view.leafHashes(size, batch);
      // the empty tree gets its checkpoint too, so /checkpoint answers from the start
      if (leaves.length === 0 && view.latest) return null;
      const grown = await integrate(size, leaves, view);
      const checkpoint: StoredCheckpoint = {
        size: grown.size,
        note: signCheckpoint({ origin: this.o.signer.name, size: grown.size, root: grown.root }, this.o.signer),
        cosignatures: "",
        createdAt: this.o.clock().toISOString(),
      };
      made = { checkpoint, more: leaves.length === batch };
      return { tiles: grown.tiles, checkpoint };
    });
    return made;
  }

  private async cosign(cp: StoredCheckpoint): Promise<void> {
    const witnesses = this.o.witnesses ?? [];
    await Promise.all(witnesses.map((w) => this.askWitness(w, cp).catch((e) => this.o.onError?.(`witness ${w.key.name} did not cosign checkpoint ${cp.size}`, e))));
  }

  private async askWitness(w: WitnessTarget, cp: StoredCheckpoint): Promise<void> {
    const f = this.o.fetch ?? fetch;
    const text = parseNote(cp.note).text;
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = Math.min(this.witnessSizes.get(w.key.name) ?? 0, cp.size);
      const proof = old === 0 ? [] : await new TreeHashes(this.o.store, cp.size).consistencyProof(old);
      const r = await f(`${w.url.replace(/\/+$/, "")}/add-checkpoint`, { method: "POST", body: addCheckpointBody(old, proof, cp.note), signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS) });
      const body = await r.text();
      if (r.status === 409 && (r.headers.get("content-type") ?? "").startsWith("text/x.tlog.size")) {
        // tlog-witness: the witness names the size it last cosigned; try again from there
        const known = Number(body.trim());
        if (!Number.isSafeInteger(known) || known > cp.size) throw new Error(`the witness knows a larger tree (${body.trim().slice(0, 20)}) than ${cp.size}`);
        this.witnessSizes.set(w.key.name, known);
        continue;
      }
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${body.slice(0, 200)}`);
      const lines = acceptCosignatures(text, body, w.key);
      if (lines.length === 0) throw new Error("the answer held no cosignature by this witness's key");
      this.witnessSizes.set(w.key.name, cp.size);
      await this.o.store.addCosignatures(cp.size, lines.join(""));
      return;
    }
    throw new Error("the witness kept answering 409");
  }
}
