/**
 * The facts about one use of an algorithm that the cryptographic constraints (EN 319 102-1
 * §5.2.8) are checked against: a digest, or a signature scheme with its key's type and size.
 * Readers of signatures, tokens and paths report these; validation/policy.ts judges them.
 */
import type { KeyObject } from "node:crypto";
import type { SignatureScheme } from "./algorithms.js";
import { type Certificate, publicKeyOf } from "./certificate.js";

const CURVE_NAMES: Record<string, string> = {
  prime256v1: "P-256",
  secp256r1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
  "P-256": "P-256",
  "P-384": "P-384",
  "P-521": "P-521",
};

export interface PublicKeyInfo {
  /** rsa, rsa-pss, ec, dsa, ed25519, ed448 */
  type: string;
  bits: number;
  curve: string | null;
}

/** Key type, size and curve, as the policy looks at them. */
export function publicKeyInfo(key: KeyObject): PublicKeyInfo {
  const type = key.asymmetricKeyType ?? "unknown";
  const d = key.asymmetricKeyDetails ?? {};
  if (type === "ed25519") return { type, bits: 256, curve: "Ed25519" };
  if (type === "ed448") return { type, bits: 456, curve: "Ed448" };
  if (type === "ec") {
    const curve = d.namedCurve ? (CURVE_NAMES[d.namedCurve] ?? d.namedCurve) : null;
    const m = curve ? /(\d{3})/.exec(curve) : null;
    return { type, bits: m ? Number(m[1]) : 0, curve };
  }
  return { type, bits: d.modulusLength ?? 0, curve: null };
}

/** Key facts of a certificate's public key; null when Node cannot import the key. */
export function certificateKeyInfo(cert: Certificate): PublicKeyInfo | null {
  try {
    return publicKeyInfo(publicKeyOf(cert));
  } catch {
    return null;
  }
}

/** One use of an algorithm to check: a digest, or a signature scheme with its key. */
export type AlgorithmUse =
  | { kind: "digest"; digest: string; what: string }
  | { kind: "signature"; scheme: SignatureScheme; digest: string | null; key: PublicKeyInfo; what: string };
