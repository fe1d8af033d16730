/**
 * XAdES qualifying properties (ETSI EN 319 132-1 v1.2.1 §4.3, §5; XAdES 1.3.2 / 1.4.1 names):
 * reads what a signature claims and binds, without judging it. Judging happens in verify.ts.
 */
import { type C14nOptions } from "./c14n.js";
import { digestName } from "./algorithms.js";
import { DS_NS, type Signature, XmlDsigFormatError, decodeBase64 } from "./xmldsig.js";
import type { XmlElement } from "./xml.js";
import { c14nAlgorithm } from "./c14n.js";

export const XADES_NS = "http://uri.etsi.org/01903/v1.3.2#";
export const XADES141_NS = "http://uri.etsi.org/01903/v1.4.1#";
/** XAdES 1.1.1 (2002), still met in archived forms */
export const XADES111_NS = "http://uri.etsi.org/01903/v1.1.1#";
/** XAdES 1.2.2 (2003): the 1.1.1 structure with ds: digests, met in French and other archives */
export const XADES122_NS = "http://uri.etsi.org/01903/v1.2.2#";
/** The namespaces a xades:QualifyingProperties may be in (1.3.2 is also what 1.4.1 forms use for it). */
export const QUALIFYING_PROPERTIES_NS: ReadonlySet<string> = new Set([XADES_NS, XADES122_NS, XADES111_NS]);
export const SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties";

export interface CertReference {
  /** Node digest name */
  digest: string;
  digestValue: Buffer;
  /** v1: X509IssuerName text and decimal serial */
  issuerName: string | null;
  serialDecimal: string | null;
  /** v2: DER of the RFC 5035 IssuerSerial */
  issuerSerialV2: Buffer | null;
  /** what is malformed in this reference (a bad digest value, serial or IssuerSerialV2): it names no certificate */
  malformed: string | null;
}

export interface EncapsulatedTimestamp {
  token: Buffer;
  /** the c14n for the time-stamped data (XAdES §5.1.4.1); inclusive c14n 1.0 when absent */
  c14n: C14nOptions;
  element: XmlElement;
}

export interface DataObjectFormat {
  objectReference: string;
  mimeType: string | null;
  encoding: string | null;
  description: string | null;
}

export interface SignaturePolicy {
  /** OID or URI of the policy; null for SignaturePolicyImplied */
  identifier: string | null;
  implied: boolean;
  digest: string | null;
  digestValue: Buffer | null;
  spuri: string | null;
}

export interface QualifyingProperties {
  namespace: string;
  element: XmlElement;
  signedProperties: XmlElement | null;
  signingTime: Date | null;
  signingCertificate: { version: 1 | 2; certs: CertReference[] } | null;
  policy: SignaturePolicy | null;
  dataObjectFormats: DataObjectFormat[];
  commitmentTypes: string[];
  signatureTimestamps: EncapsulatedTimestamp[];
  hasCertificateValues: boolean;
  hasRevocationValues: boolean;
  hasTimestampValidationData: boolean;
  hasCompleteRefs: boolean;
  hasRefsTimestamps: boolean;
  archiveTimestamps: EncapsulatedTimestamp[];
  /** certificates carried in CertificateValues (DER) */
  certificateValues: Buffer[];
  /** CRLs carried in RevocationValues (DER) */
  crlValues: Buffer[];
  /** what was left out because it could not be read (unsigned values, unknown algorithms): hints, not failures */
  skipped: Array<{ code: string; message: string }>;
  /** signed properties that occur more than once where the standard allows one (EN 319 132-1 §5.2) */
  duplicated: string[];
}

/** The signed signature properties of which a signature has at most one (EN 319 132-1 §5.2.1–§5.2.6). */
const SINGLE_SIGNED = ["SigningTime", "SigningCertificate", "SigningCertificateV2", "SignaturePolicyIdentifier", "SignatureProductionPlace", "SignatureProductionPlaceV2", "SignerRole", "SignerRoleV2"];

function child(parent: XmlElement | null, ns: string, local: string): XmlElement | null {
  return parent ? parent.first(ns, local) : null;
}

