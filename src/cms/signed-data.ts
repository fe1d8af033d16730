/**
 * CMS SignedData (RFC 5652 §5) read with the zero-copy DER reader: DER or BER (indefinite
 * lengths, constructed OCTET STRINGs), or PEM (`PKCS7`, `CMS`). Every slice points into the
 * input; signed attributes keep their exact encoding, since that is what the signature covers.
 *
 * Limits keep hostile input bounded: a certificate bag, a CRL bag and the signer set are capped,
 * and the BER reader caps nesting.
 */
import { Asn1Error, type Node, Tag, bytesOf, children, contentOf, readNode, readOid, readRoot, readSmallInt, readIntegerHex, seq, hex } from "../asn1/der.js";
import { type AlgorithmIdentifier, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { looksLikePem, decodePem } from "../pki/certificate.js";
import { type Name, parseName } from "../pki/name.js";
import { CMS } from "./oids.js";

export const LIMITS = {
  certificates: 1000,
  crls: 1000,
  signers: 100,
  attributes: 200,
  attributeValues: 100,
  maxDepth: 64,
};

import { CmsFormatError, NotSignedDataError } from "./errors.js";
export { CmsFormatError, NotSignedDataError } from "./errors.js";

export interface Attribute {
  oid: string;
  /** DER/BER of each value (zero-copy slices) */
  values: Uint8Array[];
}

export type SignerIdentifier =
  | { kind: "issuerAndSerialNumber"; issuerDer: Uint8Array; serialNumber: string }
  | { kind: "subjectKeyIdentifier"; ski: string };

const issuerNames = new WeakMap<object, Name>();

/** The issuer Name of an issuerAndSerialNumber, parsed on first use (most matches compare the encoding). */
export function sidIssuer(sid: Extract<SignerIdentifier, { kind: "issuerAndSerialNumber" }>): Name {
  let n = issuerNames.get(sid);
  if (!n) {
    n = parseName(sid.issuerDer, readRoot(sid.issuerDer));
    issuerNames.set(sid, n);
  }
  return n;
}

export interface SignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  signedAttrs: Attribute[] | null;
  /** the signed attributes as the signature covers them: the [0] IMPLICIT re-tagged as SET (0x31) */
  signedAttrsDer: Uint8Array | null;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  unsignedAttrs: Attribute[] | null;
  /** the whole SignerInfo encoding */
  der: Uint8Array;
}

export interface OtherRevocationInfo {
  format: string;
  der: Uint8Array;
}

export interface SignedData {
  version: number;
  digestAlgorithms: AlgorithmIdentifier[];
  eContentType: string;
  /** the encapsulated content, or null when detached */
  eContent: Uint8Array | null;
  /** DER of each X.509 certificate in the bag (other certificate formats are counted, not kept) */
  certificates: Uint8Array[];
  otherCertificates: number;
  /** DER of each CertificateList */
  crls: Uint8Array[];
  /** OtherRevocationInfoFormat entries, e.g. OCSP responses (RFC 5940) */
  otherRevocationInfo: OtherRevocationInfo[];
  signerInfos: SignerInfo[];
  /** zero octets after the ContentInfo (padding some producers leave, e.g. from a fixed-size buffer); ignored */
  trailingZeros?: number;
}

const BER = { ber: true, maxDepth: LIMITS.maxDepth };

