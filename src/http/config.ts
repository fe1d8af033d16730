/**
 * `podpis serve` configuration (plain data, handed from the primary to each cluster worker) and
 * the runtime each worker builds from it: validator, archive, seal, service, logger.
 */
import { PodpisError } from "../errors/base.js";
import { readFileSync } from "node:fs";
import pino from "pino";
import { type ArchiveConfig, openArchive } from "../archive/open.js";
import type { ArchiveStore } from "../archive/port.js";
import { DEFAULT_NUMBER_FORMAT, DEFAULT_REGISTER } from "../archive/registration.js";
import type { Timestamper } from "../cades/sign.js";
import { openKey } from "../keys/index.js";
import { DEFAULT_ROUTE_BUDGETS } from "../limits/budgets.js";
import { type ReceiptSealer, xadesSealer } from "../receipt/seal.js";
import { TimestampAuthority } from "../timestamp/tsa.js";
import { randomSerialSource } from "../timestamp/tsa-serial.js";
import { createTimestamper } from "../io/tsa-client.js";
import { loadPolicy } from "../validation/policy.js";
import type { Validator } from "../validator.js";
import { BUNDLED } from "../bundled.js";
import { readInput } from "../io/files.js";
import { validatorFromFiles } from "../cli/trust-flags.js";
import type { KeyProvider } from "../keys/provider.js";
import { createCrlFetcher } from "../revocation/fetch.js";
import { FileStore, defaultFileStoreDir } from "../archive/file-store.js";
import { CrlRefresher } from "./crl-refresh.js";
import { type Clock, PodpisService, clockFrom } from "./service.js";
import { TwoStepSigning } from "./signing.js";
import { type DependencyProbe, classifiedSealer, dependencyProbes, serviceTimestamper } from "./dependencies.js";
import { loadStateKey } from "./signing-state.js";
import { join } from "node:path";
import { createListSource } from "../io/tl-source.js";
import type { TrustState } from "../trust/load.js";
import { TlRefresher } from "./tl-refresh.js";
import { ownChain, receiptValidator, sealChainMaterial, sealChainProbe } from "./own-chain.js";
import { type Certificate, CertificateError, parseCertificates } from "../pki/certificate.js";
import { openLogSigner } from "../archive/log-key.js";
import { LogSequencer, type WitnessTarget } from "../archive/log-sequencer.js";
import { parseWitnessKey } from "../log/index.js";


export interface ServeConfig {
  host: string;
  port: number;
  dataDir: string;
  /** from DATABASE_URL: selects PostgreSQL */
  databaseUrl?: string;
  /** PostgreSQL pool of each process (issue 15): connections at most, statement and connect timeouts in ms */
  dbPoolSize?: number;
  dbStatementTimeoutMs?: number;
  dbConnectTimeoutMs?: number;
  trust: string[];
  crls: string[];
  untrusted: string[];
  offline: boolean;
  policyPath?: string;
  sealKey: string;
  /** name of the environment variable holding the seal key's password / PIN (default: the bundled test password) */
  sealPasswordEnv?: string;
  /** `--seal-chain`: PEM/DER files with the seal certificate's CA chain, when the key file or token lacks it (issue 12) */
  sealChain: string[];
  pkcs11Module?: string;
  /** an RFC 3161 TSA URL; without it the built-in TSA signs the time-stamps */
  tsaUrl?: string;
  tsaKey: string;
  tsaPasswordEnv?: string;
  tsaPolicy: string;
  register: string;
  numberFormat: string;
  /** body cap of the keyed routes (RouteBudgets.keyed) */
  maxBodyBytes: number;
  /** issue 15: the file store for large detached contents (default DATA/files) and its threshold in bytes */
  fileStore?: string;
  fileStoreOver?: number;
  /** body cap of the public, unkeyed routes (RouteBudgets.public): anyone can send those */
  maxPublicBodyBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  workers: number;
  /** ISO instant the service clock starts at (tests); default: the real clock */
  clock?: string;
  /** real epoch ms at which `clock` was read, shared by every worker */
  clockOrigin?: number;
  logLevel: string;
  /**
   * HMAC key of the two-step signing state (base64, ≥ 32 octets), from PODPIS_SIGNING_STATE_KEY;
   * needed when several machines serve one portal. Default: `dataDir/signing-state.key`, made once.
   */
  signingStateKey?: string;
  /** seconds a prepared signature can be completed */
  signingStateTtl: number;
  /** true when no --trust was given: the bundled TEST trust store is in use */
  bundledTrust: boolean;
  /** --tl: trusted lists (files or URLs; issue 14) */
  tl?: string[];
  /** --tl-signer: certificate files allowed to sign them */
  tlSigners?: string[];
  /** --tl-cache (default dataDir/tl-cache) */
  tlCache?: string;
  /** the transparency log's signer key file (issue 16); default dataDir/log-signer.key */
  tlogKey?: string;
  /** the name a new log key gets (the log's origin); default podpis.local/log */
  tlogOrigin?: string;
  /** witnesses to push checkpoints to: `<witness vkey>@<submission prefix URL>` */
  tlogWitnesses?: string[];
  /** PostgreSQL schema of the archive (--database-schema; tests give each run its own); default public */
  databaseSchema?: string;
  /** ms between sequencer steps (tests); default 500 */
  tlogIntervalMs?: number;
}

