/** `podpis serve`: the HTTP service (contract "HTTP"), on every core, SQLite under ./data by default. */
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { EXIT_USAGE, type Output } from "./output.js";
import { stopWithParent } from "./parent-watch.js";
import { checkNumberFormat } from "../archive/registration.js";
import { type ServeConfig, defaultConfig, preflight } from "../http/config.js";
import { runServer } from "../http/server.js";

export const SERVE_HELP = `Usage: podpis serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--database-url URL]
                    [--db-pool-size N] [--db-statement-timeout MS] [--db-connect-timeout MS]
                    [--trust PEM-or-DIR]… [--crl FILE-or-DIR]… [--untrusted FILE]… [--offline]
                    [--policy FILE] [--workers N] [--max-body BYTES] [--max-public-body BYTES]
                    [--rate N] [--rate-burst N]
                    [--seal-key KEY.p12|pkcs11:URI] [--seal-password-env VAR] [--seal-chain PEM]…
                    [--pkcs11-module PATH]
                    [--tsa URL | --tsa-key KEY.p12|pkcs11:URI --tsa-password-env VAR] [--tsa-policy OID]
                    [--register CODE] [--number-format FORMAT] [--log-level LEVEL]
                    [--allow-test-material] [--clock ISO-8601] [--json]
                    [--tl FILE-or-URL]… [--tl-signer CERT]… [--tl-cache DIR] [--help]
                    [--tlog-key FILE] [--tlog-origin NAME] [--tlog-witness VKEY@URL]… [--database-schema NAME]
                    [--file-store DIR] [--file-store-over BYTES]
Runs the HTTP service (README: "The service"), one worker per core unless --workers.
Without --trust, --seal-key and --tsa/--tsa-key the bundled TEST material is used (with warnings);
giving some of them but not all is refused unless --allow-test-material (receipts would be
sealed, time-stamped or checked with test keys). Without --database-url (or DATABASE_URL),
SQLite under --data (default ./data). Each process's PostgreSQL pool is bounded (default 8
connections, 15000 ms per statement, 5000 ms to connect). --clock is for tests. --tl: trusted lists
(a national list or the EU LOTL) as the trust, refreshed in the background before NextUpdate;
--tl-cache (default DIR/tl-cache under --data) keeps what was fetched; /readyz fails on stale,
badly signed or empty lists.
The seal's CA chain comes from its key file or token, or --seal-chain: receipts are checked
against it (and the built-in TSA's chain) plus --trust, and /readyz fails while the seal does not validate.
SIGTERM or SIGINT drains requests in flight and stops every worker; SIGHUP re-reads --crl.
Transparency log (README "The public log"): --tlog-key FILE is the log's Ed25519 key
(PRIVATE+KEY+<origin>+…; default DATA/log-signer.key, made once with --tlog-origin as its name,
default podpis.local/log; nodes of one log share it); --tlog-witness VKEY@URL asks a C2SP
tlog-witness to cosign each checkpoint.
`;

const FLAGS = {
  port: { value: true },
  host: { value: true },
  data: { value: true },
  "database-url": { value: true },
  "database-schema": { value: true },
  "db-pool-size": { value: true },
  "db-statement-timeout": { value: true },
  "db-connect-timeout": { value: true },
  trust: { value: true, repeat: true },
  tl: { value: true, repeat: true },
  "tl-signer": { value: true, repeat: true },
  "tl-cache": { value: true },
  crl: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  offline: {},
  policy: { value: true },
  workers: { value: true },
  "max-body": { value: true },
  "max-public-body": { value: true },
  // issue 15: large detached contents of submissions are kept as files beside the database
  "file-store": { value: true },
  "file-store-over": { value: true },
  rate: { value: true },
  "rate-burst": { value: true },
  "seal-key": { value: true },
  "seal-password-env": { value: true },
  "seal-chain": { value: true, repeat: true },
  "pkcs11-module": { value: true },
  tsa: { value: true },
  "tsa-key": { value: true },
  "tsa-password-env": { value: true },
  "tsa-policy": { value: true },
  register: { value: true },
  "number-format": { value: true },
  clock: { value: true },
  "log-level": { value: true },
  "allow-test-material": {},
  "tlog-key": { value: true },
  "tlog-origin": { value: true },
  "tlog-witness": { value: true, repeat: true },
  json: {},
  help: {},
};

export const SERVE_FLAGS: Readonly<Record<string, { value?: boolean; repeat?: boolean }>> = FLAGS;

/**
 * Own material mixed with the bundled TEST material (issue 10 item 3): an administrator who
 * brings a trust store and a seal but no TSA would otherwise issue receipts time-stamped by the
 * test TSA. Refused, naming the flag to add, unless --allow-test-material says it is meant.
 */
function checkMixedMaterial(a: ReturnType<typeof parseArgs>): void {
  const own = { trust: has(a, "trust") || has(a, "tl"), seal: has(a, "seal-key"), tsa: has(a, "tsa") || has(a, "tsa-key") };
  if (!own.trust && !own.seal && !own.tsa) return;
  if (has(a, "allow-test-material")) return;
  const missing: string[] = [];
  if (!own.trust) missing.push("--trust PEM-or-DIR (your trust anchors; else the TEST trust store checks signatures)");
  if (!own.seal) missing.push("--seal-key KEY.p12|pkcs11:URI with --seal-password-env VAR (else receipts carry the TEST seal)");
  if (!own.tsa) missing.push("--tsa URL or --tsa-key KEY.p12 with --tsa-password-env VAR (else receipts are time-stamped by the TEST TSA)");
  if (missing.length) throw new UsageError(`own configuration mixed with bundled test material: add ${missing.join("; and ")} — or --allow-test-material to mix on purpose`);
}