/** PEM (`PKCS7`, `CMS`) → DER/BER bytes; anything else is returned as is. */
export function unwrapPem(input: Uint8Array): Uint8Array {
  if (!looksLikePem(input)) return input;
  for (const label of ["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]) {
    let blocks: Buffer[];
    try {
      blocks = decodePem(input, label);
    } catch (e) {
      throw new NotSignedDataError(`PEM ${label}: ${(e as Error).message}`);
    }
    if (blocks.length > 0) return blocks[0]!;
  }
  throw new NotSignedDataError("PEM data holds no PKCS7 or CMS block");
}

/**
 * Reads ContentInfo → SignedData. Throws NotSignedDataError when the outer ContentInfo is not
 * SignedData, CmsFormatError when it is but something inside is malformed.
 */
export function parseSignedData(input: Uint8Array): SignedData {
  const { buf, trailingZeros } = withoutZeroPadding(unwrapPem(input));
  let contentNode: Node;
  try {
    const root = readRoot(buf, BER);
    const ci = children(buf, root, BER);
    if (root.tag !== Tag.SEQUENCE || ci.length < 1 || ci[0]!.tag !== Tag.OID) throw new Asn1Error("not a ContentInfo");
    const type = readOid(buf, ci[0]!);
    if (type !== CMS.signedData) throw new NotSignedDataError(`ContentInfo holds ${type}, not SignedData`);
    if (ci.length !== 2 || ci[1]!.tag !== 0xa0) throw new CmsFormatError("ContentInfo: SignedData content missing");
    const inner = children(buf, ci[1]!, BER);
    if (inner.length !== 1) throw new CmsFormatError("ContentInfo: [0] must hold exactly one SignedData");
    contentNode = inner[0]!;
  } catch (e) {
    if (e instanceof NotSignedDataError || e instanceof CmsFormatError) throw e;
    if (e instanceof Asn1Error) {
      // A file that starts as SignedData is a broken signature (FORMAT_FAILURE), not "no signature".
      if (startsAsSignedData(buf)) throw new CmsFormatError(`SignedData: ${e.message}`);
      throw new NotSignedDataError(`not CMS SignedData: ${e.message}`);
    }
    throw e;
  }
  try {
    const sd = readSignedData(buf, contentNode);
    if (trailingZeros > 0) sd.trailingZeros = trailingZeros;
    return sd;
  } catch (e) {
    if (e instanceof Asn1Error) throw new CmsFormatError(`SignedData: ${e.message}`);
    throw e;
  }
}

/**
 * A ContentInfo followed by nothing but zero octets: the element alone (readers such as
 * BouncyCastle read one element and stop; the padding is no part of the signature). Anything
 * else after the element is left for readRoot to refuse. An indefinite-length element ends in
 * its own end-of-contents zeros, which readNode counts as part of it.
 */
function withoutZeroPadding(buf: Uint8Array): { buf: Uint8Array; trailingZeros: number } {
  if (buf.length === 0 || buf[buf.length - 1] !== 0) return { buf, trailingZeros: 0 };
  let end: number;
  try {
    end = readNode(buf, 0, buf.length, BER).end;
  } catch {
    return { buf, trailingZeros: 0 };
  }
  if (end >= buf.length) return { buf, trailingZeros: 0 };
  for (let i = end; i < buf.length; i++) if (buf[i] !== 0) return { buf, trailingZeros: 0 };
  return { buf: buf.subarray(0, end), trailingZeros: buf.length - end };
}

const SIGNED_DATA_OID = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

/** A SEQUENCE whose first element is the id-signedData OID (whatever the lengths say). */
function startsAsSignedData(buf: Uint8Array): boolean {
  if (buf[0] !== Tag.SEQUENCE) return false;
  const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, 16));
  const at = head.indexOf(SIGNED_DATA_OID);
  return at >= 2 && at <= 5;
}

