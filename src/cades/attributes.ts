/**
 * Values of the signed attributes CAdES acts on (RFC 5652 §11, RFC 2634/5035 ESS, ETSI EN
 * 319 122-1 §5.2). Each reader takes the DER of one attribute value.
 */
import { Asn1Error, Tag, children, contentOf, readOid, readRoot, readString, readTime, readIntegerHex } from "../asn1/der.js";
import { type AlgorithmIdentifier, hashName, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { type GeneralName, parseGeneralNames } from "../pki/general-name.js";

export function readContentType(v: Uint8Array): string {
  return readOid(v, readRoot(v));
}

export function readMessageDigest(v: Uint8Array): Uint8Array {
  const n = readRoot(v);
  if (n.tag !== Tag.OCTET_STRING) throw new Asn1Error("message-digest must be an OCTET STRING");
  return contentOf(v, n);
}

export function readSigningTime(v: Uint8Array): Date {
  return readTime(v, readRoot(v));
}

export interface EssCertId {
  /** Node digest name of certHash */
  hash: string;
  certHash: Uint8Array;
  /** IssuerSerial: the issuer GeneralNames' encoding (parsed only when compared by name) and the serial */
  issuerSerial: { issuerDer: Uint8Array; serialNumber: string } | null;
}

/** The directoryName entries of an IssuerSerial's GeneralNames, as Name encodings. */
export function issuerDirectoryNames(issuerDer: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const g of children(issuerDer, readRoot(issuerDer))) {
    if (g.tag !== 0xa4) continue;
    const [inner] = children(issuerDer, g);
    if (inner) out.push(issuerDer.subarray(inner.start, inner.end));
  }
  return out;
}

/** The issuer GeneralNames, fully parsed. */
export function issuerGeneralNames(issuerDer: Uint8Array): GeneralName[] {
  return parseGeneralNames(issuerDer, readRoot(issuerDer));
}

const SHA256_OID = "2.16.840.1.101.3.4.2.1";

/**
 * SigningCertificate (RFC 2634 §5.4, SHA-1 ESSCertID) or SigningCertificateV2 (RFC 5035,
 * ESSCertIDv2 with a hash algorithm defaulting to SHA-256). The first entry names the signer's
 * certificate.
 */
export function readSigningCertificate(v: Uint8Array, version: 1 | 2): EssCertId[] {
  const root = readRoot(v);
  if (root.tag !== Tag.SEQUENCE) throw new Asn1Error("SigningCertificate must be a SEQUENCE");
  const [certs] = children(v, root);
  if (!certs || certs.tag !== Tag.SEQUENCE) throw new Asn1Error("SigningCertificate.certs missing");
  const list = children(v, certs);
  if (list.length === 0) throw new Asn1Error("SigningCertificate.certs is empty");
  return list.map((id) => {
    const f = children(v, id);
    let i = 0;
    let alg: AlgorithmIdentifier = { oid: version === 1 ? "1.3.14.3.2.26" : SHA256_OID, params: null };
    if (version === 2 && f[i]?.tag === Tag.SEQUENCE) alg = parseAlgorithmIdentifier(v, f[i++]!);
    const h = f[i++];
    if (!h || h.tag !== Tag.OCTET_STRING) throw new Asn1Error("ESSCertID.certHash missing");
    let issuerSerial: EssCertId["issuerSerial"] = null;
    const is = f[i];
    if (is) {
      if (is.tag !== Tag.SEQUENCE) throw new Asn1Error("ESSCertID.issuerSerial malformed");
      const [gns, serial] = children(v, is);
      if (!gns || gns.tag !== Tag.SEQUENCE || !serial || serial.tag !== Tag.INTEGER) throw new Asn1Error("IssuerSerial malformed");
      issuerSerial = { issuerDer: v.subarray(gns.start, gns.end), serialNumber: readIntegerHex(v, serial) };
    }
    return { hash: hashName(alg.oid), certHash: contentOf(v, h), issuerSerial };
  });
}

export interface SignaturePolicy {
  /** the policy OID, or null for signaturePolicyImplied */
  oid: string | null;
  hashAlgorithm: string | null;
  hash: Uint8Array | null;
  /** SPuri qualifier (ETSI EN 319 122-1 §5.2.9.2) */
  uri: string | null;
}

const SPURI = "1.2.840.113549.1.9.16.5.1";

export function readSignaturePolicy(v: Uint8Array): SignaturePolicy {
  const root = readRoot(v);
  if (root.tag === Tag.NULL) return { oid: null, hashAlgorithm: null, hash: null, uri: null };
  if (root.tag !== Tag.SEQUENCE) throw new Asn1Error("SignaturePolicyIdentifier malformed");
  const [idNode, hashNode, qualifiers] = children(v, root);
  if (!idNode || !hashNode) throw new Asn1Error("SignaturePolicyId malformed");
  const oid = readOid(v, idNode);
  const [algNode, valueNode] = children(v, hashNode);
  if (!algNode || !valueNode || valueNode.tag !== Tag.OCTET_STRING) throw new Asn1Error("sigPolicyHash malformed");
  const alg = parseAlgorithmIdentifier(v, algNode);
  let uri: string | null = null;
  if (qualifiers) {
    for (const q of children(v, qualifiers)) {
      const [qid, qv] = children(v, q);
      if (qid && qv && readOid(v, qid) === SPURI) uri = readString(v, qv);
    }
  }
  let hashAlgorithm: string | null;
  try {
    hashAlgorithm = hashName(alg.oid);
  } catch {
    hashAlgorithm = alg.oid;
  }
  return { oid, hashAlgorithm, hash: contentOf(v, valueNode), uri };
}

export interface ContentHints {
  description: string | null;
  contentType: string;
}

export function readContentHints(v: Uint8Array): ContentHints {
  const root = readRoot(v);
  const f = children(v, root);
  let description: string | null = null;
  let i = 0;
  if (f[0] && f[0].tag !== Tag.OID) description = readString(v, f[i++]!);
  const ct = f[i];
  if (!ct) throw new Asn1Error("ContentHints.contentType missing");
  return { description, contentType: readOid(v, ct) };
}

/** CommitmentTypeIndication's commitmentTypeId (ETSI EN 319 122-1 §5.2.3). */
export function readCommitmentType(v: Uint8Array): string {
  const root = readRoot(v);
  const [id] = children(v, root);
  if (!id) throw new Asn1Error("CommitmentTypeIndication malformed");
  return readOid(v, id);
}
