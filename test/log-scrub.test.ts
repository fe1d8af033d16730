// The service's logger masks any ten-digit run (an EGN) in a log message (src/http/config.ts
// createLogger). Issue 15 made the hook copy its arguments only when a message needs masking;
// these fail if that shortcut ever lets an EGN through or changes a line that needs none.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/http/config.js";

function capture() {
  const lines: string[] = [];
  const dest = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
  return { log: createLogger("info", { dest }), lines: () => lines.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("the service logger's EGN mask", () => {
  it("masks a ten-digit run in the message, with or without an object before it", () => {
    const { log, lines } = capture();
    log.info("citizen 8503154023 asked");
    log.info({ reqId: "r1" }, "looked up 8503154023 and 7501010010");
    log.warn({ reqId: "r2" }, "%s failed", "8503154023");
    const [a, b, c] = lines();
    expect(a!.msg).toBe("citizen [redacted] asked");
    expect(b!.msg).toBe("looked up [redacted] and [redacted]");
    expect(b!.reqId).toBe("r1");
    expect(c!.msg).toBe("[redacted] failed");
    expect(JSON.stringify(lines())).not.toContain("8503154023");
  });

  it("leaves a line with nothing to mask as it was (the request log's fast path)", () => {
    const { log, lines } = capture();
    log.info({ reqId: "r3", route: "/api/v1/verify", status: 200, ms: 1.5 }, "request");
    log.info("nine digits 123456789 stay");
    const [a, b] = lines();
    expect(a).toMatchObject({ reqId: "r3", route: "/api/v1/verify", status: 200, ms: 1.5, msg: "request", level: "info" });
    expect(b!.msg).toBe("nine digits 123456789 stay");
  });
});
