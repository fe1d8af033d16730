/**
 * The file store (issue 15, src/archive/file-store.ts) on its own: a written file lands at its
 * content address with the right digests, an aborted one leaves nothing, check() names a
 * missing, shortened or altered file, and a row whose location is not the content address of
 * its hash (edited to point elsewhere, e.g. `../../etc/passwd`) is refused rather than read.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileStore, locationOf } from "../src/archive/file-store.js";

const root = mkdtempSync(join(tmpdir(), "podpis-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = new FileStore(join(root, "files"));

async function put(bytes: Buffer) {
  const w = await store.writer();
  for (let i = 0; i < bytes.length; i += 1000) await w.write(bytes.subarray(i, i + 1000));
  return w.commit();
}

describe("file store", () => {
  it("keeps a file at its content address, with its digests; equal contents share one file", async () => {
    const bytes = Buffer.from("x".repeat(5000) + "y");
    const { ref, digests } = await put(bytes);
    const sha = createHash("sha256").update(bytes).digest("hex");
    expect(ref).toEqual({ stored: "file", sha256: sha, size: bytes.length, location: locationOf(sha) });
    expect(Buffer.from(digests.sha512!).toString("hex")).toBe(createHash("sha512").update(bytes).digest("hex"));
    expect(readFileSync(join(store.root, ref.location))).toEqual(bytes);
    expect((await put(bytes)).ref).toEqual(ref);
    expect(store.locations()).toEqual([ref.location]);
    expect(readdirSync(join(store.root, "tmp"))).toEqual([]);
    expect(await store.check(ref)).toMatchObject({ ok: true, sha256: sha });
  });

  it("an aborted write leaves nothing", async () => {
    const w = await store.writer();
    await w.write(Buffer.from("half an upload"));
    await w.abort();
    expect(readdirSync(join(store.root, "tmp"))).toEqual([]);
    expect(store.locations().length).toBe(1);
  });

  it("check() names a missing, shortened or altered file", async () => {
    const bytes = Buffer.from("the original bytes of a content");
    const { ref } = await put(bytes);
    const path = join(store.root, ref.location);
    writeFileSync(path, Buffer.from("THE original bytes of a content"));
    expect(await store.check(ref)).toEqual({ ok: false, problem: expect.stringMatching(/was altered: its SHA-256 is [0-9a-f]{64}/) });
    truncateSync(path, 5);
    expect(await store.check(ref)).toEqual({ ok: false, problem: expect.stringMatching(/has 5 bytes, the archive recorded 31/) });
    rmSync(path);
    expect(await store.check(ref)).toEqual({ ok: false, problem: expect.stringMatching(/is missing from the file store/) });
  });

  it("a location that is not its hash's content address is refused, never opened", async () => {
    const { ref } = await put(Buffer.from("some content"));
    const forged = { ...ref, location: "../../../../etc/passwd" };
    expect(await store.check(forged)).toEqual({ ok: false, problem: expect.stringMatching(/not a file-store location/) });
    expect(() => store.open(forged)).toThrow(/not a file-store location/);
    expect(() => store.open({ ...ref, sha256: "../x" })).toThrow(/not a file-store location/);
  });
});
