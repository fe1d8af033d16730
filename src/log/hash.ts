/** RFC 6962 §2.1 (= RFC 9162 §2.1.1) Merkle Tree hashing with SHA-256: leaves 0x00 ‖ entry, nodes 0x01 ‖ left ‖ right. */
import { createHash } from "node:crypto";

export const HASH_SIZE = 32;

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const leafHash = (entry: Uint8Array): Buffer => createHash("sha256").update(LEAF).update(entry).digest();

export const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => createHash("sha256").update(NODE).update(left).update(right).digest();

/** MTH({}) = SHA-256() — the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

/** The largest power of two smaller than n (n > 1): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;

/** MTH over hashes that are already the leaves of this (sub)tree: the RFC's recursion, in memory. */
export function merkleRoot(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return Buffer.from(hashes[0]!);
  const k = splitPoint(hashes.length);
  return nodeHash(merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k)));
}
