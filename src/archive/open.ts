/** Opens the configured archive: PostgreSQL when a database URL is given, SQLite under the data directory otherwise. */
import { join } from "node:path";
import { ensurePrivateDir, restrictTree } from "../io/private-files.js";
import type { ArchiveStore } from "./port.js";
import { PostgresArchive } from "./postgres.js";
import { DEFAULT_NUMBER_FORMAT, checkNumberFormat } from "./registration.js";
import { SqliteArchive } from "./sqlite.js";
import { pgUnavailable, sqliteUnavailable, withDependencyErrors } from "./unavailable.js";
import { WRITER_ENV, submitThroughPrimary } from "./writer-ipc.js";

export interface ArchiveConfig {
  /** directory of the SQLite file (default ./data) */
  dataDir?: string;
  /** postgres://… — selects the PostgreSQL adapter */
  databaseUrl?: string;
  numberFormat?: string;
  pgSchema?: string;
  /** PostgreSQL pool: connections at most, statement timeout, connect timeout (ms) */
  pgPoolSize?: number;
  pgStatementTimeoutMs?: number;
  pgConnectTimeoutMs?: number;
}

export const SQLITE_FILE = "podpis.sqlite";

export function openArchive(cfg: ArchiveConfig): ArchiveStore {
  const numberFormat = cfg.numberFormat ?? DEFAULT_NUMBER_FORMAT;
  checkNumberFormat(numberFormat);
  if (cfg.databaseUrl)
    return withDependencyErrors(new PostgresArchive({
        url: cfg.databaseUrl,
        numberFormat,
        schema: cfg.pgSchema,
        poolSize: cfg.pgPoolSize,
        statementTimeoutMs: cfg.pgStatementTimeoutMs,
        connectTimeoutMs: cfg.pgConnectTimeoutMs,
      }), pgUnavailable);
  const dataDir = cfg.dataDir ?? "data";
  // a data directory made by an older version (0755/0644) is tightened on every open
  ensurePrivateDir(dataDir);
  restrictTree(dataDir);
  const store = new SqliteArchive({ path: join(dataDir, SQLITE_FILE), numberFormat });
  // a cluster worker of a node whose primary holds the one writer (writer-ipc.ts)
  const viaPrimary = process.env[WRITER_ENV] === "primary" && typeof process.send === "function";
  return withDependencyErrors(viaPrimary ? submitThroughPrimary(store) : store, sqliteUnavailable);
}

/** where the archive lives, for messages (never the password of a URL) */
export function describeArchive(cfg: ArchiveConfig): string {
  if (cfg.databaseUrl) {
    try {
      const u = new URL(cfg.databaseUrl);
      return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      return "PostgreSQL";
    }
  }
  return `SQLite ${join(cfg.dataDir ?? "data", SQLITE_FILE)}`;
}
