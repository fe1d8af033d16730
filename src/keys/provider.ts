/**
 * One interface for every place a private key lives: a PKCS#12 file (the key is decrypted into a
 * Node KeyObject) or a PKCS#11 token (the key never leaves it). CLI signing uses it now, the
 * service's receipt seal next.
 */
// The port the core signs through (cades/, xades/, timestamp/, receipt/) is defined in the core;
// the providers here implement it.
export { HASH_LENGTH, type KeyProvider, type SignInput, type SigningAlgorithm, type SigningHash, type SigningScheme } from "../pki/signing-key.js";
import type { KeyProvider, SigningScheme } from "../pki/signing-key.js";

export { KeyError, type KeyErrorCode } from "./errors.js";

/** The signature scheme a key takes by default: PKCS#1 v1.5 for RSA (widest acceptance), ECDSA for EC. */
export function defaultScheme(p: KeyProvider): SigningScheme {
  return p.schemes[0]!;
}

// One ECDSA raw ⇄ DER conversion, the checked one: two-step signing hands client-supplied values to it.
export { ecdsaDerToRaw, ecdsaRawToDer } from "../pki/ecdsa.js";
