/**
 * `podpis audit verify`, the log part (issue 16): archive and transparency log agree. Every log
 * entry is its submission's archived receipt byte for byte and hashes to its stored leaf; every
 * receipt that names a log index is that entry; the tiles and every checkpoint's root are
 * recomputed from the leaves; each checkpoint's signature verifies when the log key is known.
 */
import { type NoteVerifier, type TileReader, type TileWrite, integrate, leafHash, openCheckpoint, parseCheckpointText, parseNote } from "../log/index.js";
import { readReceipt } from "../receipt/check.js";
import type { Mismatch } from "./integrity.js";
import type { ArchiveStore } from "./port.js";

export interface LogVerification {
  ok: boolean;
  entries: number;
  /** the latest checkpoint's tree size (0: none) */
  size: number;
  checkpoints: number;
  /** whether checkpoint signatures were checked (the log key was at hand) */
  signaturesChecked: boolean;
  mismatches: Mismatch[];
}

class Tiles implements TileReader {
  readonly rows = new Map<string, TileWrite>();
  async readTile(level: number, index: number, width: number): Promise<Uint8Array> {
    return this.rows.get(`${level}/${index}`)!.hashes.subarray(0, width * 32);
  }
}

export async function verifyLog(store: ArchiveStore, logKey?: NoteVerifier): Promise<LogVerification> {
  const log = store.transparencyLog;
  const mismatches: Mismatch[] = [];
  const entries = await log.allEntries();
  // (PostgreSQL: an index reserved by a batch still in flight is a hole for the moment, not a removal)
  const reserved = new Set(await store.reservedLogIndexes?.() ?? []);
  const at = new Map<number, (typeof entries)[number]>();
  let expected = 0;
  for (const e of entries) {
    at.set(e.index, e);
    const subject = `log entry ${e.index}`;
    while (expected < e.index && reserved.has(expected)) expected++;
    if (e.index !== expected) mismatches.push({ subject, object: "index", message: `entries are not contiguous: expected index ${expected}` });
    expected = e.index + 1;
    if (!leafHash(e.entry).equals(e.leafHash)) mismatches.push({ subject, object: "entry", message: "the entry does not hash to its stored leaf hash" });
    const receipt = await store.getReceipt(e.submissionId);
    if (receipt === null) mismatches.push({ subject, object: "submission", message: `the entry's submission ${e.submissionId} is not in the archive` });
    else if (!Buffer.from(receipt, "utf8").equals(e.entry)) mismatches.push({ subject: `submission ${e.submissionId}`, object: "receipt", message: `the archived receipt differs from its log entry ${e.index}` });
  }
  for (const id of await store.submissionIds()) {
    const receipt = await store.getReceipt(id);
    const claimed = receipt ? readReceipt(receipt)?.log : null;
    if (!claimed) continue;
    const e = at.get(claimed.index);
    if (!e || e.submissionId !== id) mismatches.push({ subject: `submission ${id}`, object: "receipt", message: `the receipt names log index ${claimed.index}, which is ${e ? `submission ${e.submissionId}'s entry` : "not in the log"}` });
  }

  // recompute the tree, stopping at every checkpointed size to compare roots
  const checkpoints = await log.checkpoints();
  const tiles = new Tiles();
  let size = 0;
  let latest = 0;
  for (const c of checkpoints) {
    const subject = `checkpoint ${c.size}`;
    let cp;
    try {
      cp = logKey ? openCheckpoint(c.note, logKey) : parseCheckpointText(parseNote(c.note).text);
    } catch (e) {
      mismatches.push({ subject, object: "signature", message: (e as Error).message });
      continue;
    }
    if (cp.size !== c.size) mismatches.push({ subject, object: "size", message: `the note says size ${cp.size}` });
    if (cp.size > entries.length) {
      mismatches.push({ subject, object: "size", message: `the checkpoint covers ${cp.size} entries; the log holds ${entries.length}` });
      continue;
    }
    const grown = await integrate(size, entries.slice(size, cp.size).map((e) => e.leafHash), tiles);
    for (const t of grown.tiles) tiles.rows.set(`${t.level}/${t.index}`, t);
    size = cp.size;
    latest = cp.size;
    if (!grown.root.equals(cp.root)) mismatches.push({ subject, object: "root", message: "the checkpoint's root is not the root of the entries it covers: the log was rewritten" });
  }
  for (const t of tiles.rows.values()) {
    const width = t.hashes.length / 32;
    let stored: Uint8Array | null = null;
    try {
      stored = await log.readTile(t.level, t.index, width);
    } catch {
      /* missing: reported below */
    }
    if (!stored || !Buffer.from(stored).equals(t.hashes)) mismatches.push({ subject: `tile ${t.level}/${t.index}`, object: "hashes", message: stored ? "the stored tile differs from the one recomputed from the entries" : "the tile is missing" });
  }
  return { ok: mismatches.length === 0, entries: entries.length, size: latest, checkpoints: checkpoints.length, signaturesChecked: !!logKey, mismatches };
}
