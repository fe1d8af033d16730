// `npm run bench -- service`: the running service under autocannon on loopback (2 workers,
// SQLite): requests/s and p50/p99 for POST /api/v1/verify (a ~10 KB CAdES) next to the model of
// a perfect service on this machine, all measured in this one run; then POST /api/v1/submissions.
//
// The model (issue 15, "/verify near the ceiling"): a request that costs what a bare node:http
// server pays (bench/lib/bare-http.ts: a cluster of the same worker count, reads the 10 KB body,
// answers ~1 KB of JSON) plus one in-process validation, spread over the machine's cores.
//   B  = the bare server's req/s under the same autocannon (same connections, same body, same
//        duration, same cores). 1/B is the wall time per request with every core busy, so
//        C/B core-seconds (C = cores) are what one request costs the machine — the server, the
//        kernel's loopback and autocannon itself (which runs in this process, on the same cores).
//   V  = in-process validations per second on one core (validator.verify, the service's own
//        validator config), so 1/V core-seconds per validation.
//   model req/s = C / (C/B + 1/V)
// podpis/model is then how close the service comes; goal ≥ 0.85 with p99 < 50 ms. podpis runs as
// deployed: API key checked per request (its row read again whenever SQLite's data_version moved, src/http/auth.ts), --rate per key, request log at info, metrics.
// The servers' own CPU per request (from /proc) is printed too: neighbours on a shared machine
// change req/s much more than they change that.
// Beside it: how often the servers' main threads were preempted per request, and V's validation
// measured again after 1 ms of idle before each (CPU time) — on this machine a validation that
// starts with cold caches costs about three times the hot loop's (README "Where a request's
// time went"); the model keeps the hot V.
// All three are measured warm (issue 15): the in-process loop runs a second first, and each
// server takes the same load, unmeasured, in 2 s steps until two steps in a row agree within
// 10 % (at least 3 steps, at most PODPIS_BENCH_WARM, default 10). A cold podpis worker spends
// its first thousands of requests in V8's optimizing compiler (checkSigner and verify-cades'
// fill took 0.3–0.75 s of compilation each on this machine, and 8,000 requests per worker
// before the compilation per request fell to about 1 %); the bare server, a few functions, is
// compiled within milliseconds. A round measured in that state measures the compiler.
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
const ROUNDS = Number(process.env.PODPIS_BENCH_ROUNDS ?? 2);
const WARM = Number(process.env.PODPIS_BENCH_WARM ?? 10);
/** at least 6 s: two cold steps can agree with each other (both compiling) */
const MIN_WARM_STEPS = Math.min(3, WARM);
// a per-key rate limit far above the load: every request passes it, and pays for it (issue 15:
// no protection dropped for the number), as the request log, metrics and the key lookup
const RATE = 1_000_000;

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
for (const w0 = performance.now(); performance.now() - w0 < 1_000; ) await validator.verify(p7m, { at });
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < 3_000) {
  await validator.verify(p7m, { at });
  n++;
}
const inProcess = n / ((performance.now() - t0) / 1000);
// The same validation after the core went idle (a 1 ms sleep before each), as CPU time: the
// instructions are those of the loop above, the caches are not (README "Where a request's time
// went"). The model keeps the hot figure; this one is printed beside it.
const COLD = 500;
const cold0 = process.cpuUsage();
let coldSleep = 0;
for (let i = 0; i < COLD; i++) {
  const s0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 1));
  const s1 = process.cpuUsage(s0);
  coldSleep += s1.user + s1.system; // the timer's own CPU, not the validation's
  await validator.verify(p7m, { at });
}
const coldUsed = process.cpuUsage(cold0);
const coldUs = (coldUsed.user + coldUsed.system - coldSleep) / COLD;

