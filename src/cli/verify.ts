/** `podpis verify`: every signature of a CAdES or XAdES file, as an EN 319 102-1 report. */
import { createReadStream, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { cadesDigestAlgorithms, hashStream } from "../cades/hash-stream.js";
import { BUNDLED } from "../bundled.js";
import { exitCodeFor } from "../validation/indication.js";
import { PolicyError, loadPolicy } from "../validation/policy.js";
import { renderText } from "../validation/report-text.js";
import { UsageError, all, has, one, parseArgs, parseAt } from "./args.js";
import { readInput } from "../io/files.js";
import { type Output, json } from "./output.js";
import { validatorFromFlags } from "./trust-flags.js";
import { type DetachedInput, InputError } from "../validator.js";

const FLAGS = {
  content: { value: true, repeat: true },
  trust: { value: true, repeat: true },
  tl: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  ocsp: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  at: { value: true },
  offline: {},
  policy: { value: true },
  json: {},
};


/** Detached content above this size is hashed as a stream instead of being read whole. */
const STREAM_ABOVE = 64 * 1024 * 1024;

export async function verifyCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length !== 1) throw new UsageError("give exactly one signed file");
  if (has(a, "tl")) throw new UsageError("--tl: trusted lists are not supported yet; give the CA certificates with --trust");
  const at = parseAt(one(a, "at"));
  const signed = readInput(a.positionals[0]!, "signed file");
  let policy;
  const policyPath = one(a, "policy");
  if (policyPath) {
    try {
      policy = loadPolicy(JSON.parse(readInput(policyPath, "policy file").toString("utf8")));
    } catch (e) {
      if (e instanceof SyntaxError || e instanceof PolicyError) throw new InputError("BAD_POLICY", `${policyPath}: ${e.message}`);
      throw e;
    }
  }
  const bundled = !has(a, "trust");
  if (bundled) out.stderr("podpis verify: no --trust given, using the bundled TEST trust store (certs-test/trust) — not for real signatures\n");
  if (bundled && !has(a, "crl")) a.flags.set("crl", [BUNDLED.crls]);
  const validator = await validatorFromFlags(a, { trust: [BUNDLED.trust], policy });
  const contents = await Promise.all(all(a, "content").map((p) => readContent(p, signed)));
  const report = await validator.verify(signed, { contents, at });
  out.stdout(has(a, "json") ? json(report) : renderText(report));
  return exitCodeFor(report.indication);
}

/** Detached content as bytes (named, for XAdES references), or as streamed digests when large. */
async function readContent(path: string, signature: Uint8Array): Promise<DetachedInput> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`content file not found: ${path}`);
  }
  if (size <= STREAM_ABOVE) {
    return { name: basename(path), bytes: readFileSync(path) };
  }
  let algorithms = ["sha256", "sha384", "sha512"];
  try {
    algorithms = cadesDigestAlgorithms(signature);
  } catch {
    /* XAdES or unreadable CMS: hash with the common SHA-2 set */
  }
  return hashStream(createReadStream(path), algorithms, basename(path));
}
