/**
 * Object identifiers of CMS (RFC 5652), ESS (RFC 2634, RFC 5035), CAdES (ETSI EN 319 122-1,
 * TS 101 733) and RFC 3161 that the CMS, CAdES and time-stamp readers act on.
 */
export const CMS = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  // RFC 5652 §11
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  counterSignature: "1.2.840.113549.1.9.6",
  // RFC 6211
  cmsAlgorithmProtection: "1.2.840.113549.1.9.52",
  // ESS (RFC 2634 §5.4, RFC 5035)
  contentHint: "1.2.840.113549.1.9.16.2.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  // CAdES (ETSI EN 319 122-1 §5.2, TS 101 733)
  signatureTimeStampToken: "1.2.840.113549.1.9.16.2.14",
  sigPolicyId: "1.2.840.113549.1.9.16.2.15",
  commitmentType: "1.2.840.113549.1.9.16.2.16",
  signerLocation: "1.2.840.113549.1.9.16.2.17",
  signerAttr: "1.2.840.113549.1.9.16.2.18",
  contentTimestamp: "1.2.840.113549.1.9.16.2.20",
  certificateRefs: "1.2.840.113549.1.9.16.2.21",
  revocationRefs: "1.2.840.113549.1.9.16.2.22",
  certValues: "1.2.840.113549.1.9.16.2.23",
  revocationValues: "1.2.840.113549.1.9.16.2.24",
  escTimeStamp: "1.2.840.113549.1.9.16.2.25",
  certCRLTimestamp: "1.2.840.113549.1.9.16.2.26",
  archiveTimestampV1: "1.2.840.113549.1.9.16.2.27",
  archiveTimestampV2: "1.2.840.113549.1.9.16.2.48",
  archiveTimestampV3: "0.4.0.1733.2.4",
  atsHashIndex: "0.4.0.1733.2.5",
  atsHashIndexV3: "0.4.0.19122.1.5",
  signerAttrV2: "0.4.0.19122.1.1",
  // RFC 5940: OCSP responses in RevocationInfoChoices
  ocspRevocationInfo: "1.3.6.1.5.5.7.16.2",
  // public key / generic signature algorithm OIDs that take their digest from digestAlgorithm
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  dsa: "1.2.840.10040.4.1",
} as const;

/** Readable names for the attributes the report mentions. */
export const ATTRIBUTE_NAMES: Record<string, string> = {
  [CMS.contentType]: "content-type",
  [CMS.messageDigest]: "message-digest",
  [CMS.signingTime]: "signing-time",
  [CMS.counterSignature]: "countersignature",
  [CMS.signingCertificate]: "signing-certificate",
  [CMS.signingCertificateV2]: "signing-certificate-v2",
  [CMS.sigPolicyId]: "signature-policy-identifier",
  [CMS.contentHint]: "content-hints",
  [CMS.signatureTimeStampToken]: "signature-time-stamp",
  [CMS.contentTimestamp]: "content-time-stamp",
  [CMS.commitmentType]: "commitment-type-indication",
};
