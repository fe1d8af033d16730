/**
 * C2SP tlog-witness add-checkpoint (the request body: `old N`, the consistency proof, a blank
 * line, the checkpoint) and tlog-cosignature v1 (Ed25519, type 0x04): the signature is
 * u64 timestamp ‖ Ed25519 over "cosignature/v1\ntime <t>\n" ‖ the checkpoint text.
 */
import { verify } from "node:crypto";
import { LogError } from "./errors.js";
import { SIG_COSIGNATURE_V1, type NoteVerifier, ed25519PublicKey, keyId, parseNote } from "./note.js";

export function addCheckpointBody(oldSize: number, proof: readonly Buffer[], checkpoint: string): string {
  return `old ${oldSize}\n${proof.map((h) => h.toString("base64") + "\n").join("")}\n${checkpoint}`;
}

/** The message a v1 cosignature signs. */
export const cosignedMessage = (text: string, timestamp: bigint): Buffer => Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, "utf8");

/** A witness's key as a note verifier of its cosignatures. */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (publicKey.length !== 32) throw new LogError("LOG_MALFORMED", "an Ed25519 public key is 32 bytes");
  const key = ed25519PublicKey(publicKey);
  const pub = Buffer.from(publicKey);
  return {
    name,
    id: keyId(name, SIG_COSIGNATURE_V1, pub),
    type: SIG_COSIGNATURE_V1,
    publicKey: pub,
    verify(text, sig) {
      if (sig.length !== 72) return false;
      const t = sig.readBigUInt64BE(0);
      if (t > 2n ** 63n - 1n) return false;
      return verify(null, cosignedMessage(text.toString("utf8"), t), key, sig.subarray(8));
    },
  };
}

/** A witness's verifier key `<name>+<id>+<base64(0x04 ‖ key)>`. */
export function parseWitnessKey(vkey: string): NoteVerifier {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(vkey.trim());
  if (!m) throw new LogError("LOG_MALFORMED", "not a witness key: expected <name>+<8 hex digits>+<base64(0x04 ‖ key)>");
  const raw = Buffer.from(m[3]!, "base64");
  if (raw[0] !== SIG_COSIGNATURE_V1 || raw.length !== 33) throw new LogError("LOG_MALFORMED", "the witness key is not an Ed25519 cosignature key (type 0x04)");
  const v = cosignatureVerifier(m[1]!, raw.subarray(1));
  if (v.id.toString(16).padStart(8, "0") !== m[2]) throw new LogError("LOG_MALFORMED", "the witness key's ID does not match its name and key");
  return v;
}

/**
 * The signature lines of a witness's 200 answer that verify for this witness over `text`
 * (tlog-witness: "The client MUST ignore any cosignatures from unknown keys").
 */
export function acceptCosignatures(text: string, answer: string, witness: NoteVerifier): string[] {
  if (!answer.endsWith("\n") || !answer.startsWith("\u2014 ")) throw new LogError("LOG_MALFORMED", "a witness answers with note signature lines");
  const { signatures } = parseNote(`x\n\n${answer}`);
  const bytes = Buffer.from(text, "utf8");
  const ok: string[] = [];
  for (const s of signatures) {
    if (s.name !== witness.name || s.id !== witness.id) continue;
    if (!witness.verify(bytes, s.signature)) throw new LogError("LOG_SIGNATURE_INVALID", `the cosignature by ${witness.name} does not verify`);
    ok.push(s.line);
  }
  return ok;
}