export function defaultConfig(): ServeConfig {
  return {
    host: "127.0.0.1",
    port: 8080,
    dataDir: "data",
    databaseUrl: process.env.DATABASE_URL || undefined,
    trust: [BUNDLED.trust],
    crls: [BUNDLED.crls],
    untrusted: [],
    offline: false,
    sealKey: BUNDLED.sealKey,
    sealChain: [],
    tsaKey: BUNDLED.tsaKey,
    tsaPolicy: BUNDLED.tsaPolicy,
    register: DEFAULT_REGISTER,
    numberFormat: DEFAULT_NUMBER_FORMAT,
    maxBodyBytes: DEFAULT_ROUTE_BUDGETS.keyed.bodyBytes,
    maxPublicBodyBytes: DEFAULT_ROUTE_BUDGETS.public.bodyBytes,
    ratePerSecond: 0,
    rateBurst: 0,
    workers: 0,
    logLevel: "info",
    signingStateKey: process.env.PODPIS_SIGNING_STATE_KEY || undefined,
    signingStateTtl: 15 * 60,
    bundledTrust: true,
  };
}

export function archiveConfig(c: ServeConfig): ArchiveConfig {
  return {
    dataDir: c.dataDir,
    databaseUrl: c.databaseUrl,
    numberFormat: c.numberFormat,
    pgPoolSize: c.dbPoolSize,
    pgStatementTimeoutMs: c.dbStatementTimeoutMs,
    pgConnectTimeoutMs: c.dbConnectTimeoutMs,
    pgSchema: c.databaseSchema,
  };
}

/** Log lines never carry an EGN: any ten-digit run is masked, whatever field it hides in. */
export function scrub(s: string): string {
  return s.replace(/\d{10}/g, "[redacted]");
}

const needsScrub = (a: unknown): boolean => typeof a === "string" && /\d{10}/.test(a);

/**
 * `sync: false` (the request log): lines go out through an asynchronous writer, so under load the
 * lines of many requests leave in one write(2) instead of one each — a synchronous write per
 * request was a twentieth of a worker's time. Issue 15: the writer also holds lines until
 * LOG_BATCH_BYTES have gathered or LOG_FLUSH_MS have passed. Without that it wrote whenever its
 * last write was done, and to a fast reader that is once a line: a libuv thread-pool round trip
 * per request, ≈ 40 µs of a /verify worker's CPU (measured with the validation taken out).
 * Flushed on shutdown (Runtime.close) and after an error line. Messages written just before an
 * exit use the synchronous default.
 */
export const LOG_FLUSH_MS = 100;
const LOG_BATCH_BYTES = 8 * 1024;
export function createLogger(level: string, opts: { sync?: boolean; dest?: pino.DestinationStream; fd?: number } = {}): pino.Logger {
  // (`dest`: where the lines go instead of stdout, `fd` the descriptor written instead of 1 — tests)
  const sync = opts.sync ?? true;
  const fd = opts.fd ?? 1;
  const dest = opts.dest ?? pino.destination(sync ? { dest: fd, sync } : { dest: fd, sync, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // every log line passes here (the request log: one per request), so the arguments are
      // copied only when a string among them carries a ten-digit run to mask (issue 15)
      logMethod(args, method) {
        method.apply(this, (args.some(needsScrub) ? args.map((a) => (typeof a === "string" ? scrub(a) : a)) : args) as Parameters<typeof method>);
      },
    },
  }, dest);
}

