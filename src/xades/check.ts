/**
 * The XAdES-specific part of signature validation: everything that needs the XML. Per
 * signature it establishes the format (EN 319 102-1 §5.2.2), identifies the signing
 * certificate through the signed binding (§5.2.3, EN 319 132-1 §5.2.2), checks the references
 * and the signature value (§5.2.7), reads the claimed properties and the data the timestamps
 * are over, and says what the signature covers. Path validation, timestamps, algorithm policy,
 * qualification and the report are format-neutral and happen in src/validation/.
 */
import { createHash, hash } from "node:crypto";
import { Asn1Error } from "../asn1/der.js";
import { issuerSerialMatches, issuerSerialReordered, readIssuerSerial } from "../cms/signing-certificate.js";
import { type Certificate, parseCertificate, publicKeyOf } from "../pki/certificate.js";
import { nameToString } from "../pki/name.js";
import { canonicalOctets } from "./c14n.js";
import {
  type QualifyingProperties,
  findQualifyingProperties,
  levelOf,
  readQualifyingProperties,
  XADES111_NS,
  XADES122_NS,
  QUALIFYING_PROPERTIES_NS,
  SIGNED_PROPERTIES_TYPE,
  targetsSignature,
} from "./properties.js";
import {
  DS_NS,
  type DetachedContent,
  DigestMeter,
  type ReferenceOutcome,
  type Signature,
  XmlDsigFormatError,
  findSignatures,
  parseSignature,
  processReferences,
  signedInfoOctets,
  verifySignatureValue,
} from "./xmldsig.js";
import { type ParseOptions, type XmlDocument, XmlElement, XmlError, parseXml } from "./xml.js";
import { keyMatchesKeyInfo, keyValueOf } from "./keyinfo.js";
import { type ManifestOutcome, isSignedPropertiesType, placementProblem, processManifest, sharedIds } from "./wrapping.js";
import { DEFAULT_VALIDATION_BUDGET } from "../limits/budgets.js";

export interface Problem {
  code: string;
  message: string;
}

export interface SignedDataItem {
  kind: "whole-document" | "element" | "detached" | "external";
  ref: string;
  sha256: string | null;
}

export type Verdict =
  | { indication: "TOTAL_PASSED"; subIndication: null }
  | { indication: "TOTAL_FAILED"; subIndication: "FORMAT_FAILURE" | "HASH_FAILURE" | "SIG_CRYPTO_FAILURE" }
  | { indication: "INDETERMINATE"; subIndication: "NO_SIGNING_CERTIFICATE_FOUND" | "SIGNED_DATA_NOT_FOUND" };

/** What one ds:Signature amounts to before path, time and policy are considered. */
export interface XadesSignatureCheck {
  id: string;
  element: XmlElement;
  signature: Signature | null;
  /** the verdict of the format, binding and cryptographic checks; TOTAL_PASSED means "go on" */
  verdict: Verdict;
  /** signature value and every reference verify */
  intact: boolean;
  /** every reference's digest matches; null when some signed data was not available */
  dataIntact: boolean | null;
  /** the SignatureValue verifies with the signing certificate's key; null when there is no certificate */
  signatureIntact: boolean | null;
  /** the signed reference to the signing certificate, as the format-neutral model wants it */
  reference: { attribute: string | null; digestAlgorithm: string | null; digestMatches: boolean | null; issuerSerialMatches: boolean | null };
  /** structural problems (each makes the signature FORMAT_FAILURE) */
  formatErrors: Problem[];
  level: string;
  properties: QualifyingProperties | null;
  signingCertificate: Certificate | null;
  /** how the signing certificate is bound: SigningCertificate(V2), a signed KeyInfo, or none (plain XMLDSig) */
  binding: "SigningCertificateV2" | "SigningCertificate" | "KeyInfo" | "none" | null;
  /** certificates the signature carries (KeyInfo, CertificateValues), for path building */
  certificates: Certificate[];
  claimedSigningTime: Date | null;
  signedData: SignedDataItem[];
  references: ReferenceOutcome[];
  /** the signed ds:Manifests, with their own references' outcomes */
  manifests: ManifestOutcome[];
  /** the outcomes that are signed content (what signedData lists): SignedInfo's and verified manifest references */
  dataOutcomes: ReferenceOutcome[];
  /** the whole form is covered: see coversWholeDocument() */
  coversWholeDocument: boolean;
  /** RFC 3161 tokens with the octets their message imprint must be over */
  signatureTimestamps: Array<{ token: Buffer; data: Buffer }>;
  archiveTimestampCount: number;
  /** the signature and digest algorithms used, for the algorithm policy */
  algorithms: { signature: Signature["algorithm"] | null; digests: string[] };
  errors: Problem[];
  warnings: Problem[];
}

