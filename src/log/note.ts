/**
 * C2SP signed-note with Ed25519 (signature type 0x01): the note text, a blank line, and lines
 * `— <key name> base64(key ID ‖ signature)`; key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
 * Verifier keys are `<name>+<key ID hex>+<base64(0x01 ‖ key)>`, signer keys (the Go ecosystem's
 * form) `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 ‖ seed)>`.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import { LogError } from "./errors.js";

export const SIG_ED25519 = 0x01;
/** tlog-cosignature: timestamped Ed25519 witness cosignatures */
export const SIG_COSIGNATURE_V1 = 0x04;
/** signed-note: verifiers MUST accept at least 16 signatures; more than this is refused */
export const MAX_SIGNATURES = 100;

const EM_DASH = "\u2014";
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash("sha256").update(name).update(Buffer.from([0x0a, type])).update(publicKey).digest().readUInt32BE(0);
}

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

/** Key names: non-empty, no Unicode spaces, no plus. */
export const validKeyName = (name: string): boolean => name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);

export interface NoteVerifier {
  name: string;
  id: number;
  type: number;
  publicKey: Buffer;
  /** checks one signature (without the 4-byte key ID) over the note text */
  verify(text: Buffer, signature: Buffer): boolean;
}

export interface NoteSigner {
  name: string;
  id: number;
  publicKey: Buffer;
  sign(text: Buffer): Buffer;
  /** `<name>+<id>+<base64(0x01 ‖ key)>` */
  verifierKey: string;
}

export const ed25519PublicKey = (raw: Uint8Array): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });

export function ed25519Verifier(name: string, publicKey: Uint8Array, type = SIG_ED25519): NoteVerifier {
  if (publicKey.length !== 32) throw new LogError("LOG_MALFORMED", "an Ed25519 public key is 32 bytes");
  const key = ed25519PublicKey(publicKey);
  const pub = Buffer.from(publicKey);
  return { name, id: keyId(name, type, pub), type, publicKey: pub, verify: (text, sig) => sig.length === 64 && verify(null, text, key, sig) };
}

/** Parses `<name>+<key ID hex>+<base64(type ‖ key)>` (Ed25519 only); the key ID must match. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const s = vkey.trim();
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(s);
  if (!m || !validKeyName(m[1]!)) throw new LogError("LOG_MALFORMED", "not a verifier key: expected <name>+<8 hex digits>+<base64 key>");
  const raw = Buffer.from(m[3]!, "base64");
  if (raw.toString("base64") !== m[3]) throw new LogError("LOG_MALFORMED", "the verifier key's base64 is not canonical");
  if (raw[0] !== SIG_ED25519 || raw.length !== 33) throw new LogError("LOG_MALFORMED", "the verifier key is not an Ed25519 key (type 0x01, 32 bytes)");
  const v = ed25519Verifier(m[1]!, raw.subarray(1));
  if (hex8(v.id) !== m[2]) throw new LogError("LOG_MALFORMED", `the verifier key's ID ${m[2]} does not match its name and key (${hex8(v.id)})`);
  return v;
}

export function ed25519Signer(name: string, seed: Uint8Array): NoteSigner {
  if (!validKeyName(name)) throw new LogError("LOG_MALFORMED", `not a key name: "${name}" (non-empty, no spaces, no "+")`);
  if (seed.length !== 32) throw new LogError("LOG_MALFORMED", "an Ed25519 private key (seed) is 32 bytes");
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  const publicKey = Buffer.from(createPublicKey(key).export({ format: "der", type: "spki" })).subarray(SPKI_ED25519.length);
  const id = keyId(name, SIG_ED25519, publicKey);
  return {
    name,
    id,
    publicKey,
    sign: (text) => sign(null, text, key),
    verifierKey: `${name}+${hex8(id)}+${Buffer.concat([Buffer.from([SIG_ED25519]), publicKey]).toString("base64")}`,
  };
}

/** `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>` */
export function parseSignerKey(skey: string): NoteSigner {
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(skey.trim());
  if (!m) throw new LogError("LOG_MALFORMED", "not a signer key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>");
  const raw = Buffer.from(m[3]!, "base64");
  if (raw[0] !== SIG_ED25519 || raw.length !== 33) throw new LogError("LOG_MALFORMED", "the signer key is not an Ed25519 key");
  const s = ed25519Signer(m[1]!, raw.subarray(1));
  if (hex8(s.id) !== m[2]) throw new LogError("LOG_MALFORMED", "the signer key's ID does not match its name and key");
  return s;
}

