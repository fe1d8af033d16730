/**
 * `podpis log verify` (issue 16): proves a receipt is in the service's transparency log, or that
 * the log only grew since a checkpoint the auditor kept — from the signed checkpoint and the
 * tiles, computed and verified here (RFC 9162 §2.1.3.2 and §2.1.4.2), or offline from a C2SP
 * tlog-proof. Exit 0 proven; 2 not in the log, altered, or not append-only; 1 the log could not
 * be read; 64 usage.
 */
import { readInput } from "../io/files.js";
import { writeFileAtomically } from "../io/atomic-file.js";
import { HttpLog, LogFetchError } from "../io/tlog-client.js";
import { type Checkpoint, LogError, type NoteVerifier, TreeHashes, leafHash, openCheckpoint, parseTlogProof, parseVerifierKey, verifyConsistency, verifyInclusion } from "../log/index.js";
import { readReceipt } from "../receipt/check.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { type Output, json } from "./output.js";

const FLAGS = { log: { value: true }, key: { value: true }, checkpoint: { value: true }, "save-checkpoint": { value: true }, proof: { value: true }, json: {}, help: {} };
export const LOG_FLAGS: Readonly<Record<string, object>> = FLAGS;

export const LOG_HELP = `use: podpis log verify [RECEIPT.xml] --key VKEY-FILE (--log URL | --proof FILE) [--checkpoint OLD] [--save-checkpoint FILE] [--json]
  RECEIPT --log URL        proves the receipt's inclusion from the log's checkpoint and tiles (URL: https://host/api/v1/log)
  RECEIPT --proof FILE     the same from a C2SP tlog-proof (GET /api/v1/submissions/{id}/log-proof), offline
  --checkpoint OLD         proves the log only grew since OLD, a checkpoint you kept
  --save-checkpoint FILE   keeps the newest checkpoint (verified) for next time
VKEY-FILE holds the log's verifier key (GET /api/v1/log/key). Exit 0 proven, 2 not in the log, altered or
not append-only, 1 the log could not be read, 64 usage.`;

interface Result {
  origin: string;
  treeSize: number;
  cosignatures: number;
  receipt?: { index: number; included: true };
  consistentWith?: { size: number };
}

function receiptIndex(bytes: Buffer, key: NoteVerifier): number {
  const fields = readReceipt(bytes);
  if (!fields) throw new LogError("LOG_MALFORMED", "the file is not a podpis receipt");
  if (!fields.log) throw new LogError("LOG_MALFORMED", "the receipt names no transparency-log index (issued before the log, or altered)");
  if (fields.log.origin !== key.name) throw new LogError("LOG_MALFORMED", `the receipt is in log "${fields.log.origin}", the key is of log "${key.name}"`);
  return fields.log.index;
}

function render(r: Result): string {
  const L: string[] = [];
  const cos = r.cosignatures ? `, ${r.cosignatures} witness cosignature(s)` : "";
  if (r.receipt) L.push(`the receipt is in the public log ${r.origin} at index ${r.receipt.index} (checkpoint of ${r.treeSize} entries, signature verified${cos})`);
  if (r.consistentWith) L.push(`the log ${r.origin} grew append-only from ${r.consistentWith.size} to ${r.treeSize} entries`);
  if (!r.receipt && !r.consistentWith) L.push(`checkpoint of ${r.origin} verified: ${r.treeSize} entries${cos}`);
  return L.join("\n") + "\n";
}

export async function logCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help")) {
    out.stdout(LOG_HELP + "\n");
    return 0;
  }
  if (sub !== "verify") throw new UsageError(sub ? `unknown log command "${sub}"\n${LOG_HELP}` : LOG_HELP);
  const a = parseArgs(rest, FLAGS);
  if (a.positionals.length > 1) throw new UsageError(`unexpected argument ${a.positionals[1]}`);
  const keyFile = one(a, "key");
  if (!keyFile) throw new UsageError("--key VKEY-FILE is required (the log's verifier key, GET /api/v1/log/key)");
  const url = one(a, "log");
  const proofFile = one(a, "proof");
  if (!url && !proofFile) throw new UsageError("give --log URL (online) or --proof FILE (offline)");
  if (proofFile && !a.positionals[0]) throw new UsageError("--proof needs the RECEIPT it proves");
  if (!url && (has(a, "checkpoint") || has(a, "save-checkpoint"))) throw new UsageError("--checkpoint and --save-checkpoint need --log URL");
  if (url && !a.positionals[0] && !has(a, "checkpoint") && !has(a, "save-checkpoint")) throw new UsageError("give a RECEIPT, --checkpoint OLD or --save-checkpoint FILE");
  const key = parseVerifierKey(readInput(keyFile, "verifier key (--key)").toString("utf8"));
  const receipt = a.positionals[0] ? readInput(a.positionals[0], "receipt") : null;
  const oldText = one(a, "checkpoint") ? readInput(one(a, "checkpoint")!, "kept checkpoint (--checkpoint)").toString("utf8") : null;

  let result: Result;
  try {
    result = proofFile ? offline(receipt!, readInput(proofFile, "tlog-proof (--proof)").toString("utf8"), key) : await online(new HttpLog(url!), key, receipt, oldText, one(a, "save-checkpoint"));
  } catch (e) {
    if (e instanceof LogFetchError) {
      out.stderr(`podpis log: the log cannot be read: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  out.stdout(has(a, "json") ? json(result) : render(result));
  return 0;
}

function offline(receipt: Buffer, proofText: string, key: NoteVerifier): Result {
  const index = receiptIndex(receipt, key);
  const p = parseTlogProof(proofText);
  if (p.index !== index) throw new LogError("LOG_PROOF_FAILED", `the proof is for index ${p.index}, the receipt is at index ${index}`);
  const cp = openCheckpoint(p.checkpoint, key);
  verifyInclusion(index, cp.size, leafHash(receipt), p.proof, cp.root);
  return { origin: cp.origin, treeSize: cp.size, cosignatures: countCosignatures(p.checkpoint), receipt: { index, included: true } };
}

/** signature lines other than the log's (they are not verified without the witnesses' keys) */
const countCosignatures = (note: string): number => note.slice(note.lastIndexOf("\n\n") + 2).split("\n").filter((l) => l.startsWith("\u2014 ")).length - 1;

async function online(log: HttpLog, key: NoteVerifier, receipt: Buffer | null, oldText: string | null, saveTo: string | undefined): Promise<Result> {
  const note = await log.checkpoint();
  const cp: Checkpoint = openCheckpoint(note, key);
  const tree = new TreeHashes(log, cp.size);
  const result: Result = { origin: cp.origin, treeSize: cp.size, cosignatures: countCosignatures(note) };
  if (oldText !== null) {
    const old = openCheckpoint(oldText, key);
    if (old.size > cp.size) throw new LogError("LOG_PROOF_FAILED", `the kept checkpoint has ${old.size} entries, the log now ${cp.size}: the log shrank`);
    verifyConsistency(old.size, cp.size, old.root, cp.root, await tree.consistencyProof(old.size));
    result.consistentWith = { size: old.size };
  }
  if (receipt) {
    const index = receiptIndex(receipt, key);
    if (index >= cp.size) throw new LogError("LOG_PROOF_FAILED", `the receipt's index ${index} is not in the log's checkpoint of ${cp.size} entries (not yet, or never, logged)`);
    verifyInclusion(index, cp.size, leafHash(receipt), await tree.inclusionProof(index), cp.root);
    result.receipt = { index, included: true };
  }
  if (saveTo) writeFileAtomically(saveTo, note);
  return result;
}
