/**
 * Issue 10.1 / 11.1: a multipart body that ends inside a part, or a client that goes away
 * mid-body, against the real service (2 workers): every keyed upload route answers 400 with a
 * reason, no worker dies (the same PIDs serve before and after, the primary restarted none), and
 * an honest request sent at the same time is answered as usual.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, createKey, rawRequest, startServe, tempData } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const ROUTES: Array<[path: string, part: string]> = [
  ["/api/v1/verify", "signature"],
  ["/api/v1/submissions", "signature"],
  ["/api/v1/signing/prepare", "document"],
  ["/api/v1/signing/complete", "document"],
];

let s: ServeProcess;
let key: string;
const data = tempData();

beforeAll(async () => {
  key = await createKey(data.dir, ["verify", "submit", "audit"]);
  s = await startServe(data.dir, ["--clock", AT, "--workers", "2"]);
}, 90_000);

afterAll(async () => {
  await s?.stop();
  data.remove();
});

/** headers for a body of `length` bytes, multipart with boundary XYZ */
const head = (path: string, length: number): string =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

const truncated = (part: string): Buffer => Buffer.from(`--XYZ\r\nContent-Disposition: form-data; name="${part}"; filename="a"\r\n\r\nabc`);

const honestVerify = async (): Promise<string> => {
  const r = await fetch(`${s.base}/api/v1/verify`, { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: fx("cades/rsa2048-cades-attached.p7m") });
  expect(r.status).toBe(200);
  return ((await r.json()) as { indication: string }).indication;
};

describe("truncated multipart bodies", () => {
  it("answer 400 with a reason on every upload route, and no worker dies", async () => {
    const before = s.workers();
    expect(before.length).toBe(2);
    for (const [path, part] of ROUTES) {
      // four each: the primary hands connections round robin, so both workers get some
      for (let i = 0; i < 4; i++) {
        const body = truncated(part);
        const [r, indication] = await Promise.all([rawRequest(s.port, head(path, body.length), body), honestVerify()]);
        expect(r.status, `${path}: ${r.text}`).toBe(400);
        const p = JSON.parse(r.text) as { code: string; detail: string };
        expect(p.code).toBe("BAD_REQUEST");
        expect(p.detail).toMatch(/Unexpected end of (form|file)|malformed multipart/);
        expect(indication).toBe("TOTAL_PASSED");
      }
    }
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    expect(s.workers()).toEqual(before);
    expect(s.stderr()).not.toMatch(/worker \d+ ended/);
  }, 120_000);

  it("survive a client that disconnects inside a part", async () => {
    const before = s.workers();
    for (const [path, part] of ROUTES) {
      for (let i = 0; i < 4; i++) {
        await new Promise<void>((done) => {
          const c = connect(s.port, "127.0.0.1", () => {
            c.write(head(path, 10_000));
            c.write(truncated(part), () => setTimeout(() => (c.destroy(), done()), 50));
          });
          c.on("error", () => done());
        });
      }
    }
    expect(await honestVerify()).toBe("TOTAL_PASSED");
    expect(s.workers()).toEqual(before);
    expect(s.stderr()).not.toMatch(/worker \d+ ended/);
  }, 120_000);
});