export interface XadesDocumentCheck {
  doc: XmlDocument | null;
  sha256: string;
  packaging: "enveloping" | "enveloped" | "detached";
  signatures: XadesSignatureCheck[];
  /** some intact signature covers the whole form */
  coversWholeDocument: boolean;
  /** set when the bytes are not a readable XML signature document at all */
  formatError: Problem | null;
}

export interface CheckOptions {
  contents?: readonly DetachedContent[];
  /** extra certificates that may be the signer's (the validator's untrusted pool) */
  pool?: readonly Certificate[];
  parse?: ParseOptions;
  /** the document, already parsed (with `parse`'s caps) by the caller: it is not parsed again */
  doc?: XmlDocument;
  maxReferences?: number;
  /** octets all references of the document may canonicalize or digest (default: 64 MiB, or 8× the document) */
  maxDigestBytes?: number;
  /** SHA-256 (hex) of the only certificates that may be the signer (a receipt: this service's seals); default any */
  signers?: readonly string[];
  /** stops the work (checked before each reference and signature) when the caller has gone away */
  signal?: AbortSignal;
  /** parsed-certificate cache (default: a small module-level one) */
  certificates?: CertificateSource;
}

/** Where parsed certificates are kept between verifications (the validator's cache). */
export interface CertificateSource {
  get(der: Uint8Array): Certificate;
}

/**
 * Used when the caller brings no cache: certificates in KeyInfo repeat from one form to the next,
 * and parsing one (with its public key import) costs more than the whole XML work of a form.
 */
class SmallCertificateCache implements CertificateSource {
  private readonly map = new Map<string, Certificate>();
  get(der: Uint8Array): Certificate {
    const key = createHash("sha256").update(der).digest("base64");
    let c = this.map.get(key);
    if (!c) {
      c = parseCertificate(Buffer.from(der));
      if (this.map.size >= 1000) this.map.delete(this.map.keys().next().value!);
      this.map.set(key, c);
    }
    return c;
  }
}
const defaultCertificates = new SmallCertificateCache();

function digestHex(c: Certificate, alg: string): string {
  return alg === "sha256" ? c.sha256 : createHash(alg).update(c.der).digest("hex");
}

/** Decimal serial → hex as Certificate.serialNumber has it (no leading zero octets, lower case). */
function decimalToHex(dec: string): string {
  let v = BigInt(dec);
  if (v < 0n) v = -v;
  let h = v.toString(16);
  if (h.length % 2) h = "0" + h;
  return h.replace(/^(00)+(?=..)/, "");
}

function normName(s: string): string {
  return s.toLowerCase().replace(/\s*([,=+])\s*/g, "$1").replace(/\s+/g, " ").trim();
}

/** How an IssuerSerialV2 names a certificate: as it is, with the issuer's RDNs in another order (issuerSerialReordered), or not. */
type IssuerSerialAnswer = "same" | "reordered" | "no";

/** XAdES IssuerSerialV2 holds the DER of an RFC 5035 IssuerSerial: read and matched as CMS does; malformed names no certificate. */
function issuerSerialV2Answer(der: Buffer, c: Certificate): IssuerSerialAnswer {
  // (a fact about two byte strings, the same for every form the signer signs: kept per certificate)
  let known = issuerSerialV2Known.get(c);
  const key = der.toString("latin1");
  const hit = known?.get(key);
  if (hit !== undefined) return hit;
  let answer: IssuerSerialAnswer;
  try {
    const is = readIssuerSerial(der);
    answer = issuerSerialMatches(c, is) === true ? "same" : issuerSerialReordered(c, is) ? "reordered" : "no";
  } catch (e) {
    if (!(e instanceof Asn1Error)) throw e;
    answer = "no";
  }
  if (!known) issuerSerialV2Known.set(c, (known = new Map()));
  if (known.size >= 16) known.clear();
  known.set(key, answer);
  return answer;
}
const issuerSerialV2Known = new WeakMap<Certificate, Map<string, IssuerSerialAnswer>>();

