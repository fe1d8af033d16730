/**
 * TSTInfo (RFC 3161 §2.4.2): what a time-stamp token asserts — this digest existed at genTime.
 */
import { Asn1Error, Tag, children, contentOf, readBoolean, readIntegerHex, readOid, readRoot, readSmallInt, readTime } from "../asn1/der.js";
import { hashName, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { type GeneralName, parseGeneralName } from "../pki/general-name.js";

export interface TstInfo {
  version: number;
  policy: string;
  /** Node digest name of the message imprint */
  imprintAlgorithm: string;
  imprint: Uint8Array;
  serialNumber: string;
  genTime: Date;
  /** accuracy in milliseconds, when given */
  accuracyMs: number | null;
  ordering: boolean;
  nonce: string | null;
  tsa: GeneralName | null;
}

export function parseTstInfo(der: Uint8Array): TstInfo {
  const root = readRoot(der);
  if (root.tag !== Tag.SEQUENCE) throw new Asn1Error("TSTInfo must be a SEQUENCE");
  const f = children(der, root);
  let i = 0;
  const vNode = f[i++];
  if (vNode?.tag !== Tag.INTEGER) throw new Asn1Error("TSTInfo.version missing");
  const version = readSmallInt(der, vNode);
  if (version !== 1) throw new Asn1Error(`TSTInfo version ${version} is not 1`);
  const pNode = f[i++];
  if (pNode?.tag !== Tag.OID) throw new Asn1Error("TSTInfo.policy missing");
  const policy = readOid(der, pNode);
  const miNode = f[i++];
  if (miNode?.tag !== Tag.SEQUENCE) throw new Asn1Error("TSTInfo.messageImprint missing");
  const [algNode, hashNode] = children(der, miNode);
  if (!algNode || hashNode?.tag !== Tag.OCTET_STRING) throw new Asn1Error("MessageImprint malformed");
  const imprintAlgorithm = hashName(parseAlgorithmIdentifier(der, algNode).oid);
  const snNode = f[i++];
  if (snNode?.tag !== Tag.INTEGER) throw new Asn1Error("TSTInfo.serialNumber missing");
  const gtNode = f[i++];
  if (gtNode?.tag !== Tag.GENERALIZED_TIME) throw new Asn1Error("TSTInfo.genTime must be a GeneralizedTime");
  const genTime = readTime(der, gtNode);
  let accuracyMs: number | null = null;
  let ordering = false;
  let nonce: string | null = null;
  let tsa: GeneralName | null = null;
  for (; i < f.length; i++) {
    const n = f[i]!;
    if (n.tag === Tag.SEQUENCE) {
      // Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] 1..999 OPTIONAL, micros [1] 1..999 OPTIONAL }
      let ms = 0;
      for (const a of children(der, n)) {
        if (a.tag === Tag.INTEGER) ms += readSmallInt(der, a) * 1000;
        else if (a.tag === 0x80) ms += readSmallInt(der, a);
        else if (a.tag === 0x81) ms += readSmallInt(der, a) / 1000;
      }
      accuracyMs = ms;
    } else if (n.tag === Tag.BOOLEAN) ordering = readBoolean(der, n);
    else if (n.tag === Tag.INTEGER) nonce = readIntegerHex(der, n);
    else if (n.tag === 0xa0) {
      const [gn] = children(der, n);
      if (gn) tsa = parseGeneralName(der, gn);
    } else if (n.tag === 0xa1) {
      // extensions: none are understood; a critical one would make the token unusable, but none are defined for RFC 3161.
    } else throw new Asn1Error(`TSTInfo: unexpected field 0x${n.tag.toString(16)}`);
  }
  return { version, policy, imprintAlgorithm, imprint: contentOf(der, hashNode), serialNumber: readIntegerHex(der, snNode), genTime, accuracyMs, ordering, nonce, tsa };
}
