/**
 * Issue 15: the request log (createLogger with sync: false) writes the lines of many requests in
 * one write, not one write each — and loses none: every line is there after the flush.
 */
import fs from "node:fs";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/http/config.js";

const dir = mkdtempSync(join(tmpdir(), "podpis-log-batch-"));
afterEach(() => vi.restoreAllMocks());

describe("the request log", () => {
  it("gathers the lines of many requests into few writes, and flushes every one", async () => {
    const file = join(dir, "log");
    const fd = openSync(file, "w");
    const writes = vi.spyOn(fs, "write");
    const log = createLogger("info", { sync: false, fd });
    const N = 200;
    for (let i = 0; i < N; i++) {
      // as a request does: its line, then the event loop turns (the last write has time to finish)
      log.info({ reqId: `r${i}`, method: "POST", route: "/api/v1/verify", path: "/api/v1/verify", status: 200, ms: 1.2, bytesIn: 10271, key: "bench" }, "request");
      await new Promise((r) => setImmediate(r));
    }
    await new Promise<void>((r) => log.flush(() => r()));
    const mine = writes.mock.calls.filter((c) => c[0] === fd).length;
    // ~220 bytes a line, 8 KB a batch: a handful of writes (one a line before issue 15)
    expect(mine).toBeGreaterThan(0);
    expect(mine).toBeLessThanOrEqual(N / 10);
    // end the writer (it closes the descriptor and its periodic flush with it)
    const stream = (log as unknown as Record<symbol, NodeJS.EventEmitter & { end(): void }>)[pino.symbols.streamSym]!;
    await new Promise((r) => {
      stream.once("close", r);
      stream.end();
    });
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reqId: string });
    expect(lines.map((l) => l.reqId)).toEqual(Array.from({ length: N }, (_, i) => `r${i}`));
    rmSync(dir, { recursive: true, force: true });
  });
});
