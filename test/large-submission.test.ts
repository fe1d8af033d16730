/**
 * Issue 15, large submissions: a detached document sent to POST /api/v1/submissions is hashed
 * as it streams into the file store beside the database (never held in memory: the server's
 * peak RSS grows far less than the document's size), the archive row keeps hash, size and
 * location instead of the bytes, and reading the submission back finds and checks the file —
 * GET …/document?content=0 serves it, the integrity and `podpis audit verify` pass, a replay at
 * receipt time reproduces the report, and an altered or missing file is a clear finding.
 *
 * PODPIS_LARGE_SUBMISSION_MB (default 128: the growth bound, half the size, stays clear of the ~30 MB a streamed upload costs whatever its size; the 1 GB: 1024, or bench/large-submission.ts).
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, openAsBlob, readFileSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import { run } from "../src/cli/main.js";
import { openKey } from "../src/keys/index.js";
import { capture } from "./helpers/cli-capture.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const MB = Number(process.env.PODPIS_LARGE_SUBMISSION_MB ?? 128);
const MiB = 1024 * 1024;
const cli = (argv: string[]) => capture((io) => run(argv, io));

/** peak and current resident set of a process (Linux /proc), bytes */
const rss = (pid: number): { peak: number; now: number } => {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  return { peak: Number(/VmHWM:\s+(\d+) kB/.exec(s)![1]) * 1024, now: Number(/VmRSS:\s+(\d+) kB/.exec(s)![1]) * 1024 };
};

let d: { dir: string; remove: () => void };
let data = "";
let server: ServeProcess;
let apiKey = "";
let file = "";
let sha = "";
let p7s: Buffer;
let warmUp = 0;
const SMALL = Buffer.from("a small detached content");
const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest("hex");
}