function fail(check: XadesSignatureCheck, verdict: Verdict, code: string, message: string): XadesSignatureCheck {
  if (check.verdict.indication === "TOTAL_PASSED" || (check.verdict.indication === "INDETERMINATE" && verdict.indication === "TOTAL_FAILED")) {
    check.verdict = verdict;
  }
  if (verdict.subIndication === "FORMAT_FAILURE") check.formatErrors.push({ code, message });
  else check.errors.push({ code, message });
  return check;
}

export function checkXadesDocument(bytes: Uint8Array, opts: CheckOptions = {}): XadesDocumentCheck {
  const sha256 = hash("sha256", bytes, "hex");
  let doc: XmlDocument;
  try {
    doc = opts.doc ?? parseXml(bytes, opts.parse);
  } catch (e) {
    if (e instanceof XmlError) return { doc: null, sha256, packaging: "enveloped", signatures: [], coversWholeDocument: false, formatError: { code: e.code, message: e.message } };
    throw e;
  }
  const sigEls = findSignatures(doc);
  if (sigEls.length === 0) {
    return { doc, sha256, packaging: "enveloped", signatures: [], coversWholeDocument: false, formatError: { code: "NO_SIGNATURE", message: "the XML document holds no ds:Signature" } };
  }
  const meter = new DigestMeter(opts.maxDigestBytes ?? Math.max(64 * 1024 * 1024, 8 * bytes.length), opts.signal);
  const signatures = sigEls.map((el, i) => checkSignature(doc, el, i, opts, meter));
  const enveloping = doc.root.ns === DS_NS && doc.root.local === "Signature";
  const allExternal = signatures.every((s) => s.signature !== null && s.signature.references.every((r) => r.uri === null || (r.uri !== "" && !r.uri.startsWith("#")) || isSignedPropertiesType(r.type)));
  const packaging = allExternal ? "detached" : enveloping ? "enveloping" : "enveloped";
  if (packaging === "enveloped") for (const s of signatures) refuseHiddenSignedData(s, doc, sigEls);
  // (intact alone is a fact about bytes: covering the form also takes a well-formed, bound signature)
  for (const s of signatures) s.coversWholeDocument = s.intact && s.verdict.indication === "TOTAL_PASSED" && coversWholeDocument(doc, s, packaging, opts.contents ?? []);
  return { doc, sha256, packaging, signatures, coversWholeDocument: signatures.some((s) => s.coversWholeDocument), formatError: null };
}

