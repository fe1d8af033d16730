/**
 * Issue 15, the 1 GB case of test/large-submission.test.ts (too slow for npm test): one detached
 * document of MB megabytes (default 1024) submitted to POST /api/v1/submissions of a real
 * `podpis serve` (1 process, SQLite, the file store under its data directory); prints the time,
 * the server's peak RSS (VmHWM) before and after, and checks the stored file's hash.
 *
 *   npx tsx bench/large-submission.ts [MB]
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, openAsBlob, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import { openKey } from "../src/keys/index.js";
import { createKey, startServe, tempData } from "../test/helpers/serve-process.js";

const MB = Number(process.argv[2] ?? 1024);
const MiB = 1024 * 1024;
const AT = "2026-06-01T00:00:00Z";
const hwm = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

const d = tempData();
try {
  const file = join(d.dir, "big.bin");
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 13 + 5) & 0xff;
  const w = createWriteStream(file);
  const h = createHash("sha256");
  for (let i = 0; i < MB; i++) {
    chunk[0] = i & 0xff;
    const c = Buffer.from(chunk);
    h.update(c);
    if (!w.write(c)) await new Promise<void>((r) => w.once("drain", () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
  const sha = h.digest("hex");
  const key = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
  const p7s = await signCades({ key, content: readFileSync(file), packaging: "detached", signingTime: new Date(AT) });
  await key.close();
  const data = join(d.dir, "data");
  mkdirSync(data);
  const apiKey = await createKey(data, ["submit", "audit"]);
  const server = await startServe(data, ["--clock", AT, "--workers", "1", "--max-body", "2g"]);
  try {
    const before = hwm(server.proc.pid!);
    const form = new FormData();
    form.append("signature", new Blob([p7s]), "big.p7s");
    form.append("content", await openAsBlob(file), "big.bin");
    form.append("applicant", "bench");
    form.append("service", "urn:bench:large");
    const t0 = performance.now();
    const r = await fetch(server.base + "/api/v1/submissions", { method: "POST", body: form, headers: { Authorization: `Bearer ${apiKey}` } });
    const body = (await r.json()) as { accepted?: boolean; detail?: string };
    const seconds = (performance.now() - t0) / 1000;
    const peak = hwm(server.proc.pid!);
    const stored = join(data, "files", "sha256", sha.slice(0, 2), sha.slice(2, 4), sha);
    const sh = createHash("sha256");
    for await (const c of createReadStream(stored)) sh.update(c as Buffer);
    console.log(
      `large submission: ${MB} MB, HTTP ${r.status}, accepted ${body.accepted ?? body.detail}, ${seconds.toFixed(1)} s (${(MB / seconds).toFixed(0)} MB/s), ` +
        `server peak RSS ${(peak / MiB).toFixed(0)} MB (before the upload ${(before / MiB).toFixed(0)} MB), stored file ${sh.digest("hex") === sha ? "matches" : "DIFFERS"}`,
    );
    if (r.status !== 201 || peak >= 200 * MiB) process.exitCode = 1;
  } finally {
    await server.stop();
  }
} finally {
  d.remove();
}
