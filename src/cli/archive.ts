/**
 * `podpis archive SUBCOMMAND …`: operations on the whole archive. One dispatcher: each
 * subcommand is a row of ARCHIVE_COMMANDS (its usage line and its function), so another file
 * adds one (e.g. `archive renew`) with one row here.
 *
 *   podpis archive backup DIR [--data DIR | --database-url URL] [--file-store DIR] [--json]
 *   podpis archive restore DIR [--data DIR | --database-url URL] [--file-store DIR] [--json]
 * (--file-store: where the service keeps large contents, default DATA/files; part of the backup)
 *   podpis archive renew --before DATE --tsa URL …   (archive-renew.ts)
 */
import { backupPostgres, backupSqlite, describe, restorePostgres, restoreSqlite } from "../archive/backup.js";
import { openArchive } from "../archive/open.js";
import { FileStore, defaultFileStoreDir } from "../archive/file-store.js";
import { DEFAULT_NUMBER_FORMAT } from "../archive/registration.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { requireDataDir } from "./data-dir.js";
import { EXIT_FAILED, type Output, json } from "./output.js";
import { archiveRenewCommand } from "./archive-renew.js";

export interface ArchiveSubcommand {
  usage: string;
  run: (argv: string[], out: Output) => Promise<number>;
}

const WHERE = { data: { value: true }, "database-url": { value: true }, "file-store": { value: true }, json: {}, help: {} };

function target(argv: string[], what: string) {
  const a = parseArgs(argv, WHERE);
  if (a.positionals.length !== 1) throw new UsageError(`archive ${what} needs exactly one directory (got ${a.positionals.length})`);
  const dataDir = one(a, "data") ?? "data";
  const files = new FileStore(one(a, "file-store") ?? defaultFileStoreDir(dataDir));
  return { dir: a.positionals[0]!, dataDir, files, databaseUrl: one(a, "database-url") ?? (process.env.DATABASE_URL || undefined), asJson: has(a, "json") };
}

async function backupCommand(argv: string[], out: Output): Promise<number> {
  const t = target(argv, "backup");
  let manifest;
  if (t.databaseUrl) {
    const store = openArchive({ databaseUrl: t.databaseUrl });
    try {
      manifest = await backupPostgres(store, t.databaseUrl, t.dir, t.files);
    } finally {
      await store.close();
    }
  } else {
    requireDataDir(t.dataDir, undefined, null);
    manifest = await backupSqlite(t.dataDir, t.dir, DEFAULT_NUMBER_FORMAT, t.files);
  }
  const head = manifest.auditHead ? `${manifest.auditHead.seq}:${manifest.auditHead.hash}` : "empty log";
  out.stdout(t.asJson ? json(manifest) : `backup written to ${t.dir}: ${manifest.kind}, ${manifest.submissions} submission(s), ${manifest.files?.count ?? 0} stored file(s), audit head ${head}, ${manifest.file} SHA-256 ${manifest.sha256}\n`);
  return 0;
}

async function restoreCommand(argv: string[], out: Output): Promise<number> {
  const t = target(argv, "restore");
  let result;
  if (t.databaseUrl) {
    const store = openArchive({ databaseUrl: t.databaseUrl });
    try {
      result = await restorePostgres(t.dir, t.databaseUrl, store, t.files);
    } finally {
      await store.close();
    }
  } else result = await restoreSqlite(t.dir, t.dataDir, DEFAULT_NUMBER_FORMAT, t.files);
  const v = result.verification;
  if (t.asJson) out.stdout(json({ manifest: result.manifest, verification: v }));
  else if (v.ok) out.stdout(`restored from ${t.dir} and verified: ${v.entries} audit entries, ${v.submissions} submission(s) match the log; head ${v.head ? `${v.head.seq}:${v.head.hash}` : "none"}\n`);
  else out.stdout(`restored from ${t.dir}, but it does NOT verify: ${describe(v)}\n`);
  return v.ok ? 0 : EXIT_FAILED;
}

/** The subcommands; add a row for another one. */
export const ARCHIVE_COMMANDS: Record<string, ArchiveSubcommand> = {
  backup: { usage: "backup DIR [--data DIR | --database-url URL] [--file-store DIR] [--json]", run: backupCommand },
  restore: { usage: "restore DIR [--data DIR | --database-url URL] [--file-store DIR] [--json]", run: restoreCommand },
  // issue 13 (src/cli/archive-renew.ts)
  renew: {
    usage: "renew --before DATE --tsa URL [--data DIR | --database-url URL] [--trust PEM-or-DIR]… [--crl FILE-or-DIR]… [--ocsp FILE]… [--untrusted FILE]… [--offline] [--json]",
    run: archiveRenewCommand,
  },
};

export const ARCHIVE_HELP = (): string =>
  "use: podpis archive " + Object.values(ARCHIVE_COMMANDS).map((c) => c.usage).join("\n     podpis archive ") + "\n     [--help]";

export async function archiveCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    out.stdout(ARCHIVE_HELP() + "\n");
    return sub ? 0 : 64;
  }
  const cmd = Object.hasOwn(ARCHIVE_COMMANDS, sub) ? ARCHIVE_COMMANDS[sub] : undefined;
  if (!cmd) throw new UsageError(`unknown archive command "${sub}" (${ARCHIVE_HELP()})`);
  if (rest.includes("--help")) {
    out.stdout(`use: podpis archive ${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(rest, out);
}
