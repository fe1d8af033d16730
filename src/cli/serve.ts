/** `podpis serve`: the HTTP service (contract "HTTP"), on every core, SQLite under ./data by default. */
import { UsageError, all, has, one, parseArgs } from "./args.js";
import type { Output } from "./output.js";
import { checkNumberFormat } from "../archive/registration.js";
import { type ServeConfig, defaultConfig } from "../http/config.js";
import { runServer } from "../http/server.js";

const FLAGS = {
  port: { value: true },
  host: { value: true },
  data: { value: true },
  "database-url": { value: true },
  trust: { value: true, repeat: true },
  tl: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  offline: {},
  policy: { value: true },
  workers: { value: true },
  "max-body": { value: true },
  "max-public-body": { value: true },
  rate: { value: true },
  "rate-burst": { value: true },
  "seal-key": { value: true },
  "seal-password-env": { value: true },
  "pkcs11-module": { value: true },
  tsa: { value: true },
  "tsa-key": { value: true },
  "tsa-password-env": { value: true },
  "tsa-policy": { value: true },
  register: { value: true },
  "number-format": { value: true },
  clock: { value: true },
  "log-level": { value: true },
  json: {},
};

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
  if (has(a, "tl")) throw new UsageError("--tl: trusted lists are not supported yet; give the CA certificates with --trust");
  const c = defaultConfig();
  const warnings: string[] = [];
  c.port = int(one(a, "port"), "port", 0, 65535) ?? c.port;
  c.host = one(a, "host") ?? c.host;
  c.dataDir = one(a, "data") ?? c.dataDir;
  c.databaseUrl = one(a, "database-url") ?? c.databaseUrl;
  if (has(a, "trust")) {
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
  c.maxPublicBodyBytes = int(one(a, "max-public-body"), "max-public-body", 1024, 4 * 1024 ** 3) ?? c.maxPublicBodyBytes;
  c.ratePerSecond = int(one(a, "rate"), "rate", 0, 1_000_000) ?? c.ratePerSecond;
  c.rateBurst = int(one(a, "rate-burst"), "rate-burst", 0, 1_000_000) ?? c.rateBurst;
  if (has(a, "seal-key")) {
    c.sealKey = one(a, "seal-key")!;
    c.sealPasswordEnv = one(a, "seal-password-env");
  } else warnings.push("no --seal-key given: receipts are sealed with the bundled TEST seal (certs-test/keys/seal-rsa2048.p12)");
  c.pkcs11Module = one(a, "pkcs11-module");
  c.tsaUrl = one(a, "tsa");
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
    warnings.push(`the service clock starts at ${c.clock} (--clock: for tests only)`);
  }
  c.logLevel = one(a, "log-level") ?? c.logLevel;
  return { config: c, warnings };
}

export async function serveCommand(argv: string[], out: Output): Promise<number> {
  const { config, warnings } = serveConfigFromArgs(argv);
  for (const w of warnings) out.stderr(`podpis serve: ${w}\n`);
  return runServer(config, (line) => out.stderr(line + "\n"));
}
