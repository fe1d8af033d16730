/**
 * Where a TSA takes its serial numbers from (RFC 3161 §2.4.2: unique for each token of the TSA):
 * the port the TSA core calls. The durable, file-backed source is an adapter (io/tsa-serial.ts).
 */
import { pooledRandom } from "../pki/random-pool.js";

export interface SerialSource {
  next(): bigint;
  close(): void;
}

/** In-memory serials for tests and benchmarks: unique within the process only. */
export function memorySerialSource(start = 1n): SerialSource {
  let n = start;
  return { next: () => n++, close: () => undefined };
}

/**
 * Random serials, unique across processes and restarts without shared state: 120 random bits
 * (odd, so never zero), as `BigInt(randomBytes(15)) | 1n` — drawn from a pool the CSPRNG fills
 * 256 serials at a time (pki/random-pool.ts).
 */
export function randomSerialSource(): SerialSource {
  const draw = pooledRandom(15, 256);
  return { next: () => BigInt("0x" + draw()) | 1n, close: () => undefined };
}
