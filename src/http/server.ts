/**
 * Running the service: one process (workers = 1) or a node:cluster primary with a worker per
 * core. Workers share the listening socket; the primary migrates the archive first, restarts a
 * worker that dies, sums the workers' metrics, and on SIGTERM/SIGINT asks every worker to finish
 * its requests and close (graceful), killing stragglers after a timeout.
 */
import cluster, { type Worker } from "node:cluster";
import type { Server } from "node:http";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type DataLock, lockDataDir } from "../archive/data-lock.js";
import { openArchive } from "../archive/open.js";
import { ensurePrivateDir } from "../io/private-files.js";
import { DEFAULT_ROUTE_BUDGETS } from "../limits/budgets.js";
import { createApp } from "./app.js";
import { ClusterRateLimiter, answerRateQuestions } from "./cluster-rate.js";
import { type Runtime, type ServeConfig, archiveConfig, buildRuntime, createLogger } from "./config.js";
import { ClusterMetrics, Metrics, serveToAggregator } from "./metrics.js";
import { onBatchNumbered, onBatchSize } from "../archive/group-commit.js";
import { WRITER_ENV, WRITER_STDIO, hostWriter } from "../archive/writer-ipc.js";
import { observeCommitQueue, observeFetches, observeTrustedLists, withCommitQueueOfThisProcess } from "./ops-metrics.js";
import { type CallerLimiter, RateLimiter } from "./rate-limit.js";

export const CONFIG_ENV = "PODPIS_SERVE_CONFIG";
const WORKERS_ENV = "PODPIS_SERVE_WORKERS";
const SHUTDOWN_TIMEOUT_MS = 15_000;

type Say = (line: string) => void;

interface Started {
  server: Server;
  runtime: Runtime;
  port: number;
}

/** One serving process: runtime, app, listen. `metricsText` is given in a cluster worker. */
async function startServing(config: ServeConfig, metrics: Metrics, metricsText?: () => Promise<string>, limiter?: CallerLimiter): Promise<Started> {
  const runtime = await buildRuntime(config);
  observeArchive(runtime, metrics);
  observeFetches(metrics);
  observeTrustedLists(metrics, () => runtime.tl?.state ?? null, runtime.clock);
  const app = createApp({
    service: runtime.service,
    archive: runtime.archive,
    log: runtime.log,
    maxBodyBytes: config.maxBodyBytes,
    budgets: { keyed: { bodyBytes: config.maxBodyBytes }, public: { bodyBytes: config.maxPublicBodyBytes ?? DEFAULT_ROUTE_BUDGETS.public.bodyBytes } },
    ratePerSecond: config.ratePerSecond,
    rateBurst: config.rateBurst,
    limiter,
    signing: runtime.signing,
    dependencies: runtime.dependencies,
    metrics,
    metricsText,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // after listen, an accept failure (EMFILE, …) is an 'error' on the server: logged, not fatal
  server.on("error", (e) => runtime.log.error({ err: { message: e.message } }, "server error"));
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 120_000;
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  return { server, runtime, port };
}

/** the archive's own metrics: group-commit batch sizes, and the PostgreSQL pool when there is one */
function observeArchive(runtime: Runtime, metrics: Metrics): void {
  onBatchSize((n) => metrics.observe("podpis_archive_batch_size", {}, n));
  onBatchNumbered((how) => metrics.inc("podpis_archive_batches_total", { numbering: how }));
  observeCommitQueue(metrics);
  const archive = runtime.archive as { poolStats?: () => { total: number; idle: number; waiting: number } };
  if (typeof archive.poolStats === "function") {
    metrics.gauge("podpis_db_pool_connections", () => {
      const s = archive.poolStats!();
      return [[{ state: "total" }, s.total], [{ state: "idle" }, s.idle], [{ state: "waiting" }, s.waiting]];
    });
  }
}

function gracefulClose({ server, runtime }: Started): Promise<void> {
  return new Promise((resolve) => {
    // Requests in flight finish; keep-alive connections are closed as soon as they fall idle
    // (polled: a connection may be mid-request when the shutdown starts).
    server.on("request", (_req, res) => res.setHeader("Connection", "close"));
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_TIMEOUT_MS).unref();
    server.close(() => {
      clearInterval(idle);
      clearTimeout(timer);
      void runtime.close().finally(resolve);
    });
    server.closeIdleConnections();
  });
}

/** `podpis serve` in the foreground; resolves with the exit code once shut down. */
export async function runServer(config: ServeConfig, say: Say): Promise<number> {
  const workers = config.workers > 0 ? config.workers : availableParallelism();
  // SQLite: one service per data directory (PostgreSQL nodes share a database, not a directory)
  let lock: DataLock | null = null;
  if (!config.databaseUrl) {
    ensurePrivateDir(config.dataDir);
    lock = lockDataDir(config.dataDir);
  }
  try {
    return workers <= 1 ? await runSingle(config, say) : await runPrimary(config, workers, say);
  } finally {
    lock?.release();
  }
}

async function runSingle(config: ServeConfig, say: Say): Promise<number> {
  const started = await startServing(config, new Metrics({ defaults: true }));
  say(`podpis serve: listening on http://${config.host}:${started.port} (1 process, archive ${started.runtime.archive.kind})`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    // repeated signals (the terminal's SIGINT and a wrapper's forwarded one) are one shutdown
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      say("podpis serve: shutting down");
      void gracefulClose(started).then(resolve);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("SIGHUP", () => void started.runtime.crls.reload());
  });
  return 0;
}

