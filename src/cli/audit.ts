/**
 * `podpis audit verify [--data DIR | --database-url URL] [--expect-head HASH] [--json]`: the audit
 * log's hash chain, every archived object and row against the log, and the head the auditor kept.
 * Exit 0 intact, 2 anything found.
 */
import { openArchive } from "../archive/open.js";
import { type ArchiveVerification, verifyArchive } from "../archive/verify-archive.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { EXIT_FAILED, type Output, json } from "./output.js";
import { requireDataDir } from "./data-dir.js";

const FLAGS = { data: { value: true }, "database-url": { value: true }, "expect-head": { value: true }, json: {}, help: {} };
export const AUDIT_FLAGS: Readonly<Record<string, object>> = FLAGS;

export const AUDIT_HELP = "use: podpis audit verify [--data DIR | --database-url URL] [--expect-head HASH] [--json] [--help] (--data must exist; default ./data)";

function render(v: ArchiveVerification): string {
  const L: string[] = [];
  const head = v.head ? `head ${v.head.seq}:${v.head.hash}` : "empty log";
  if (v.ok) L.push(`audit log intact: ${v.entries} entries, ${v.submissions} submission(s) and ${v.apiKeys} API key(s) match it; ${head}`);
  else {
    if (!v.chain.ok) L.push(`audit log BROKEN at entry ${v.chain.firstProblem!.seq} (${v.chain.firstProblem!.problem}): ${v.chain.firstProblem!.message}`);
    if (v.mismatches.length) L.push(`archive does NOT match the audit log: ${v.mismatches.length} finding(s)`);
    for (const m of v.mismatches) L.push(`  ${m.subject}: ${m.object}: ${m.message}`);
    if (v.expectedHead && !v.expectedHead.ok) L.push(`kept head NOT found: ${v.expectedHead.message}`);
    L.push(head);
  }
  if (v.expectedHead?.ok) L.push(`kept head found: ${v.expectedHead.message}`);
  return L.join("\n") + "\n";
}

export async function auditCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help")) {
    out.stdout(AUDIT_HELP + "\n");
    return 0;
  }
  if (sub !== "verify") throw new UsageError(sub ? `unknown audit command "${sub}" (${AUDIT_HELP})` : AUDIT_HELP);
  const a = parseArgs(rest, FLAGS);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  const expectHead = one(a, "expect-head");
  const dataDir = one(a, "data") ?? "data";
  const databaseUrl = one(a, "database-url") ?? (process.env.DATABASE_URL || undefined);
  requireDataDir(dataDir, databaseUrl, null);
  const archive = openArchive({ dataDir, databaseUrl });
  try {
    await archive.migrate();
    const v = await verifyArchive(archive, { expectHead });
    out.stdout(has(a, "json") ? json(v) : render(v));
    return v.ok ? 0 : EXIT_FAILED;
  } finally {
    await archive.close();
  }
}
