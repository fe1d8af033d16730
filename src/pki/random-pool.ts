/**
 * Random octets drawn from a buffer the CSPRNG fills `perFill` draws at a time: one
 * randomFillSync call cost about 7 µs here, more than what the few octets of a TSA serial or an
 * XAdES Id suffix are used for (issue 15). The octets are as random as randomBytes'.
 */
import { randomFillSync } from "node:crypto";

/** A source of `octets` random octets per call, as a string in `encoding` (hex, or base64url for tokens). */
export function pooledRandom(octets: number, perFill: number, encoding: "hex" | "base64url" = "hex"): () => string {
  const pool = Buffer.alloc(octets * perFill);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    at += octets;
    return pool.toString(encoding, at - octets, at);
  };
}
