/**
 * `podpis extend FILE [--content FILE]… --level B-T|B-LT|B-LTA --tsa URL [--trust …] [--crl …]
 * [--ocsp FILE]… [--untrusted …] [--offline] [--json] -o OUT`: adds to every signature in FILE
 * what the level needs (evidence/extend.ts). The signature must validate now against the trust
 * given; otherwise nothing is written and the exit code is 2 (TOTAL_FAILED) or 1 (INDETERMINATE),
 * as `verify` would end. The TSA's certificate is checked against the same trust.
 */
import { basename } from "node:path";
import { BUNDLED } from "../bundled.js";
import { writeFileAtomically } from "../io/atomic-file.js";
import { createTimestamper, httpTransport } from "../io/tsa-client.js";
import { readInput } from "../io/files.js";
import { EXTEND_LEVELS, type ExtendLevel, extendSignatures } from "../evidence/extend.js";
import { extendEnvFor } from "../evidence/extend-env.js";
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { type Output, json } from "./output.js";
import { validatorFromFiles } from "./trust-flags.js";

const FLAGS = {
  content: { value: true, repeat: true },
  level: { value: true },
  tsa: { value: true },
  "tsa-timeout": { value: true },
  trust: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  ocsp: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  offline: {},
  o: { value: true },
  json: {},
};

export async function extendCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length !== 1) throw new UsageError("give exactly one signed file to extend");
  const level = one(a, "level") as ExtendLevel | undefined;
  if (!level || !EXTEND_LEVELS.includes(level)) throw new UsageError(`--level must be one of ${EXTEND_LEVELS.join(", ")}`);
  const tsa = one(a, "tsa");
  if (!tsa) throw new UsageError("--tsa URL is required (every level adds a time-stamp)");
  const output = one(a, "o");
  if (!output) throw new UsageError("-o OUT is required");
  const timeoutText = one(a, "tsa-timeout");
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError("--tsa-timeout is in milliseconds");
  const file = a.positionals[0]!;
  const signed = readInput(file, "signed file");
  const contents = all(a, "content").map((p) => ({ name: basename(p), bytes: readInput(p, "content file (--content)") }));
  const bundled = !has(a, "trust");
  if (bundled) out.stderr("podpis extend: no --trust given, using the bundled TEST trust store (certs-test/trust) — not for real signatures\n");
  const validator = await validatorFromFiles({
    trust: bundled ? [BUNDLED.trust] : all(a, "trust"),
    crls: bundled && !has(a, "crl") ? [BUNDLED.crls] : all(a, "crl"),
    untrusted: all(a, "untrusted"),
    ocsp: all(a, "ocsp"),
    offline: has(a, "offline"),
  });
  const timestamper = createTimestamper({ url: tsa, context: validator.context, transport: httpTransport({ timeoutMs: timeoutText ? Number(timeoutText) : 15_000 }) });
  const result = await extendSignatures(signed, level, extendEnvFor(validator, { timestamper, contents, now: () => new Date() }));
  try {
    writeFileAtomically(output, result.bytes);
  } catch (e) {
    throw Object.assign(new Error(`cannot write ${output}: ${(e as Error).message}`), { code: "OUTPUT_NOT_WRITTEN" });
  }
  const summary = { output, format: result.format, level: result.level, signatures: result.signatures, added: result.added, bytes: result.bytes.length };
  const a_ = result.added;
  out.stdout(
    has(a, "json")
      ? json(summary)
      : `extended ${basename(file)} → ${output}: ${result.signatures} ${result.format} signature(s) to ${level} ` +
          `(${a_.signatureTimestamps} signature time-stamp(s), ${a_.validationData} certificate(s) and revocation value(s), ${a_.archiveTimestamps} archive time-stamp(s) added)\n`,
  );
  return 0;
}
