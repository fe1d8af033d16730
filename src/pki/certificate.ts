/**
 * X.509 certificates (RFC 5280 §4): parsed once from DER into a plain model with the
 * extensions path validation and signature validation need.
 */
import { createHash, type KeyObject } from "node:crypto";
import {
  Asn1Error,
  type Node,
  Tag,
  bitSet,
  bytesOf,
  children,
  contentOf,
  hex,
  readBitString,
  readBoolean,
  readIntegerHex,
  readOid,
  readRoot,
  readSmallInt,
  readTime,
  seq,
} from "../asn1/der.js";
import { type AlgorithmIdentifier, importPublicKey, parseAlgorithmIdentifier } from "./algorithms.js";
import { type DistributionPoint, type GeneralName, parseDistributionPoints, parseGeneralName, parseGeneralNames } from "./general-name.js";
import { type Name, parseName } from "./name.js";

export const OID = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  authorityKeyIdentifier: "2.5.29.35",
  policyConstraints: "2.5.29.36",
  extKeyUsage: "2.5.29.37",
  freshestCRL: "2.5.29.46",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  qcStatements: "1.3.6.1.5.5.7.1.3",
  anyPolicy: "2.5.29.32.0",
  ocspNoCheck: "1.3.6.1.5.5.7.48.1.5",
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3) */
export const KeyUsage = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export interface Extension {
  oid: string;
  critical: boolean;
  /** content of the extnValue OCTET STRING */
  value: Uint8Array;
}

export interface BasicConstraints {
  ca: boolean;
  pathLen: number | null;
}

export interface PolicyInformation {
  oid: string;
  /** DER of policyQualifiers, if any */
  qualifiers: Uint8Array | null;
}

export interface GeneralSubtree {
  base: GeneralName;
}

export interface NameConstraints {
  permitted: GeneralSubtree[] | null;
  excluded: GeneralSubtree[] | null;
}

export interface AuthorityKeyIdentifier {
  keyIdentifier: string | null;
  issuer: GeneralName[] | null;
  serialNumber: string | null;
}

export interface QcStatements {
  /** statement OIDs present */
  ids: string[];
  /** QcType values (0.4.0.1862.1.6.x) */
  types: string[];
}

export interface Certificate {
  der: Uint8Array;
  /** SHA-256 of the DER, hex: the certificate's identity in reports and caches */
  sha256: string;
  version: number;
  /** serial number, hex without leading zero octets */
  serialNumber: string;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  /** the signature inside TBSCertificate, which must equal signatureAlgorithm (§4.1.1.2) */
  tbsSignatureAlgorithm: AlgorithmIdentifier;
  signatureValue: Uint8Array;
  /** the signature BIT STRING's unused-bits octet: anything but 0 makes the signature invalid */
  signatureUnusedBits: number;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  publicKeyAlgorithm: AlgorithmIdentifier;
  extensions: Extension[];
  basicConstraints: BasicConstraints | null;
  /** keyUsage bits as a mask (1 << KeyUsage.x); null when the extension is absent */
  keyUsage: number | null;
  extKeyUsage: string[] | null;
  subjectKeyIdentifier: string | null;
  authorityKeyIdentifier: AuthorityKeyIdentifier | null;
  certificatePolicies: PolicyInformation[] | null;
  policyMappings: Array<[issuerDomain: string, subjectDomain: string]> | null;
  policyConstraints: { requireExplicitPolicy: number | null; inhibitPolicyMapping: number | null } | null;
  inhibitAnyPolicy: number | null;
  nameConstraints: NameConstraints | null;
  subjectAltName: GeneralName[] | null;
  crlDistributionPoints: DistributionPoint[] | null;
  freshestCRL: DistributionPoint[] | null;
  /** caIssuers URIs from authorityInfoAccess */
  caIssuers: string[];
  ocspUris: string[];
  qcStatements: QcStatements | null;
  /** critical extensions this model does not process (RFC 5280 §6.1.4 (o)) */
  unknownCritical: string[];
  selfIssued: boolean;
}

// (defined in the layer's errors module; re-exported for the modules that import it from here)
import { CertificateError } from "./errors.js";
export { CertificateError };

