/**
 * RFC 5280 §6.1 basic path validation over one candidate path (leaf first, anchor last): the
 * per-certificate checks of §6.1.3, the preparation of §6.1.4, the wrap-up of §6.1.5, and the
 * revocation status of every certificate but the anchor (§6.1.3 (a)(3), through the
 * RevocationChecker seam).
 *
 * The anchor is only a name and a key (§6.1.1 (d)); nothing else in its certificate is checked.
 */
import type { KeyObject } from "node:crypto";
import type { RevocationChecker, RevocationContext, RevocationResult } from "./revocation-port.js";
import { type Certificate, KeyUsage } from "./certificate.js";
import { NameConstraintsState } from "./name-constraints.js";
import { nameToString } from "./name.js";
import { type CandidatePath, isSelfSigned } from "./path-builder.js";
import type { PathErrorCode } from "./errors.js";
import type { PathError, PathInputs } from "./path-types.js";
import { ANY_POLICY, PolicyTree, PolicyTreeTooLarge } from "./policy-tree.js";

export interface StructureResult {
  errors: PathError[];
  /** user- and authority-constrained policies at the leaf; null when the valid_policy_tree is NULL */
  validPolicies: string[] | null;
}

/** Error codes that say the validity period, not the structure, is what failed. */
export const TIME_CODES: ReadonlySet<string> = new Set(["CERT_EXPIRED", "CERT_NOT_YET_VALID"]);

/** §6.1.2–§6.1.5 without revocation: everything that depends only on the path and the time. */
export function checkStructure(path: CandidatePath, at: Date, inputs: PathInputs): StructureResult {
  const certs = path.certificates;
  const n = certs.length - 1;
  const anchor = certs[n]!;
  const errors: PathError[] = [];
  const fail = (code: PathErrorCode, cert: Certificate, message: string): void => {
    errors.push({ code, message, certificate: cert.sha256 });
  };

  const t = at.getTime();

  // §6.1.2 initialisation
  let tree: PolicyTree | null = new PolicyTree();
  let explicitPolicy = inputs.initialExplicitPolicy ? 0 : n + 1;
  let inhibitAnyPolicy = inputs.initialAnyPolicyInhibit ? 0 : n + 1;
  let policyMapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;
  let maxPathLength = n;
  const constraints = new NameConstraintsState();
  let workingIssuerName = anchor.subject;
  let policyFailed = false;

  const policyStep = (cert: Certificate, step: () => void): void => {
    try {
      step();
    } catch (e) {
      if (!(e instanceof PolicyTreeTooLarge)) throw e;
      fail("POLICY_TREE_TOO_LARGE", cert, e.message);
      tree = null;
      policyFailed = true;
    }
  };

  for (let i = 1; i <= n; i++) {
    const idx = n - i;
    const cert = certs[idx]!;
    const last = i === n;
    // §6.1.3 (a)(1)
    if (!path.signatureValid[idx]) fail("CERT_SIGNATURE_INVALID", cert, `the signature of ${describe(cert)} does not verify with its issuer's key`);
    // (a)(2)
    if (t < cert.notBefore.getTime()) fail("CERT_NOT_YET_VALID", cert, `${describe(cert)} is not valid before ${cert.notBefore.toISOString()}`);
    if (t > cert.notAfter.getTime()) fail("CERT_EXPIRED", cert, `${describe(cert)} expired at ${cert.notAfter.toISOString()}`);
    // (a)(4)
    if (cert.issuer.key !== workingIssuerName.key) fail("NAME_CHAINING", cert, `the issuer of ${describe(cert)} is not the subject of the certificate above it`);
    // (b)–(c): self-issued intermediates are exempt
    if (last || !cert.selfIssued) {
      const v = constraints.check(cert);
      if (v) fail("NAME_CONSTRAINTS_VIOLATION", cert, `${describe(cert)}: ${v}`);
    }
    // (d)–(e)
    if (tree) {
      const tr: PolicyTree = tree;
      if (cert.certificatePolicies) {
        policyStep(cert, () => tr.processCertificate(cert, i, inhibitAnyPolicy > 0 || (!last && cert.selfIssued)));
        if (tree && tree.empty) tree = null;
      } else tree = null;
    }
    // (f)
    if (explicitPolicy <= 0 && !tree && !policyFailed) {
      policyFailed = true;
      fail("EXPLICIT_POLICY_REQUIRED", cert, `an explicit policy is required and no valid policy remains at ${describe(cert)}`);
    }
    // §6.1.4 (o) and §6.1.5 (f)
    if (cert.unknownCritical.length > 0) fail("UNKNOWN_CRITICAL_EXTENSION", cert, `${describe(cert)} has unrecognised critical extension(s) ${cert.unknownCritical.join(", ")}`);

    if (last) break;

    // §6.1.4 (a)–(b)
    if (cert.policyMappings) {
      if (cert.policyMappings.some(([a, b]) => a === ANY_POLICY || b === ANY_POLICY)) {
        fail("INVALID_POLICY_MAPPING", cert, `${describe(cert)} maps to or from anyPolicy`);
      } else if (tree) {
        const tr: PolicyTree = tree;
        const mappings = cert.policyMappings;
        policyStep(cert, () => tr.applyMappings(mappings, i, policyMapping > 0));
        if (tree && tree.empty) tree = null;
      }
    }
    // (c)–(f): working key handled by the builder (CandidatePath.publicKeys)
    workingIssuerName = cert.subject;
    // (g)
    if (cert.nameConstraints) constraints.add(cert.nameConstraints);
    // (h)
    if (!cert.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
    }
    // (i)
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy != null && pc.requireExplicitPolicy < explicitPolicy) explicitPolicy = pc.requireExplicitPolicy;
    if (pc?.inhibitPolicyMapping != null && pc.inhibitPolicyMapping < policyMapping) policyMapping = pc.inhibitPolicyMapping;
    // (j)
    if (cert.inhibitAnyPolicy !== null && cert.inhibitAnyPolicy < inhibitAnyPolicy) inhibitAnyPolicy = cert.inhibitAnyPolicy;
    // (k): a v1/v2 certificate cannot say it is a CA; only a self-signed one (an old root) is taken as one.
    const isCa = cert.version === 3 ? cert.basicConstraints?.ca === true : isSelfSigned(cert);
    if (!isCa) fail("NOT_A_CA", cert, `${describe(cert)} issued a certificate but is not a CA certificate (basicConstraints cA)`);
    // (l)
    if (!cert.selfIssued) {
      if (maxPathLength <= 0) fail("PATH_LENGTH_EXCEEDED", cert, `${describe(cert)} exceeds the path length allowed above it`);
      else maxPathLength--;
    }
    // (m)
    const pathLen = cert.basicConstraints?.pathLen;
    if (pathLen != null && pathLen < maxPathLength) maxPathLength = pathLen;
    // (n)
    if (cert.keyUsage !== null && (cert.keyUsage & (1 << KeyUsage.keyCertSign)) === 0) {
      fail("KEY_USAGE_NO_CERTSIGN", cert, `${describe(cert)} issued a certificate but its keyUsage lacks keyCertSign`);
    }
  }

  // §6.1.5 wrap-up
  const leaf = certs[0]!;
  if (n > 0) {
    if (explicitPolicy > 0) explicitPolicy--;
    if (leaf.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
    if (tree) {
      const tr: PolicyTree = tree;
      policyStep(leaf, () => tr.intersect(inputs.userInitialPolicySet, n));
      if (tree && tree.empty) tree = null;
    }
    if (explicitPolicy <= 0 && !tree && !policyFailed) {
      fail("EXPLICIT_POLICY_REQUIRED", leaf, "an explicit policy is required and the path has no valid policy in the user-initial-policy-set");
    }
  }
  const finalTree = tree as PolicyTree | null;
  return { errors, validPolicies: n > 0 ? (finalTree?.policiesAt(n) ?? null) : null };
}