function workerExec(): { exec: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const exec = here.replace(/server\.(ts|js)$/, "worker.$1");
  // keep loader flags (tsx in tests and development), drop an -e/-p script of the primary
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i]!;
    if (a === "-e" || a === "--eval" || a === "-p" || a === "--print" || a === "--input-type") {
      i++;
      continue;
    }
    if (a.startsWith("--input-type=")) continue;
    execArgv.push(a);
  }
  return { exec, execArgv };
}

async function runPrimary(config: ServeConfig, workers: number, say: Say): Promise<number> {
  const archive = openArchive(archiveConfig(config));
  await archive.migrate();
  // SQLite: the primary is the node's one writer, the workers seal (archive/writer-ipc.ts)
  const writer = archive.kind === "sqlite" ? hostWriter(archive, () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w)) : null;
  if (!writer) await archive.close();
  // a writer's workers get their frame channel to it as fd 4 (writer-ipc.ts)
  cluster.setupPrimary({ ...workerExec(), silent: false, serialization: "advanced", ...(writer ? { stdio: [...WRITER_STDIO] } : {}) });
  const clusterMetrics = new ClusterMetrics();
  let stopping = false;
  let announced = false;
  let startFailed = false;
  let listening = 0;
  const env = { [CONFIG_ENV]: JSON.stringify(config), [WORKERS_ENV]: String(workers), ...(writer ? { [WRITER_ENV]: "primary" } : {}) };
  // the node's one set of token buckets; the workers ask (cluster-rate.ts)
  const limiter = config.ratePerSecond > 0 ? new RateLimiter(config.ratePerSecond, config.rateBurst || Math.max(1, config.ratePerSecond)) : null;
  const fork = (): Worker => {
    const w = cluster.fork(env);
    writer?.attach(w);
    // a failed send to a worker that is going away is an 'error' on it: without a listener the primary would die
    w.on("error", (e: Error) => say(`podpis serve: worker ${w.process.pid}: ${e.message}`));
    if (limiter) answerRateQuestions(w, limiter);
    w.on("message", (m: { type?: string; reqId?: string; message?: string }) => {
      // a worker that cannot start before any worker listens: the configuration (or the port)
      // is at fault, and restarting would only repeat it — one line, exit 64 (issue 10 item 6)
      if (m?.type === "start-failed" && !announced && !stopping && !startFailed) {
        say(`podpis serve: ${m.message ?? "a worker failed to start"}`);
        startFailed = true;
        process.kill(process.pid, "SIGTERM");
      }
      if (m?.type === "metrics?" && m.reqId) {
        const reqId = m.reqId;
        void clusterMetrics
          .text({ podpis_workers: Object.keys(cluster.workers ?? {}).length })
          // SQLite: the node's one writer (and its commit queue) is this primary, not the workers
          .then((text) => (writer ? withCommitQueueOfThisProcess(text) : text))
          .catch(() => "")
          .then((text) => w.isConnected() && w.send({ type: "metrics!", reqId, text }));
      }
    });
    w.on("listening", (addr) => {
      if (++listening >= workers && !announced) {
        announced = true;
        say(`podpis serve: listening on http://${config.host}:${addr.port} (${workers} workers, archive ${archive.kind})`);
      }
    });
    return w;
  };
  for (let i = 0; i < workers; i++) fork();
  let crashes = 0;
  cluster.on("exit", (w, code, signal) => {
    if (stopping || startFailed) return;
    say(`podpis serve: worker ${w.process.pid} ended (${signal ?? code}); starting another`);
    if (++crashes > workers * 5 && !announced) {
      say("podpis serve: workers keep failing at start; giving up");
      process.exit(1);
    }
    fork();
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      if (!startFailed) say("podpis serve: shutting down (waiting for requests in flight)");
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      let left = live.length;
      if (left === 0) resolve();
      const killer = setTimeout(() => live.forEach((w) => w.process.kill("SIGKILL")), SHUTDOWN_TIMEOUT_MS + 2_000).unref();
      for (const w of live) {
        w.once("exit", () => {
          if (--left === 0) {
            clearTimeout(killer);
            resolve();
          }
        });
        w.send({ type: "shutdown" });
      }
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    // reload: every worker reads its --crl files again (README, scripts/podpis.service)
    process.on("SIGHUP", () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.send({ type: "reload-crls" });
    });
  });
  if (writer) {
    writer.close();
    await archive.close();
  }
  return startFailed ? 64 : 0;
}

