/**
 * The service's own certificates (issue 12): the seal that signs receipts and the built-in TSA
 * that time-stamps them are the operator's, under CAs the citizens' trust store (`--trust`) need
 * not hold. The service knows their chains — from the key file or token, or `--seal-chain` — and
 * validates receipts against those chains plus the configured trust, archives the seal chain as
 * material, and is not ready while its own seal does not validate.
 */
import { createHash } from "node:crypto";
import type { Material } from "../archive/port.js";
import { orderChain } from "../keys/chain.js";
import type { KeyProvider } from "../keys/provider.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { TrustStore } from "../pki/trust-store.js";
import { createValidationContext } from "../validation/context.js";
import { Validator } from "../validator.js";
import type { DependencyProbe } from "./dependencies.js";
import { pem } from "./material.js";

/** A key's certificate first, then its issuers as the key and the extra certificates give them. */
export function ownChain(key: KeyProvider, extra: readonly Certificate[] = []): Certificate[] {
  const leaf = parseCertificate(key.certificate);
  const others = [...key.chain.map((d) => parseCertificate(d)), ...extra].filter((c) => c.sha256 !== leaf.sha256);
  return orderChain(leaf, others);
}

/**
 * The validator receipts are checked with: the citizens' validator's trust, intermediates, CRLs
 * and revocation checker, and in addition the top certificate of each own chain as an anchor
 * (the operator vouches for it by configuring the key) and the rest as intermediates. A chain of
 * the leaf alone adds nothing: the leaf must then chain to the configured trust.
 */
export function receiptValidator(main: Validator, chains: readonly Certificate[][]): Validator {
  const anchors = [...main.trustStore.certificates()];
  const untrusted = [...main.untrusted];
  for (const chain of chains) {
    if (chain.length < 2) continue;
    anchors.push(chain.at(-1)!);
    untrusted.push(...chain.slice(1, -1));
  }
  if (anchors.length === main.trustStore.size) return main;
  const trust = new TrustStore(anchors);
  const ctx = main.context;
  const context = createValidationContext({
    trustStore: trust,
    untrusted,
    revocation: ctx.revocation,
    ...(ctx.crlStore ? { crlStore: ctx.crlStore, revocationFromStore: ctx.revocationFromStore === true } : {}),
    policy: ctx.policy,
    crlSignatures: ctx.crlSignatures,
    certificateCache: ctx.certificates,
    ...(ctx.isQualifiedAnchor ? { isQualifiedAnchor: ctx.isQualifiedAnchor } : {}),
  });
  return new Validator(trust, main.crlStore, context.untrusted as Certificate[], ctx.revocation, main.offline, context);
}

/** The seal chain as archive material (PEM, leaf first), so a replay knows what the receipts rested on. */
export function sealChainMaterial(chain: readonly Certificate[]): Material {
  const bytes = Buffer.from(chain.map((c) => pem(c.der)).join(""));
  return { kind: "seal-chain", sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
}

const PROBE_TTL_MS = 10_000;

/**
 * /readyz: the seal certificate's path, validated now as a receipt's would be. A seal that does
 * not validate makes every receipt "not valid" to whoever checks it, so the service is not ready.
 */
export function sealChainProbe(validator: Validator, chain: readonly Certificate[], now: () => Date): DependencyProbe {
  let last: { at: number; result: Promise<void> } | null = null;
  const run = async () => {
    const r = await validator.validateCertificate(chain[0]!, { at: now(), untrusted: chain.slice(1) });
    if (r.report.indication === "TOTAL_PASSED") return;
    const why = r.report.errors.at(-1)?.message ?? "";
    throw new Error(
      `the seal certificate does not validate (${r.report.indication}/${r.report.subIndication})${why ? `: ${why}` : ""}; give its CA chain with --seal-chain FILE, or a key file that holds it`,
    );
  };
  return {
    name: "seal-chain",
    dependency: "seal-key",
    check() {
      const t = Date.now();
      if (!last || t - last.at > PROBE_TTL_MS) {
        const result = run();
        result.catch(() => {});
        last = { at: t, result };
      }
      return last.result;
    },
  };
}