/** How messages name a certificate; rendered only when something fails (this is the hot path). */
function describe(cert: Certificate): string {
  return nameToString(cert.subject) || `certificate ${cert.sha256.slice(0, 16)}`;
}

export interface RevocationRun {
  /** per certificate of the path (same index); the anchor's is good with no source */
  results: RevocationResult[];
  errors: PathError[];
  crls: string[];
}

const ANCHOR_STATUS: RevocationResult = { status: "good", source: null, crls: [] };
const NOT_CHECKED = (message: string): RevocationResult => ({ status: "unknown", source: null, message, crls: [] });

/**
 * §6.1.3 (a)(3) for every certificate but the anchor, from the anchor down: a revoked CA ends it,
 * since nothing below it can then be valid.
 */
export async function checkPathRevocation(
  path: CandidatePath,
  checker: RevocationChecker,
  contextFor: (issuer: Certificate, issuerKey: KeyObject | null) => RevocationContext,
): Promise<RevocationRun> {
  const certs = path.certificates;
  const n = certs.length - 1;
  const results: RevocationResult[] = new Array(certs.length);
  results[n] = ANCHOR_STATUS;
  const errors: PathError[] = [];
  const crls = new Set<string>();
  let stop = false;
  for (let idx = n - 1; idx >= 0; idx--) {
    const cert = certs[idx]!;
    if (stop) {
      results[idx] = NOT_CHECKED("not checked: a certificate above it is revoked");
      continue;
    }
    let r: RevocationResult;
    try {
      r = await checker.check(cert, contextFor(certs[idx + 1]!, path.publicKeys[idx + 1] ?? null));
    } catch (e) {
      r = { status: "unknown", source: null, errorCode: "CRL_MALFORMED", message: (e as Error).message, crls: [] };
    }
    results[idx] = r;
    for (const c of r.crls) crls.add(c);
    if (r.status === "revoked") {
      const when = r.revocationDate ? ` on ${r.revocationDate.toISOString()}` : "";
      const why = r.reason ? ` (${r.reason})` : "";
      errors.push({ code: idx === 0 ? "CERT_REVOKED" : "CA_REVOKED", message: `${describe(cert)} was revoked${when}${why}`, certificate: cert.sha256 });
      if (idx > 0) stop = true;
    } else if (r.status === "unknown") {
      errors.push({
        code: "REVOCATION_UNKNOWN",
        message: `the revocation status of ${describe(cert)} is unknown${r.errorCode ? ` (${r.errorCode}${r.message ? `: ${r.message}` : ""})` : ""}`,
        certificate: cert.sha256,
        ...(r.errorCode ? { revocationCode: r.errorCode } : {}),
      });
    }
  }
  return { results, errors, crls: [...crls] };
}
