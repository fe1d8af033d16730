/**
 * The small values every signature reader reports (CMS signers, RFC 3161 tokens, XAdES): a coded
 * message, the cryptographic truth, and how the signing certificate is bound. They sit here, at
 * the bottom of the readers, so that cades/, xades/ and timestamp/ share them without importing
 * validation/ (which re-exports them in signature-model.ts).
 */

/** An error, warning or hint with a stable code. */
export interface Message {
  code: string;
  message: string;
}

/**
 * How the signature binds its signing certificate: ESS signing-certificate(-v2) in CAdES,
 * SigningCertificate(V2) in XAdES (EN 319 102-1 §5.2.3.4).
 */
export interface SigningCertificateReference {
  /** the attribute or property that carried the reference; null when there is none */
  attribute: string | null;
  digestAlgorithm: string | null;
  /** the referenced digest equals the digest of the certificate used; null without a reference */
  digestMatches: boolean | null;
  /** the referenced issuer and serial equal the certificate's; null when the reference carries none */
  issuerSerialMatches: boolean | null;
}

/** The cryptographic truth, independent of trust (EN 319 102-1 §5.2.7). */
export interface Integrity {
  /** every message digest / signed reference matches; null when the signed data was not available */
  dataIntact: boolean | null;
  /** the signature value verifies with the signing certificate's key; null when no key or no supported algorithm */
  signatureIntact: boolean | null;
}
