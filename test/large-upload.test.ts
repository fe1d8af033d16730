/**
 * Issue 15, large uploads: a detached document far larger than the memory bound, sent to
 * POST /api/v1/verify beside its CAdES signature, is hashed as it streams — the server's peak
 * RSS stays under 200 MB — and the signature validates against those digests. The size is
 * PODPIS_LARGE_UPLOAD_MB (default 128: with the ~150 MB the process needs anyway, past the bound: a server that held the part would fail;
 * the 1 GB: PODPIS_LARGE_UPLOAD_MB=1024).
 */
import { createWriteStream, mkdirSync, openAsBlob, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import { openKey } from "../src/keys/index.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const MB = Number(process.env.PODPIS_LARGE_UPLOAD_MB ?? 128);
const RSS_BOUND = 200 * 1024 * 1024;
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** peak resident set of a process (Linux /proc), bytes */
const peakRss = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

describe("a large detached document to /api/v1/verify", () => {
  it(`is hashed as it streams (${MB} MB, peak RSS < 200 MB) and validates`, async () => {
    const d = tempData();
    cleanup.push(d.remove);
    // the content, written in 1 MiB chunks of a pattern; signed detached from the same bytes
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    const file = join(d.dir, "big.bin");
    const w = createWriteStream(file);
    for (let i = 0; i < MB; i++) if (!w.write(chunk)) await new Promise<void>((r) => w.once("drain", () => r()));
    await new Promise<void>((r) => w.end(() => r()));
    const key = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
    const p7s = await signCades({ key, content: readFileSync(file), packaging: "detached", signingTime: new Date(AT) });
    await key.close();

    const data = join(d.dir, "data");
    mkdirSync(data);
    const apiKey = await createKey(data, ["verify"]);
    const server: ServeProcess = await startServe(data, ["--clock", AT, "--workers", "1", "--max-body", "2g"]);
    cleanup.push(() => server.stop());
    const form = new FormData();
    form.append("signature", new Blob([p7s]), "big.p7s");
    form.append("content", await openAsBlob(file), "big.bin");
    const r = await fetch(server.base + "/api/v1/verify", { method: "POST", body: form, headers: { Authorization: `Bearer ${apiKey}` } });
    const report = (await r.json()) as { indication: string; signatures: Array<{ indication: string }> };
    expect(r.status, JSON.stringify(report).slice(0, 500)).toBe(200);
    expect(report.signatures.map((s) => s.indication)).toEqual(["TOTAL_PASSED"]);
    const peak = peakRss(server.proc.pid!);
    console.log(`large upload: ${MB} MB, server peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB`);
    expect(peak, `peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB`).toBeLessThan(RSS_BOUND);

    // other content past the streaming threshold: its digest does not match the signature's
    const bad = new FormData();
    bad.append("signature", new Blob([p7s]), "big.p7s");
    bad.append("content", new Blob(Array.from({ length: 16 }, () => chunk)), "big.bin");
    const r2 = await fetch(server.base + "/api/v1/verify", { method: "POST", body: bad, headers: { Authorization: `Bearer ${apiKey}` } });
    expect(r2.status).toBe(200);
    expect(((await r2.json()) as { signatures: Array<{ indication: string }> }).signatures[0]!.indication).toBe("TOTAL_FAILED");
  }, 300_000);
});
