/**
 * A PostgreSQL server of the test's own (initdb in a temp directory, its own port), so a test can
 * restart or stop it — as an operator's `pg_ctl restart` or a failover would — without disturbing
 * the server other suites use. Run as the `postgres` user when the suite runs as root (initdb
 * refuses root). `fsync=off`: the tests are about connections, not the disk.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function binDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return null;
}

export const PG_BIN = binDir();

const asRoot = process.getuid?.() === 0;

function run(cmd: string, args: string[]): void {
  const full = asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] as const : [cmd, args] as const;
  const r = spawnSync(full[0], [...full[1]], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr || r.stdout}`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** pg_ctl restart -m fast: every connection is terminated (57P01), the server comes back */
  restart(): void;
  /** pg_ctl stop -m fast */
  stop(): void;
  start(): void;
  /** stop and remove the directory */
  destroy(): void;
}

/** Why no private server can be started here (null: it can). */
export function privatePgProblem(): string | null {
  if (!PG_BIN) return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin";
  if (asRoot && spawnSync("id", ["postgres"], { stdio: "ignore" }).status !== 0) return "running as root and there is no postgres user to run initdb as";
  return null;
}

/** `durable`: fsync on (the submissions bench measures commits that reach the disk) */
export async function startPrivatePostgres(opts: { durable?: boolean } = {}): Promise<PrivatePostgres> {
  const bin = PG_BIN!;
  // not under the suite's TMPDIR: that directory is private to root, and the server runs as postgres
  const dir = mkdtempSync(join(asRoot ? "/tmp" : tmpdir(), "podpis-pg-"));
  if (asRoot) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim();
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const data = join(dir, "data");
  const port = await freePort();
  run(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "podpis", "--no-sync", "-E", "UTF8"]);
  const sync = opts.durable ? "" : " -c fsync=off -c synchronous_commit=off";
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=${opts.durable ? "128MB" : "16MB"}${sync}`;
  const ctl = (...a: string[]): void => run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "-t", "60", ...a]);
  ctl("start");
  run(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "podpis", "podpis"]);
  let running = true;
  return {
    url: `postgres://podpis@127.0.0.1:${port}/podpis`,
    port,
    restart: () => ctl("restart", "-m", "fast"),
    stop: () => {
      ctl("stop", "-m", "fast");
      running = false;
    },
    start: () => {
      ctl("start");
      running = true;
    },
    destroy: () => {
      if (running) {
        try {
          ctl("stop", "-m", "immediate");
        } catch {
          /* already down */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
