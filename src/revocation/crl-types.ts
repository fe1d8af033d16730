/**
 * The CRL model (RFC 5280 §5) that the revocation checker works on. Parsing lives in crl.ts;
 * entries are indexed, not materialised: a national QTSP's CRL has a million of them.
 */
import type { AlgorithmIdentifier } from "../pki/algorithms.js";
import type { AuthorityKeyIdentifier } from "../pki/certificate.js";
import type { DistributionPoint, DistributionPointName, GeneralName } from "../pki/general-name.js";
import type { Name } from "../pki/name.js";
import type { RevocationReason } from "./types.js";

export interface IssuingDistributionPoint {
  distributionPoint: DistributionPointName | null;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  /** ReasonFlags mask (bit i = 1 << i), null when absent */
  onlySomeReasons: number | null;
  indirectCRL: boolean;
  onlyContainsAttributeCerts: boolean;
}

export interface RevokedEntry {
  serialNumber: string;
  revocationDate: Date;
  reason: RevocationReason | null;
  invalidityDate: Date | null;
  /**
   * The certificate issuer this entry is about (RFC 5280 §5.3.3: certificateIssuer on this or the
   * nearest preceding entry of an indirect CRL); null means the CRL issuer.
   */
  certificateIssuer: GeneralName[] | null;
  /** an unknown critical entry extension (§5.3: the CRL must then not be used for this serial) */
  unknownCriticalExtension: string | null;
}

export interface Crl {
  der: Uint8Array;
  /** SHA-256 of the DER, hex: the CRL's identity in reports and the archive */
  sha256: string;
  version: number;
  issuer: Name;
  thisUpdate: Date;
  nextUpdate: Date | null;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  tbsSignatureAlgorithm: AlgorithmIdentifier;
  signatureValue: Uint8Array;
  crlNumber: bigint | null;
  /** base CRL number of a delta CRL (§5.2.4); null for a complete CRL */
  deltaCrlIndicator: bigint | null;
  authorityKeyIdentifier: AuthorityKeyIdentifier | null;
  issuingDistributionPoint: IssuingDistributionPoint | null;
  freshestCRL: DistributionPoint[] | null;
  /** critical CRL extensions not understood (§5.2: such a CRL must not be used) */
  unknownCriticalExtensions: string[];
  entryCount: number;
  /** entries whose serial (hex, no leading zero octets) matches; several only in indirect CRLs */
  lookup(serialHex: string): RevokedEntry[];
}
