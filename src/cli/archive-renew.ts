/**
 * `podpis archive renew --before DATE [--data DIR | --database-url URL] --tsa URL [--trust …]
 * [--crl …] [--ocsp FILE]… [--untrusted …] [--offline] [--json]`: re-time-stamps archived
 * evidence (issue 13) whose newest archive time-stamp stops proving anything before DATE — its
 * TSA certificate expires, or one of its algorithms reaches its sunset date under the archived
 * policy. Each renewal validates the evidence now from its archived material (anchors, CRLs, OCSP
 * responses, policy) plus what the flags add, embeds the validation data of the previous archive
 * time-stamp and adds a new one over everything (evidence/extend.ts), stored as the next
 * evidence version with an audit entry. Progress: a bar on a terminal, plain lines otherwise.
 * Exit 0 when everything due was renewed, 2 when some could not be (each one named).
 */
import { openArchive } from "../archive/open.js";
import { ArchiveError, type ArchiveStore, type Material } from "../archive/port.js";
import { isFileRef } from "../archive/file-store.js";
import { extendSignatures } from "../evidence/extend.js";
import { extendEnvFor } from "../evidence/extend-env.js";
import { renewalDue } from "../evidence/extend-renew.js";
import { isPodpisError } from "../errors/base.js";
import { createTimestamper, httpTransport } from "../io/tsa-client.js";
import { readFileOrDir, readInput } from "../io/files.js";
import { sunsetOf } from "../validation/crypto-constraints.js";
import { parsePolicy } from "../validation/policy.js";
import { type Validator, createValidator } from "../validator.js";
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { requireDataDir } from "./data-dir.js";
import { EXIT_FAILED, type Output, json, stdio } from "./output.js";

const FLAGS = {
  before: { value: true },
  data: { value: true },
  "database-url": { value: true },
  tsa: { value: true },
  "tsa-timeout": { value: true },
  trust: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  ocsp: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  offline: {},
  json: {},
  help: {},
};

export const RENEW_HELP =
  "use: podpis archive renew --before DATE --tsa URL [--data DIR | --database-url URL] [--trust PEM-or-DIR]… [--crl FILE-or-DIR]… [--ocsp FILE]… [--untrusted FILE]… [--offline] [--json]";

export interface RenewOutcome {
  id: string;
  /** when the newest archive time-stamp stops proving (before the renewal) */
  expires: string | null;
  status: "renewed" | "failed";
  version?: number;
  error?: { code: string; message: string };
}

interface Extra {
  trust: Uint8Array[];
  crls: Uint8Array[];
  ocsp: Uint8Array[];
  untrusted: Uint8Array[];
  offline: boolean;
}