/** A cluster worker's life: serve until the primary says shutdown (or the primary is gone). */
export async function runWorker(): Promise<void> {
  const config = JSON.parse(process.env[CONFIG_ENV] ?? "{}") as ServeConfig;
  const metrics = new Metrics({ defaults: true });
  serveToAggregator(metrics);
  const pending = new Map<string, (text: string) => void>();
  let n = 0;
  const metricsText = (): Promise<string> =>
    new Promise((resolve) => {
      const reqId = `${process.pid}-${++n}`;
      // the primary asks every worker (prom-client waits up to 5 s for one): past that, this worker's own
      const t = setTimeout(() => {
        pending.delete(reqId);
        void metrics.text().then(resolve);
      }, 6_000);
      pending.set(reqId, (text) => {
        clearTimeout(t);
        if (text) resolve(text);
        else void metrics.text().then(resolve);
      });
      process.send?.({ type: "metrics?", reqId });
    });
  // Listen for the primary before starting: a shutdown may arrive while the runtime is built.
  let started: Started | null = null;
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    if (started) void gracefulClose(started).then(() => process.exit(0));
  };
  process.on("message", (m: { type?: string; reqId?: string; text?: string }) => {
    if (m?.type === "shutdown") shutdown();
    if (m?.type === "reload-crls" && started) void started.runtime.crls.reload();
    if (m?.type === "metrics!" && m.reqId) pending.get(m.reqId)?.(m.text ?? "");
  });
  process.on("disconnect", shutdown);
  // SIGTERM/SIGINT reach every process of the group; the primary coordinates the shutdown.
  process.on("SIGTERM", () => {});
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {}); // the primary forwards a reload
  try {
    const limiter = config.ratePerSecond > 0 ? new ClusterRateLimiter(config.ratePerSecond, config.rateBurst || Math.max(1, config.ratePerSecond), Number(process.env[WORKERS_ENV] ?? 1)) : undefined;
    started = await startServing(config, metrics, metricsText, limiter);
  } catch (e) {
    const message = (e as Error).message;
    // the primary prints it once, as one line; a lone worker logs it
    if (process.send) {
      process.send({ type: "start-failed", message }, () => process.exit(1));
      return;
    }
    createLogger("error").error({ err: { message } }, "worker failed to start");
    process.exit(1);
  }
  if (closing) {
    closing = false;
    shutdown();
    return;
  }
}