const HANDLED = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.basicConstraints,
  OID.nameConstraints,
  OID.crlDistributionPoints,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.authorityKeyIdentifier,
  OID.policyConstraints,
  OID.extKeyUsage,
  OID.freshestCRL,
  OID.inhibitAnyPolicy,
  OID.authorityInfoAccess,
  OID.qcStatements,
]);

export function parseCertificate(input: Uint8Array): Certificate {
  const der = input instanceof Buffer ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    return parse(der);
  } catch (e) {
    // Hostile input may also trip a missing field deep inside (a TypeError on undefined): it is
    // still malformed input, never a crash.
    if (e instanceof Error) throw new CertificateError(`not a valid X.509 certificate: ${e.message}`);
    throw e;
  }
}

function parse(der: Uint8Array): Certificate {
  const root = readRoot(der);
  const [tbsNode, sigAlgNode, sigNode, extra] = seq(der, root, "Certificate");
  if (!tbsNode || !sigAlgNode || !sigNode || extra) throw new CertificateError("Certificate must have exactly three fields");
  const f = seq(der, tbsNode, "TBSCertificate");
  let i = 0;
  let version = 1;
  if (f[0]?.tag === 0xa0) {
    const [v] = children(der, f[0]);
    version = readSmallInt(der, v!) + 1;
    i++;
  }
  if (version > 3) throw new CertificateError(`unknown certificate version ${version}`);
  const serialNode = f[i++];
  if (serialNode?.tag !== Tag.INTEGER) throw new CertificateError("missing serialNumber");
  const tbsSignatureAlgorithm = parseAlgorithmIdentifier(der, f[i++]!);
  const issuer = parseName(der, f[i++]!);
  const [nb, na] = seq(der, f[i++], "Validity");
  const subject = parseName(der, f[i++]!);
  const spkiNode = f[i++];
  const [pkAlgNode] = seq(der, spkiNode, "SubjectPublicKeyInfo");
  let extensionsNode: Node | undefined;
  for (; i < f.length; i++) {
    const n = f[i]!;
    if (n.tag === 0xa3) extensionsNode = n;
    else if (n.tag !== 0x81 && n.tag !== 0x82) throw new CertificateError(`unexpected field 0x${n.tag.toString(16)} in TBSCertificate`);
  }
  // A signature BIT STRING with unused bits cannot verify; path building treats it as a bad
  // signature (PKITS 4.1.2 alters exactly that octet), rather than as an unreadable certificate.
  const sig = readBitString(der, sigNode);

  const cert: Certificate = {
    der,
    sha256: createHash("sha256").update(der).digest("hex"),
    version,
    serialNumber: readIntegerHex(der, serialNode),
    tbs: bytesOf(der, tbsNode),
    signatureAlgorithm: parseAlgorithmIdentifier(der, sigAlgNode),
    tbsSignatureAlgorithm,
    signatureValue: sig.bytes,
    signatureUnusedBits: sig.unusedBits,
    issuer,
    subject,
    notBefore: readTime(der, nb!),
    notAfter: readTime(der, na!),
    spki: bytesOf(der, spkiNode!),
    publicKeyAlgorithm: parseAlgorithmIdentifier(der, pkAlgNode!),
    extensions: [],
    basicConstraints: null,
    keyUsage: null,
    extKeyUsage: null,
    subjectKeyIdentifier: null,
    authorityKeyIdentifier: null,
    certificatePolicies: null,
    policyMappings: null,
    policyConstraints: null,
    inhibitAnyPolicy: null,
    nameConstraints: null,
    subjectAltName: null,
    crlDistributionPoints: null,
    freshestCRL: null,
    caIssuers: [],
    ocspUris: [],
    qcStatements: null,
    unknownCritical: [],
    selfIssued: issuer.key === subject.key,
  };
  if (extensionsNode) {
    if (version !== 3) throw new CertificateError("extensions in a certificate that is not version 3");
    const [exts] = children(der, extensionsNode);
    const seen = new Set<string>();
    for (const e of seq(der, exts, "Extensions")) {
      const parts = seq(der, e, "Extension");
      const oid = readOid(der, parts[0]!);
      let critical = false;
      let valueNode = parts[1];
      if (valueNode?.tag === Tag.BOOLEAN) {
        critical = readBoolean(der, valueNode);
        valueNode = parts[2];
      }
      if (valueNode?.tag !== Tag.OCTET_STRING) throw new CertificateError(`extension ${oid}: missing extnValue`);
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (seen.has(oid)) throw new CertificateError(`extension ${oid} appears twice`);
      seen.add(oid);
      const ext: Extension = { oid, critical, value: contentOf(der, valueNode) };
      cert.extensions.push(ext);
      try {
        applyExtension(cert, ext);
      } catch (err) {
        if (err instanceof Asn1Error) throw new CertificateError(`extension ${oid}: ${err.message}`);
        throw err;
      }
      if (critical && !HANDLED.has(oid)) cert.unknownCritical.push(oid);
    }
  }
  return cert;
}

