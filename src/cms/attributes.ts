/**
 * Values of the signed attributes every CMS signer is checked on (RFC 5652 §11, RFC 2634/5035
 * ESS): content-type, message-digest, signing-time, signing-certificate(-v2). Each reader takes
 * the DER of one attribute value. CAdES-only attributes are read in cades/attributes.ts.
 */
import { Asn1Error, Tag, children, contentOf, readOid, readRoot, readTime } from "../asn1/der.js";
import { type AlgorithmIdentifier, hashName, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { type IssuerSerial, readIssuerSerial } from "./signing-certificate.js";

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
  issuerSerial: IssuerSerial | null;
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
    const is = f[i];
    if (is && is.tag !== Tag.SEQUENCE) throw new Asn1Error("ESSCertID.issuerSerial malformed");
    return { hash: hashName(alg.oid), certHash: contentOf(v, h), issuerSerial: is ? readIssuerSerial(v, is) : null };
  });
}
