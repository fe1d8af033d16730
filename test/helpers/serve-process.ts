/**
 * `podpis serve` as a real process group (run from the sources with tsx) on a random loopback
 * port, for the tests of what only a separate process shows: several workers, a database that
 * goes away, a TSA that refuses.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

const SERVE = resolve("src/cli/serve.ts");

export interface ServeProcess {
  proc: ChildProcess;
  base: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const code = `const m = await import(${JSON.stringify(SERVE)}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", "--port", "0", "--log-level", "warn", ...args], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, DATABASE_URL: "", ...env },
  });
  let err = "";
  const exited = new Promise<void>((r) => proc.on("exit", () => r()));
  const base = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`server did not start: ${err}`)), 60_000);
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
  return {
    proc,
    base,
    stderr: () => err,
    async stop() {
      try {
        process.kill(-proc.pid!, "SIGTERM");
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid!, "SIGKILL");
        } catch {
          // gone
        }
      }, 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}
