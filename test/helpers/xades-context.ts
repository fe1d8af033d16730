/** A ValidationContext over the bundled test PKI (certs-test/), offline, with its CRLs. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TrustStore } from "../../src/pki/trust-store.js";
import { createCrlChecker } from "../../src/revocation/checker.js";
import { CrlStore } from "../../src/revocation/crl-store.js";
import { BoundedCache } from "../../src/pki/path-builder.js";
import { CertificateCache, PathCache, type ValidationContext } from "../../src/validation/context.js";
import { withOverrides } from "../../src/validation/policy.js";
import { defaultValidationPolicy } from "../../src/validator.js";

export const TEST_TIME = new Date("2026-06-01T00:00:00Z");

export function testContext(opts: { pathCache?: boolean; root?: string } = {}): ValidationContext {
  const root = opts.root ?? "certs-test";
  const store = new CrlStore();
  for (const f of readdirSync(join(root, "crl"))) if (!f.includes("stale")) store.addBytes(readFileSync(join(root, "crl", f)));
  return {
    trustStore: TrustStore.fromBytes([readFileSync(join(root, "trust", "root-ca.pem"))]),
    untrusted: [],
    revocation: createCrlChecker({ store }),
    policy: withOverrides(defaultValidationPolicy(), { revocation: { fetch: false } }),
    certificates: new CertificateCache(),
    paths: opts.pathCache ? new PathCache(2000, 0) : null,
    signatures: new BoundedCache<boolean>(100_000),
    crlSignatures: new BoundedCache<boolean>(50_000),
  };
}