// the service
const data = mkdtempSync(join(tmpdir(), "podpis-bench-"));
const archive = new SqliteArchive({ path: join(data, "podpis.sqlite"), numberFormat: "{register}-{yyyy}-{seq:6}" });
await archive.migrate();
const { key: apiKey, record } = newApiKey("bench", ["verify", "submit"], new Date());
await archive.createApiKey(record);
await archive.close();
const code = `const m = await import(${JSON.stringify(resolve("src/cli/serve.ts"))}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", "--port", "0", "--data", data, "--clock", AT, "--offline", "--workers", String(WORKERS), "--log-level", "info", "--rate", String(RATE), "--rate-burst", String(RATE)], {
  stdio: ["ignore", "ignore", "pipe"],
  env: { ...process.env, DATABASE_URL: "" },
});
const base = await listeningUrl(proc);

function listeningUrl(p: ReturnType<typeof spawn>): Promise<string> {
  let err = "";
  return new Promise<string>((ok, fail) => {
    p.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m) ok(m[1]!);
    });
    p.on("exit", (c) => fail(new Error(`server exited ${c}: ${err}`)));
  });
}

const boundary = "----podpisbench";
const multipart = Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="signature"; filename="z.p7m"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  p7m,
  Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="applicant"\r\n\r\nИван Петров Иванов\r\n--${boundary}\r\nContent-Disposition: form-data; name="service"\r\n\r\nurn:podpis:service:bench\r\n--${boundary}--\r\n`),
]);

/** a process and its descendants (Linux; [] elsewhere) */
function tree(pid: number): number[] {
  try {
    const kids = (p: number): number[] => {
      const list = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim();
      return list ? list.split(" ").map(Number).flatMap((c) => [c, ...kids(c)]) : [];
    };
    return [pid, ...kids(pid)];
  } catch {
    return [];
  }
}

/**
 * CPU time (µs) of a process and its descendants so far, and how often their main threads were
 * preempted (involuntary context switches), from /proc (Linux; NaN elsewhere)
 */
function treeCpu(pid: number): { us: number; preempted: number } {
  try {
    const pids = tree(pid);
    if (!pids.length) return { us: NaN, preempted: NaN };
    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux)
    const us = pids.reduce((t, p) => {
      const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      return t + (Number(f[11]) + Number(f[12])) * 10_000;
    }, 0);
    const preempted = pids.reduce((t, p) => t + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? NaN), 0);
    return { us, preempted };
  } catch {
    return { us: NaN, preempted: NaN };
  }
}

async function load(url: string, body: Buffer, contentType: string, connections: number, expect: number, auth = true, server?: number, seconds = SECONDS) {
  const serverCpu0 = server ? treeCpu(server) : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url,
    method: "POST",
    headers: { ...(auth ? { Authorization: `Bearer ${apiKey}` } : {}), "Content-Type": contentType },
    body,
    connections,
    duration: seconds,
  });
  const bad = r.non2xx + r.errors;
  if (bad) console.log(`  (${bad} non-2xx/errors on ${url}; expected ${expect})`);
  const used = process.cpuUsage(cpu0);
  const loadCpu = (used.user + used.system) / 1000 / (performance.now() - t0);
  // the server's own CPU per request: what the load generator and the neighbours do not colour
  const serverCpu1 = server ? treeCpu(server) : null;
  const serverUs = serverCpu0 && serverCpu1 ? (serverCpu1.us - serverCpu0.us) / r.requests.total : NaN;
  const preempted = serverCpu0 && serverCpu1 ? (serverCpu1.preempted - serverCpu0.preempted) / r.requests.total : NaN;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, loadCpu, serverUs, preempted };
}
type Run = Awaited<ReturnType<typeof load>>;

/** rounds of one load: mean rate and p50, the worst p99 */
function merged(runs: Run[]): Run {
  const mean = (f: (r: Run) => number) => runs.reduce((t, r) => t + f(r), 0) / runs.length;
  return { rps: mean((r) => r.rps), p50: mean((r) => r.p50), p99: Math.max(...runs.map((r) => r.p99)), total: mean((r) => r.total), loadCpu: mean((r) => r.loadCpu), serverUs: mean((r) => r.serverUs), preempted: mean((r) => r.preempted) };
}

