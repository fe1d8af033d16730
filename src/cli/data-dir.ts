/**
 * `keys` and `audit` work on the service's archive: a --data that does not exist is almost
 * always a typo, and opening it would silently make a new, empty archive (issue 10 item 14).
 */
import { existsSync, statSync } from "node:fs";
import { UsageError } from "./args.js";

export function requireDataDir(dataDir: string, databaseUrl: string | undefined, init: boolean | null): void {
  if (databaseUrl || init) return;
  if (!existsSync(dataDir)) throw new UsageError(`data directory ${dataDir} does not exist (give the --data of \`podpis serve\`${init === null ? "" : ", or --init to start a new archive there"})`);
  if (!statSync(dataDir).isDirectory()) throw new UsageError(`--data ${dataDir} is not a directory`);
}
