/**
 * The bundled TEST material (certs-test/ and policy/ beside src/ and dist/): what `verify`,
 * `sign`, `tsa` and `serve` fall back on when no trust store, key or policy is given — always
 * with a warning, never for real signatures.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = join(fileURLToPath(import.meta.url), "..", "..");
const PKI = join(REPO, "certs-test");

export const BUNDLED = {
  pki: PKI,
  trust: join(PKI, "trust"),
  crls: join(PKI, "crl"),
  sealKey: join(PKI, "keys", "seal-rsa2048.p12"),
  tsaKey: join(PKI, "keys", "tsa.p12"),
  /** test-only password of every bundled .p12 (certs-test/README.md) */
  password: "podpis-test",
  /** the test TSA's policy (certs-test/manifest.json "policies.tsa") */
  tsaPolicy: "1.3.6.1.4.1.99999.1.3",
  policy: join(REPO, "policy", "default.json"),
} as const;
