/**
 * Cryptographic constraints (EN 319 102-1 §5.2.8): which digest and signature algorithms, at
 * which key sizes, are reliable until when. Data — one part of the ValidationPolicy (policy.ts);
 * the bundled values are `policy/default.json` (ETSI TS 119 312 sunset dates), read by the adapters.
 */
import type { SignatureScheme } from "../pki/algorithms.js";
import type { AlgorithmUse } from "../pki/key-info.js";

export interface KeySizeRule {
  minBits: number;
  /** first instant the size is no longer accepted; null: no sunset */
  until: Date | null;
}

export interface CryptoConstraints {
  name: string;
  /** Node digest name → sunset (null: none); a digest not listed is not accepted */
  digests: Map<string, Date | null>;
  /** scheme → rules by ascending minBits; a key below the smallest size is not accepted */
  signatures: Map<SignatureScheme, KeySizeRule[]>;
  /** accepted named curves (P-256, brainpoolP256r1, Ed25519, …) */
  curves: Set<string>;
}

// The validation layer's errors live in errors.ts; re-exported for this module's importers.
import { PolicyError } from "./errors.js";
export { PolicyError } from "./errors.js";

const SCHEMES: SignatureScheme[] = ["rsa-pkcs1", "rsa-pss", "ecdsa", "dsa", "eddsa"];

function date(v: unknown, where: string): Date | null {
  if (v === null) return null;
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(v)) throw new PolicyError(`${where}: expected a date (YYYY-MM-DD) or null`);
  const d = new Date(v.length === 10 ? v + "T00:00:00Z" : v);
  if (Number.isNaN(d.getTime())) throw new PolicyError(`${where}: invalid date ${v}`);
  return d;
}

/** The constraints of a policy file's JSON object (see policy/default.json); throws PolicyError when malformed. */
export function parseCryptoConstraints(o: Record<string, unknown>): CryptoConstraints {
  const digests = new Map<string, Date | null>();
  const d = o.digestAlgorithms;
  if (!d || typeof d !== "object") throw new PolicyError("policy: digestAlgorithms missing");
  for (const [k, v] of Object.entries(d)) digests.set(k.toLowerCase(), date(v, `digestAlgorithms.${k}`));
  const signatures = new Map<SignatureScheme, KeySizeRule[]>();
  const s = o.signatureAlgorithms;
  if (!s || typeof s !== "object") throw new PolicyError("policy: signatureAlgorithms missing");
  for (const [k, v] of Object.entries(s)) {
    if (!SCHEMES.includes(k as SignatureScheme)) throw new PolicyError(`policy: unknown signature scheme ${k} (one of ${SCHEMES.join(", ")})`);
    if (!Array.isArray(v)) throw new PolicyError(`signatureAlgorithms.${k}: expected a list`);
    const rules = v.map((r: unknown, i: number) => {
      const rr = r as Record<string, unknown>;
      if (!rr || typeof rr.minBits !== "number" || rr.minBits < 0) throw new PolicyError(`signatureAlgorithms.${k}[${i}]: minBits missing`);
      return { minBits: rr.minBits, until: date(rr.until ?? null, `signatureAlgorithms.${k}[${i}].until`) };
    });
    rules.sort((a, b) => a.minBits - b.minBits);
    signatures.set(k as SignatureScheme, rules);
  }
  const curves = new Set<string>();
  if (o.ellipticCurves !== undefined) {
    if (!Array.isArray(o.ellipticCurves)) throw new PolicyError("policy: ellipticCurves must be a list");
    for (const c of o.ellipticCurves) curves.add(String(c));
  }
  return { name: typeof o.name === "string" ? o.name : "custom policy", digests, signatures, curves };
}

// Key facts and algorithm uses are what the signature readers report; they live in pki/ so that
// the readers (below validation/) need not import the policy.
export { type AlgorithmUse, type PublicKeyInfo, certificateKeyInfo, publicKeyInfo } from "../pki/key-info.js";

