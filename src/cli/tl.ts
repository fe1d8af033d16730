/**
 * `podpis tl inspect FILE-or-URL [--tl-signer CERT]… [--json]` (contract: "Trusted list"): reads a
 * TS 119 612 list or LOTL and checks its signature. Exit 0: intact and made by a pinned signer;
 * 1: intact but no signer pinned or the signer is not pinned, or the list is unsigned; 2: the
 * signature does not verify, or the input is no trusted list.
 */
import { parseCertificates } from "../pki/certificate.js";
import { readInput } from "../io/files.js";
import { createListSource } from "../io/tl-source.js";
import { inspectList } from "../trust/inspect.js";
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { EXIT_FAILED, type Output, json } from "./output.js";

const FLAGS = { "tl-signer": { value: true, repeat: true }, "tl-cache": { value: true }, offline: {}, json: {} };

export async function tlCommand(argv: string[], out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "inspect") throw new UsageError(sub ? `unknown tl subcommand "${sub}" (only: inspect)` : "give a subcommand: podpis tl inspect FILE-or-URL [--tl-signer CERT]…");
  const a = parseArgs(rest, FLAGS);
  if (a.positionals.length !== 1) throw new UsageError("give exactly one trusted list (a file or an http(s) URL)");
  const pinned = all(a, "tl-signer").flatMap((p) => {
    try {
      return parseCertificates(readInput(p, "list signer certificate (--tl-signer)"));
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("INPUT_")) throw e;
      throw new UsageError(`${p} (--tl-signer) is not a certificate: ${(e as Error).message}`);
    }
  });
  const cache = one(a, "tl-cache");
  const source = createListSource({ ...(cache ? { cacheDir: cache } : {}), offline: has(a, "offline") });
  const fetched = await source.get(a.positionals[0]!);
  const { inspection: r } = inspectList(fetched.bytes, pinned.length ? pinned : null);
  out.stdout(has(a, "json") ? json(r) : render(r));
  if (!r.signature.present) return 1;
  if (!r.signature.intact) {
    out.stderr(`podpis tl: TL_SIGNATURE_INVALID: ${r.signature.problem}\n`);
    return EXIT_FAILED;
  }
  return r.signature.trusted === true ? 0 : 1;
}

function render(r: ReturnType<typeof inspectList>["inspection"]): string {
  const s = r.signature;
  const lines = [
    `${r.kind} ${r.schemeTerritory} sequence ${r.sequenceNumber} (TS 119 612 v${r.version}), issued ${r.issueDate}, next update ${r.nextUpdate ?? "none (closed)"}`,
    `  operator: ${r.operator}`,
    `  ${r.tsps} trust service provider(s), ${r.services} service(s), ${r.pointers.length} pointer(s) to other lists`,
    `  sha256: ${r.sha256}`,
    `  signature: ${!s.present ? "none" : s.intact ? "intact" : "NOT INTACT"}${s.signer ? `, by ${s.signer.subject} (sha256 ${s.signer.sha256})` : ""}${s.trusted === null ? ", signer not pinned (--tl-signer)" : s.trusted ? ", pinned signer" : ", NOT a pinned signer"}`,
  ];
  if (s.problem) lines.push(`  problem: ${s.problem}`);
  for (const p of r.pointers) lines.push(`  → ${p.territory ?? "?"} ${p.location} (${p.mimeType ?? "no MIME type"}, ${p.signers.length} signer(s))`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join("\n") + "\n";
}
