/**
 * The real `podpis serve` as a separate process group (tsx over src/, as e2e-service does) on
 * 127.0.0.1 with a random port, and what the HTTP tests need around it: an API key, the worker
 * PIDs, a raw socket for requests fetch() cannot send (bodies that end inside a multipart part).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { keysCommand } from "../../src/cli/keys.js";

const SERVE = resolve("src/cli/serve.ts");

export interface ServeProcess {
  proc: ChildProcess;
  base: string;
  port: number;
  data: string;
  /** everything the process group wrote to stderr so far */
  stderr: () => string;
  /** and to stdout (the JSON log lines) */
  stdout: () => string;
  exited: Promise<number | null>;
  /** the cluster's worker PIDs (children of the primary) */
  workers: () => number[];
  stop: () => Promise<void>;
}

/**
 * The base URL a starting `podpis serve` prints on stderr ("listening on http://127.0.0.1:PORT");
 * rejects with what it wrote when it exits first or says nothing within `timeoutMs` (hang guard).
 */
export function waitForListening(proc: ChildProcess, timeoutMs: number): Promise<string> {
  let err = "";
  return new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`server did not start: ${err}`)), timeoutMs);
    proc.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        ok(m[1]!);
      }
    });
    proc.on("exit", (c) => fail(new Error(`server exited ${c}: ${err}`)));
  });
}

export async function createKey(data: string, scopes: string[], name = "test"): Promise<string> {
  let s = "";
  const out = { stdout: (t: string) => void (s += t), stderr: () => {} };
  const code = await keysCommand(["create", "--name", name, ...scopes.flatMap((x) => ["--scope", x]), "--data", data, "--json"], out);
  if (code !== 0) throw new Error(`keys create: exit ${code}`);
  return (JSON.parse(s) as { key: string }).key;
}

export function tempData(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "podpis-serve-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startServe(data: string, args: string[]): Promise<ServeProcess> {
  const code = `const m = await import(${JSON.stringify(SERVE)}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", "--port", "0", "--data", data, "--offline", ...(args.includes("--log-level") ? [] : ["--log-level", "warn"]), ...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "" },
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
  let err = "";
  let out = "";
  proc.stderr!.on("data", (d: Buffer) => void (err += d.toString()));
  proc.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  const base = await waitForListening(proc, 60_000);
  const workers = (): number[] => {
    // children running the worker module (tsx also starts helpers of its own)
    const r = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(proc.pid)], { encoding: "utf8" });
    return r.stdout.split("\n").filter((l) => /http\/worker\.(ts|js)/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0])).sort((a, b) => a - b);
  };
  const stop = async (): Promise<void> => {
    try {
      process.kill(-proc.pid!, "SIGTERM");
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }, 20_000);
    await exited;
    clearTimeout(t);
  };
  return { proc, base, port: Number(new URL(base).port), data, stderr: () => err, stdout: () => out, exited, workers, stop };
}

/** Sends exactly these bytes and reads the answer until the server closes or `ms` passes. */
export function rawRequest(port: number, head: string, body: Buffer, ms = 20_000): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    const t = setTimeout(() => {
      s.destroy();
      fail(new Error(`no answer within ${ms} ms: ${got.slice(0, 200)}`));
    }, ms);
    s.on("data", (d) => {
      got += d.toString("latin1");
      // one response is enough: headers, then a body of Content-Length bytes
      const end = got.indexOf("\r\n\r\n");
      const len = /content-length:\s*(\d+)/i.exec(got);
      if (end >= 0 && len && got.length >= end + 4 + Number(len[1])) s.end();
    });
    s.on("error", (e) => {
      clearTimeout(t);
      fail(e);
    });
    s.on("close", () => {
      clearTimeout(t);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (!m) return fail(new Error(`no HTTP answer: ${JSON.stringify(got.slice(0, 200))}`));
      ok({ status: Number(m[1]), text: got.slice(got.indexOf("\r\n\r\n") + 4) });
    });
    s.write(head);
    s.write(body);
  });
}
