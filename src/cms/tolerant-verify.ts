/**
 * Two encodings other producers sign that a strict verifier refuses, though the signer's intent
 * is unambiguous and no forgery gets easier:
 *
 * - signed attributes stored in another order than DER's (X.690 §11.6: a SET OF is sorted by
 *   its elements' encodings). RFC 5652 §5.4 signs the DER encoding, so a signer that sorted
 *   before signing and then wrote the attributes unsorted made a valid signature over the same
 *   set; BouncyCastle re-encodes and accepts it.
 * - a PKCS#1 v1.5 DigestInfo whose hash AlgorithmIdentifier has its parameters absent instead of
 *   NULL. RFC 8017 §9.2 note 1 names NULL, but RFC 4055 §2.1 lets SHA-2 identifiers omit the
 *   parameters and many signers do; the decoded block is compared whole, so only that one other
 *   encoding is accepted.
 */
import { type KeyObject, constants, createHash, publicDecrypt, timingSafeEqual } from "node:crypto";
import { bytesOf, children, readRoot } from "../asn1/der.js";
import { HASH_OIDS, type SignatureAlgorithm, verifySignature } from "../pki/algorithms.js";
import { octetString, oid, sequence, tlv } from "../asn1/writer.js";

export type Tolerance = "strict" | "der-sorted-attributes" | "digest-info-without-null";

const OID_OF_HASH: Record<string, string> = Object.fromEntries(Object.entries(HASH_OIDS).map(([o, h]) => [h, o]));

/** The signed attributes (a SET, tag 0x31) with their elements in DER order; null when they already are, or do not parse. */
export function derSortedAttributes(signedAttrsDer: Uint8Array): Uint8Array | null {
  try {
    const root = readRoot(signedAttrsDer, { ber: true, maxDepth: 64 });
    const parts = children(signedAttrsDer, root, { ber: true, maxDepth: 64 }).map((n) => Buffer.from(bytesOf(signedAttrsDer, n)));
    const sorted = [...parts].sort(Buffer.compare);
    if (sorted.every((p, i) => p === parts[i])) return null;
    return tlv(0x31, Buffer.concat(sorted));
  } catch {
    return null;
  }
}

function digestInfoWithoutNull(hash: string, data: Uint8Array): Buffer | null {
  const o = OID_OF_HASH[hash];
  if (!o) return null;
  return sequence(sequence(oid(o)), octetString(createHash(hash).update(data).digest()));
}

function pkcs1WithoutNull(alg: SignatureAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (alg.scheme !== "rsa-pkcs1" || !alg.hash || key.asymmetricKeyType !== "rsa") return false;
  const expected = digestInfoWithoutNull(alg.hash, data);
  if (!expected) return false;
  let block: Buffer;
  try {
    block = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return block.length === expected.length && timingSafeEqual(block, expected);
}

/**
 * Verifies `signature` over the signed attributes as stored; failing that, over their DER
 * encoding, and (RSA PKCS#1 v1.5) with a DigestInfo without NULL parameters. Says which passed.
 */
export function verifySignedAttributes(alg: SignatureAlgorithm, key: KeyObject, signedAttrsDer: Uint8Array, signature: Uint8Array): Tolerance | null {
  if (verifySignature(alg, key, signedAttrsDer, signature)) return "strict";
  const sorted = derSortedAttributes(signedAttrsDer);
  if (sorted && verifySignature(alg, key, sorted, signature)) return "der-sorted-attributes";
  if (pkcs1WithoutNull(alg, key, signedAttrsDer, signature)) return "digest-info-without-null";
  if (sorted && pkcs1WithoutNull(alg, key, sorted, signature)) return "digest-info-without-null";
  return null;
}
