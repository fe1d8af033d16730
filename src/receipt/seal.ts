/**
 * Sealing a receipt: enveloped XAdES-B-T over the whole receipt (reference URI ""), made with
 * the municipality's seal key, with a signature time-stamp. The key (PKCS#12 or PKCS#11) and the
 * time-stamper (the built-in TSA or a configured one) are handed in by the adapter.
 */
import type { Timestamper } from "../cades/sign.js";
import type { KeyProvider } from "../pki/signing-key.js";
import { parseCertificate } from "../pki/certificate.js";
import { subjectIdentity } from "../pki/identifier.js";
import { nameAttribute } from "../pki/name.js";
import { signOwnFormText, signXades } from "../xades/sign.js";

export interface ReceiptSealer {
  /** SHA-256 of the seal certificate: receipts sealed with it are this service's */
  readonly certificateSha256: string;
  /** the electronic service provider as the seal certificate names it */
  readonly provider: { name: string; identifier: string | null };
  /** `canonical`: the receipt's exclusive canonical form when its maker wrote it too (document.ts buildReceiptForms) */
  seal(receiptXml: string, at: Date, canonical?: string | null): Promise<string>;
  close(): Promise<void>;
}

export function xadesSealer(key: KeyProvider, timestamper: Timestamper | undefined, onClose?: () => Promise<void>): ReceiptSealer {
  const cert = parseCertificate(key.certificate);
  const id = subjectIdentity(cert);
  const org = id.organizationIdentifier ?? id.identifier;
  return {
    certificateSha256: cert.sha256,
    provider: {
      name: nameAttribute(cert.subject, "2.5.4.10") ?? nameAttribute(cert.subject, "2.5.4.3") ?? "podpis",
      identifier: org ? `${org.type}${org.country}-${org.value}` : null,
    },
    async seal(receiptXml, at, canonical) {
      // the receipt is podpis's own text: with its canonical form it is sealed as text (issue 15)
      if (canonical) return signOwnFormText({ key, form: receiptXml, canonicalForm: Buffer.from(canonical, "utf8"), signingTime: at, timestamper });
      const signed = await signXades({ key, packaging: "enveloped", content: Buffer.from(receiptXml, "utf8"), signingTime: at, timestamper });
      return signed.toString("utf8");
    },
    async close() {
      await key.close();
      await onClose?.();
    },
  };
}
