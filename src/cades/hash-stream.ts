/**
 * Detached content hashed as a stream, in bounded memory: a 1 GB file beside a .p7s is read
 * once, through every digest the signature needs (and SHA-256 for the report).
 */
import { createHash, type Hash } from "node:crypto";
import { hashName } from "../pki/algorithms.js";
import { parseSignedData } from "../cms/signed-data.js";
import type { DetachedDigests } from "../cms/signer.js";

/** The digests a detached CAdES signature needs of its content (Node names), SHA-256 first. */
export function cadesDigestAlgorithms(signature: Uint8Array): string[] {
  const out = new Set<string>(["sha256"]);
  const sd = parseSignedData(signature);
  for (const si of sd.signerInfos) {
    try {
      out.add(hashName(si.digestAlgorithm.oid));
    } catch {
      // an unsupported digest is reported when the signature is verified
    }
  }
  return [...out];
}

/** Hashes a readable stream (or any async iterable of chunks) with each of `algorithms`. */
export async function hashStream(input: AsyncIterable<Uint8Array | string>, algorithms: readonly string[] = ["sha256"], name?: string): Promise<DetachedDigests> {
  const hashes: Array<[string, Hash]> = [...new Set(algorithms)].map((a) => [a, createHash(a)]);
  let size = 0;
  for await (const chunk of input) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    for (const [, h] of hashes) h.update(b);
  }
  const digests: Record<string, Uint8Array> = {};
  for (const [a, h] of hashes) digests[a] = h.digest();
  return { digests, size, ...(name !== undefined ? { name } : {}) };
}