function checkSignature(doc: XmlDocument, el: XmlElement, index: number, opts: CheckOptions, meter: DigestMeter): XadesSignatureCheck {
  const certs = opts.certificates ?? defaultCertificates;
  const check: XadesSignatureCheck = {
    id: el.attr("Id") ?? `signature-${index + 1}`,
    element: el,
    signature: null,
    verdict: { indication: "TOTAL_PASSED", subIndication: null },
    intact: false,
    dataIntact: null,
    signatureIntact: null,
    reference: { attribute: null, digestAlgorithm: null, digestMatches: null, issuerSerialMatches: null },
    formatErrors: [],
    level: "XMLDSig",
    properties: null,
    signingCertificate: null,
    binding: null,
    certificates: [],
    claimedSigningTime: null,
    signedData: [],
    references: [],
    manifests: [],
    dataOutcomes: [],
    coversWholeDocument: false,
    signatureTimestamps: [],
    archiveTimestampCount: 0,
    algorithms: { signature: null, digests: [] },
    errors: [],
    warnings: [],
  };
  const formatFailure = { indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" } as const;
  let sig: Signature;
  let qp: QualifyingProperties | null = null;
  try {
    sig = parseSignature(el, { maxReferences: opts.maxReferences });
    check.signature = sig;
    check.algorithms = { signature: sig.algorithm, digests: [...new Set(sig.references.map((r) => r.digest))] };
    for (const der of sig.keyInfoCertificates) check.certificates.push(certs.get(der));
    const qpEl = findQualifyingProperties(sig);
    if (qpEl) {
      const ns = qpEl.ns;
      const sps = qpEl.elements(ns, "SignedProperties");
      qp = readQualifyingProperties(qpEl, sps[0] ?? null);
      // duplicated signed properties are a format failure that leaves intact a fact about bytes:
      // recorded here, the signature value and references are still checked
      if (sps.length > 1) fail(check, formatFailure, "PROPERTY_DUPLICATED", "more than one xades:SignedProperties");
      for (const d of qp.duplicated) fail(check, formatFailure, "PROPERTY_DUPLICATED", `more than one xades:${d} (EN 319 132-1 allows one)`);
      check.properties = qp;
      check.level = levelOf(qp);
      if (ns === XADES111_NS) check.warnings.push({ code: "XADES_1_1_1", message: "XAdES 1.1.1 namespace (legacy)" });
      if (ns === XADES122_NS) check.warnings.push({ code: "XADES_1_2_2", message: "XAdES 1.2.2 namespace (legacy)" });
      if (!targetsSignature(sig, qpEl)) {
        check.warnings.push({ code: "QUALIFYING_PROPERTIES_TARGET", message: `QualifyingProperties Target "${qpEl.attr("Target") ?? ""}" does not name this signature (read as its own: it is in its ds:Object)` });
      }
      for (const k of qp.skipped) check.warnings.push(k);
      // unsigned certificate values that do not parse are left out, not fatal (issue 12: real X-L/A files carry such)
      for (const der of qp.certificateValues) {
        try {
          check.certificates.push(certs.get(der));
        } catch (e) {
          if ((e as { code?: string }).code !== "MALFORMED_CERTIFICATE") throw e;
          check.warnings.push({ code: "UNSIGNED_PROPERTY_SKIPPED", message: `a CertificateValues certificate does not parse: ${(e as Error).message}` });
        }
      }
      check.claimedSigningTime = qp.signingTime;
      check.archiveTimestampCount = qp.archiveTimestamps.length;
      for (const t of qp.signatureTimestamps) {
        // EN 319 132-1 §5.3: the time-stamped data is the canonicalized ds:SignatureValue element
        check.signatureTimestamps.push({ token: t.token, data: canonicalOctets(sig.signatureValueElement, t.c14n) });
      }
    }
  } catch (e) {
    if (e instanceof XmlDsigFormatError || e instanceof XmlError) return fail(check, formatFailure, "FORMAT_FAILURE", e.message);
    if (e instanceof Error && (e as { code?: string }).code === "MALFORMED_CERTIFICATE") return fail(check, formatFailure, "FORMAT_FAILURE", e.message);
    throw e;
  }

  // Signing certificate identification and the signature value (§5.2.3, §5.2.7), first: they are
  // cheap (one SignedInfo), and no reference is digested for a signature no key in hand verifies
  // (issue 11: a bad signature value, or no key at all, ends the work)
  meter.signal?.throwIfAborted();
  const siOctets = signedInfoOctets(sig, meter);
  const allowed = opts.signers;
  // the carried certificates, then the pool (read in place: the pool can hold a trust list's hundreds)
  const carried = check.certificates;
  const pool = opts.pool ?? [];
  // check.certificates starts with the KeyInfo certificates, in order (looked up once)
  const keyInfoCerts = check.certificates.slice(0, sig.keyInfoCertificates.length).filter((c) => !allowed || allowed.includes(c.sha256));
  let sigOk = false;
  if (qp?.signingCertificate) {
    const sc = qp.signingCertificate;
    check.binding = sc.version === 2 ? "SigningCertificateV2" : "SigningCertificate";
    check.reference.attribute = check.binding;
    check.reference.digestAlgorithm = sc.certs[0]!.digest;
    // The signer is a certificate the signed reference names and whose key verifies; never just any key.
    let chosen: { c: Certificate; ref: (typeof sc.certs)[number] } | null = null;
    outer: for (const ref of sc.certs) {
      if (ref.malformed !== null && ref.digestValue.length === 0) continue;
      const want = ref.digestValue.toString("hex");
      for (let i = 0; i < carried.length + pool.length; i++) {
        const c = i < carried.length ? carried[i]! : pool[i - carried.length]!;
        if ((allowed && !allowed.includes(c.sha256)) || digestHex(c, ref.digest) !== want) continue;
        if (verifySignatureValue(sig, publicKeyOf(c), siOctets)) {
          chosen = { c, ref };
          sigOk = true;
          break outer;
        }
        chosen ??= { c, ref };
      }
    }
    if (chosen) {
      check.signingCertificate = chosen.c;
      check.reference.digestMatches = true;
      check.reference.digestAlgorithm = chosen.ref.digest;
      check.signatureIntact = sigOk;
      const c = chosen.c;
      const ref = chosen.ref;
      if (ref.serialDecimal !== null) {
        check.reference.issuerSerialMatches = decimalToHex(ref.serialDecimal) === c.serialNumber;
        if (check.reference.issuerSerialMatches && ref.issuerName !== null && normName(ref.issuerName) !== normName(nameToString(c.issuer))) {
          check.warnings.push({ code: "ISSUER_NAME_DIFFERS", message: `X509IssuerName "${ref.issuerName}" is written differently from the certificate's issuer "${nameToString(c.issuer)}"` });
        }
      } else if (ref.issuerSerialV2) {
        const answer = issuerSerialV2Answer(ref.issuerSerialV2, c);
        check.reference.issuerSerialMatches = answer !== "no";
        // the certificate its digest found, its serial, its issuer's RDNs written in another
        // order: taken as naming it (as DSS does), with a warning, as for a V1 X509IssuerName
        if (answer === "reordered") {
          check.warnings.push({ code: "ISSUER_NAME_DIFFERS", message: `IssuerSerialV2 names the issuer "${nameToString(c.issuer)}" with its RDNs in another order` });
        }
      }
      // the named certificate's key did not make the signature: if a carried one did, the bytes
      // are intact and the signed reference simply names someone else (issue 12)
      const other = sigOk ? null : (keyInfoCerts.find((k) => k !== c && verifySignatureValue(sig, publicKeyOf(k), siOctets)) ?? null);
      if (other) {
        sigOk = true;
        check.signatureIntact = true;
        check.signingCertificate = other;
        check.reference.digestMatches = false;
        fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "SIGNING_CERTIFICATE_MISMATCH", "the signed SigningCertificate names a certificate whose key did not make this signature");
      } else if (!sigOk) fail(check, { indication: "TOTAL_FAILED", subIndication: "SIG_CRYPTO_FAILURE" }, "SIGNATURE_VALUE_INVALID", "the signature value does not verify with the signing certificate");
      else if (ref.malformed !== null) fail(check, formatFailure, "SIGNING_CERTIFICATE_MALFORMED", `the signed SigningCertificate reference is malformed: ${ref.malformed}`);
      else if (check.reference.issuerSerialMatches === false) {
        fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "ISSUER_SERIAL_MISMATCH", "the signed IssuerSerial does not name the signing certificate");
      }
    } else {
      // Nothing the signature carries is the certificate it names: report what it carries, bound to nothing.
      // The bytes are still checked (intact is a fact about bytes, issue 12): a carried key that
      // verifies the value makes the signature intact; when none does, the signer's key is simply
      // not at hand (null), which is no proof of a broken signature.
      check.reference.digestMatches = false;
      const verifying = keyInfoCerts.find((c) => verifySignatureValue(sig, publicKeyOf(c), siOctets)) ?? null;
      check.signingCertificate = verifying ?? keyInfoCerts[0] ?? null;
      sigOk = verifying !== null;
      check.signatureIntact = sigOk ? true : null;
      const malformed = sc.certs.find((c) => c.malformed !== null);
      if (malformed) fail(check, formatFailure, "SIGNING_CERTIFICATE_MALFORMED", `the signed SigningCertificate reference is malformed: ${malformed.malformed}`);
      fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "SIGNING_CERTIFICATE_NOT_FOUND", "no available certificate matches the signed SigningCertificate reference");
    }
  } else {
    // No signed certificate reference: a signed KeyInfo binds (EN 319 132-1 §5.2.2 note); otherwise plain
    // XMLDSig (which of the two is known once the references are: see below).
    for (const c of keyInfoCerts) {
      if (verifySignatureValue(sig, publicKeyOf(c), siOctets)) {
        sigOk = true;
        check.signingCertificate = c;
        break;
      }
    }
    if (keyInfoCerts.length) check.signatureIntact = sigOk;
    if (!sigOk && keyInfoCerts.length === 0) {
      // KeyInfo without a certificate (X509IssuerSerial, X509SKI, a KeyValue): a known certificate
      // whose key verifies is the signer; failing that, a bare KeyValue key says whether the bytes
      // are intact, but binds no one (NO_SIGNING_CERTIFICATE_FOUND)
      const known = (opts.pool ?? []).filter((c) => !allowed || allowed.includes(c.sha256)).slice(0, 64);
      const found = known.find((c) => keyMatchesKeyInfo(c, sig) && verifySignatureValue(sig, publicKeyOf(c), siOctets)) ?? null;
      if (found) {
        sigOk = true;
        check.signatureIntact = true;
        check.signingCertificate = found;
      } else if (!allowed) {
        const key = keyValueOf(sig);
        if (key) {
          sigOk = verifySignatureValue(sig, key, siOctets);
          check.signatureIntact = sigOk;
          if (sigOk) fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "SIGNING_CERTIFICATE_NOT_FOUND", "the KeyInfo key verifies the signature, but no certificate binds it to anyone");
          else fail(check, { indication: "TOTAL_FAILED", subIndication: "SIG_CRYPTO_FAILURE" }, "SIGNATURE_VALUE_INVALID", "the signature value does not verify with the KeyInfo key");
        }
      }
    }
    if (!sigOk && check.signatureIntact === null) {
      fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "SIGNING_CERTIFICATE_NOT_FOUND", "the signature carries no X.509 certificate (a bare key cannot be trusted)");
    } else if (!sigOk && keyInfoCerts.length) {
      check.signingCertificate = keyInfoCerts[0] ?? null;
      fail(check, { indication: "TOTAL_FAILED", subIndication: "SIG_CRYPTO_FAILURE" }, "SIGNATURE_VALUE_INVALID", "the signature value does not verify with the KeyInfo certificate");
    }
  }
  if (check.signatureIntact !== true) {
    // SignedInfo unverified: its references are not worth a single digest
    if (!qp?.signingCertificate) check.binding = "none";
    return check;
  }
  // Ids the signature's own parts share with other elements: a reader may be shown the other one
  const shared = sharedIds(doc, el);
  if (shared.length) fail(check, formatFailure, "DUPLICATE_ID", `the Id${shared.length > 1 ? "s" : ""} ${shared.map((x) => `"${x}"`).join(", ")} of this signature's elements occur${shared.length > 1 ? "" : "s"} more than once in the document (possible signature wrapping)`);
  // References (EN 319 102-1 §5.2.7.4: each digest; a missing detached content is SIGNED_DATA_NOT_FOUND)
  let outcomes: ReferenceOutcome[];
  try {
    outcomes = processReferences(doc, sig, opts.contents ?? [], meter);
  } catch (e) {
    if (e instanceof XmlDsigFormatError) return fail(check, formatFailure, "FORMAT_FAILURE", e.message);
    throw e;
  }
  check.references = outcomes;
  let refsOk = true;
  let dataIntact: boolean | null = true;
  let signedPropsCovered = false;
  let keyInfoCovered = false;
  // (a manifest's references that do not verify are not signed content: counted to say why nothing is)
  let manifestUnverified = 0;
  let manifestMismatched = 0;
  let refsLeft = (opts.maxReferences ?? DEFAULT_VALIDATION_BUDGET.xmlReferences) - sig.references.length;
  for (const o of outcomes) {
    const r = o.reference;
    // (a versioned type counts when there are properties: a DDOC's ds-namespace ones are not read as XAdES)
    const isSignedProps = r.type === SIGNED_PROPERTIES_TYPE || (qp !== null && isSignedPropertiesType(r.type)) || (qp?.signedProperties != null && o.target === qp.signedProperties);
    if (o.error) {
      refsOk = false;
      if (o.error.code === "SIGNED_DATA_NOT_FOUND" && dataIntact) dataIntact = null;
      if (o.error.code === "SIGNED_DATA_NOT_FOUND") fail(check, { indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND" }, o.error.code, o.error.message);
      else fail(check, formatFailure, "REFERENCE_FORMAT", `reference ${r.uri ?? "(no URI)"}: ${o.error.message}`);
      continue;
    }
    if (!o.ok) {
      refsOk = false;
      dataIntact = false;
      fail(check, { indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE" }, "REFERENCE_DIGEST_MISMATCH", `reference ${r.uri ?? "(no URI)"} (${o.ref || o.kind}) does not match its digest`);
    }
    const misplaced = placementProblem(o);
    if (misplaced) {
      fail(check, formatFailure, "REFERENCE_MISPLACED", `${misplaced} (possible signature wrapping)`);
      continue;
    }
    if (isSignedProps) {
      if (!qp?.signedProperties || o.target !== qp.signedProperties) {
        fail(check, formatFailure, "SIGNED_PROPERTIES_MISMATCH", "the SignedProperties reference does not point at this signature's xades:SignedProperties");
        continue;
      }
      signedPropsCovered = true;
      continue;
    }
    if (sig.keyInfo && o.target === sig.keyInfo) {
      keyInfoCovered = true;
      continue;
    }
    if (o.target instanceof XmlElement && o.target.ns === DS_NS && o.target.local === "Manifest") {
      // XMLDSig §5.1: the manifest is signed, what it lists only as far as its references verify
      if (!o.ok) continue;
      let m: ManifestOutcome;
      try {
        m = processManifest(doc, sig, o.target, opts.contents ?? [], meter, refsLeft);
      } catch (e) {
        if (e instanceof XmlDsigFormatError) {
          fail(check, formatFailure, "MANIFEST_FORMAT", `ds:Manifest ${o.ref}: ${e.message}`);
          continue;
        }
        throw e;
      }
      refsLeft -= m.outcomes.length;
      check.manifests.push(m);
      for (const mo of m.outcomes) {
        const what = `ds:Manifest ${o.ref} reference ${mo.reference.uri ?? "(no URI)"}`;
        const bad = mo.error ? mo.error.message : !mo.ok ? "its digest does not match" : placementProblem(mo);
        const nested = mo.target instanceof XmlElement && mo.target.ns === DS_NS && mo.target.local === "Manifest";
        if (bad || nested) {
          if (mo.error) manifestUnverified++;
          else if (!mo.ok) manifestMismatched++;
          check.warnings.push({ code: "MANIFEST_REFERENCE_NOT_VERIFIED", message: `${what} was not verified (${bad ?? "a manifest in a manifest is not followed"}): its data is not counted as signed` });
          continue;
        }
        check.dataOutcomes.push(mo);
        check.signedData.push({ kind: mo.kind, ref: mo.ref, sha256: mo.sha256 || null });
      }
      continue;
    }
    check.dataOutcomes.push(o);
    check.signedData.push({ kind: o.kind, ref: o.ref, sha256: o.sha256 || null });
  }
  // intact is a fact about bytes (the contract): the value and every signed reference verify,
  // whatever the format, binding and wrapping checks below and above conclude
  check.dataIntact = dataIntact;
  check.intact = refsOk && sigOk;
  if (qp?.signedProperties && !signedPropsCovered) fail(check, formatFailure, "SIGNED_PROPERTIES_NOT_SIGNED", "xades:SignedProperties is not covered by a reference of the signature");
  if (check.signedData.length === 0 && check.verdict.indication === "TOTAL_PASSED") {
    // (the signed data is what the manifest lists: it does not match, or is not there; the
    // signature's own references still verified, so intact stays as it is)
    if (manifestMismatched) {
      check.dataIntact = false;
      fail(check, { indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE" }, "MANIFEST_DIGEST_MISMATCH", "the signature signs only a ds:Manifest, and what it lists does not match its digests");
    } else if (manifestUnverified) {
      check.dataIntact = null;
      fail(check, { indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND" }, "MANIFEST_DATA_NOT_FOUND", "the signature signs only a ds:Manifest whose data is not available: nothing signed can be shown");
    }
    else fail(check, formatFailure, "NOTHING_SIGNED", "no reference covers any data other than the signature's own properties");
  }
  if (check.verdict.subIndication === "FORMAT_FAILURE") return check;
  if (!qp?.signingCertificate) {
    check.binding = keyInfoCovered ? "KeyInfo" : "none";
    if (keyInfoCovered) check.reference.attribute = "KeyInfo";
    if (!qp) check.warnings.push({ code: "PLAIN_XMLDSIG", message: "plain XMLDSig without XAdES properties: the signing certificate is not bound by the signature" });
    else if (!keyInfoCovered) fail(check, { indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" }, "SIGNING_CERTIFICATE_NOT_SIGNED", "XAdES signature without SigningCertificate(V2) or a signed KeyInfo");
  }

  if (qp && !qp.signedProperties) check.warnings.push({ code: "NO_SIGNED_PROPERTIES", message: "QualifyingProperties without SignedProperties" });
  return check;
}

/**
 * Signature wrapping (XSW): in a form that carries its signature inside (enveloped), a signature
 * whose every signed element lies within a ds:Signature (moved into a ds:Object, say) signs
 * nothing the form shows — what the portal reads is not what was signed. It must not pass. A
 * document that shows nothing outside its signatures (a bare wrapper around an enveloping
 * signature, as UK and Slovak producers make) hides nothing.
 */
function refuseHiddenSignedData(s: XadesSignatureCheck, doc: XmlDocument, signatureElements: readonly XmlElement[]): void {
  if (!s.intact || !s.signature) return;
  const data = s.dataOutcomes;
  if (data.length === 0 || data.some((o) => o.kind !== "element")) return;
  const hidden = data.every((o) => o.target instanceof XmlElement && signatureElements.some((sig) => o.target === sig || (o.target as XmlElement).isDescendantOf(sig)));
  if (!hidden || !showsContent(doc.root, true)) return;
  fail(s, { indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" }, "SIGNED_DATA_HIDDEN", `the signature signs only ${data.map((o) => o.ref).join(", ")}, inside a ds:Signature, not the form itself (signature wrapping)`);
}

/** Whether an element shows a reader anything outside ds:Signature elements: text, attributes below the root, content. */
function showsContent(e: XmlElement, root: boolean): boolean {
  if (e.ns === DS_NS && e.local === "Signature") return false;
  if (!root && e.attrs.length > 0) return true;
  for (const c of e.children) {
    if (c.type === 3 && /[^ \t\r\n]/.test(c.value)) return true;
    if (c.type === 1 && showsContent(c, false)) return true;
  }
  return false;
}

/**
 * Whether the signature covers the whole form, the portal's question:
 * - enveloped: a verified reference to the document (or its document element) that leaves out
 *   nothing but this signature (or all ds:Signature elements);
 * - enveloping: every ds:Object of the signature other than the one with the XAdES properties is
 *   itself referenced, or its single element child is;
 * - detached: every supplied content is matched by a verified reference.
 */
function coversWholeDocument(doc: XmlDocument, s: XadesSignatureCheck, packaging: string, contents: readonly DetachedContent[]): boolean {
  const sig = s.signature;
  if (!sig) return false;
  const ok = s.dataOutcomes.filter((o) => o.ok && !o.error);
  // (a signed manifest covers its own ds:Object: what it lists is in `ok` as far as it verified)
  const manifestObjects = s.manifests.map((m) => m.manifest.parent);
  if (packaging === "detached") {
    if (contents.length === 0) return false;
    return contents.every((c) => ok.some((o) => o.kind === "detached" && matchesContent(o, c)));
  }
  if (packaging === "enveloping") {
    const forms = sig.objects.filter((obj) => !manifestObjects.includes(obj) && !obj.elements().some((e) => e.local === "QualifyingProperties" && QUALIFYING_PROPERTIES_NS.has(e.ns)));
    if (forms.length === 0) return false;
    return forms.every((obj) => {
      const kids = obj.elements();
      return ok.some((o) => o.excluded.length === 0 && (o.target === obj || (kids.length === 1 && o.target === kids[0])));
    });
  }
  return ok.some(
    (o) =>
      (o.target === doc || o.target === doc.root) &&
      (o.excludesAllSignatures ? o.excluded.every((e) => e === sig.element) : o.excluded.length === 1 && o.excluded[0] === sig.element),
  );
}

function matchesContent(o: ReferenceOutcome, c: DetachedContent): boolean {
  const digest = c.bytes ? hash("sha256", c.bytes, "hex") : c.digests?.sha256 ? Buffer.from(c.digests.sha256).toString("hex") : null;
  return o.sha256 === digest || (c.name !== undefined && o.ref !== "" && (c.name === o.ref || c.name.endsWith("/" + o.ref) || o.ref.endsWith("/" + c.name)));
}