function int(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)([kKmMgG]?)$/.exec(v);
  if (!m) throw new UsageError(`--${name} must be a whole number (got "${v}")`);
  const n = Number(m[1]) * ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

export function serveConfigFromArgs(argv: string[]): { config: ServeConfig; warnings: string[] } {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  checkMixedMaterial(a);
  const c = defaultConfig();
  const warnings: string[] = [];
  c.port = int(one(a, "port"), "port", 0, 65535) ?? c.port;
  c.host = one(a, "host") ?? c.host;
  c.dataDir = one(a, "data") ?? c.dataDir;
  c.databaseUrl = one(a, "database-url") ?? c.databaseUrl;
  c.databaseSchema = one(a, "database-schema");
  c.dbPoolSize = int(one(a, "db-pool-size"), "db-pool-size", 1, 1000);
  c.dbStatementTimeoutMs = int(one(a, "db-statement-timeout"), "db-statement-timeout", 0, 3_600_000);
  c.dbConnectTimeoutMs = int(one(a, "db-connect-timeout"), "db-connect-timeout", 100, 600_000);
  if (has(a, "tl-signer") && !has(a, "tl")) throw new UsageError("--tl-signer needs --tl (the list it signs)");
  if (has(a, "tl")) {
    // the lists are the trust: the bundled test store is not added (issue 14)
    c.tl = all(a, "tl");
    c.tlSigners = all(a, "tl-signer");
    c.tlCache = one(a, "tl-cache");
  }
  if (has(a, "trust") || has(a, "tl")) {
    c.trust = all(a, "trust");
    c.crls = all(a, "crl");
    c.bundledTrust = false;
  } else {
    if (has(a, "crl")) c.crls = all(a, "crl");
    warnings.push("no --trust given: using the bundled TEST trust store (certs-test/trust) — not for real signatures");
  }
  c.untrusted = all(a, "untrusted");
  c.offline = has(a, "offline");
  c.policyPath = one(a, "policy");
  c.workers = int(one(a, "workers"), "workers", 0, 256) ?? c.workers;
  c.maxBodyBytes = int(one(a, "max-body"), "max-body", 1024, 4 * 1024 ** 3) ?? c.maxBodyBytes;
  c.fileStore = one(a, "file-store");
  c.fileStoreOver = int(one(a, "file-store-over"), "file-store-over", 0, 4 * 1024 ** 3) ?? c.fileStoreOver;
  c.maxPublicBodyBytes = int(one(a, "max-public-body"), "max-public-body", 1024, 4 * 1024 ** 3) ?? c.maxPublicBodyBytes;
  c.ratePerSecond = int(one(a, "rate"), "rate", 0, 1_000_000) ?? c.ratePerSecond;
  c.rateBurst = int(one(a, "rate-burst"), "rate-burst", 0, 1_000_000) ?? c.rateBurst;
  if (has(a, "seal-key")) {
    c.sealKey = one(a, "seal-key")!;
    c.sealPasswordEnv = one(a, "seal-password-env");
  } else warnings.push("no --seal-key given: receipts are sealed with the bundled TEST seal (certs-test/keys/seal-rsa2048.p12)");
  c.sealChain = all(a, "seal-chain");
  c.pkcs11Module = one(a, "pkcs11-module");
  c.tsaUrl = one(a, "tsa");
  if (has(a, "tsa") && has(a, "tsa-key")) throw new UsageError("give --tsa URL or --tsa-key KEY, not both");
  if (!has(a, "tsa") && !has(a, "tsa-key")) warnings.push("no --tsa or --tsa-key given: receipts are time-stamped by the bundled TEST TSA (certs-test/keys/tsa.p12)");
  if (has(a, "tsa-key")) {
    c.tsaKey = one(a, "tsa-key")!;
    c.tsaPasswordEnv = one(a, "tsa-password-env");
  }
  c.tsaPolicy = one(a, "tsa-policy") ?? c.tsaPolicy;
  c.register = one(a, "register") ?? c.register;
  if (!/^[\w.-]{1,32}$/.test(c.register)) throw new UsageError("--register: letters, digits, '.', '_' or '-', at most 32");
  c.numberFormat = one(a, "number-format") ?? c.numberFormat;
  try {
    checkNumberFormat(c.numberFormat);
  } catch (e) {
    throw new UsageError(`--number-format: ${(e as Error).message}`);
  }
  const clock = one(a, "clock");
  if (clock !== undefined) {
    if (Number.isNaN(new Date(clock).getTime())) throw new UsageError(`--clock must be an ISO-8601 instant (got "${clock}")`);
    c.clock = new Date(clock).toISOString();
    c.clockOrigin = Date.now();
    warnings.push(`the service clock starts at ${c.clock} (--clock: for tests only)`);
  }
  c.logLevel = one(a, "log-level") ?? c.logLevel;
  c.tlogKey = one(a, "tlog-key");
  c.tlogOrigin = one(a, "tlog-origin");
  c.tlogWitnesses = all(a, "tlog-witness");
  return { config: c, warnings };
}

export async function serveCommand(argv: string[], out: Output): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out.stdout(SERVE_HELP);
    return 0;
  }
  const { config, warnings } = serveConfigFromArgs(argv);
  for (const w of warnings) out.stderr(`podpis serve: ${w}\n`);
  // one clear line and exit 64 for a configuration that cannot work, before any worker starts
  try {
    await preflight(config);
  } catch (e) {
    out.stderr(`podpis serve: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  stopWithParent();
  return runServer(config, (line) => out.stderr(line + "\n"));
}
