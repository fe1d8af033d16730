/**
 * OctetSink (src/xades/binary.ts) gathers c14n output piece by piece: short strings batched,
 * long ones and byte spans written at once. Whatever the mix, the digest and length must be
 * those of the pieces joined in order.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OctetSink } from "../src/xades/binary.js";

/** a seeded generator, so a failure repeats */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("OctetSink", () => {
  it("digests short, long and byte-span pieces in their order, across buffer growth and batch flushes", () => {
    const next = rng(20261202);
    const source = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff));
    for (let round = 0; round < 20; round++) {
      const sink = new OctetSink();
      const parts: Buffer[] = [];
      const pieces = 200 + Math.floor(next() * 800);
      for (let p = 0; p < pieces; p++) {
        const kind = next();
        if (kind < 0.6) {
          // short binary strings (tags, escapes): the batched path, including the 4096 flush edge
          const n = Math.floor(next() * 70);
          const s = Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 256))).join("");
          sink.write(s);
          parts.push(Buffer.from(s, "latin1"));
        } else if (kind < 0.75) {
          const n = 64 + Math.floor(next() * 9000);
          const s = Array.from({ length: n }, (_, i) => String.fromCharCode((i + p) & 0xff)).join("");
          sink.write(s);
          parts.push(Buffer.from(s, "latin1"));
        } else {
          const from = Math.floor(next() * 60_000);
          const to = from + Math.floor(next() * (next() < 0.5 ? 64 : 9000));
          sink.writeOctets(source, from, to);
          parts.push(source.subarray(from, to));
        }
      }
      const all = Buffer.concat(parts);
      expect(sink.length).toBe(all.length);
      expect(sink.digest("sha256").toString("hex")).toBe(createHash("sha256").update(all).digest("hex"));
    }
  });

  it("an empty sink digests the empty string", () => {
    expect(new OctetSink().digest("sha256").toString("hex")).toBe(createHash("sha256").update(Buffer.alloc(0)).digest("hex"));
  });
});