function digestOf(parent: XmlElement, what: string): { digest: string; digestValue: Buffer } {
  // XAdES 1.1.1 puts DigestMethod/DigestValue in its own namespace, later versions in ds:
  const dm = parent.first(DS_NS, "DigestMethod") ?? parent.first(parent.ns, "DigestMethod");
  const dv = parent.first(DS_NS, "DigestValue") ?? parent.first(parent.ns, "DigestValue");
  if (!dm || !dv) throw new XmlDsigFormatError(`${what} without ds:DigestMethod/ds:DigestValue`);
  const digest = digestName(dm.attr("Algorithm"));
  if (!digest) throw new XmlDsigFormatError(`${what}: unsupported digest ${dm.attr("Algorithm")}`);
  return { digest, digestValue: decodeBase64(dv.rawText(), `${what} DigestValue`) };
}

type Skipped = QualifyingProperties["skipped"];

/** Reads a base64 value of an unsigned property; one that is not base64 is left out with a hint. */
function unsignedBase64(e: XmlElement, what: string, skipped: Skipped): Buffer | null {
  try {
    return decodeBase64(e.rawText(), what);
  } catch (err) {
    if (!(err instanceof XmlDsigFormatError)) throw err;
    skipped.push({ code: "UNSIGNED_PROPERTY_SKIPPED", message: `${what} left out: ${err.message}` });
    return null;
  }
}

function timestampsOf(parent: XmlElement | null, ns: string, local: string, skipped: Skipped): EncapsulatedTimestamp[] {
  if (!parent) return [];
  const out: EncapsulatedTimestamp[] = [];
  for (const ts of parent.elements(ns, local)) {
    const enc = ts.elements().find((e) => e.local === "EncapsulatedTimeStamp");
    if (!enc) continue; // XMLTimeStamp is not supported; such a timestamp is ignored
    let c14n: C14nOptions = { method: "c14n10", comments: false };
    const cm = ts.first(DS_NS, "CanonicalizationMethod");
    // an empty Algorithm is read as an absent one: the default (XAdES §5.1.4.1), as producers meant it
    const alg = cm?.attr("Algorithm") ?? "";
    if (alg !== "") {
      const a = c14nAlgorithm(alg);
      if (!a) {
        skipped.push({ code: "UNSIGNED_PROPERTY_SKIPPED", message: `a ${local} with the unsupported canonicalization ${alg} was left out` });
        continue;
      }
      c14n = { ...a };
    }
    const token = unsignedBase64(enc, `${local} EncapsulatedTimeStamp`, skipped);
    if (token) out.push({ token, c14n, element: ts });
  }
  return out;
}

/** Times read before, by their text (a copy: a key sliced from a document would keep it alive); numbers only. */
const readTimes = new Map<string, number>();

function parseTime(text: string): Date {
  const t = text.trim();
  const known = readTimes.get(t);
  if (known !== undefined) return new Date(known);
  // xsd:dateTime; a value without a zone is taken as UTC (EN 319 132-1 §5.2.1 requires a zone; lenient reading)
  if (!/^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(t)) throw new XmlDsigFormatError(`SigningTime "${t}" is not an xsd:dateTime`);
  const d = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : t + "Z");
  if (Number.isNaN(d.getTime())) throw new XmlDsigFormatError(`SigningTime "${t}" is not a valid time`);
  if (readTimes.size >= 256) readTimes.clear();
  readTimes.set(Buffer.from(t, "latin1").toString("latin1"), d.getTime());
  return d;
}

/**
 * Finds the signature's QualifyingProperties: in one of its own ds:Object elements, with
 * Target pointing at this signature (EN 319 132-1 §4.3.1). Null for plain XMLDSig.
 */
export function findQualifyingProperties(sig: Signature): XmlElement | null {
  const found: XmlElement[] = [];
  for (const obj of sig.objects) {
    for (const e of obj.elements()) {
      if (e.local === "QualifyingProperties" && QUALIFYING_PROPERTIES_NS.has(e.ns)) found.push(e);
    }
  }
  if (found.length === 0) return null;
  if (found.length > 1) throw new XmlDsigFormatError("more than one xades:QualifyingProperties in the signature");
  return found[0]!;
}

/**
 * Whether the Target names this signature. One that does not is reported, not fatal: the
 * properties sit in this signature's own ds:Object and are bound by its own SignedProperties
 * reference, which is what makes them its properties (DSS reads such files the same way).
 */
