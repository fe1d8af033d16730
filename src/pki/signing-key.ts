/**
 * The signing port: one interface for every place a private key lives, a PKCS#12 file (the key is
 * decrypted into a Node KeyObject) or a PKCS#11 token (the key never leaves it). The core signs
 * through it (CAdES, XAdES, the TSA, the receipt seal); keys/ holds the implementations.
 */
export type SigningScheme = "rsa-pkcs1" | "rsa-pss" | "ecdsa";
export type SigningHash = "sha256" | "sha384" | "sha512";

export const HASH_LENGTH: Readonly<Record<SigningHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

export interface SigningAlgorithm {
  scheme: SigningScheme;
  hash: SigningHash;
  /**
   * ECDSA output: "der" (Ecdsa-Sig-Value, what CMS carries) or "raw" (r || s, what XMLDSig 1.1
   * §6.4.3 carries). Ignored for RSA.
   */
  ecdsaEncoding?: "der" | "raw";
}

/** The input of one signature: the bytes to be signed, or (when the caller already hashed them) their digest. */
export type SignInput = { data: Uint8Array } | { digest: Uint8Array };

export interface KeyProvider {
  /** the signer's certificate, DER */
  readonly certificate: Uint8Array;
  /** the signer's certificate first, then its issuers as far as known (DER) */
  readonly chain: readonly Uint8Array[];
  readonly keyType: "rsa" | "ec";
  /** RSA modulus bits, or the EC field size */
  readonly keyBits: number;
  /** what the key can do: an RSA key whose certificate says RSASSA-PSS can only do PSS */
  readonly schemes: readonly SigningScheme[];
  /**
   * One signature. RSA-PSS uses MGF1 with the same hash and a salt as long as the hash
   * (RFC 4055 / RFC 6931 defaults that EN 319 122-1 validators expect).
   */
  sign(input: SignInput, alg: SigningAlgorithm): Promise<Uint8Array>;
  /** releases the session / key material */
  close(): Promise<void>;
}
