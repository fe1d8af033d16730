/** `podpis keys create --name NAME --scope verify|submit|audit… [--data DIR] [--json]`: an API key, shown once. */
import { newApiKey, parseScopes } from "../archive/api-keys.js";
import { openArchive } from "../archive/open.js";
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { type Output, json } from "./output.js";
import { requireDataDir } from "./data-dir.js";

export const KEYS_HELP = `Usage: podpis keys create --name NAME --scope verify|submit|audit… [--data DIR] [--init]
                         [--database-url URL] [--json] [--help]
Makes an API key for \`podpis serve\` (shown only this once; the archive keeps its hash).
The archive is the service's: SQLite under --data (default ./data, which must exist unless
--init), or PostgreSQL with --database-url (or DATABASE_URL).
`;

export const KEYS_FLAGS = { name: { value: true }, scope: { value: true, repeat: true }, data: { value: true }, init: {}, "database-url": { value: true }, json: {}, help: {} };
const FLAGS = KEYS_FLAGS;

export async function keysCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || rest.includes("--help")) {
    out.stdout(KEYS_HELP);
    return 0;
  }
  if (sub !== "create") throw new UsageError(sub ? `unknown keys command "${sub}" (use: keys create)` : "use: podpis keys create --name NAME --scope SCOPE…");
  const a = parseArgs(rest, FLAGS);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  const name = one(a, "name");
  if (!name || !/^[\p{L}\p{N} ._@-]{1,64}$/u.test(name)) throw new UsageError("--name is required (letters, digits, space, . _ @ -; at most 64)");
  let scopes;
  try {
    scopes = parseScopes(all(a, "scope"));
  } catch (e) {
    throw new UsageError(`--scope: ${(e as Error).message}`);
  }
  if (scopes.length === 0) throw new UsageError("give at least one --scope (verify, submit, audit)");
  const databaseUrl = one(a, "database-url") ?? (process.env.DATABASE_URL || undefined);
  const dataDir = one(a, "data") ?? "data";
  requireDataDir(dataDir, databaseUrl, has(a, "init"));
  const archive = openArchive({ dataDir, databaseUrl });
  try {
    await archive.migrate();
    const { key, record } = newApiKey(name, scopes, new Date());
    try {
      await archive.createApiKey(record);
    } catch (e) {
      if (/unique|constraint/i.test((e as Error).message)) throw new UsageError(`a key named "${name}" exists already`);
      throw e;
    }
    if (has(a, "json")) out.stdout(json({ name, key, scopes: record.scopes }));
    else out.stdout(`API key "${name}" (scopes: ${record.scopes.join(", ")}):\n${key}\nIt is shown only this once; podpis keeps only its hash.\n`);
    return 0;
  } finally {
    await archive.close();
  }
}