/** SignedData from its SEQUENCE node (timestamp tokens come here too). */
export function readSignedData(buf: Uint8Array, node: Node): SignedData {
  const f = seq(buf, node, "SignedData", Tag.SEQUENCE, BER);
  let i = 0;
  const version = readSmallInt(buf, expectNode(f[i++], Tag.INTEGER, "SignedData.version"));
  const digestAlgorithms = children(buf, expectNode(f[i++], Tag.SET, "SignedData.digestAlgorithms"), BER).map((n) => parseAlgorithmIdentifier(buf, n));
  const eci = seq(buf, f[i++], "EncapsulatedContentInfo", Tag.SEQUENCE, BER);
  const eContentType = readOid(buf, expectNode(eci[0], Tag.OID, "eContentType"));
  let eContent: Uint8Array | null = null;
  if (eci[1]) {
    if (eci[1].tag !== 0xa0 || eci.length > 2) throw new CmsFormatError("EncapsulatedContentInfo: unexpected field");
    const [os, extra] = children(buf, eci[1], BER);
    if (!os || extra) throw new CmsFormatError("eContent must hold exactly one OCTET STRING");
    eContent = octetStringValue(buf, os, 0);
  }
  const certificates: Uint8Array[] = [];
  let otherCertificates = 0;
  const crls: Uint8Array[] = [];
  const otherRevocationInfo: OtherRevocationInfo[] = [];
  if (f[i]?.tag === 0xa0) {
    const bag = children(buf, f[i++]!, BER);
    if (bag.length > LIMITS.certificates) throw new CmsFormatError(`certificate bag holds ${bag.length} certificates; more than ${LIMITS.certificates} are not accepted`);
    for (const c of bag) {
      if (c.tag === Tag.SEQUENCE) certificates.push(bytesOf(buf, c));
      else otherCertificates++; // extendedCertificate [0], attribute certificates [1]/[2], other [3]
    }
  }
  if (f[i]?.tag === 0xa1) {
    const bag = children(buf, f[i++]!, BER);
    if (bag.length > LIMITS.crls) throw new CmsFormatError(`CRL bag holds ${bag.length} entries; more than ${LIMITS.crls} are not accepted`);
    for (const c of bag) {
      if (c.tag === Tag.SEQUENCE) crls.push(bytesOf(buf, c));
      else if (c.tag === 0xa1) {
        const [fmt, info] = children(buf, c, BER);
        otherRevocationInfo.push({ format: readOid(buf, expectNode(fmt, Tag.OID, "OtherRevocationInfoFormat")), der: info ? bytesOf(buf, info) : new Uint8Array(0) });
      } else throw new CmsFormatError(`RevocationInfoChoice with tag 0x${c.tag.toString(16)}`);
    }
  }
  const signerSet = expectNode(f[i++], Tag.SET, "SignedData.signerInfos");
  if (i !== f.length) throw new CmsFormatError("SignedData: unexpected trailing fields");
  const signerNodes = children(buf, signerSet, BER);
  if (signerNodes.length > LIMITS.signers) throw new CmsFormatError(`${signerNodes.length} signers; more than ${LIMITS.signers} are not accepted`);
  const signerInfos = signerNodes.map((n) => readSignerInfo(buf, n));
  return { version, digestAlgorithms, eContentType, eContent, certificates, otherCertificates, crls, otherRevocationInfo, signerInfos };
}

