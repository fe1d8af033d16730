// The revocation port is defined where it is called (pki/revocation-port.ts); revocation/
// implements it and keeps these names for its own modules.
export * from "../pki/revocation-port.js";
import type { RevocationReason } from "../pki/revocation-port.js";

/** RFC 5280 §5.3.1 CRLReason by its ENUMERATED value (7 is unused); OCSP (RFC 6960 §4.2.1) reuses it. */
export const CRL_REASONS: ReadonlyArray<RevocationReason | null> = Object.freeze([
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  null,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
]);
