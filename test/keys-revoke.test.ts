/**
 * Issues 10.8 and 11.9: keys list / revoke / rotate, and a revoked key refused at once by every
 * worker of a real 2-worker server (the authentication cache once kept it alive for 30 s).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keysCommand } from "../src/cli/keys.js";
import { type ServeProcess, startServe } from "./helpers/serve-process.js";
import { type Captured, capture } from "./helpers/cli-capture.js";

const AT = "2026-06-01T00:00:00Z";
const body = readFileSync("fixtures/cades/rsa2048-cades-attached.p7m");
const data = mkdtempSync(join(tmpdir(), "podpis-keys-"));
let server: ServeProcess;

const keys = (...args: string[]): Promise<Captured> => capture((io) => keysCommand([...args, "--data", data], io));

const create = async (name: string): Promise<string> => JSON.parse((await keys("create", "--name", name, "--scope", "verify", "--json")).out).key as string;

/** status codes of n requests on fresh connections, so both workers answer some of them */
async function statuses(key: string, n = 8): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${server.base}/api/v1/verify`, { method: "POST", body, headers: { Authorization: `Bearer ${key}`, Connection: "close" } });
    await r.arrayBuffer();
    out.push(r.status);
  }
  return out;
}

beforeAll(async () => {
  await create("bootstrap");
  server = await startServe(data, ["--clock", AT, "--workers", "2"]);
});
afterAll(async () => {
  await server?.stop();
  rmSync(data, { recursive: true, force: true });
});

describe("API key management on a running 2-worker service", () => {
  it("refuses a revoked key at once on every worker", async () => {
    const key = await create("portal");
    expect(await statuses(key)).toEqual(Array(8).fill(200)); // now both workers have seen (and once cached) it
    expect((await keys("revoke", "--name", "portal")).code).toBe(0);
    expect(await statuses(key)).toEqual(Array(8).fill(401));
    expect((await keys("revoke", "--name", "nobody")).code).toBe(2);
  });

  it("rotates: both secrets work within the grace period, only the new one after it", async () => {
    const old = await create("rotating");
    expect(await statuses(old, 2)).toEqual([200, 200]);
    const r = await keys("rotate", "--name", "rotating", "--grace", "12s", "--json");
    expect(r.code).toBe(0);
    const rotated = JSON.parse(r.out) as { key: string; previousSecretValidUntil: string };
    expect(rotated.key).not.toBe(old);
    expect(rotated.key.split("_")[1]).toBe(old.split("_")[1]); // same key id: logs and last use carry on
    expect(await statuses(old, 4)).toEqual(Array(4).fill(200)); // first: the grace period is running
    expect(await statuses(rotated.key, 4)).toEqual(Array(4).fill(200));
    // The grace period ends on the *server's* clock. Under libfaketime (npm run test:2035) every
    // process starts its own clock at the fake instant, so this process's Date.now() says nothing
    // about the server's: wait the grace period, then poll until the old secret is refused
    // (hang guard of 30 s beyond the grace).
    await new Promise((res) => setTimeout(res, 12_000));
    const deadline = Date.now() + 30_000;
    while ((await statuses(old, 1))[0] === 200 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
    expect(await statuses(old, 4)).toEqual(Array(4).fill(401));
    expect(await statuses(rotated.key, 4)).toEqual(Array(4).fill(200));
  }, 90_000);

  it("lists names, scopes, created, last used and state — never a secret", async () => {
    const created = await keys("create", "--name", "listed", "--scope", "verify", "--scope", "audit", "--json");
    const secret = (JSON.parse(created.out) as { key: string }).key;
    expect(await statuses(secret, 1)).toEqual([200]);
    // the last-used time is written after the answer: poll it, with a generous hang guard
    let listed: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100; i++) {
      listed = JSON.parse((await keys("list", "--json")).out) as typeof listed;
      if (listed.find((k) => k.name === "listed")?.lastUsedAt) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const mine = listed.find((k) => k.name === "listed")!;
    expect(mine).toMatchObject({ scopes: ["verify", "audit"], revokedAt: null, previousSecretValidUntil: null });
    expect(typeof mine.lastUsedAt).toBe("string");
    expect(listed.find((k) => k.name === "portal")!.revokedAt).toEqual(expect.any(String));
    const text = (await keys("list")).out + JSON.stringify(listed);
    // pdp_<id>_<secret>: the secret is base64url and may itself hold "_"
    const secretPart = secret.slice(secret.indexOf("_", 4) + 1);
    expect(secretPart.length).toBeGreaterThan(40);
    expect(text).not.toContain(secretPart);
    expect(text).not.toMatch(/secretHash|secret_hash|[0-9a-f]{64}/);
    expect((await keys("list")).out).toMatch(/^portal\tscopes verify\tcreated .*REVOKED/m);
  });
});