function applyExtension(cert: Certificate, ext: Extension): void {
  const b = ext.value;
  if (!HANDLED.has(ext.oid)) return;
  const root = readRoot(b);
  switch (ext.oid) {
    case OID.basicConstraints: {
      let ca = false;
      let pathLen: number | null = null;
      for (const c of seq(b, root, "BasicConstraints")) {
        if (c.tag === Tag.BOOLEAN) ca = readBoolean(b, c);
        else if (c.tag === Tag.INTEGER) pathLen = readSmallInt(b, c);
      }
      cert.basicConstraints = { ca, pathLen };
      break;
    }
    case OID.keyUsage: {
      const bits = readBitString(b, root);
      let m = 0;
      for (let i = 0; i <= 8; i++) if (bitSet(bits, i)) m |= 1 << i;
      cert.keyUsage = m;
      break;
    }
    case OID.extKeyUsage:
      cert.extKeyUsage = seq(b, root, "ExtKeyUsageSyntax").map((n) => readOid(b, n));
      break;
    case OID.subjectKeyIdentifier:
      if (root.tag !== Tag.OCTET_STRING) throw new Asn1Error("SubjectKeyIdentifier must be an OCTET STRING");
      cert.subjectKeyIdentifier = hex(contentOf(b, root));
      break;
    case OID.authorityKeyIdentifier:
      cert.authorityKeyIdentifier = parseAuthorityKeyIdentifier(b, root);
      break;
    case OID.certificatePolicies: {
      const seen = new Set<string>();
      cert.certificatePolicies = seq(b, root, "CertificatePolicies").map((pi) => {
        const [o, q] = seq(b, pi, "PolicyInformation");
        const oid = readOid(b, o!);
        if (seen.has(oid)) throw new Asn1Error(`policy ${oid} appears twice`);
        seen.add(oid);
        return { oid, qualifiers: q ? bytesOf(b, q) : null };
      });
      break;
    }
    case OID.policyMappings:
      cert.policyMappings = seq(b, root, "PolicyMappings").map((m) => {
        const [i, s] = seq(b, m, "PolicyMapping");
        return [readOid(b, i!), readOid(b, s!)];
      });
      break;
    case OID.policyConstraints: {
      const pc = { requireExplicitPolicy: null as number | null, inhibitPolicyMapping: null as number | null };
      for (const c of seq(b, root, "PolicyConstraints")) {
        if (c.tag === 0x80) pc.requireExplicitPolicy = readSmallInt(b, c);
        else if (c.tag === 0x81) pc.inhibitPolicyMapping = readSmallInt(b, c);
      }
      cert.policyConstraints = pc;
      break;
    }
    case OID.inhibitAnyPolicy:
      cert.inhibitAnyPolicy = readSmallInt(b, root);
      break;
    case OID.nameConstraints: {
      const nc: NameConstraints = { permitted: null, excluded: null };
      for (const c of seq(b, root, "NameConstraints")) {
        const subtrees = children(b, c).map((st) => {
          const [base] = seq(b, st, "GeneralSubtree");
          // minimum/maximum are 0/absent in the profile (§4.2.1.10); only the base is used.
          return { base: parseGeneralName(b, base!) };
        });
        if (c.tag === 0xa0) nc.permitted = subtrees;
        else if (c.tag === 0xa1) nc.excluded = subtrees;
      }
      cert.nameConstraints = nc;
      break;
    }
    case OID.subjectAltName:
      cert.subjectAltName = parseGeneralNames(b, root);
      break;
    case OID.crlDistributionPoints:
      cert.crlDistributionPoints = parseDistributionPoints(b, root);
      break;
    case OID.freshestCRL:
      cert.freshestCRL = parseDistributionPoints(b, root);
      break;
    case OID.authorityInfoAccess:
      for (const ad of seq(b, root, "AuthorityInfoAccessSyntax")) {
        const [m, loc] = seq(b, ad, "AccessDescription");
        const method = readOid(b, m!);
        const gn = parseGeneralName(b, loc!);
        if (gn?.type !== "uniformResourceIdentifier") continue;
        if (method === "1.3.6.1.5.5.7.48.2") cert.caIssuers.push(gn.value);
        else if (method === "1.3.6.1.5.5.7.48.1") cert.ocspUris.push(gn.value);
      }
      break;
    case OID.qcStatements: {
      const qc: QcStatements = { ids: [], types: [] };
      for (const st of seq(b, root, "QCStatements")) {
        const [id, info] = seq(b, st, "QCStatement");
        const oid = readOid(b, id!);
        qc.ids.push(oid);
        // ETSI EN 319 412-5 §4.2.3: QcType ::= SEQUENCE OF OBJECT IDENTIFIER
        if (oid === "0.4.0.1862.1.6" && info?.tag === Tag.SEQUENCE) for (const t of children(b, info)) qc.types.push(readOid(b, t));
      }
      cert.qcStatements = qc;
      break;
    }
    case OID.issuerAltName:
      parseGeneralNames(b, root);
      break;
  }
}

