/**
 * SIGTERM to the process a user or a process manager started stops the whole service and
 * leaves nothing running (issue 10 item 7): `npm start`, `node scripts/start.js`, a wrapper that
 * dies by SIGKILL, and `podpis tsa` under a shell as `npx` runs it. Every PID of the tree is
 * collected from /proc before the signal and must be gone after; a restart on the same data
 * directory then works. Hang guards only (the machine may be loaded), no timing assertions.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");
const GUARD_MS = 90_000;
const seen = new Set<number>();

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command may hold spaces and parentheses: fields start after the last ")"
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return f[0] === "Z" ? null : Number(f[1]);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  return parentOf(pid) !== null;
}

/** `root` and all its descendants, from /proc. */
function tree(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pp = parentOf(Number(e));
    if (pp !== null) kids.set(pp, [...(kids.get(pp) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of kids.get(p) ?? []) walk(c);
  };
  walk(root);
  for (const p of out) seen.add(p);
  return out;
}

/** `what` is a function where it reports state that changes while waiting (read when the guard fires) */
async function until(what: string | (() => string), ok: () => boolean, ms = GUARD_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`hang guard: ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Started {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function start(cmd: string, args: string[], env: Record<string, string> = {}, listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/): Promise<Started> {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DATABASE_URL: "", ...env } });
  let err = "";
  // both streams: serve says "listening" on stderr, tsa on stdout
  proc.stderr!.on("data", (d: Buffer) => void (err += d.toString()));
  proc.stdout!.on("data", (d: Buffer) => void (err += d.toString()));
  const exit = new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
  seen.add(proc.pid!);
  // (the output and the process tree as they are when the guard fires, not when waiting began)
  await until(() => `${cmd} ${args.join(" ")} listening; processes ${tree(proc.pid!).join(",")}; output so far: ${err}`, () => listening.test(err));
  // the workers are up once the primary says "listening"; wait until the tree stops growing
  let last = -1;
  await until("tree settles", () => {
    const n = tree(proc.pid!).length;
    const same = n === last;
    last = n;
    return same;
  });
  return { proc, port: Number(listening.exec(err)![1]), stderr: () => err, exit };
}

const serveArgs = (data: string) => ["--port", "0", "--data", data, "--workers", "2", "--log-level", "warn"];

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("build dist/ first: npx tsc -p tsconfig.json");
});

afterAll(() => {
  // only the PIDs this file started, one by one
  for (const p of seen) if (alive(p)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
});

describe("stopping the service from the process that was started (item 7)", () => {
  it("node scripts/start.js: SIGTERM stops primary and workers; a restart on the same data works", async () => {
    const data = mkdtempSync(join(tmpdir(), "podpis-sig-"));
    const s = await start(process.execPath, ["scripts/start.js", ...serveArgs(data)]);
    const pids = tree(s.proc.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(4); // start.js, serve primary, 2 workers
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
    s.proc.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    await until(`every process of ${pids.join(",")} gone`, () => pids.every((p) => !alive(p)));
    const again = await start(process.execPath, ["scripts/start.js", ...serveArgs(data)]);
    expect((await fetch(`http://127.0.0.1:${again.port}/healthz`)).status).toBe(200);
    const pids2 = tree(again.proc.pid!);
    again.proc.kill("SIGTERM");
    await again.exit;
    await until("restart's tree gone", () => pids2.every((p) => !alive(p)));
  }, 4 * GUARD_MS);

  it("npm start: SIGTERM to npm (which reaches only its shell) leaves nothing running", async () => {
    const data = mkdtempSync(join(tmpdir(), "podpis-sig-"));
    const s = await start("npm", ["start", "--", ...serveArgs(data)]);
    const pids = tree(s.proc.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(5); // npm, sh, start.js, serve primary, 2 workers
    s.proc.kill("SIGTERM");
    await s.exit;
    await until(`every process of ${pids.join(",")} gone`, () => pids.every((p) => !alive(p)));
  }, 3 * GUARD_MS);

  it("a wrapper killed by SIGKILL: the service notices the lost IPC channel and stops", async () => {
    const data = mkdtempSync(join(tmpdir(), "podpis-sig-"));
    const s = await start(process.execPath, ["scripts/start.js", ...serveArgs(data)]);
    const pids = tree(s.proc.pid!);
    s.proc.kill("SIGKILL");
    await until(`every process of ${pids.join(",")} gone after SIGKILL of the wrapper`, () => pids.every((p) => !alive(p)));
  }, 3 * GUARD_MS);

  it("podpis serve under `sh -c` as npx runs it: SIGTERM to the shell stops primary and workers", async () => {
    const data = mkdtempSync(join(tmpdir(), "podpis-sig-"));
    const s = await start("sh", ["-c", `"${process.execPath}" bin/podpis.js serve ${serveArgs(data).join(" ")}; exit $?`], { npm_command: "exec" });
    const pids = tree(s.proc.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(4); // sh, serve primary, 2 workers
    s.proc.kill("SIGTERM");
    await until(`every process of ${pids.join(",")} gone`, () => pids.every((p) => !alive(p)));
  }, 3 * GUARD_MS);

  it("podpis tsa under `sh -c` as npx runs it: SIGTERM to the shell stops the TSA", async () => {
    const data = mkdtempSync(join(tmpdir(), "podpis-sig-"));
    // "; exit" keeps the shell from exec-ing node, as npm's `sh -c` does not either
    const s = await start("sh", ["-c", `"${process.execPath}" bin/podpis.js tsa --port 0 --host 127.0.0.1 --data "${data}"; exit $?`], { npm_command: "exec" }, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const pids = tree(s.proc.pid!);
    expect(pids.length).toBe(2);
    s.proc.kill("SIGTERM");
    await until(`every process of ${pids.join(",")} gone`, () => pids.every((p) => !alive(p)));
  }, 3 * GUARD_MS);
});
