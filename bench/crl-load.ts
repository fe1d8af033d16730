/**
 * Loading a 1,000,000-entry CRL: podpis's parseCrl against `openssl crl -noout`.
 *
 *   npx tsx bench/crl-load.ts [--entries N]
 *
 * The CRL (random 16-octet serials, a few reason codes, RSA-signed) is generated once into
 * $TMPDIR/podpis-bench and reused. Memory is the child process's peak RSS: ours read inside a
 * fresh node (VmHWM, else process.resourceUsage().maxRSS), OpenSSL's from /usr/bin/time when
 * present, else by sampling VmHWM in /proc while it runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { parseCrl } from "../src/revocation/crl.js";
import { makeBigCrl, randomSerials } from "../test/helpers/make-crl.js";

const SEED = 1;
const self = fileURLToPath(import.meta.url);

interface ChildResult {
  readMs: number;
  parseMs: number;
  entries: number;
  /** KiB */
  maxRss: number;
  /** KiB: peak RSS at start (node and the tsx loader), and RSS after reading the file */
  maxRssAtStart: number;
  rssBeforeParse: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * The child: read, parse, report. Plain JavaScript run with `node -e`, so that with a build in
 * dist/ (npm run bench builds first) the measured process is plain node without the tsx loader.
 */
const CHILD = `
const { readFileSync } = await import("node:fs");
// VmHWM, not resourceUsage().maxRSS: Linux carries ru_maxrss over exec, so a child forked from
// this big bench process would report at least the parent's RSS at fork time.
const peakKiB = () => {
  try {
    return Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
  } catch {
    return process.resourceUsage().maxRSS;
  }
};
const maxRssAtStart = peakKiB();
const { parseCrl } = await import(process.env.PODPIS_CRL_MODULE);
const t0 = performance.now();
const der = readFileSync(process.env.PODPIS_CRL_FILE);
const t1 = performance.now();
const rssBeforeParse = Math.round(process.memoryUsage().rss / 1024);
const crl = parseCrl(der);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ readMs: t1 - t0, parseMs: t2 - t1, entries: crl.entryCount,
  maxRss: peakKiB(), maxRssAtStart, rssBeforeParse }));
`;

/** dist/ when it is built and newer than the sources it comes from; else the .ts through tsx. */
function childModule(): { url: string; execArgv: string[]; mode: string } {
  const root = path.resolve(path.dirname(self), "..");
  const built = path.join(root, "dist/revocation/crl.js");
  const sources = ["crl.ts", "crl-entries.ts", "crl-error.ts"].map((f) => path.join(root, "src/revocation", f));
  if (existsSync(built) && sources.every((f) => statSync(f).mtimeMs <= statSync(built).mtimeMs)) {
    return { url: pathToFileURL(built).href, execArgv: [], mode: "node, dist/" };
  }
  return { url: pathToFileURL(path.join(root, "src/revocation/crl.ts")).href, execArgv: process.execArgv, mode: "node + tsx loader, src/ (no fresh dist/)" };
}

