/**
 * `podpis keys create|list|revoke|rotate` (issue 10.8). The secret is shown once, at creation
 * or rotation; podpis keeps only its hash, and `list` never shows even that. Revocation and
 * rotation take effect on the next request of every worker and node: the service reads the
 * key's row on each request (src/http/auth.ts).
 */
import { newApiKey, newSecret, parseDuration, parseScopes } from "../archive/api-keys.js";
import { openArchive } from "../archive/open.js";
import type { ApiKeyRecord, ArchiveStore } from "../archive/port.js";
import { type ParsedArgs, UsageError, all, has, one, parseArgs } from "./args.js";
import { EXIT_FAILED, type Output, json } from "./output.js";
import { requireDataDir } from "./data-dir.js";

const WHERE = { data: { value: true }, "database-url": { value: true }, json: {} };
const FLAGS = {
  create: { ...WHERE, name: { value: true }, scope: { value: true, repeat: true }, init: {} },
  list: WHERE,
  revoke: { ...WHERE, name: { value: true } },
  rotate: { ...WHERE, name: { value: true }, grace: { value: true } },
} as const;

/** every subcommand's flags (test/serve-config.test.ts holds KEYS_HELP to them) */
export const KEYS_FLAGS: Readonly<Record<string, Readonly<Record<string, object>>>> = FLAGS;

export const KEYS_HELP = `use: podpis keys create --name NAME --scope verify|submit|audit… [--init] | list | revoke --name NAME | rotate --name NAME [--grace 24h]
     [--data DIR | --database-url URL] [--json] [--help]
     --data must exist (the service's; default ./data): keys create --init starts a new archive there`;

const DEFAULT_GRACE = "24h";

function nameOf(a: ParsedArgs): string {
  const name = one(a, "name");
  if (!name || !/^[\p{L}\p{N} ._@-]{1,64}$/u.test(name)) throw new UsageError("--name is required (letters, digits, space, . _ @ -; at most 64)");
  return name;
}

async function withArchive<T>(a: ParsedArgs, fn: (archive: ArchiveStore) => Promise<T>): Promise<T> {
  const dataDir = one(a, "data") ?? "data";
  const databaseUrl = one(a, "database-url") ?? (process.env.DATABASE_URL || undefined);
  requireDataDir(dataDir, databaseUrl, has(a, "init"));
  const archive = openArchive({ dataDir, databaseUrl });
  try {
    await archive.migrate();
    return await fn(archive);
  } finally {
    await archive.close();
  }
}

/** what `list` shows of a key: never the secret, nor its hash */
const listed = (k: ApiKeyRecord) => ({
  name: k.name,
  id: k.id,
  scopes: k.scopes,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt ?? null,
  revokedAt: k.revokedAt ?? null,
  previousSecretValidUntil: k.previousSecretHash ? (k.previousValidUntil ?? null) : null,
});

export async function keysCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help")) {
    out.stdout(KEYS_HELP + "\n");
    return 0;
  }
  if (sub !== "create" && sub !== "list" && sub !== "revoke" && sub !== "rotate") throw new UsageError(sub ? `unknown keys command "${sub}"\n${KEYS_HELP}` : KEYS_HELP);
  const a = parseArgs(rest, FLAGS[sub]);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  const asJson = has(a, "json");

  if (sub === "create") {
    const name = nameOf(a);
    let scopes;
    try {
      scopes = parseScopes(all(a, "scope"));
    } catch (e) {
      throw new UsageError(`--scope: ${(e as Error).message}`);
    }
    if (scopes.length === 0) throw new UsageError("give at least one --scope (verify, submit, audit)");
    return withArchive(a, async (archive) => {
      const { key, record } = newApiKey(name, scopes, new Date());
      try {
        await archive.createApiKey(record);
      } catch (e) {
        if (/unique|constraint/i.test((e as Error).message)) throw new UsageError(`a key named "${name}" exists already`);
        throw e;
      }
      if (asJson) out.stdout(json({ name, key, scopes: record.scopes }));
      else out.stdout(`API key "${name}" (scopes: ${record.scopes.join(", ")}):\n${key}\nIt is shown only this once; podpis keeps only its hash.\n`);
      return 0;
    });
  }

  if (sub === "list") {
    return withArchive(a, async (archive) => {
      const keys = (await archive.listApiKeys()).map(listed);
      if (asJson) out.stdout(json(keys));
      else if (!keys.length) out.stdout("no API keys (make one with `podpis keys create`)\n");
      else {
        for (const k of keys) {
          const state = k.revokedAt ? `REVOKED ${k.revokedAt}` : k.previousSecretValidUntil ? `rotated; old secret valid until ${k.previousSecretValidUntil}` : "active";
          out.stdout(`${k.name}\tscopes ${k.scopes.join(",")}\tcreated ${k.createdAt}\tlast used ${k.lastUsedAt ?? "never"}\t${state}\n`);
        }
      }
      return 0;
    });
  }

  const name = nameOf(a);
  if (sub === "revoke") {
    return withArchive(a, async (archive) => {
      const k = await archive.revokeApiKey(name, new Date());
      if (!k) {
        out.stderr(`podpis keys revoke: no key named "${name}"\n`);
        return EXIT_FAILED;
      }
      if (asJson) out.stdout(json(listed(k)));
      else out.stdout(`API key "${name}" revoked at ${k.revokedAt}: refused from the next request on\n`);
      return 0;
    });
  }

  let graceMs: number;
  try {
    graceMs = parseDuration(one(a, "grace") ?? DEFAULT_GRACE);
  } catch (e) {
    throw new UsageError(`--grace: ${(e as Error).message}`);
  }
  return withArchive(a, async (archive) => {
    const now = new Date();
    const existing = (await archive.listApiKeys()).find((k) => k.name === name);
    if (!existing || existing.revokedAt) {
      out.stderr(`podpis keys rotate: no usable key named "${name}"\n`);
      return EXIT_FAILED;
    }
    const { key, secretHash } = newSecret(existing.id);
    const graceUntil = new Date(now.getTime() + graceMs);
    const k = await archive.rotateApiKey(name, secretHash, graceUntil, now);
    if (!k) {
      out.stderr(`podpis keys rotate: no usable key named "${name}"\n`);
      return EXIT_FAILED;
    }
    if (asJson) out.stdout(json({ name, key, scopes: k.scopes, previousSecretValidUntil: graceUntil.toISOString() }));
    else out.stdout(`API key "${name}", new secret:\n${key}\nIt is shown only this once. The old secret works until ${graceUntil.toISOString()}.\n`);
    return 0;
  });
}
