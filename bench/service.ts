// `npm run bench -- service`: the running service under autocannon on loopback (2 workers,
// SQLite), requests/s and p50/p99 latency for POST /api/v1/verify (a ~10 KB CAdES) and
// POST /api/v1/submissions, next to the single-core in-process validation rate of the same run.
// Goal (issue 6): the service ≥ 1.5 × the in-process rate, p99 < 50 ms at that load.
// Honest about the machine: autocannon runs in this process on the same cores as the workers,
// so its own CPU share is printed next to the rates (on 2 cores it takes a good part of one).
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newApiKey } from "../src/archive/api-keys.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { signCades } from "../src/cades/sign.js";
import { BUNDLED } from "../src/bundled.js";
import { openKey } from "../src/keys/index.js";
import { loadPolicy } from "../src/validation/policy.js";
import { createValidator } from "../src/validator.js";
import { readFileSync } from "node:fs";
import { readFileOrDir } from "../src/io/files.js";

const AT = "2026-06-01T00:00:00Z";
const WORKERS = Number(process.env.PODPIS_BENCH_WORKERS ?? 2);
const SECONDS = Number(process.env.PODPIS_BENCH_SECONDS ?? 8);

const key = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
const content = Buffer.from("<zayavlenie>" + "Заявление за издаване на удостоверение. ".repeat(62) + "</zayavlenie>");
const p7m = await signCades({ key, content, packaging: "enveloping", signingTime: new Date(AT) });
await key.close();

// in-process, one core: the validator the service builds (bundled trust, CRLs, default policy, offline), the same file
const validator = await createValidator({
  trust: readFileOrDir(BUNDLED.trust, "trust").map((f) => f.bytes),
  crls: readFileOrDir(BUNDLED.crls, "crl").map((f) => f.bytes),
  offline: true,
  policy: loadPolicy(JSON.parse(readFileSync(BUNDLED.policy, "utf8"))),
});
const at = new Date(AT);
for (let i = 0; i < 200; i++) await validator.verify(p7m, { at });
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < 3_000) {
  await validator.verify(p7m, { at });
  n++;
}
const inProcess = n / ((performance.now() - t0) / 1000);

// the service
const data = mkdtempSync(join(tmpdir(), "podpis-bench-"));
const archive = new SqliteArchive({ path: join(data, "podpis.sqlite"), numberFormat: "{register}-{yyyy}-{seq:6}" });
await archive.migrate();
const { key: apiKey, record } = newApiKey("bench", ["verify", "submit"], new Date());
await archive.createApiKey(record);
await archive.close();
const code = `const m = await import(${JSON.stringify(resolve("src/cli/serve.ts"))}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", "--port", "0", "--data", data, "--clock", AT, "--offline", "--workers", String(WORKERS), "--log-level", "info"], {
  stdio: ["ignore", "ignore", "pipe"],
  env: { ...process.env, DATABASE_URL: "" },
});
let err = "";
const base = await new Promise<string>((ok, fail) => {
  proc.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    const m = /listening on (\S+)/.exec(err);
    if (m) ok(m[1]!);
  });
  proc.on("exit", (c) => fail(new Error(`server exited ${c}: ${err}`)));
});

const boundary = "----podpisbench";
const multipart = Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="signature"; filename="z.p7m"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  p7m,
  Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="applicant"\r\n\r\nИван Петров Иванов\r\n--${boundary}\r\nContent-Disposition: form-data; name="service"\r\n\r\nurn:podpis:service:bench\r\n--${boundary}--\r\n`),
]);

async function load(path: string, body: Buffer, contentType: string, connections: number, expect: number) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url: base + path,
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": contentType },
    body,
    connections,
    duration: SECONDS,
  });
  const bad = r.non2xx + r.errors;
  if (bad) console.log(`  (${bad} non-2xx/errors on ${path}; expected ${expect})`);
  const used = process.cpuUsage(cpu0);
  const loadCpu = (used.user + used.system) / 1000 / (performance.now() - t0);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, loadCpu };
}

const verify = await load("/api/v1/verify", p7m, "application/octet-stream", 8, 200);
const submit = await load("/api/v1/submissions", multipart, `multipart/form-data; boundary=${boundary}`, 4, 201);
proc.kill("SIGTERM");
await new Promise((r) => proc.on("exit", r));
rmSync(data, { recursive: true, force: true });

const row = (name: string, r: { rps: number; p50: number; p99: number; total: number; loadCpu: number }) =>
  console.log(
    `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.total} requests; autocannon used ${(r.loadCpu * 100).toFixed(0)}% of a core)`,
  );
console.log(`CAdES ${p7m.length} bytes; service: ${WORKERS} workers, SQLite, loopback, ${SECONDS} s per route; ${availableParallelism()} cores shared with autocannon`);
console.log(`${"in-process verify (1 core)".padEnd(34)} ${inProcess.toFixed(0).padStart(7)} /s`);
row("POST /api/v1/verify (8 conns)", verify);
row("POST /api/v1/submissions (4 conns)", submit);
console.log(`service verify / in-process: ${(verify.rps / inProcess).toFixed(2)}× (goal ≥ 1.5× with p99 < 50 ms)`);