function crlFile(n: number): string {
  const dir = path.join(tmpdir(), "podpis-bench");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `crl-${n}-seed${SEED}.der`);
  if (!existsSync(file)) {
    const t = performance.now();
    const { der } = makeBigCrl(n, SEED);
    writeFileSync(file, der);
    console.error(`generated ${file} (${(der.length / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return file;
}

function runChild(file: string, mod: ReturnType<typeof childModule>): ChildResult {
  const r = spawnSync(process.execPath, [...mod.execArgv, "--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    env: { ...process.env, PODPIS_CRL_MODULE: mod.url, PODPIS_CRL_FILE: file },
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

/** Peak RSS (KiB) and wall time of a command. */
async function measureCommand(cmd: string, args: string[]): Promise<{ ms: number; maxRss: number }> {
  if (existsSync("/usr/bin/time")) {
    const t = performance.now();
    const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8" });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    return { ms, maxRss: Number(r.stderr.trim().split("\n").pop()) };
  }
  // No GNU time: sample the high-water mark while the process runs.
  const t = performance.now();
  const p = spawn(cmd, args, { stdio: "ignore" });
  let hwm = 0;
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"));
      if (m) hwm = Math.max(hwm, Number(m[1]));
    } catch {
      // exited between samples
    }
  };
  const timer = setInterval(sample, 2);
  const code = await new Promise<number | null>((resolve) => p.on("exit", resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd} exited ${code}`);
  return { ms: performance.now() - t, maxRss: hwm };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (kib: number): string => `${(kib / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const n = Number(arg("--entries") ?? 1_000_000);
  const file = crlFile(n);
  const size = readFileSync(file).length;

  // In this process: time, heap and RSS growth of one parse, then lookups.
  const der = readFileSync(file);
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  gc();
  const m0 = process.memoryUsage();
  let t = performance.now();
  const crl = parseCrl(der);
  const firstParseMs = performance.now() - t;
  gc();
  gc();
  const m1 = process.memoryUsage();
  const retainedMiB = (m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) / 1048576;
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    parseCrl(der);
    warm.push(performance.now() - t);
  }
  const serials = randomSerials(n, SEED);
  const queries: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const k = (i * 7919 + 13) % n;
    const s = Buffer.from(serials.subarray(k * 16, k * 16 + 16));
    if (i % 4 === 3) s[15]! ^= 0x5a; // a quarter are misses
    queries.push(s.toString("hex"));
  }
  t = performance.now();
  let found = 0;
  for (const q of queries) found += crl.lookup(q).length;
  const lookupMs = performance.now() - t;

  // Fresh processes: cold-start parse and peak RSS, against openssl.
  const mod = childModule();
  const ours = [runChild(file, mod), runChild(file, mod), runChild(file, mod)];
  const ssl: Array<{ ms: number; maxRss: number }> = [];
  const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;
  if (haveOpenssl) for (let i = 0; i < 3; i++) ssl.push(await measureCommand("openssl", ["crl", "-inform", "DER", "-noout", "-in", file]));

  const ourLoad = median(ours.map((o) => o.readMs + o.parseMs));
  const ourRss = median(ours.map((o) => o.maxRss));
  const ourStart = median(ours.map((o) => o.maxRssAtStart));
  const ourParseRss = median(ours.map((o) => o.maxRss - o.rssBeforeParse));
  const sslMs = haveOpenssl ? median(ssl.map((s) => s.ms)) : NaN;
  const sslRss = haveOpenssl ? median(ssl.map((s) => s.maxRss)) : NaN;
  const ratio = (a: number, b: number): string => (Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : "n/a");

  console.log(`\nCRL load: ${crl.entryCount.toLocaleString("en")} entries, ${(size / 1e6).toFixed(1)} MB DER (node ${process.version})\n`);
  const rows: Array<[string, string, string, string]> = [
    ["", "podpis", "openssl crl -noout", "podpis / openssl"],
    ["load time, fresh process (median of 3)", `${ourLoad.toFixed(0)} ms`, haveOpenssl ? `${sslMs.toFixed(0)} ms` : "n/a", ratio(ourLoad, sslMs)],
    ["peak RSS, fresh process", mb(ourRss), haveOpenssl ? mb(sslRss) : "n/a", ratio(ourRss, sslRss)],
    ["  node at start / the DER read / parse peak", `${mb(ourStart)} / ${(size / 1048576).toFixed(0)} MB / ${mb(ourParseRss)}`, "", ""],
    ["parse in process: first / warm (median)", `${firstParseMs.toFixed(0)} / ${median(warm).toFixed(0)} ms`, "", ""],
    ["kept by the parsed CRL besides the DER (after GC)", `${retainedMiB.toFixed(1)} MB`, "", ""],
    ["1000 lookups (750 hits)", `${lookupMs.toFixed(1)} ms (${found} found)`, "", ""],
  ];
  const w = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(w[c]!)).join("  "));
  console.log(`\npodpis child: ${mod.mode}.`);
  console.log("load time: podpis reads the file and parses it, timed inside the child; openssl is the whole process (wall).");
}

await main();