function expectNode(n: Node | undefined, tag: number, what: string): Node {
  if (!n) throw new CmsFormatError(`${what}: missing`);
  if (n.tag !== tag) throw new CmsFormatError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${n.tag.toString(16)}`);
  return n;
}

/** An OCTET STRING's value; BER allows a constructed one made of segments (X.690 §8.7.3). */
function octetStringValue(buf: Uint8Array, n: Node, depth: number): Uint8Array {
  if (n.tag === Tag.OCTET_STRING) return contentOf(buf, n);
  if (n.tag !== 0x24) throw new CmsFormatError(`expected OCTET STRING, found tag 0x${n.tag.toString(16)}`);
  if (depth > 8) throw new CmsFormatError("constructed OCTET STRING nested too deep");
  const parts = children(buf, n, BER).map((c) => octetStringValue(buf, c, depth + 1));
  return Buffer.concat(parts);
}

/** SignerInfo (RFC 5652 §5.3); also the value of a countersignature attribute (§11.4). */
export function readSignerInfo(buf: Uint8Array, node: Node): SignerInfo {
  const f = seq(buf, node, "SignerInfo", Tag.SEQUENCE, BER);
  let i = 0;
  const version = readSmallInt(buf, expectNode(f[i++], Tag.INTEGER, "SignerInfo.version"));
  const sidNode = f[i++];
  let sid: SignerIdentifier;
  if (sidNode?.tag === Tag.SEQUENCE) {
    const [issuer, serial] = children(buf, sidNode, BER);
    sid = { kind: "issuerAndSerialNumber", issuerDer: bytesOf(buf, expectNode(issuer, Tag.SEQUENCE, "issuer")), serialNumber: readIntegerHex(buf, expectNode(serial, Tag.INTEGER, "serialNumber")) };
  } else if (sidNode?.tag === 0x80) {
    sid = { kind: "subjectKeyIdentifier", ski: hex(contentOf(buf, sidNode)) };
  } else throw new CmsFormatError("SignerInfo: malformed SignerIdentifier");
  // RFC 5652 §5.3: version 1 goes with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
  if ((sid.kind === "issuerAndSerialNumber" && version !== 1) || (sid.kind === "subjectKeyIdentifier" && version !== 3)) {
    throw new CmsFormatError(`SignerInfo version ${version} does not fit its ${sid.kind}`);
  }
  const digestAlgorithm = parseAlgorithmIdentifier(buf, expectNode(f[i++], Tag.SEQUENCE, "SignerInfo.digestAlgorithm"));
  let signedAttrs: Attribute[] | null = null;
  let signedAttrsDer: Uint8Array | null = null;
  if (f[i]?.tag === 0xa0) {
    const n = f[i++]!;
    signedAttrs = readAttributes(buf, n);
    // §5.4: the DER of SET OF Attribute is what is signed, the IMPLICIT [0] tag replaced by SET.
    const der = Buffer.from(bytesOf(buf, n));
    der[0] = Tag.SET;
    signedAttrsDer = der;
  }
  const signatureAlgorithm = parseAlgorithmIdentifier(buf, expectNode(f[i++], Tag.SEQUENCE, "SignerInfo.signatureAlgorithm"));
  const sigNode = f[i++];
  if (!sigNode) throw new CmsFormatError("SignerInfo.signature: missing");
  const signature = octetStringValue(buf, sigNode, 0);
  let unsignedAttrs: Attribute[] | null = null;
  // RFC 5652 says SIZE (1..MAX); an empty [1] (left by a producer that removed the last one) holds nothing, so it is read as absent
  if (f[i]?.tag === 0xa1) unsignedAttrs = children(buf, f[i]!, BER).length === 0 ? (i++, null) : readAttributes(buf, f[i++]!);
  if (i !== f.length) throw new CmsFormatError("SignerInfo: unexpected trailing fields");
  return { version, sid, digestAlgorithm, signedAttrs, signedAttrsDer, signatureAlgorithm, signature, unsignedAttrs, der: bytesOf(buf, node) };
}

function readAttributes(buf: Uint8Array, node: Node): Attribute[] {
  const list = children(buf, node, BER);
  if (list.length === 0) throw new CmsFormatError("empty attribute set");
  if (list.length > LIMITS.attributes) throw new CmsFormatError(`more than ${LIMITS.attributes} attributes`);
  return list.map((a) => {
    const [t, v, extra] = seq(buf, a, "Attribute", Tag.SEQUENCE, BER);
    if (extra) throw new CmsFormatError("Attribute: unexpected trailing fields");
    const oid = readOid(buf, expectNode(t, Tag.OID, "Attribute.attrType"));
    const values = children(buf, expectNode(v, Tag.SET, `attribute ${oid}: attrValues`), BER);
    if (values.length === 0) throw new CmsFormatError(`attribute ${oid} has no value`);
    if (values.length > LIMITS.attributeValues) throw new CmsFormatError(`attribute ${oid} has more than ${LIMITS.attributeValues} values`);
    return { oid, values: values.map((n) => bytesOf(buf, n)) };
  });
}

export function findAttributes(attrs: Attribute[] | null, oid: string): Attribute[] {
  return attrs ? attrs.filter((a) => a.oid === oid) : [];
}