/** RFC 5280 §4.2.1.1 AuthorityKeyIdentifier, in certificates and CRLs (§5.2.1) alike. */
export function parseAuthorityKeyIdentifier(b: Uint8Array, root: Node): AuthorityKeyIdentifier {
  const aki: AuthorityKeyIdentifier = { keyIdentifier: null, issuer: null, serialNumber: null };
  for (const c of seq(b, root, "AuthorityKeyIdentifier")) {
    if (c.tag === 0x80) aki.keyIdentifier = hex(contentOf(b, c));
    else if (c.tag === 0xa1) aki.issuer = parseGeneralNames(b, c);
    else if (c.tag === 0x82) aki.serialNumber = readIntegerHex(b, c);
    else throw new Asn1Error(`AuthorityKeyIdentifier: unknown field 0x${c.tag.toString(16)}`);
  }
  return aki;
}

export function hasKeyUsage(cert: Certificate, bit: number): boolean {
  return cert.keyUsage === null || (cert.keyUsage & (1 << bit)) !== 0;
}

const keyCache = new WeakMap<Certificate, KeyObject>();

/** The certificate's public key as a Node KeyObject, imported once. */
export function publicKeyOf(cert: Certificate): KeyObject {
  let k = keyCache.get(cert);
  if (!k) {
    k = importPublicKey(cert.spki);
    keyCache.set(cert, k);
  }
  return k;
}

/** DER or PEM (one or several blocks) → DER buffers with the given label. */
export function decodePem(input: Uint8Array | string, label: string): Buffer[] {
  const text = typeof input === "string" ? input : Buffer.from(input).toString("latin1");
  const out: Buffer[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[1]!.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new CertificateError(`PEM ${label} block holds invalid base64`);
    out.push(Buffer.from(body, "base64"));
  }
  return out;
}

const PEM_BEGIN = Buffer.from("-----BEGIN ", "latin1");

/** Whether a PEM header starts within the first 4 KB (searched as bytes: no copy, no string per parse). */
export function looksLikePem(input: Uint8Array): boolean {
  const head = Buffer.from(input.buffer, input.byteOffset, Math.min(input.length, 4096));
  return head.indexOf(PEM_BEGIN) !== -1;
}

/** Reads one or more certificates from DER or PEM bytes. */
export function parseCertificates(input: Uint8Array): Certificate[] {
  if (looksLikePem(input)) {
    const blocks = decodePem(input, "CERTIFICATE");
    if (blocks.length === 0) throw new CertificateError("PEM data holds no CERTIFICATE block");
    return blocks.map(parseCertificate);
  }
  return [parseCertificate(input)];
}
