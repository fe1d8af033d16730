/**
 * Where a signer's certificate may come from: the signature's own bag, the configured untrusted
 * certificates, and the trust store (RFC 5652 §5.3 SignerIdentifier).
 */
import type { Certificate } from "../pki/certificate.js";
import type { Message } from "./messages.js";
import type { SignerIdentifier } from "./signed-data.js";
import { sidMatches } from "./signer.js";

/**
 * What the readers need to find a signer's certificate. The validation context has this shape;
 * naming only what is used keeps cms/ (and the readers above it) free of validation/.
 */
export interface CertificateSources {
  /** parses a DER certificate once per validator */
  readonly certificates: { get(der: Uint8Array): Certificate };
  /** certificates offered besides those in the signature (`--untrusted`) */
  readonly untrusted: readonly Certificate[];
  readonly trustStore: { bySki(ski: string): readonly Certificate[]; certificates(): readonly Certificate[] };
}

export function signerCandidates(sid: SignerIdentifier, local: readonly Certificate[], ctx: CertificateSources): Certificate[] {
  const out: Certificate[] = [];
  const add = (c: Certificate) => {
    if (sidMatches(sid, c) && !out.some((o) => o.sha256 === c.sha256)) out.push(c);
  };
  for (const c of local) add(c);
  for (const c of ctx.untrusted) add(c);
  const anchors = sid.kind === "subjectKeyIdentifier" ? ctx.trustStore.bySki(sid.ski) : ctx.trustStore.certificates();
  for (const c of anchors) add(c);
  return out;
}

/** Parses a bag through the cache; a certificate that does not parse is reported and skipped. */
export function parseBag(ders: readonly Uint8Array[], ctx: CertificateSources, warnings: Message[]): Certificate[] {
  const out: Certificate[] = [];
  for (const der of ders) {
    try {
      const c = ctx.certificates.get(der);
      if (!out.includes(c)) out.push(c);
    } catch (e) {
      warnings.push({ code: "MALFORMED_CERTIFICATE", message: `a certificate in the signature does not parse: ${(e as Error).message}` });
    }
  }
  return out;
}