export function validatorFromConfig(c: ServeConfig, policyBytes: Buffer, trustedLists?: TrustState): Promise<Validator> {
  return validatorFromFiles({ trust: c.trust, crls: c.crls, untrusted: c.untrusted, offline: c.offline, policy: loadPolicy(JSON.parse(policyBytes.toString("utf8"))), ...(trustedLists ? { trustedLists } : {}) });
}

/** The service's trusted lists (issue 14): their refresher, null without --tl. */
export function tlRefresherFor(c: ServeConfig, clock: () => Date, log: pino.Logger): TlRefresher | null {
  if (!c.tl?.length) return null;
  const signers = (c.tlSigners ?? []).flatMap((p) => {
    try {
      return parseCertificates(readInput(p, "list signer certificate (--tl-signer)"));
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("INPUT_")) throw e;
      throw new ConfigError(`--tl-signer ${p} is not a certificate: ${(e as Error).message}`);
    }
  });
  const retry = Number(process.env.PODPIS_TL_RETRY_MS ?? "");
  const every = Number(process.env.PODPIS_TL_REFRESH_MS ?? "");
  return new TlRefresher({
    locations: c.tl,
    signers,
    source: createListSource({ cacheDir: c.tlCache ?? join(c.dataDir, "tl-cache"), offline: c.offline }),
    now: clock,
    // a list not used, or kept from an earlier refresh, is a warning
    log: (msg, fields) => (/not used|kept|failed/.test(msg) ? log.warn({ ...fields }, msg) : log.info({ ...fields }, msg)),
    // PODPIS_TL_RETRY_MS: how soon a list that is not good is asked again (tests; default 60 s)
    ...(Number.isFinite(retry) && retry > 0 ? { retryMs: retry } : {}),
    // PODPIS_TL_REFRESH_MS: how often good lists are asked again (default 1 h; before NextUpdate in any case)
    ...(Number.isFinite(every) && every > 0 ? { maxIntervalMs: every } : {}),
  });
}

/** A key of the service (receipt seal, built-in TSA): which flags name it, for messages. */
interface KeyRole {
  what: string;
  key: string;
  passwordEnv: string | undefined;
  keyFlag: string;
  envFlag: string;
  bundled: string;
}

const sealRole = (c: ServeConfig): KeyRole => ({ what: "the seal key", key: c.sealKey, passwordEnv: c.sealPasswordEnv, keyFlag: "--seal-key", envFlag: "--seal-password-env", bundled: BUNDLED.sealKey });
const tsaRole = (c: ServeConfig): KeyRole => ({ what: "the TSA key", key: c.tsaKey, passwordEnv: c.tsaPasswordEnv, keyFlag: "--tsa-key", envFlag: "--tsa-password-env", bundled: BUNDLED.tsaKey });

/**
 * Opens a service key. The bundled test keys use the test password; an own key needs its
 * password (or PIN) from the environment variable the flag names — without one, a PKCS#12 file
 * is tried with the empty password, and failing that the message says no password was given
 * (not "wrong password", issue 10 item 14).
 */
async function openServiceKey(c: ServeConfig, r: KeyRole): Promise<KeyProvider> {
  const pkcs11Module = c.pkcs11Module;
  if (r.passwordEnv !== undefined) {
    const v = process.env[r.passwordEnv];
    if (v === undefined) throw new ConfigError(`${r.envFlag} ${r.passwordEnv}: the environment variable is not set (it holds the password of ${r.what} ${r.key})`);
    return openKey({ key: r.key, secret: v, pkcs11Module });
  }
  if (r.key === r.bundled) return openKey({ key: r.key, secret: BUNDLED.password, pkcs11Module });
  if (r.key.startsWith("pkcs11:")) throw new ConfigError(`no PIN was given for ${r.what} ${r.key}: add ${r.envFlag} VAR (the environment variable that holds it)`);
  try {
    return await openKey({ key: r.key, secret: "", pkcs11Module });
  } catch (e) {
    if ((e as { code?: string }).code === "BAD_PASSWORD") throw new ConfigError(`no password was given for ${r.what} ${r.key}: add ${r.envFlag} VAR (the environment variable that holds it)`);
    throw e;
  }
}

