/**
 * One interface for every place a private key lives: a PKCS#12 file (the key is decrypted into a
 * Node KeyObject) or a PKCS#11 token (the key never leaves it). CLI signing uses it now, the
 * service's receipt seal next.
 */
// The port the core signs through (cades/, xades/, timestamp/, receipt/) is defined in the core;
// the providers here implement it.
export { HASH_LENGTH, type KeyProvider, type SignInput, type SigningAlgorithm, type SigningHash, type SigningScheme } from "../pki/signing-key.js";
import type { KeyProvider, SigningScheme } from "../pki/signing-key.js";

export type KeyErrorCode =
  | "BAD_PASSWORD"
  | "NO_PRIVATE_KEY"
  | "NO_CERTIFICATE"
  | "KEY_CERTIFICATE_MISMATCH"
  | "BAD_KEY_FILE"
  | "UNSUPPORTED_KEY_ENCRYPTION"
  | "UNSUPPORTED_ALGORITHM"
  | "PKCS11_MODULE"
  | "TOKEN_NOT_FOUND"
  | "TOKEN_LOCKED"
  | "BAD_PIN"
  | "KEY_NOT_FOUND"
  | "BAD_PKCS11_URI"
  | "PKCS11_ERROR";

/** The keys layer's one error type; `code` is stable, the message is one line for a person. */
export class KeyError extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeyError";
  }
}

/** The signature scheme a key takes by default: PKCS#1 v1.5 for RSA (widest acceptance), ECDSA for EC. */
export function defaultScheme(p: KeyProvider): SigningScheme {
  return p.schemes[0]!;
}

/** X9.62 Ecdsa-Sig-Value (DER) from r || s. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  const half = raw.length / 2;
  const int = (b: Uint8Array): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02]), len(v.length), v]);
  };
  const len = (n: number): Buffer => Buffer.from(n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), len(body.length), body]);
}

/** r || s, each `size` octets, from a DER Ecdsa-Sig-Value. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Buffer {
  let p = 2;
  if (der[1]! & 0x80) p += der[1]! & 0x7f;
  const out = Buffer.alloc(size * 2);
  for (let k = 0; k < 2; k++) {
    if (der[p] !== 0x02) throw new KeyError("PKCS11_ERROR", "malformed ECDSA signature");
    const l = der[p + 1]!;
    let v = der.subarray(p + 2, p + 2 + l);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    out.set(v, k * size + (size - v.length));
    p += 2 + l;
  }
  return out;
}
