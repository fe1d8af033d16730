/**
 * A validation context over the bundled test PKI: the root as the only anchor, the current CRLs
 * (not the stale one) loaded, no network.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Certificate } from "../../src/pki/certificate.js";
import { TrustStore } from "../../src/pki/trust-store.js";
import { createCrlChecker } from "../../src/revocation/checker.js";
import { CrlStore } from "../../src/revocation/crl-store.js";
import type { RevocationChecker } from "../../src/revocation/types.js";
import { type ValidationContext, type ValidationContextInit, createValidationContext } from "../../src/validation/context.js";
import { PKI, trustAnchors } from "./cms-tools.js";
import { withOverrides } from "../../src/validation/policy.js";
import { defaultValidationPolicy } from "../../src/validator.js";

export function testCrlStore(extra: Uint8Array[] = []): CrlStore {
  const store = new CrlStore();
  for (const f of readdirSync(join(PKI, "crl"))) if (!f.includes("stale")) store.addBytes(readFileSync(join(PKI, "crl", f)));
  for (const b of extra) store.addBytes(b);
  return store;
}

export function testContext(opts: { crls?: Uint8Array[]; untrusted?: Certificate[]; revocation?: RevocationChecker; store?: CrlStore } & Partial<ValidationContextInit> = {}): ValidationContext {
  const store = opts.store ?? testCrlStore(opts.crls);
  return createValidationContext({
    ...opts,
    trustStore: new TrustStore(trustAnchors()),
    untrusted: opts.untrusted ?? [],
    revocation: opts.revocation ?? createCrlChecker({ store }),
    crlStore: store,
    policy: opts.policy ?? withOverrides(defaultValidationPolicy(), { revocation: { fetch: false } }),
  });
}

/** A checker that calls every certificate good: for tests about something other than revocation. */
export const allGood: RevocationChecker = { check: async () => ({ status: "good", source: "CRL", crls: [] }) };
