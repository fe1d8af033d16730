/**
 * A trusted list as ETSI TS 119 612 (v5 and v6, namespace http://uri.etsi.org/02231/v2#) writes it,
 * read into plain values: the scheme information (§5.3), the pointers to other lists (§5.3.13),
 * the providers (§5.4) and their services (§5.5) with the whole service history (§5.6) and the
 * service information extensions this project uses (§5.5.9). Everything TS 119 615 needs to decide
 * a certificate's qualification is here; addresses, legal notices and the like are not.
 */
import type { Certificate } from "../pki/certificate.js";

export const TSL_NS = "http://uri.etsi.org/02231/v2#";
export const TSL_ADDITIONAL_NS = "http://uri.etsi.org/02231/v2/additionaltypes#";
/** TS 119 612 §5.5.9.2 Qualifications (the namespace keeps its Directive 1999/93/EC name) */
export const TSL_SIE_NS = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
export const XADES_NS_132 = "http://uri.etsi.org/01903/v1.3.2#";

export const LOTL_TYPE = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists";
export const SERVICE_TYPE = {
  caQc: "http://uri.etsi.org/TrstSvc/Svctype/CA/QC",
  caPkc: "http://uri.etsi.org/TrstSvc/Svctype/CA/PKC",
  qtst: "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST",
  tsa: "http://uri.etsi.org/TrstSvc/Svctype/TSA",
} as const;

const STATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/";
export const SERVICE_STATUS = {
  granted: `${STATUS}granted`,
  withdrawn: `${STATUS}withdrawn`,
  recognisedAtNationalLevel: `${STATUS}recognisedatnationallevel`,
  deprecatedAtNationalLevel: `${STATUS}deprecatedatnationallevel`,
  // before eIDAS (TS 119 612 v1 statuses, still in every list's history)
  underSupervision: `${STATUS}undersupervision`,
  supervisionInCessation: `${STATUS}supervisionincessation`,
  supervisionCeased: `${STATUS}supervisionceased`,
  supervisionRevoked: `${STATUS}supervisionrevoked`,
  accredited: `${STATUS}accredited`,
  accreditationCeased: `${STATUS}accreditationceased`,
  accreditationRevoked: `${STATUS}accreditationrevoked`,
} as const;

/** Statuses in which a service's identities anchor trust (TS 119 615 §4.1: the "positive" ones, pre- and post-eIDAS). */
export const TRUSTED_STATUSES: ReadonlySet<string> = new Set([
  SERVICE_STATUS.granted,
  SERVICE_STATUS.recognisedAtNationalLevel,
  SERVICE_STATUS.underSupervision,
  SERVICE_STATUS.supervisionInCessation,
  SERVICE_STATUS.accredited,
]);

/** Statuses that make a CA/QC service's certificates qualified (granted; before 2016-07-01 also the Directive's). */
export const QUALIFIED_STATUSES: ReadonlySet<string> = new Set([
  SERVICE_STATUS.granted,
  SERVICE_STATUS.underSupervision,
  SERVICE_STATUS.supervisionInCessation,
  SERVICE_STATUS.accredited,
]);

const SIE = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";
export const QUALIFIER = {
  qcStatement: `${SIE}QCStatement`,
  notQualified: `${SIE}NotQualified`,
  withSscd: `${SIE}QCWithSSCD`,
  noSscd: `${SIE}QCNoSSCD`,
  sscdAsInCert: `${SIE}QCSSCDStatusAsInCert`,
  withQscd: `${SIE}QCWithQSCD`,
  noQscd: `${SIE}QCNoQSCD`,
  qscdAsInCert: `${SIE}QCQSCDStatusAsInCert`,
  qscdManagedOnBehalf: `${SIE}QCQSCDManagedOnBehalf`,
  forLegalPerson: `${SIE}QCForLegalPerson`,
  forESig: `${SIE}QCForESig`,
  forESeal: `${SIE}QCForESeal`,
  forWsa: `${SIE}QCForWSA`,
} as const;

export const ADDITIONAL_INFO = {
  forESignatures: `${SIE}ForeSignatures`,
  forESeals: `${SIE}ForeSeals`,
  forWebSiteAuthentication: `${SIE}ForWebSiteAuthentication`,
} as const;

/** A CriteriaList (TS 119 612 §5.5.9.2.2): which certificates a QualificationElement is about. */
export interface Criteria {
  assert: "all" | "atLeastOne" | "none";
  /** each: key usage bit name → required value (a Map: a name such as "__proto__" is a name) */
  keyUsage: Array<Map<string, boolean>>;
  /** each: a set of policy OIDs, all of which the certificate must carry */
  policySets: string[][];
  /** extended key usage OIDs (otherCriteriaList), each one criterion */
  extendedKeyUsage: string[];
  nested: Criteria[];
  /** criteria this reader does not know (otherCriteriaList kinds): such a list never matches */
  unknown: number;
}

export interface QualificationElement {
  qualifiers: string[];
  criteria: Criteria;
}

/** One version of a service's information: the current one or a history instance (§5.6). */
export interface ServiceVersion {
  type: string;
  name: string;
  status: string;
  /** StatusStartingTime: this version holds from here until the next (later) version's start */
  from: Date;
  qualifications: QualificationElement[];
  /** AdditionalServiceInformation URIs (ForeSignatures, ForeSeals, ForWebSiteAuthentication, …) */
  additionalInformation: string[];
  /** ExpiredCertsRevocationInfo (§5.5.9.4): revocation of certificates expired since then is kept */
  expiredCertsRevocationInfo: Date | null;
}

export interface DigitalIdentity {
  certificates: Certificate[];
  subjectNames: string[];
  /** X509SKI, hex */
  skis: string[];
}

export interface TrustService {
  tsp: string;
  identity: DigitalIdentity;
  /** newest first: the current information, then the history, by StatusStartingTime descending */
  versions: ServiceVersion[];
}

export interface TrustServiceProvider {
  name: string;
  tradeNames: string[];
  services: TrustService[];
}

export interface OtherListPointer {
  territory: string | null;
  location: string;
  mimeType: string | null;
  type: string | null;
  /** certificates allowed to sign the list pointed at (§5.3.13 ServiceDigitalIdentities) */
  signers: Certificate[];
}

export interface TrustedList {
  kind: "TL" | "LOTL";
  version: number;
  sequenceNumber: number;
  type: string;
  schemeTerritory: string;
  operator: string;
  issueDate: Date;
  /** null: the list is closed (§5.3.15 NextUpdate without a dateTime) */
  nextUpdate: Date | null;
  /** SchemeInformationURI values: on the LOTL, the pivots and the Official Journal announcement */
  schemeInformationUris: string[];
  pointers: OtherListPointer[];
  providers: TrustServiceProvider[];
  /** SHA-256 (hex) of the list's bytes as read */
  sha256: string;
  /** what was left out while reading (a malformed certificate, an unknown date) */
  warnings: string[];
}

export const serviceCount = (l: TrustedList): number => l.providers.reduce((n, p) => n + p.services.length, 0);