export interface AlgorithmVerdict {
  /** false: the algorithm is never acceptable under this policy */
  known: boolean;
  /** first instant no longer acceptable (null: none) */
  until: Date | null;
  message: string;
}

export function sunsetOf(constraints: CryptoConstraints, use: AlgorithmUse): AlgorithmVerdict {
  if (use.kind === "digest") {
    if (!constraints.digests.has(use.digest)) return { known: false, until: null, message: `${use.what}: digest ${use.digest} is not accepted by the policy` };
    return { known: true, until: constraints.digests.get(use.digest)!, message: `${use.what}: digest ${use.digest}` };
  }
  if (use.digest !== null) {
    const d = sunsetOf(constraints, { kind: "digest", digest: use.digest, what: use.what });
    if (!d.known) return d;
    const s = sunsetOf(constraints, { ...use, digest: null });
    if (!s.known) return s;
    const until = d.until && s.until ? (d.until < s.until ? d.until : s.until) : (d.until ?? s.until);
    return { known: true, until, message: `${use.what}: ${use.scheme} ${use.key.bits}-bit with ${use.digest}` };
  }
  const rules = constraints.signatures.get(use.scheme);
  if (!rules || rules.length === 0) return { known: false, until: null, message: `${use.what}: ${use.scheme} is not accepted by the policy` };
  if (use.key.curve && constraints.curves.size > 0 && !constraints.curves.has(use.key.curve)) {
    return { known: false, until: null, message: `${use.what}: curve ${use.key.curve} is not accepted by the policy` };
  }
  let rule: KeySizeRule | null = null;
  for (const r of rules) if (use.key.bits >= r.minBits) rule = r;
  if (!rule) return { known: false, until: null, message: `${use.what}: ${use.scheme} key of ${use.key.bits} bits is below every size the policy accepts` };
  return { known: true, until: rule.until, message: `${use.what}: ${use.scheme} ${use.key.bits}-bit` };
}

export interface CryptoConstraintFailure {
  what: string;
  message: string;
  until: Date | null;
}

/**
 * Checks every use against the policy at `time` (the proof of existence of the signed object).
 * An algorithm past its sunset at `time`, or never accepted, is a failure.
 */
export function checkAlgorithms(constraints: CryptoConstraints, uses: AlgorithmUse[], time: Date): CryptoConstraintFailure[] {
  const out: CryptoConstraintFailure[] = [];
  for (const use of uses) {
    // the verdict with its message only for a use that fails (messages are for failures)
    const until = sunsetUntil(constraints, use);
    if (until !== undefined && (until === null || time.getTime() < until.getTime())) continue;
    const v = sunsetOf(constraints, use);
    if (!v.known) out.push({ what: use.what, message: v.message, until: null });
    else if (v.until && time.getTime() >= v.until.getTime()) {
      out.push({ what: use.what, message: `${v.message} is not reliable after ${v.until.toISOString().slice(0, 10)}`, until: v.until });
    }
  }
  return out;
}

/** sunsetOf(...).until for a known use, undefined for one the policy does not accept. */
function sunsetUntil(constraints: CryptoConstraints, use: AlgorithmUse): Date | null | undefined {
  if (use.kind === "digest") return constraints.digests.has(use.digest) ? constraints.digests.get(use.digest)! : undefined;
  let d: Date | null = null;
  if (use.digest !== null) {
    if (!constraints.digests.has(use.digest)) return undefined;
    d = constraints.digests.get(use.digest)!;
  }
  const rules = constraints.signatures.get(use.scheme);
  if (!rules || rules.length === 0) return undefined;
  if (use.key.curve && constraints.curves.size > 0 && !constraints.curves.has(use.key.curve)) return undefined;
  let rule: KeySizeRule | null = null;
  for (const r of rules) if (use.key.bits >= r.minBits) rule = r;
  if (!rule) return undefined;
  if (use.digest === null) return rule.until;
  const s = rule.until;
  return d && s ? (d < s ? d : s) : (d ?? s);
}
