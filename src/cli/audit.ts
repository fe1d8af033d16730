/**
 * `podpis audit verify [--data DIR | --database-url URL] [--expect-head HASH] [--json]`: the audit
 * log's hash chain, every archived object and row against the log, and the head the auditor kept.
 * Exit 0 intact, 2 anything found.
 */
import { openArchive } from "../archive/open.js";
import { type ArchiveVerification, verifyArchive } from "../archive/verify-archive.js";
import { FileStore, defaultFileStoreDir } from "../archive/file-store.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { EXIT_FAILED, type Output, json } from "./output.js";
import { requireDataDir } from "./data-dir.js";
import { existsSync } from "node:fs";
import { readInput } from "../io/files.js";
import { join } from "node:path";
import { LOG_KEY_FILE, loadLogSigner } from "../archive/log-key.js";
import { type NoteVerifier, parseVerifierKey } from "../log/index.js";

/** The log's verifier key: --tlog-vkey FILE, else the signer key kept in the data directory. */
function auditLogKey(vkeyFile: string | undefined, dataDir: string | null): NoteVerifier | undefined {
  if (vkeyFile) return parseVerifierKey(readInput(vkeyFile, "log verifier key (--tlog-vkey)").toString("utf8"));
  const own = dataDir ? join(dataDir, LOG_KEY_FILE) : null;
  return own && existsSync(own) ? parseVerifierKey(loadLogSigner(own).verifierKey) : undefined;
}

const FLAGS = { data: { value: true }, "database-url": { value: true }, "file-store": { value: true }, "expect-head": { value: true }, "tlog-vkey": { value: true }, json: {}, help: {} };
export const AUDIT_FLAGS: Readonly<Record<string, object>> = FLAGS;

export const AUDIT_HELP =
  "use: podpis audit verify [--data DIR | --database-url URL] [--file-store DIR] [--expect-head HASH] [--tlog-vkey FILE] [--json] [--help] (--data must exist; default ./data; " +
  "checkpoint signatures are checked with --tlog-vkey, or the log key in --data when it is there)";

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
  const lg = v.log;
  if (lg.ok) L.push(`transparency log agrees: ${lg.entries} entries, ${lg.checkpoints} checkpoint(s) up to size ${lg.size}${lg.signaturesChecked ? ", signatures checked" : " (signatures not checked: no log key)"}`);
  else {
    L.push(`transparency log does NOT agree with the archive: ${lg.mismatches.length} finding(s)`);
    for (const m of lg.mismatches) L.push(`  ${m.subject}: ${m.object}: ${m.message}`);
  }
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
    // issue 15: contents kept as files are read back from the file store (default DATA/files)
    const files = new FileStore(one(a, "file-store") ?? defaultFileStoreDir(dataDir));
    const v = await verifyArchive(archive, { expectHead, files, logKey: auditLogKey(one(a, "tlog-vkey"), databaseUrl ? null : dataDir) });
    out.stdout(has(a, "json") ? json(v) : render(v));
    return v.ok ? 0 : EXIT_FAILED;
  } finally {
    await archive.close();
  }
}
