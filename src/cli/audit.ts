/** `podpis audit verify [--data DIR] [--json]`: walks the audit log's hash chain; exit 0 intact, 2 broken. */
import { verifyAuditChain } from "../archive/audit.js";
import { openArchive } from "../archive/open.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { EXIT_FAILED, type Output, json } from "./output.js";
import { requireDataDir } from "./data-dir.js";

export const AUDIT_HELP = `Usage: podpis audit verify [--data DIR] [--database-url URL] [--json] [--help]
Walks the archive's audit log and names the first entry changed, removed or reordered.
The archive is the service's: SQLite under --data (default ./data, which must exist), or
PostgreSQL with --database-url (or DATABASE_URL).
`;

export const AUDIT_FLAGS = { data: { value: true }, "database-url": { value: true }, json: {}, help: {} };
const FLAGS = AUDIT_FLAGS;

export async function auditCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || rest.includes("--help")) {
    out.stdout(AUDIT_HELP);
    return 0;
  }
  if (sub !== "verify") throw new UsageError(sub ? `unknown audit command "${sub}" (use: audit verify)` : "use: podpis audit verify [--data DIR]");
  const a = parseArgs(rest, FLAGS);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  const databaseUrl = one(a, "database-url") ?? (process.env.DATABASE_URL || undefined);
  const dataDir = one(a, "data") ?? "data";
  requireDataDir(dataDir, databaseUrl, null);
  const archive = openArchive({ dataDir, databaseUrl });
  try {
    await archive.migrate();
    const v = verifyAuditChain(await archive.auditEntries(), await archive.auditHead());
    if (has(a, "json")) out.stdout(json(v));
    else if (v.ok) out.stdout(`audit log intact: ${v.entries} entries${v.headHash ? `, head ${v.headHash}` : ""}\n`);
    else out.stdout(`audit log BROKEN at entry ${v.firstProblem!.seq} (${v.firstProblem!.problem}): ${v.firstProblem!.message}\n`);
    return v.ok ? 0 : EXIT_FAILED;
  } finally {
    await archive.close();
  }
}
