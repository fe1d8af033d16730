/**
 * Where a TSA takes its serial numbers from (RFC 3161 §2.4.2: unique for each token of the TSA):
 * the port the TSA core calls. The durable, file-backed source is an adapter (io/tsa-serial.ts).
 */
export interface SerialSource {
  next(): bigint;
  close(): void;
}

/** In-memory serials for tests and benchmarks: unique within the process only. */
export function memorySerialSource(start = 1n): SerialSource {
  let n = start;
  return { next: () => n++, close: () => undefined };
}
