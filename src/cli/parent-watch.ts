/**
 * A long-running command (`serve`, `tsa`) started by a wrapper stops when the wrapper is gone
 * (issue 10 item 7). `npm start` and `npx podpis …` run us under `sh -c`; a SIGTERM to npm
 * reaches the shell, which dies without passing it on, and we would be adopted by PID 1 and keep
 * the port and ./data. So when a wrapper started us we stop like on SIGTERM once it is gone:
 * - with an IPC channel (scripts/start.js opens one): when the channel disconnects;
 * - under npm (npm_lifecycle_event / npm_command in the environment) or with
 *   PODPIS_EXIT_WITH_PARENT=1: when our parent process changes (checked every second).
 * Started directly (systemd, a shell, nohup) nothing is watched: outliving the shell is meant.
 */
const POLL_MS = 1_000;

export function stopWithParent(env: NodeJS.ProcessEnv = process.env): void {
  const stop = (): void => void process.kill(process.pid, "SIGTERM");
  if (process.channel) {
    process.once("disconnect", stop);
    // the channel must not keep the process alive once the service has stopped
    process.channel.unref();
  }
  const underWrapper = env.PODPIS_EXIT_WITH_PARENT === "1" || !!env.npm_lifecycle_event || !!env.npm_command;
  if (!underWrapper || env.PODPIS_EXIT_WITH_PARENT === "0") return;
  const parent = process.ppid;
  const t = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(t);
      stop();
    }
  }, POLL_MS);
  t.unref();
}