/** A configuration that cannot work; `podpis serve` prints the message as one line and exits 64. */
export class ConfigError extends PodpisError<"CONFIG"> {
  readonly code = "CONFIG";
}

/** The built-in TSA, in process: the token as an RFC 3161 response would carry it (no request or response encoded), serials random 120-bit (unique across workers and restarts). */
async function builtInTimestamper(c: ServeConfig, clock: Clock): Promise<{ timestamper: Timestamper; close: () => Promise<void>; chain: Certificate[] }> {
  const key = await openServiceKey(c, tsaRole(c));
  const tsa = new TimestampAuthority({
    key,
    policy: c.tsaPolicy,
    clock,
    serials: randomSerialSource(),
  });
  const timestamper: Timestamper = (data, hash) => tsa.issue(data, hash);
  return { timestamper, close: () => key.close(), chain: ownChain(key) };
}

/** The certificates `--seal-chain` names (PEM or DER, several per file). */
function sealChainCertificates(c: ServeConfig): Certificate[] {
  return c.sealChain.flatMap((p) => {
    try {
      return parseCertificates(readInput(p, "seal chain (--seal-chain)"));
    } catch (e) {
      if (e instanceof CertificateError) throw new ConfigError(`--seal-chain ${p}: not a certificate: ${e.message}`);
      throw e;
    }
  });
}

/**
 * Everything a worker would load, loaded once in the primary before forking (issue 10 item 6):
 * a wrong path, a key file given as --trust, a bad CRL, policy or key password is one clear
 * error here, not a crash loop of workers. Keys are opened and closed again.
 */
export async function preflight(c: ServeConfig): Promise<void> {
  const what = async <T>(label: string | null, f: () => Promise<T> | T): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ConfigError || label === null) throw e;
      throw new ConfigError(`${label}: ${(e as Error).message}`);
    }
  };
  const policyBytes = c.policyPath ? readInput(c.policyPath, "policy file (--policy)") : readFileSync(BUNDLED.policy);
  await what(`--policy ${c.policyPath ?? BUNDLED.policy}`, () => loadPolicy(JSON.parse(policyBytes.toString("utf8"))));
  // readFileOrDir and the validator name the file and flag at fault themselves
  await what(null, () => validatorFromConfig(c, policyBytes));
  // --tl-signer files are read here; the lists themselves are judged by /readyz, not at start
  await what(null, () => tlRefresherFor(c, () => new Date(), createLogger("silent")));
  const seal = await what("--seal-key", () => openServiceKey(c, sealRole(c)));
  await seal.close().catch(() => {});
  sealChainCertificates(c);
  await what("--tlog-key", () => openLogSigner({ path: c.tlogKey, dataDir: c.dataDir, origin: c.tlogOrigin }));
  await what(null, () => witnessTargets(c.tlogWitnesses));
  if (!c.tsaUrl) {
    const tsa = await what("--tsa-key", () => openServiceKey(c, tsaRole(c)));
    await tsa.close().catch(() => {});
  }
}

export interface Runtime {
  config: ServeConfig;
  service: PodpisService;
  archive: ArchiveStore;
  validator: Validator;
  sealer: ReceiptSealer;
  signing: TwoStepSigning;
  clock: Clock;
  log: pino.Logger;
  /** background CRL refresh and --crl re-reading (SIGHUP calls crls.reload()) */
  crls: CrlRefresher;
  /** the TSA and the seal key, probed by /readyz */
  dependencies: DependencyProbe[];
  /** the trusted lists' refresher (issue 14), null without --tl */
  tl: TlRefresher | null;
  /** the transparency log's sequencer (issue 16) */
  sequencer: LogSequencer;
  close(): Promise<void>;
}

/** `--tlog-witness VKEY@URL` */
export function witnessTargets(specs: readonly string[] = []): WitnessTarget[] {
  return specs.map((s) => {
    const at = s.indexOf("@");
    if (at < 0) throw new ConfigError(`--tlog-witness ${s}: give the witness's key and URL as VKEY@URL`);
    try {
      return { key: parseWitnessKey(s.slice(0, at)), url: new URL(s.slice(at + 1)).toString() };
    } catch (e) {
      throw new ConfigError(`--tlog-witness ${s.slice(0, 60)}: ${(e as Error).message}`);
    }
  });
}

