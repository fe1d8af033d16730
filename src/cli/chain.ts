/** `podpis chain`: one certificate path, RFC 5280 §6 with CRLs. */
import { exitCodeFor } from "../validation/indication.js";
import type { PathReport } from "../pki/path-types.js";
import { validatorFromFlags } from "./trust-flags.js";
import { UsageError, all, has, one, parseArgs, parseAt } from "./args.js";
import { readInput } from "../io/files.js";
import { type Output, json } from "./output.js";

const FLAGS = {
  untrusted: { value: true, repeat: true },
  trust: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  ocsp: { value: true, repeat: true },
  at: { value: true },
  offline: {},
  "initial-policy": { value: true, repeat: true },
  "require-explicit-policy": {},
  "inhibit-policy-mapping": {},
  "inhibit-any-policy": {},
  json: {},
};

export async function chainCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length !== 1) throw new UsageError("give exactly one certificate file");
  if (!has(a, "trust")) throw new UsageError("--trust is required (a PEM file or a directory of trust anchors)");
  const at = parseAt(one(a, "at"));
  for (const p of all(a, "initial-policy")) if (!/^\d+(\.\d+)+$/.test(p)) throw new UsageError(`--initial-policy must be an OID, got "${p}"`);
  const cert = readInput(a.positionals[0]!, "certificate");
  const validator = await validatorFromFlags(a);
  if (validator.trustStore.size === 0) throw new UsageError("--trust gave no certificates");
  const initial = all(a, "initial-policy");
  const report = await validator.validatePath(cert, {
    at,
    pathInputs: {
      ...(initial.length ? { userInitialPolicySet: initial } : {}),
      initialExplicitPolicy: has(a, "require-explicit-policy"),
      initialPolicyMappingInhibit: has(a, "inhibit-policy-mapping"),
      initialAnyPolicyInhibit: has(a, "inhibit-any-policy"),
    },
  });
  out.stdout(has(a, "json") ? json(report) : renderPath(report));
  return exitCodeFor(report.indication);
}

const VERDICT: Record<string, string> = {
  TOTAL_PASSED: "VALID",
  INDETERMINATE: "INDETERMINATE",
  TOTAL_FAILED: "INVALID",
};

export function renderPath(r: PathReport): string {
  const lines = [`${VERDICT[r.indication]}${r.subIndication ? ` (${r.subIndication})` : ""} at ${r.validationTime}`];
  const anchored = r.subIndication !== "NO_CERTIFICATE_CHAIN_FOUND" && r.subIndication !== "FORMAT_FAILURE";
  r.path.forEach((p, i) => {
    const rev = anchored && i === r.path.length - 1 ? "trust anchor" : `revocation: ${p.revocation.status}${p.revocation.source ? ` (${p.revocation.source})` : ""}`;
    lines.push(`  ${i === 0 ? "certificate" : "issued by  "} ${p.subject} — ${rev}`);
  });
  for (const e of r.errors) lines.push(`  error ${e.code}: ${e.message}`);
  return lines.join("\n") + "\n";
}