export function targetsSignature(sig: Signature, qp: XmlElement): boolean {
  const target = qp.attr("Target");
  return sig.id !== null && target === "#" + sig.id;
}

export function readQualifyingProperties(qp: XmlElement, signedProperties: XmlElement | null): QualifyingProperties {
  const ns = qp.ns;
  const skipped: Skipped = [];
  const ssp = child(signedProperties, ns, "SignedSignatureProperties");
  const sdop = child(signedProperties, ns, "SignedDataObjectProperties");
  const up = child(qp, ns, "UnsignedProperties");
  const usp = child(up, ns, "UnsignedSignatureProperties");

  let signingTime: Date | null = null;
  const st = child(ssp, ns, "SigningTime");
  if (st) signingTime = parseTime(st.text());

  let signingCertificate: QualifyingProperties["signingCertificate"] = null;
  const sc1 = child(ssp, ns, "SigningCertificate");
  const sc2 = child(ssp, ns, "SigningCertificateV2");
  if (sc1 && sc2) throw new XmlDsigFormatError("both SigningCertificate and SigningCertificateV2");
  if (sc1 || sc2) {
    const certs: CertReference[] = [];
    for (const c of (sc1 ?? sc2)!.elements(ns, "Cert")) {
      const cd = c.first(ns, "CertDigest");
      if (!cd) throw new XmlDsigFormatError("SigningCertificate Cert without CertDigest");
      // A malformed value makes the reference name no certificate (FORMAT_FAILURE later) without
      // stopping the reading: the signature value and references are still checked, and intact
      // stays a fact about bytes (issue 12).
      let malformed: string | null = null;
      let digest = "sha256";
      let digestValue: Buffer = Buffer.alloc(0);
      try {
        ({ digest, digestValue } = digestOf(cd, "CertDigest"));
      } catch (e) {
        if (!(e instanceof XmlDsigFormatError)) throw e;
        malformed = e.message;
      }
      let issuerName: string | null = null;
      let serialDecimal: string | null = null;
      let issuerSerialV2: Buffer | null = null;
      if (sc1) {
        const is = c.first(ns, "IssuerSerial");
        if (!is) throw new XmlDsigFormatError("SigningCertificate Cert without IssuerSerial");
        issuerName = (is.first(DS_NS, "X509IssuerName") ?? is.first(ns, "X509IssuerName"))?.text().trim() ?? null;
        serialDecimal = (is.first(DS_NS, "X509SerialNumber") ?? is.first(ns, "X509SerialNumber"))?.text().trim() ?? null;
        if (serialDecimal === null || !/^-?[0-9]+$/.test(serialDecimal)) {
          malformed ??= "IssuerSerial with a bad X509SerialNumber";
          serialDecimal = null;
        }
      } else {
        const is = c.first(ns, "IssuerSerialV2");
        if (is) {
          try {
            issuerSerialV2 = decodeBase64(is.rawText(), "IssuerSerialV2");
          } catch (e) {
            if (!(e instanceof XmlDsigFormatError)) throw e;
            malformed ??= e.message;
          }
        }
      }
      certs.push({ digest, digestValue, issuerName, serialDecimal, issuerSerialV2, malformed });
    }
    if (certs.length === 0) throw new XmlDsigFormatError("SigningCertificate without a Cert");
    signingCertificate = { version: sc1 ? 1 : 2, certs };
  }

  let policy: SignaturePolicy | null = null;
  const spi = child(ssp, ns, "SignaturePolicyIdentifier");
  if (spi) {
    if (spi.first(ns, "SignaturePolicyImplied")) policy = { identifier: null, implied: true, digest: null, digestValue: null, spuri: null };
    else {
      const sid = spi.first(ns, "SignaturePolicyId");
      const id = sid?.first(ns, "SigPolicyId")?.first(ns, "Identifier")?.text().trim();
      if (!sid || !id) throw new XmlDsigFormatError("SignaturePolicyIdentifier without SigPolicyId/Identifier");
      const hash = sid.first(ns, "SigPolicyHash");
      let d: { digest: string; digestValue: Buffer } | null = null;
      try {
        d = hash ? digestOf(hash, "SigPolicyHash") : null;
      } catch (e) {
        // the policy is not processed (SIGNATURE_POLICY_NOT_PROCESSED): its hash is only shown
        if (!(e instanceof XmlDsigFormatError)) throw e;
        skipped.push({ code: "SIGNATURE_POLICY_HASH_UNREADABLE", message: e.message });
      }
      let spuri: string | null = null;
      for (const q of sid.first(ns, "SigPolicyQualifiers")?.elements(ns, "SigPolicyQualifier") ?? []) {
        const u = q.first(ns, "SPURI");
        if (u) spuri = u.text().trim();
      }
      policy = { identifier: id.replace(/^urn:oid:/, ""), implied: false, digest: d?.digest ?? null, digestValue: d?.digestValue ?? null, spuri };
    }
  }

  const dataObjectFormats: DataObjectFormat[] = [];
  for (const f of sdop?.elements(ns, "DataObjectFormat") ?? []) {
    dataObjectFormats.push({
      objectReference: f.attr("ObjectReference") ?? "",
      mimeType: f.first(ns, "MimeType")?.text().trim() ?? null,
      encoding: f.first(ns, "Encoding")?.text().trim() ?? null,
      description: f.first(ns, "Description")?.text().trim() ?? null,
    });
  }
  const commitmentTypes: string[] = [];
  for (const c of sdop?.elements(ns, "CommitmentTypeIndication") ?? []) {
    const id = c.first(ns, "CommitmentTypeId")?.first(ns, "Identifier")?.text().trim();
    if (id) commitmentTypes.push(id);
  }

  const certificateValues: Buffer[] = [];
  const cv = child(usp, ns, "CertificateValues");
  for (const e of cv?.elements(ns, "EncapsulatedX509Certificate") ?? []) {
    const der = unsignedBase64(e, "EncapsulatedX509Certificate", skipped);
    if (der) certificateValues.push(der);
  }
  const crlValues: Buffer[] = [];
  const rv = child(usp, ns, "RevocationValues");
  for (const e of rv?.first(ns, "CRLValues")?.elements(ns, "EncapsulatedCRLValue") ?? []) {
    const der = unsignedBase64(e, "EncapsulatedCRLValue", skipped);
    if (der) crlValues.push(der);
  }

  return {
    namespace: ns,
    element: qp,
    signedProperties,
    signingTime,
    signingCertificate,
    policy,
    dataObjectFormats,
    commitmentTypes,
    signatureTimestamps: timestampsOf(usp, ns, "SignatureTimeStamp", skipped),
    hasCertificateValues: cv !== null,
    hasRevocationValues: rv !== null,
    hasTimestampValidationData: child(usp, XADES141_NS, "TimeStampValidationData") !== null,
    hasCompleteRefs: child(usp, ns, "CompleteCertificateRefs") !== null || child(usp, ns, "CompleteCertificateRefsV2") !== null,
    hasRefsTimestamps: child(usp, ns, "SigAndRefsTimeStamp") !== null || child(usp, ns, "SigAndRefsTimeStampV2") !== null,
    archiveTimestamps: [...timestampsOf(usp, XADES141_NS, "ArchiveTimeStamp", skipped), ...timestampsOf(usp, ns, "ArchiveTimeStamp", skipped)],
    certificateValues,
    crlValues,
    skipped,
    duplicated: SINGLE_SIGNED.filter((n) => (ssp?.elements(ns, n).length ?? 0) > 1),
  };
}

/**
 * The level the signature has the properties of (EN 319 132-1 §6 baseline; the XAdES 1.3.2
 * forms for signatures bound with SigningCertificate v1, which baseline no longer names).
 */
export function levelOf(q: QualifyingProperties | null): string {
  if (!q) return "XMLDSig";
  const baseline = q.signingCertificate?.version === 2;
  const t = q.signatureTimestamps.length > 0;
  const lt = q.hasCertificateValues && (q.hasRevocationValues || q.hasTimestampValidationData);
  const lta = q.archiveTimestamps.length > 0;
  if (baseline) {
    if (lta && lt && t) return "B-LTA";
    if (lt && t) return "B-LT";
    if (t) return "B-T";
    return "B-B";
  }
  if (lta) return "A";
  if (lt && q.hasCompleteRefs) return "X-L";
  if (lt) return t ? "B-LT" : "B-B";
  if (q.hasRefsTimestamps) return "X";
  if (q.hasCompleteRefs) return "C";
  if (t) return "T";
  return q.policy && !q.policy.implied ? "EPES" : "BES";
}