export async function buildRuntime(c: ServeConfig, log = createLogger(c.logLevel, { sync: false })): Promise<Runtime> {
  const clock = clockFrom(c.clock ? new Date(c.clock) : null, c.clockOrigin);
  const policyBytes = readFileSync(c.policyPath ?? BUNDLED.policy);
  const policyName = (JSON.parse(policyBytes.toString("utf8")) as { name?: string }).name ?? "policy";
  const tl = tlRefresherFor(c, clock, log);
  const validator = await validatorFromConfig(c, policyBytes, tl ? await tl.load() : undefined);
  tl?.attach(validator);
  tl?.start();
  /** CAs of the service's own seal and TSA chains, whose CRLs are kept fresh too */
  const ownCertificates: Certificate[] = [];
  const crls = new CrlRefresher({
    store: validator.crlStore,
    certificates: () => [...validator.trustStore.certificates(), ...validator.untrusted, ...ownCertificates],
    crlPaths: c.crls,
    fetcher: c.offline ? null : createCrlFetcher(),
    now: clock,
    log: (msg, fields) => log.info({ ...fields }, msg),
    // PODPIS_CRL_WATCH=0: no file watcher (network file systems); SIGHUP still re-reads
    watchFiles: process.env.PODPIS_CRL_WATCH !== "0",
  });
  const archive = openArchive(archiveConfig(c));
  await archive.migrate();
  let ts: { timestamper: Timestamper; close: () => Promise<void>; chain?: Certificate[] };
  if (c.tsaUrl) {
    const t = createTimestamper({ url: c.tsaUrl, context: validator.context, now: clock });
    ts = { timestamper: (data, hash) => t(data, hash), close: async () => {} };
  } else ts = await builtInTimestamper(c, clock);
  const sealKey = await openServiceKey(c, sealRole(c));
  // issue 10.4: a TSA or seal key that is away becomes a 503 naming it, and /readyz probes both
  const timestamper = serviceTimestamper(ts.timestamper);
  const sealer = classifiedSealer(xadesSealer(sealKey, timestamper, ts.close));
  // issue 12: receipts are checked against the seal's (and built-in TSA's) own chain plus --trust
  const sealChain = ownChain(sealKey, sealChainCertificates(c));
  const forReceipts = receiptValidator(validator, [sealChain, ts.chain ?? []]);
  ownCertificates.push(...sealChain.slice(1), ...(ts.chain ?? []).slice(1));
  const dependencies = [...dependencyProbes({ timestamper, sealKey }), sealChainProbe(forReceipts, sealChain, clock)];
  const logSigner = openLogSigner({ path: c.tlogKey, dataDir: c.dataDir, origin: c.tlogOrigin });
  const sequencer = new LogSequencer({
    store: archive.transparencyLog,
    signer: logSigner,
    clock,
    witnesses: witnessTargets(c.tlogWitnesses),
    intervalMs: c.tlogIntervalMs,
    onError: (what, e) => log.warn({ err: { message: (e as Error)?.message } }, what),
  });
  // (the same TSA augments every accepted submission to B-LTA at receipt, issue 13)
  const service = new PodpisService({
    validator, archive, sealer, clock, policy: { bytes: policyBytes, name: policyName }, register: c.register, timestamper,
    receiptValidator: forReceipts, ownMaterial: [sealChainMaterial(sealChain)],
    files: new FileStore(c.fileStore ?? defaultFileStoreDir(c.dataDir)), fileStoreOver: c.fileStoreOver,
    log: { origin: logSigner.name, verifierKey: logSigner.verifierKey },
  });
  const stateKey = c.signingStateKey ? Buffer.from(c.signingStateKey, "base64") : loadStateKey(c.dataDir);
  const signing = new TwoStepSigning({ stateKey, clock, ttlSeconds: c.signingStateTtl, timestamper });
  // at startup and then in the background: /readyz must not wait for a validation to fetch
  crls.start();
  sequencer.start();
  return {
    config: c,
    service,
    archive,
    validator,
    sealer,
    signing,
    clock,
    log,
    crls,
    dependencies,
    tl,
    sequencer,
    async close() {
      crls.stop();
      tl?.stop();
      await sequencer.stop();
      await sealer.close().catch(() => {});
      await archive.close().catch(() => {});
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}