// the bare server of the model, running beside the service; the two are loaded in turns (bare,
// podpis, bare, podpis …) so that a neighbour's load on this shared machine colours both alike
const bareProc = spawn(process.execPath, ["--import", "tsx", resolve("bench/lib/bare-http.ts"), String(WORKERS)], { stdio: ["ignore", "ignore", "pipe"] });
const bareBase = await listeningUrl(bareProc);
const CONNS = 8;
const bareRuns: Run[] = [];
const verifyRuns: Run[] = [];
/** steps of unmeasured load until the rate settles; how many it took */
async function warm(url: string, auth: boolean): Promise<number> {
  let last = 0;
  for (let step = 1; step <= WARM; step++) {
    const { rps } = await load(url, p7m, "application/octet-stream", CONNS, 200, auth, undefined, 2);
    if (step >= MIN_WARM_STEPS && Math.abs(rps - last) <= 0.1 * last) return step;
    last = rps;
  }
  return WARM;
}
const warmSteps = { bare: await warm(bareBase + "/", false), podpis: await warm(base + "/api/v1/verify", true) };
for (let i = 0; i < ROUNDS; i++) {
  bareRuns.push(await load(bareBase + "/", p7m, "application/octet-stream", CONNS, 200, false, bareProc.pid));
  verifyRuns.push(await load(base + "/api/v1/verify", p7m, "application/octet-stream", CONNS, 200, true, proc.pid));
}
bareProc.kill("SIGTERM");
const bare = merged(bareRuns);
const verify = merged(verifyRuns);
const submit = await load(base + "/api/v1/submissions", multipart, `multipart/form-data; boundary=${boundary}`, 4, 201);
proc.kill("SIGTERM");
await new Promise((r) => proc.on("exit", r));
rmSync(data, { recursive: true, force: true });

const row = (name: string, r: Run) =>
  console.log(
    `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(0).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.total.toFixed(0)} requests; autocannon used ${(r.loadCpu * 100).toFixed(0)}% of a core${Number.isFinite(r.serverUs) ? `; server CPU ${r.serverUs.toFixed(0)} µs per request` : ""})`,
  );
const cores = availableParallelism();
const perBare = cores / bare.rps; // core-seconds per bare request (server, kernel, autocannon)
const perValidation = 1 / inProcess;
const model = cores / (perBare + perValidation);
console.log(`CAdES ${p7m.length} bytes; ${WORKERS} workers, SQLite, loopback, ${CONNS} connections, ${ROUNDS} × ${SECONDS} s per server in turns, warmed first (2 s steps until the rate settled: bare ${warmSteps.bare}, podpis ${warmSteps.podpis}${warmSteps.podpis >= WARM ? ", the cap: not settled" : ""}); ${cores} cores shared with autocannon`);
console.log(`${"in-process verify (1 core)  V".padEnd(34)} ${inProcess.toFixed(0).padStart(7)} /s     = ${(perValidation * 1e6).toFixed(0)} µs of a core each (${coldUs.toFixed(0)} µs of CPU each after 1 ms idle)`);
row("bare node:http (10 KB in, 1 KB JSON)  B", bare);
console.log(`${"".padEnd(34)}         = ${(perBare * 1e6).toFixed(0)} µs of the machine (${cores} cores / B) each`);
console.log(`${"model  C / (C/B + 1/V)".padEnd(34)} ${model.toFixed(0).padStart(7)} req/s   (${cores} / (${(perBare * 1e6).toFixed(0)} µs + ${(perValidation * 1e6).toFixed(0)} µs))`);
row(`POST /api/v1/verify (${CONNS} conns)`, verify);
console.log(`server CPU per request: podpis ${verify.serverUs.toFixed(0)} µs = bare ${bare.serverUs.toFixed(0)} µs + ${(verify.serverUs - bare.serverUs).toFixed(0)} µs (one in-process validation: ${(perValidation * 1e6).toFixed(0)} µs); main threads preempted per request: podpis ${verify.preempted.toFixed(2)}, bare ${bare.preempted.toFixed(2)}`);
console.log(`podpis / model: ${(verify.rps / model).toFixed(2)} (goal ≥ 0.85 with p99 < 50 ms: ${verify.rps / model >= 0.85 && verify.p99 < 50 ? "met" : "not met"}); rounds podpis ${verifyRuns.map((r) => r.rps.toFixed(0)).join(", ")}, bare ${bareRuns.map((r) => r.rps.toFixed(0)).join(", ")}`);
row("POST /api/v1/submissions (4 conns)", submit);
