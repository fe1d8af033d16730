/** C2SP tlog-checkpoint: the note text `<origin>\n<tree size>\n<base64 root>\n[extension lines]`. */
import { LogError } from "./errors.js";
import { HASH_SIZE } from "./hash.js";
import { type NoteSigner, type NoteVerifier, openNote, signNote } from "./note.js";

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export const checkpointText = (c: Checkpoint): string => `${c.origin}\n${c.size}\n${c.root.toString("base64")}\n`;

export function signCheckpoint(c: Checkpoint, signer: NoteSigner): string {
  return signNote(checkpointText(c), signer);
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split("\n");
  // text ends in "\n": the last element is empty
  if (lines.length < 4 || lines.pop() !== "") throw new LogError("LOG_MALFORMED", "a checkpoint has an origin, a size and a root line");
  const [origin, size, root, ...ext] = lines as [string, string, string, ...string[]];
  if (!origin) throw new LogError("LOG_MALFORMED", "the checkpoint's origin is empty");
  if (!/^(0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) throw new LogError("LOG_MALFORMED", `the checkpoint's tree size is not a decimal number: "${size.slice(0, 20)}"`);
  const r = Buffer.from(root, "base64");
  if (r.length !== HASH_SIZE || r.toString("base64") !== root) throw new LogError("LOG_MALFORMED", "the checkpoint's root is not a base64 SHA-256 hash");
  if (ext.some((l) => l === "")) throw new LogError("LOG_MALFORMED", "a checkpoint's extension lines are non-empty");
  return { origin, size: Number(size), root: r };
}

/** Verifies the note against the log's key and reads it; the origin must be the one expected (the key's name by default). */
export function openCheckpoint(note: string, logKey: NoteVerifier, others: readonly NoteVerifier[] = [], origin = logKey.name): Checkpoint & { note: string; cosignedBy: NoteVerifier[] } {
  const opened = openNote(note, [logKey, ...others]);
  if (!opened.verifiedBy.includes(logKey)) throw new LogError("LOG_SIGNATURE_INVALID", `the checkpoint is not signed by the log key ${logKey.name}`);
  const c = parseCheckpointText(opened.text);
  if (c.origin !== origin) throw new LogError("LOG_MALFORMED", `the checkpoint is of log "${c.origin}", not "${origin}"`);
  return { ...c, note, cosignedBy: opened.verifiedBy.filter((v) => v !== logKey) };
}