/** A progress display: a bar redrawn on a terminal, one plain line per item otherwise. */
function progress(out: Output, total: number, tty: boolean): { step(done: number, line: string): void; end(): void } {
  if (!tty) return { step: (done, line) => out.stderr(`[${done}/${total}] ${line}\n`), end: () => undefined };
  const width = 30;
  return {
    step(done, line) {
      const filled = total ? Math.round((done / total) * width) : width;
      out.stderr(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${line.slice(0, 40).padEnd(40)}`);
    },
    end: () => out.stderr("\n"),
  };
}

/** The validator a submission's evidence is renewed with: its archived material plus the flags' (one per distinct material). */
function validatorFor(material: Material[], extra: Extra, cache: Map<string, Promise<Validator>>): Promise<Validator> {
  const key = material.map((m) => m.sha256).sort().join(",");
  let v = cache.get(key);
  if (!v) {
    const of = (k: Material["kind"]) => material.filter((m) => m.kind === k).map((m) => m.bytes);
    const policy = of("policy")[0];
    v = createValidator({
      trust: [...of("anchors"), ...extra.trust],
      crls: [...of("crl"), ...extra.crls],
      untrusted: [...of("untrusted"), ...extra.untrusted],
      ocspResponses: [...of("ocsp"), ...extra.ocsp],
      offline: extra.offline,
      policy: policy ? parsePolicy(JSON.parse(Buffer.from(policy).toString("utf8"))) : undefined,
    });
    cache.set(key, v);
  }
  return v;
}

export async function renewArchive(
  archive: ArchiveStore,
  opts: { before: Date; tsaUrl: string; tsaTimeoutMs?: number; extra: Extra; now?: () => Date; onProgress?: (done: number, total: number, line: string) => void },
): Promise<{ checked: number; due: number; outcomes: RenewOutcome[] }> {
  const now = opts.now ?? (() => new Date());
  const validators = new Map<string, Promise<Validator>>();
  const ids = await archive.submissionIds();
  const due: Array<{ id: string; expires: Date | null; bytes: Buffer; material: Material[] }> = [];
  let checked = 0;
  for (const id of ids) {
    const ev = await archive.getEvidence(id);
    if (!ev) continue;
    checked++;
    const material = await archive.getMaterial(id);
    const v = await validatorFor(material, opts.extra, validators);
    const d = renewalDue(ev.bytes, v.context, (use) => sunsetOf(v.policy.algorithms, use));
    if (d.expires === null || d.expires < opts.before) due.push({ id, expires: d.expires, bytes: ev.bytes, material });
  }
  const outcomes: RenewOutcome[] = [];
  for (const [i, item] of due.entries()) {
    const contents = (await archive.getDocument(item.id))?.contents ?? [];
    const v = await validatorFor(item.material, opts.extra, validators);
    const timestamper = createTimestamper({ url: opts.tsaUrl, context: v.context, transport: httpTransport({ timeoutMs: opts.tsaTimeoutMs ?? 15_000 }), now });
    const expires = item.expires?.toISOString() ?? null;
    try {
      // (a content in the file store never got evidence at receipt, so it is not renewed either)
      if (contents.some(isFileRef)) throw new ArchiveError("BAD_CONFIG", "a detached content is kept in the file store: its evidence is not renewed here");
      const r = await extendSignatures(item.bytes, "B-LTA", extendEnvFor(v, { timestamper, contents: (contents as Buffer[]).map((bytes) => ({ bytes })), now }));
      const rec = await archive.addEvidence(item.id, r.bytes, now(), { reason: "renew", before: opts.before.toISOString(), expires });
      outcomes.push({ id: item.id, expires, status: "renewed", version: rec.version });
      opts.onProgress?.(i + 1, due.length, `renewed ${item.id} (version ${rec.version})`);
    } catch (e) {
      if (!isPodpisError(e)) throw e;
      outcomes.push({ id: item.id, expires, status: "failed", error: { code: e.code, message: e.message } });
      opts.onProgress?.(i + 1, due.length, `NOT renewed ${item.id}: ${e.code}`);
    }
  }
  return { checked, due: due.length, outcomes };
}

export async function archiveRenewCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (has(a, "help")) {
    out.stdout(RENEW_HELP + "\n");
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]} (${RENEW_HELP})`);
  const beforeText = one(a, "before");
  if (!beforeText) throw new UsageError(`--before DATE is required (${RENEW_HELP})`);
  const before = new Date(beforeText);
  if (!/^\d{4}-\d{2}-\d{2}/.test(beforeText) || Number.isNaN(before.getTime())) throw new UsageError(`--before must be an ISO-8601 date, got "${beforeText}"`);
  const tsaUrl = one(a, "tsa");
  if (!tsaUrl) throw new UsageError(`--tsa URL is required: renewal adds an archive time-stamp (${RENEW_HELP})`);
  const timeoutText = one(a, "tsa-timeout");
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError("--tsa-timeout is in milliseconds");
  const dataDir = one(a, "data") ?? "data";
  const databaseUrl = one(a, "database-url") ?? (process.env.DATABASE_URL || undefined);
  requireDataDir(dataDir, databaseUrl, null);
  const files = (flag: string, what: string) => all(a, flag).flatMap((p) => readFileOrDir(p, what)).map((f) => f.bytes);
  const extra: Extra = {
    trust: files("trust", "trust anchor (--trust)"),
    crls: files("crl", "CRL (--crl)"),
    ocsp: all(a, "ocsp").map((p) => readInput(p, "OCSP response (--ocsp)")),
    untrusted: all(a, "untrusted").map((p) => readInput(p, "untrusted certificate (--untrusted)")),
    offline: has(a, "offline"),
  };
  const archive = openArchive({ dataDir, databaseUrl });
  try {
    await archive.migrate();
    // (a bar only where someone watches: stderr a terminal, and the real one)
    const bar = progress(out, 0, false);
    let shown: ReturnType<typeof progress> | null = null;
    const result = await renewArchive(archive, {
      before,
      tsaUrl,
      ...(timeoutText ? { tsaTimeoutMs: Number(timeoutText) } : {}),
      extra,
      onProgress: (done, total, line) => {
        shown ??= progress(out, total, out === stdio && process.stderr.isTTY === true);
        shown.step(done, line);
      },
    });
    (shown ?? bar).end();
    const failed = result.outcomes.filter((o) => o.status === "failed");
    if (has(a, "json")) out.stdout(json({ before: before.toISOString(), ...result }));
    else {
      out.stdout(`checked ${result.checked} evidence file(s): ${result.due} due before ${before.toISOString()}, ${result.due - failed.length} renewed, ${failed.length} not\n`);
      for (const f of failed) out.stdout(`  ${f.id}: ${f.error!.code}: ${f.error!.message}\n`);
    }
    return failed.length ? EXIT_FAILED : 0;
  } finally {
    await archive.close();
  }
}
