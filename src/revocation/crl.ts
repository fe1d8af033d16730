/**
 * CRL parsing (RFC 5280 §5): the header and CRL extensions are parsed into the Crl model; the
 * revoked entries are validated and indexed in one pass (crl-entries.ts), never materialised.
 * The DER is kept as the one buffer every later read points into.
 */
import { createHash } from "node:crypto";
import {
  Asn1Error,
  type Node,
  Tag,
  bytesOf,
  children,
  contentOf,
  readBigInt,
  readBitString,
  readBoolean,
  readOid,
  readRoot,
  readSmallInt,
  readTime,
  seq,
} from "../asn1/der.js";
import { type AlgorithmIdentifier, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { type AuthorityKeyIdentifier, CertificateError, decodePem, looksLikePem, parseAuthorityKeyIdentifier } from "../pki/certificate.js";
import { parseDistributionPointName, parseDistributionPoints, parseGeneralNames, reasonMask } from "../pki/general-name.js";
import { parseName } from "../pki/name.js";
import { RevokedIndex } from "./crl-entries.js";
import { CrlError } from "./crl-error.js";
import type { Crl, IssuingDistributionPoint, RevokedEntry } from "./crl-types.js";

export { CrlError } from "./crl-error.js";

export const CRL_OID = {
  authorityKeyIdentifier: "2.5.29.35",
  issuerAltName: "2.5.29.18",
  crlNumber: "2.5.29.20",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  freshestCRL: "2.5.29.46",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

/** CRL extensions this model processes (RFC 5280 §5.2); any other critical one is reported. */
const HANDLED = new Set<string>(Object.values(CRL_OID));

/** Parses one DER CRL. Malformed input ends in a CrlError, never anything else. */
export function parseCrl(input: Uint8Array): Crl {
  const der = input instanceof Buffer ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    return parse(der);
  } catch (e) {
    if (e instanceof CrlError) throw new CrlError(`not a valid CRL: ${e.message}`);
    if (e instanceof Asn1Error || e instanceof CertificateError) throw new CrlError(`not a valid CRL: ${e.message}`);
    throw e;
  }
}

/** DER, or PEM holding one or more `X509 CRL` blocks. */
export function parseCrls(input: Uint8Array): Crl[] {
  if (!looksLikePem(input)) return [parseCrl(input)];
  // A DER CRL whose first 4 KiB happen to hold "-----BEGIN " is still DER.
  if (input[0] === Tag.SEQUENCE) {
    try {
      return [parseCrl(input)];
    } catch {
      // not DER after all: read it as PEM
    }
  }
  let blocks: Buffer[];
  try {
    blocks = decodePem(input, "X509 CRL");
  } catch (e) {
    throw new CrlError(e instanceof Error ? e.message : String(e));
  }
  if (blocks.length === 0) throw new CrlError("PEM data holds no X509 CRL block");
  return blocks.map(parseCrl);
}

/**
 * Whether a revoked entry is about a certificate whose issuer name has `issuerKey` (Name.key):
 * its certificateIssuer when it has one (RFC 5280 §5.3.3, indirect CRLs), else the CRL issuer.
 */
export function entryIssuedBy(crl: Crl, entry: RevokedEntry, issuerKey: string): boolean {
  if (entry.certificateIssuer === null) return crl.issuer.key === issuerKey;
  return entry.certificateIssuer.some((g) => g.type === "directoryName" && g.name.key === issuerKey);
}

function parse(der: Buffer): Crl {
  if (der.length === 0) throw new CrlError("empty input");
  const root = readRoot(der);
  const [tbsNode, sigAlgNode, sigNode, extra] = seq(der, root, "CertificateList");
  if (!tbsNode || !sigAlgNode || !sigNode || extra) throw new CrlError("CertificateList must have exactly three fields");
  const f = seq(der, tbsNode, "TBSCertList");
  let i = 0;
  let version = 1;
  if (f[i]?.tag === Tag.INTEGER) {
    const v = readSmallInt(der, f[i++]!);
    // RFC 5280 §5.1.2.1: v2 is the only version that is encoded
    if (v !== 1 && v !== 0) throw new CrlError(`unknown CRL version ${v + 1}`);
    version = v + 1;
  }
  const tbsSignatureAlgorithm = algorithm(der, f[i++], "signature");
  const issuer = parseName(der, expect(f[i++], Tag.SEQUENCE, "issuer"));
  const thisUpdate = readTime(der, need(f[i++], "thisUpdate"));
  let nextUpdate: Date | null = null;
  if (f[i]?.tag === Tag.UTC_TIME || f[i]?.tag === Tag.GENERALIZED_TIME) nextUpdate = readTime(der, f[i++]!);
  let revoked: Node | null = null;
  if (f[i]?.tag === Tag.SEQUENCE) revoked = f[i++]!;
  let extensionsNode: Node | null = null;
  if (f[i]?.tag === 0xa0) extensionsNode = f[i++]!;
  if (i < f.length) throw new CrlError(`unexpected field with tag 0x${f[i]!.tag.toString(16)} in TBSCertList`);

  const sig = readBitString(der, sigNode);
  const crl = new ParsedCrl(der, {
    version,
    issuer,
    thisUpdate,
    nextUpdate,
    tbs: bytesOf(der, tbsNode),
    signatureAlgorithm: algorithm(der, sigAlgNode, "signatureAlgorithm"),
    tbsSignatureAlgorithm,
    signatureValue: sig.bytes,
  });
  if (extensionsNode) parseExtensions(der, extensionsNode, crl);
  // Entries last: the whole header is known to be sound before the long pass.
  if (revoked) crl.index = RevokedIndex.build(der, revoked.cs, revoked.ce);
  crl.sha256 = createHash("sha256").update(der).digest("hex");
  return crl;
}

type Header = Pick<
  Crl,
  "version" | "issuer" | "thisUpdate" | "nextUpdate" | "tbs" | "signatureAlgorithm" | "tbsSignatureAlgorithm" | "signatureValue"
>;

class ParsedCrl implements Crl {
  sha256 = "";
  version: number;
  issuer: Crl["issuer"];
  thisUpdate: Date;
  nextUpdate: Date | null;
  tbs: Uint8Array;
  signatureAlgorithm: Crl["signatureAlgorithm"];
  tbsSignatureAlgorithm: Crl["tbsSignatureAlgorithm"];
  signatureValue: Uint8Array;
  crlNumber: bigint | null = null;
  deltaCrlIndicator: bigint | null = null;
  authorityKeyIdentifier: AuthorityKeyIdentifier | null = null;
  issuingDistributionPoint: IssuingDistributionPoint | null = null;
  freshestCRL: Crl["freshestCRL"] = null;
  unknownCriticalExtensions: string[] = [];
  index: RevokedIndex = RevokedIndex.EMPTY;

  constructor(
    readonly der: Uint8Array,
    h: Header,
  ) {
    this.version = h.version;
    this.issuer = h.issuer;
    this.thisUpdate = h.thisUpdate;
    this.nextUpdate = h.nextUpdate;
    this.tbs = h.tbs;
    this.signatureAlgorithm = h.signatureAlgorithm;
    this.tbsSignatureAlgorithm = h.tbsSignatureAlgorithm;
    this.signatureValue = h.signatureValue;
  }

  get entryCount(): number {
    return this.index.count;
  }

  lookup(serialHex: string) {
    return this.index.lookup(serialHex);
  }
}

function need(node: Node | undefined, what: string): Node {
  if (!node) throw new CrlError(`TBSCertList: ${what} missing`);
  return node;
}

function expect(node: Node | undefined, tag: number, what: string): Node {
  const n = need(node, what);
  if (n.tag !== tag) throw new CrlError(`TBSCertList: ${what}: expected tag 0x${tag.toString(16)}, found 0x${n.tag.toString(16)}`);
  return n;
}

function algorithm(der: Buffer, node: Node | undefined, what: string): AlgorithmIdentifier {
  // checked here: parseAlgorithmIdentifier assumes the algorithm OID is present
  const [alg] = seq(der, expect(node, Tag.SEQUENCE, what), what);
  if (alg?.tag !== Tag.OID) throw new CrlError(`${what}: missing algorithm OID`);
  return parseAlgorithmIdentifier(der, node!);
}

function parseExtensions(der: Buffer, wrapper: Node, crl: ParsedCrl): void {
  const inner = children(der, wrapper);
  if (inner.length !== 1) throw new CrlError("crlExtensions: [0] must hold exactly one Extensions");
  const seen = new Set<string>();
  for (const e of seq(der, inner[0], "Extensions")) {
    const parts = seq(der, e, "Extension");
    const oid = readOid(der, need(parts[0], "extnID"));
    let critical = false;
    let k = 1;
    if (parts[k]?.tag === Tag.BOOLEAN) critical = readBoolean(der, parts[k++]!);
    const valueNode = parts[k++];
    if (valueNode?.tag !== Tag.OCTET_STRING || k !== parts.length) throw new CrlError(`extension ${oid}: malformed Extension`);
    // X.509 (and RFC 5280 §4.2 by analogy): one instance of an extension per CRL
    if (seen.has(oid)) throw new CrlError(`extension ${oid} appears twice`);
    seen.add(oid);
    if (critical && !HANDLED.has(oid)) crl.unknownCriticalExtensions.push(oid);
    if (!HANDLED.has(oid)) continue;
    const value = contentOf(der, valueNode);
    try {
      applyExtension(crl, oid, value, readRoot(value));
    } catch (err) {
      if (err instanceof Asn1Error || err instanceof CrlError) throw new CrlError(`extension ${oid}: ${err.message}`);
      throw err;
    }
  }
}

function applyExtension(crl: ParsedCrl, oid: string, b: Uint8Array, root: Node): void {
  switch (oid) {
    case CRL_OID.crlNumber:
      crl.crlNumber = nonNegative(b, root, "CRLNumber");
      break;
    case CRL_OID.deltaCrlIndicator:
      crl.deltaCrlIndicator = nonNegative(b, root, "BaseCRLNumber");
      break;
    case CRL_OID.authorityKeyIdentifier:
      crl.authorityKeyIdentifier = parseAuthorityKeyIdentifier(b, root);
      break;
    case CRL_OID.issuingDistributionPoint:
      crl.issuingDistributionPoint = parseIdp(b, root);
      break;
    case CRL_OID.freshestCRL:
      crl.freshestCRL = parseDistributionPoints(b, root);
      break;
    case CRL_OID.issuerAltName:
      parseGeneralNames(b, root);
      break;
    case CRL_OID.authorityInfoAccess:
      seq(b, root, "AuthorityInfoAccessSyntax");
      break;
  }
}

function nonNegative(b: Uint8Array, n: Node, what: string): bigint {
  if (n.tag !== Tag.INTEGER) throw new CrlError(`${what} must be an INTEGER`);
  const v = readBigInt(b, n);
  // RFC 5280 §5.2.3: a non-negative integer of at most 20 octets
  if (v < 0n || n.ce - n.cs > 21) throw new CrlError(`${what} out of range`);
  return v;
}

/** RFC 5280 §5.2.5 IssuingDistributionPoint; IMPLICIT tags, DEFAULT FALSE booleans. */
function parseIdp(b: Uint8Array, root: Node): IssuingDistributionPoint {
  const idp: IssuingDistributionPoint = {
    distributionPoint: null,
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    onlySomeReasons: null,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
  };
  let last = -1;
  for (const c of seq(b, root, "IssuingDistributionPoint")) {
    const n = c.tag & 0x1f;
    if ((c.tag & 0xc0) !== 0x80 || n > 5 || n <= last) throw new CrlError(`IssuingDistributionPoint: unexpected field 0x${c.tag.toString(16)}`);
    last = n;
    const bool = (): boolean => readBoolean(b, { ...c, tag: Tag.BOOLEAN });
    switch (c.tag) {
      case 0xa0: {
        const [inner, more] = children(b, c);
        if (!inner || more) throw new CrlError("IssuingDistributionPoint: malformed distributionPoint");
        idp.distributionPoint = parseDistributionPointName(b, inner);
        break;
      }
      case 0x81:
        idp.onlyContainsUserCerts = bool();
        break;
      case 0x82:
        idp.onlyContainsCACerts = bool();
        break;
      case 0x83:
        idp.onlySomeReasons = reasonMask(b, c);
        break;
      case 0x84:
        idp.indirectCRL = bool();
        break;
      case 0x85:
        idp.onlyContainsAttributeCerts = bool();
        break;
      default:
        throw new CrlError(`IssuingDistributionPoint: field [${n}] has the wrong form`);
    }
  }
  return idp;
}
