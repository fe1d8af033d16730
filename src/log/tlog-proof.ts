/**
 * C2SP tlog-proof: `c2sp.org/tlog-proof@v1`, an optional `extra` line, `index N`, the inclusion
 * proof (one base64 hash a line, leaf sibling first), a blank line, the checkpoint verbatim.
 */
import { LogError } from "./errors.js";
import { HASH_SIZE } from "./hash.js";

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface TlogProof {
  extra?: Buffer;
  index: number;
  proof: Buffer[];
  /** the checkpoint note, signatures and cosignatures included */
  checkpoint: string;
}

export function formatTlogProof(p: TlogProof): string {
  const L = [TLOG_PROOF_HEADER];
  if (p.extra) L.push(`extra ${p.extra.toString("base64")}`);
  L.push(`index ${p.index}`);
  for (const h of p.proof) L.push(h.toString("base64"));
  return L.join("\n") + "\n\n" + p.checkpoint;
}

export function parseTlogProof(text: string): TlogProof {
  const cut = text.indexOf("\n\n");
  if (cut < 0) throw new LogError("LOG_MALFORMED", "a tlog-proof has a blank line before its checkpoint");
  const lines = text.slice(0, cut).split("\n");
  if (lines.shift() !== TLOG_PROOF_HEADER) throw new LogError("LOG_MALFORMED", `a tlog-proof starts with "${TLOG_PROOF_HEADER}"`);
  let extra: Buffer | undefined;
  if (lines[0]?.startsWith("extra ")) extra = Buffer.from(lines.shift()!.slice(6), "base64");
  const m = /^index (0|[1-9]\d{0,15})$/.exec(lines.shift() ?? "");
  if (!m) throw new LogError("LOG_MALFORMED", "a tlog-proof names the entry's index (\"index N\")");
  const proof = lines.map((l) => {
    const h = Buffer.from(l, "base64");
    if (h.length !== HASH_SIZE || h.toString("base64") !== l) throw new LogError("LOG_MALFORMED", "a tlog-proof's proof lines are base64 SHA-256 hashes");
    return h;
  });
  return { ...(extra ? { extra } : {}), index: Number(m[1]), proof, checkpoint: text.slice(cut + 2) };
}
