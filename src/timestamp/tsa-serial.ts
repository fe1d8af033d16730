/**
 * Where a TSA takes its serial numbers from (RFC 3161 §2.4.2: unique for each token of the TSA):
 * the port the TSA core calls. The durable, file-backed source is an adapter (io/tsa-serial.ts).
 */
import { randomFillSync } from "node:crypto";

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
 * (odd, so never zero), as `BigInt(randomBytes(15)) | 1n` — drawn from a buffer filled by the
 * CSPRNG 256 serials at a time (one randomFillSync per token cost more than the token's SHA-256s, issue 15).
 */
export function randomSerialSource(): SerialSource {
  const SIZE = 15;
  const pool = Buffer.alloc(SIZE * 256);
  let at = pool.length;
  return {
    next: () => {
      if (at === pool.length) {
        randomFillSync(pool);
        at = 0;
      }
      const hex = pool.toString("hex", at, at + SIZE);
      at += SIZE;
      return BigInt("0x" + hex) | 1n;
    },
    close: () => undefined,
  };
}
