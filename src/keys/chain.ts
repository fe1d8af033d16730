/** Orders the certificates a key store holds into the signer's chain. */
import type { Certificate } from "../pki/certificate.js";

const sameName = (a: Certificate["issuer"], b: Certificate["subject"]): boolean => a.key === b.key;

/**
 * The signer first, then each issuer found among `others` (by name, and key identifiers where
 * both are present), stopping at a self-issued certificate. Certificates that are not on the
 * path are left out: a key store may hold unrelated ones.
 */
export function orderChain(signer: Certificate, others: readonly Certificate[]): Certificate[] {
  const out = [signer];
  let cur = signer;
  while (!cur.selfIssued && out.length < 10) {
    const aki = cur.authorityKeyIdentifier?.keyIdentifier ?? null;
    const next = others.find(
      (c) => !out.includes(c) && sameName(cur.issuer, c.subject) && (!aki || !c.subjectKeyIdentifier || c.subjectKeyIdentifier === aki),
    );
    if (!next) break;
    out.push(next);
    cur = next;
  }
  return out;
}
