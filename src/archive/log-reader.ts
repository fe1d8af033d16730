/**
 * Reading the transparency log for the routes and the receipt check: the served checkpoint (the
 * log's note with its witnesses' cosignatures), tlog-proof bundles, and whether a presented
 * receipt is provably in the log.
 */
import { type Checkpoint, TreeHashes, formatTlogProof, leafHash, parseCheckpointText, parseNote, verifyInclusion } from "../log/index.js";
import type { LogStore, StoredCheckpoint } from "./log-port.js";

/** The checkpoint as served: the signed note with the cosignature lines after the log's own. */
export const servedNote = (c: StoredCheckpoint): string => c.note + c.cosignatures;

export function checkpointOf(c: StoredCheckpoint): Checkpoint {
  return parseCheckpointText(parseNote(c.note).text);
}

export type LogProofResult = { ok: true; index: number; size: number; text: string } | { ok: false; reason: "not-logged" | "not-yet-checkpointed" };

/** C2SP tlog-proof of a submission's receipt in the latest checkpoint. */
export async function logProofFor(store: LogStore, submissionId: string): Promise<LogProofResult> {
  const e = await store.entryOf(submissionId);
  if (!e) return { ok: false, reason: "not-logged" };
  const latest = await store.latestCheckpoint();
  if (!latest) return { ok: false, reason: "not-yet-checkpointed" };
  const cp = checkpointOf(latest);
  if (cp.size <= e.index) return { ok: false, reason: "not-yet-checkpointed" };
  const proof = await new TreeHashes(store, cp.size).inclusionProof(e.index);
  return { ok: true, index: e.index, size: cp.size, text: formatTlogProof({ index: e.index, proof, checkpoint: servedNote(latest) }) };
}

/**
 * Is `entry` (a receipt's bytes exactly) the entry at `index` of the latest checkpoint? Proven
 * the way a client would: the inclusion proof from the tiles must lead to the checkpoint's root.
 */
export async function proveInLog(store: LogStore, index: number, entry: Uint8Array): Promise<{ index: number; treeSize: number } | null> {
  const latest = await store.latestCheckpoint();
  if (!latest) return null;
  const cp = checkpointOf(latest);
  if (index >= cp.size) return null;
  try {
    const proof = await new TreeHashes(store, cp.size).inclusionProof(index);
    verifyInclusion(index, cp.size, leafHash(entry), proof, cp.root);
    return { index, treeSize: cp.size };
  } catch {
    return null;
  }
}