export function newSignerKey(name: string): string {
  const seed = randomBytes(32);
  const s = ed25519Signer(name, seed);
  return `PRIVATE+KEY+${name}+${hex8(s.id)}+${Buffer.concat([Buffer.from([SIG_ED25519]), seed]).toString("base64")}`;
}

export const signatureLine = (name: string, id: number, signature: Uint8Array): string => {
  const b = Buffer.alloc(4 + signature.length);
  b.writeUInt32BE(id >>> 0, 0);
  Buffer.from(signature).copy(b, 4);
  return `${EM_DASH} ${name} ${b.toString("base64")}\n`;
};

/** Signs `text` (ending in a newline): the note is text, a blank line, the signature line. */
export function signNote(text: string, signer: NoteSigner): string {
  checkText(text);
  return `${text}\n${signatureLine(signer.name, signer.id, signer.sign(Buffer.from(text, "utf8")))}`;
}

export interface NoteSignature {
  name: string;
  id: number;
  /** without the key ID */
  signature: Buffer;
  /** the line as it was, newline included */
  line: string;
}

function checkText(text: string): void {
  if (!text.endsWith("\n")) throw new LogError("LOG_MALFORMED", "a note's text ends with a newline");
  if (/[\x00-\x09\x0b-\x1f]/.test(text)) throw new LogError("LOG_MALFORMED", "a note may hold no control characters but newline");
}

/** Splits a note at its last blank line into text and signature lines (unverified). */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (/[\x00-\x09\x0b-\x1f]/.test(note)) throw new LogError("LOG_MALFORMED", "a note may hold no control characters but newline");
  if (!note.endsWith("\n")) throw new LogError("LOG_MALFORMED", "a note ends with a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new LogError("LOG_MALFORMED", "a note has a blank line between its text and its signatures");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new LogError("LOG_MALFORMED", `a note with more than ${MAX_SIGNATURES} signatures is refused`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m || !validKeyName(m[1]!)) throw new LogError("LOG_MALFORMED", `not a signature line: "${line.slice(0, 80)}"`);
    const b = Buffer.from(m[2]!, "base64");
    if (b.length < 5) throw new LogError("LOG_MALFORMED", "a signature is 4 bytes of key ID and the signature");
    return { name: m[1]!, id: b.readUInt32BE(0), signature: b.subarray(4), line: line + "\n" };
  });
  return { text, signatures };
}

/**
 * signed-note "Signatures": signatures by unknown keys are ignored; one by a known key that does
 * not verify rejects the note; at least one known key must have signed. Returns the text and the
 * verifiers whose signatures verified.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): { text: string; signatures: NoteSignature[]; verifiedBy: NoteVerifier[] } {
  const { text, signatures } = parseNote(note);
  const bytes = Buffer.from(text, "utf8");
  const verifiedBy: NoteVerifier[] = [];
  for (const s of signatures) {
    const v = verifiers.find((k) => k.name === s.name && k.id === s.id);
    if (!v) continue;
    if (!v.verify(bytes, s.signature)) throw new LogError("LOG_SIGNATURE_INVALID", `the signature by ${s.name} does not verify: the note was altered`);
    if (!verifiedBy.includes(v)) verifiedBy.push(v);
  }
  if (verifiedBy.length === 0) throw new LogError("LOG_SIGNATURE_INVALID", `no signature by a known key (${verifiers.map((v) => v.name).join(", ")})`);
  return { text, signatures, verifiedBy };
}
