/**
 * What a submission's validation rested on, so it can be replayed from the archive alone
 * (revalidate?at=received): the CRLs consulted, the OCSP responses that decided a status, the
 * trust anchors, extra intermediates and the algorithm policy. CRLs are recorded as the revocation checker consults them (per request,
 * through AsyncLocalStorage) and, because a cached path result skips the checker, also every
 * stored CRL whose issuer is a CA named in the report's chains or a trust anchor — a superset
 * that replays to the same verdict, since the checker picks among the same candidates.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { nameToString } from "../pki/name.js";
import type { RevocationChecker } from "../revocation/types.js";
import type { ValidationReport } from "../validation/report.js";
import type { Validator } from "../validator.js";
import type { Material } from "../archive/port.js";
import { DataCollector } from "../evidence/extend-evidence.js";
import { pathDataOf } from "../evidence/extend-env.js";

const recording = new AsyncLocalStorage<Set<string>>();

/** Wraps the validator's revocation checker once so that CRLs used inside `withRecording` are noted. */
export function recordCrlUse(validator: Validator): void {
  const ctx = validator.context as { revocation: RevocationChecker & { __podpisRecording?: true } };
  if (ctx.revocation.__podpisRecording) return;
  const inner = ctx.revocation;
  const wrapped: RevocationChecker & { __podpisRecording?: true } = {
    async check(cert, rctx) {
      const r = await inner.check(cert, rctx);
      const set = recording.getStore();
      if (set) for (const s of r.crls) set.add(s);
      return r;
    },
    __podpisRecording: true,
  };
  ctx.revocation = wrapped;
}

export async function withRecording<T>(fn: () => Promise<T>): Promise<{ value: T; crls: Set<string> }> {
  const crls = new Set<string>();
  const value = await recording.run(crls, fn);
  return { value, crls };
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}

/** The validator's fixed material (anchors, intermediates, policy), computed once per process. */
export interface StaticMaterial {
  items: Material[];
  policyVersion: string;
}

export function staticMaterial(validator: Validator, policyBytes: Uint8Array, policyName: string): StaticMaterial {
  const certsBlob = (certs: readonly { der: Uint8Array; sha256: string }[]): Buffer =>
    Buffer.from([...certs].sort((a, b) => a.sha256.localeCompare(b.sha256)).map((c) => pem(c.der)).join(""));
  const items: Material[] = [];
  // with trusted lists, the lists themselves are archived (tlMaterial); anchors are the --trust ones
  const explicit = validator.context.explicitAnchors;
  const anchors = certsBlob(validator.trustState && explicit ? validator.trustStore.certificates().filter((c) => explicit.has(c.sha256)) : validator.trustStore.certificates());
  // (only trusted lists, no --trust: no anchors item; the lists are archived instead)
  if (anchors.length > 0) items.push({ kind: "anchors", sha256: sha256(anchors), bytes: anchors });
  if (validator.untrusted.length) {
    const u = certsBlob(validator.untrusted);
    items.push({ kind: "untrusted", sha256: sha256(u), bytes: u });
  }
  const policySha = sha256(policyBytes);
  items.push({ kind: "policy", sha256: policySha, bytes: policyBytes });
  return { items, policyVersion: `${policyName} (sha256:${policySha.slice(0, 16)})` };
}

const nameStrings = new WeakMap<object, string>();
/** a CRL's or anchor's issuer as a string, once per parsed name (the stores keep theirs) */
const nameOf = (n: Parameters<typeof nameToString>[0]): string => {
  let s = nameStrings.get(n);
  if (s === undefined) nameStrings.set(n, (s = nameToString(n)));
  return s;
};

/** The CRLs to archive with a report. */
export function crlMaterial(validator: Validator, report: ValidationReport, recorded: Set<string>): Material[] {
  const issuers = new Set<string>();
  for (const s of report.signatures) for (const c of s.chain) issuers.add(c.subject);
  for (const a of validator.trustStore.certificates()) issuers.add(nameOf(a.subject));
  const out = new Map<string, Material>();
  for (const crl of validator.crlStore.all()) {
    if (recorded.has(crl.sha256) || issuers.has(nameOf(crl.issuer))) out.set(crl.sha256, { kind: "crl", sha256: crl.sha256, bytes: crl.der });
  }
  for (const s of recorded) {
    const crl = validator.crlStore.bySha256(s);
    if (crl) out.set(s, { kind: "crl", sha256: s, bytes: crl.der });
  }
  return [...out.values()];
}

/** Every trusted list version the validation used, by its sha256 (issue 14: replayed as of that day). */
export function tlMaterial(validator: Validator): Material[] {
  return (validator.trustState?.accepted ?? []).map((a) => ({ kind: "tl" as const, sha256: a.list.sha256, bytes: a.bytes }));
}

/**
 * The OCSP responses the report's verdict rested on (issue 13: material kind "ocsp"), for every
 * signer's and time-stamp's path, as the validator's evidence recorder kept them — also when a
 * cached path result skipped the checker this time.
 */
export function ocspMaterial(validator: Validator, report: ValidationReport): Material[] {
  const c = new DataCollector();
  for (const s of report.signatures) {
    if (s.chain[0]) pathDataOf(validator, s.chain[0].sha256, c);
    for (const t of s.timestamps) if (t.tsa) pathDataOf(validator, t.tsa.sha256, c);
  }
  return c.data.ocsp.map((bytes) => ({ kind: "ocsp" as const, sha256: sha256(bytes), bytes }));
}