beforeAll(async () => {
  d = tempData();
  // the content, written in 1 MiB chunks of a pattern; signed detached from the same bytes
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 13 + 5) & 0xff;
  file = join(d.dir, "big.bin");
  const w = createWriteStream(file);
  for (let i = 0; i < MB; i++) {
    chunk[0] = i & 0xff; // no two MiB alike
    if (!w.write(Buffer.from(chunk))) await new Promise<void>((r) => w.once("drain", () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
  sha = await sha256File(file);
  const key = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
  p7s = await signCades({ key, content: readFileSync(file), packaging: "detached", signingTime: new Date(AT) });
  await key.close();
  data = join(d.dir, "data");
  mkdirSync(data);
  apiKey = await createKey(data, ["submit", "audit"]);
  server = await startServe(data, ["--clock", AT, "--workers", "1", "--max-body", "2g", "--file-store-over", "1m"]);
  // a first, small submission: what the server's first submission costs (sealing, TSA, log) is
  // paid before the large one is measured
  const sig = await (async () => {
    const k = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
    try {
      return await signCades({ key: k, content: SMALL, packaging: "detached", signingTime: new Date(AT) });
    } finally {
      await k.close();
    }
  })();
  const form = new FormData();
  form.append("signature", new Blob([sig]), "s.p7s");
  form.append("content", new Blob([SMALL]), "s.txt");
  form.append("applicant", "A");
  form.append("service", "urn:test:small");
  warmUp = (await fetch(server.base + "/api/v1/submissions", { method: "POST", body: form, headers: auth() })).status;
}, 300_000);

afterAll(async () => {
  await server?.stop();
  d?.remove();
});

describe("a large detached document to /api/v1/submissions", () => {
  let id = "";
  const stored = () => join(data, "files", "sha256", sha.slice(0, 2), sha.slice(2, 4), sha);

  it(`streams into the file store (${MB} MB; the server's peak RSS grows by well under the size) and is archived`, async () => {
    const before = rss(server.proc.pid!);
    const form = new FormData();
    form.append("signature", new Blob([p7s]), "big.p7s");
    form.append("content", await openAsBlob(file), "big.bin");
    form.append("applicant", "Иван Петров");
    form.append("service", "urn:test:large");
    const r = await fetch(server.base + "/api/v1/submissions", { method: "POST", body: form, headers: auth() });
    const body = (await r.json()) as { id: string; accepted: boolean; report: { signatures: Array<{ indication: string }> } };
    expect(r.status, JSON.stringify(body).slice(0, 500)).toBe(201);
    expect(body.accepted).toBe(true);
    expect(body.report.signatures.map((s) => s.indication)).toEqual(["TOTAL_PASSED"]);
    id = body.id;
    const after = rss(server.proc.pid!);
    const growth = after.peak - Math.max(before.peak, before.now);
    console.log(`large submission: ${MB} MB, server peak RSS ${(after.peak / MiB).toFixed(0)} MB (before ${(before.peak / MiB).toFixed(0)} MB, growth ${(growth / MiB).toFixed(0)} MB)`);
    expect(growth, `peak RSS grew by ${(growth / MiB).toFixed(0)} MB`).toBeLessThan((MB * MiB) / 2);
    expect(after.peak).toBeLessThan(200 * MiB);

    // the file at its content address, whole; the row holds hash, size and location, no bytes
    expect(statSync(stored()).size).toBe(MB * MiB);
    expect(await sha256File(stored())).toBe(sha);
    const db = new Database(join(data, "podpis.sqlite"), { readonly: true });
    const row = db.prepare("SELECT sha256, length(bytes) AS n, size, location FROM submission_contents WHERE submission_id = ?").get(id) as Record<string, unknown>;
    db.close();
    expect(row).toEqual({ sha256: sha, n: 0, size: MB * MiB, location: `sha256/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}` });
  }, 300_000);

  it("is read back: the record lists it, GET …/document?content=0 streams it, integrity and a replay at receipt pass", async () => {
    const rec = (await (await fetch(`${server.base}/api/v1/submissions/${id}`, { headers: auth() })).json()) as { contents: Array<{ sha256: string; size: number }>; integrity: { ok: boolean } };
    expect(rec.contents).toEqual([{ sha256: sha, size: MB * MiB }]);
    expect(rec.integrity.ok).toBe(true);
    const doc = await fetch(`${server.base}/api/v1/submissions/${id}/document?content=0`, { headers: auth() });
    expect(doc.status).toBe(200);
    expect(doc.headers.get("content-length")).toBe(String(MB * MiB));
    const h = createHash("sha256");
    for await (const c of doc.body!) h.update(c);
    expect(h.digest("hex")).toBe(sha);
    const re = (await (await fetch(`${server.base}/api/v1/submissions/${id}/revalidate?at=received`, { method: "POST", headers: auth() })).json()) as { reproduced: boolean; integrity: { ok: boolean } };
    expect(re.reproduced, JSON.stringify((re as { differences?: unknown }).differences)).toBe(true);
    expect(re.integrity.ok).toBe(true);
  }, 120_000);

  it("a content under the threshold stays in the row (no file)", async () => {
    const s = createHash("sha256").update(SMALL).digest("hex");
    expect(warmUp).toBe(201);
    expect(existsSync(join(data, "files", "sha256", s.slice(0, 2), s.slice(2, 4), s))).toBe(false);
  });

  it("a form that is refused after a large part began streaming leaves nothing in the file store", async () => {
    const big = Buffer.alloc(3 * MiB, 7);
    const form = new FormData();
    form.append("content", new Blob([big]), "no-signature.bin");
    form.append("applicant", "A");
    form.append("service", "urn:test:refused");
    const r = await fetch(server.base + "/api/v1/submissions", { method: "POST", body: form, headers: auth() });
    expect(r.status).toBe(400);
    const s = createHash("sha256").update(big).digest("hex");
    expect(existsSync(join(data, "files", "sha256", s.slice(0, 2), s.slice(2, 4), s))).toBe(false);
    expect(readdirSync(join(data, "files", "tmp"))).toEqual([]);
  });

  it("/metrics shows the group-commit batch sizes and the commit queue of this server", async () => {
    const text = await (await fetch(server.base + "/metrics")).text();
    const count = Number(/^podpis_archive_batch_size_count (\d+)/m.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(2); // the warm-up and the large one
    expect(text).toMatch(/^podpis_archive_batch_size_bucket\{le="1"\} \d+/m);
    expect(text).toMatch(/^podpis_archive_commit_queue\{state="waiting"\} 0$/m);
  });

  it("an altered file is a finding (integrity, revalidate 409), a missing one too; audit verify says which", async () => {
    const path = stored();
    // alter one byte in the middle, in place
    const { openSync, readSync, writeSync, closeSync } = await import("node:fs");
    const h = openSync(path, "r+");
    const one = Buffer.alloc(1);
    readSync(h, one, 0, 1, 1000);
    writeSync(h, Buffer.from([one[0]! ^ 0xff]), 0, 1, 1000);
    closeSync(h);
    const rec = (await (await fetch(`${server.base}/api/v1/submissions/${id}`, { headers: auth() })).json()) as { integrity: { ok: boolean; mismatches: Array<{ object: string; message: string }> } };
    expect(rec.integrity.ok).toBe(false);
    expect(rec.integrity.mismatches[0]).toMatchObject({ object: "content 0" });
    expect(rec.integrity.mismatches[0]!.message).toMatch(/altered/);
    const re = await fetch(`${server.base}/api/v1/submissions/${id}/revalidate?at=received`, { method: "POST", headers: auth() });
    expect(re.status).toBe(409);
    expect(((await re.json()) as { detail: string }).detail).toMatch(/altered/);

    const altered = await cli(["audit", "verify", "--data", data]);
    expect(altered.code).not.toBe(0);
    expect(altered.out + altered.err).toMatch(/altered/);

    renameSync(path, path + ".away");
    const missing = await cli(["audit", "verify", "--data", data]);
    expect(missing.code).not.toBe(0);
    expect(missing.out + missing.err).toMatch(/missing from the file store/);
    const doc = await fetch(`${server.base}/api/v1/submissions/${id}/document?content=0`, { headers: auth() });
    expect(doc.status).toBe(409);

    // put right again: the archive verifies
    renameSync(path + ".away", path);
    const h2 = openSync(path, "r+");
    writeSync(h2, one, 0, 1, 1000);
    closeSync(h2);
    const ok = await cli(["audit", "verify", "--data", data]);
    expect(ok.code, ok.out + ok.err).toBe(0);
  }, 120_000);
});
