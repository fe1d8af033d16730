/**
 * The encoded pieces of a CMS SignedData that archive time-stamps cover (EN 319 122-1 §5.5.2,
 * §5.5.3; TS 101 733 §6.4.1), as they stand in the file: "in their binary encoded form without
 * any modification and including the tag, length and value octets". cms/signed-data.ts reads
 * values; this keeps the exact encodings, which is what an imprint is over.
 */
import { type Node, Tag, bytesOf, children, contentOf, readRoot } from "../asn1/der.js";
import { unwrapPem } from "../cms/signed-data.js";
import { CmsFormatError } from "../cms/errors.js";

const BER = { ber: true, maxDepth: 64 };

export interface SignerInfoParts {
  /** the whole SignerInfo encoding */
  der: Uint8Array;
  /** version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature: each as encoded */
  signedFields: Uint8Array[];
  /** the [1] unsignedAttrs element as encoded, or null */
  unsignedAttrsElement: Uint8Array | null;
  /** each unsigned Attribute as encoded, in order */
  unsignedAttrs: Array<{ der: Uint8Array; type: Uint8Array; oidBytes: Uint8Array; values: Uint8Array[]; valuesSet: Uint8Array }>;
}

export interface SignedDataParts {
  buf: Uint8Array;
  /** the EncapsulatedContentInfo SEQUENCE as encoded */
  encapContentInfo: Uint8Array;
  /** the eContentType OID element */
  eContentType: Uint8Array;
  /** the eContent OCTET STRING's value (segments joined for a constructed one), null when detached */
  eContent: Uint8Array | null;
  /** the [0] certificates element as encoded, and each CertificateChoices in it */
  certificatesElement: Uint8Array | null;
  certificates: Uint8Array[];
  /** the [1] crls element as encoded, and each RevocationInfoChoice in it */
  crlsElement: Uint8Array | null;
  crls: Uint8Array[];
  signerInfos: SignerInfoParts[];
}

function octets(buf: Uint8Array, n: Node, depth = 0): Uint8Array {
  if (n.tag === Tag.OCTET_STRING) return contentOf(buf, n);
  if (n.tag !== 0x24 || depth > 8) throw new CmsFormatError("eContent is not an OCTET STRING");
  return Buffer.concat(children(buf, n, BER).map((c) => octets(buf, c, depth + 1)));
}

/** Reads the parts; the input is a ContentInfo holding SignedData (DER, BER or PEM). */
export function signedDataParts(input: Uint8Array): SignedDataParts {
  const buf = unwrapPem(input);
  const ci = children(buf, readRoot(buf, BER), BER);
  const wrapped = ci[1] ? children(buf, ci[1], BER)[0] : undefined;
  if (!wrapped) throw new CmsFormatError("ContentInfo without SignedData");
  const f = children(buf, wrapped, BER);
  let i = 2;
  const eci = f[i++];
  if (!eci) throw new CmsFormatError("SignedData without encapContentInfo");
  const eciParts = children(buf, eci, BER);
  const inner = eciParts[1] ? children(buf, eciParts[1], BER)[0] : undefined;
  const parts: SignedDataParts = {
    buf,
    encapContentInfo: bytesOf(buf, eci),
    eContentType: bytesOf(buf, eciParts[0]!),
    eContent: inner ? octets(buf, inner) : null,
    certificatesElement: null,
    certificates: [],
    crlsElement: null,
    crls: [],
    signerInfos: [],
  };
  if (f[i]?.tag === 0xa0) {
    parts.certificatesElement = bytesOf(buf, f[i]!);
    parts.certificates = children(buf, f[i++]!, BER).map((n) => bytesOf(buf, n));
  }
  if (f[i]?.tag === 0xa1) {
    parts.crlsElement = bytesOf(buf, f[i]!);
    parts.crls = children(buf, f[i++]!, BER).map((n) => bytesOf(buf, n));
  }
  const set = f[i];
  if (!set || set.tag !== Tag.SET) throw new CmsFormatError("SignedData without signerInfos");
  parts.signerInfos = children(buf, set, BER).map((n) => signerInfoParts(buf, n));
  return parts;
}

export function signerInfoParts(buf: Uint8Array, node: Node): SignerInfoParts {
  const f = children(buf, node, BER);
  const out: SignerInfoParts = { der: bytesOf(buf, node), signedFields: [], unsignedAttrsElement: null, unsignedAttrs: [] };
  for (const n of f) {
    if (n.tag !== 0xa1) {
      out.signedFields.push(bytesOf(buf, n));
      continue;
    }
    out.unsignedAttrsElement = bytesOf(buf, n);
    for (const a of children(buf, n, BER)) out.unsignedAttrs.push(attributeParts(buf, a));
  }
  return out;
}

/** One Attribute { attrType, attrValues SET }, each part as encoded. */
export function attributeParts(buf: Uint8Array, a: Node): SignerInfoParts["unsignedAttrs"][number] {
  const [t, vs] = children(buf, a, BER);
  if (!t || !vs) throw new CmsFormatError("malformed unsigned attribute");
  return { der: bytesOf(buf, a), type: bytesOf(buf, t), oidBytes: contentOf(buf, t), values: children(buf, vs, BER).map((v) => bytesOf(buf, v)), valuesSet: bytesOf(buf, vs) };
}

/** What an archive-time-stamp-v3's hash index and imprint are computed from (EN 319 122-1 §5.5.3): a part of SignedDataParts */
export interface AtsParts {
  eContentType: Uint8Array;
  eContent: Uint8Array | null;
  certificates: Uint8Array[];
  crls: Uint8Array[];
  signerInfos: Array<Pick<SignerInfoParts, "signedFields" | "unsignedAttrs">>;
}

/** The OID as its encoded content octets, to compare with SignerInfoParts attributes. */
export function oidContent(dotted: string): Buffer {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  const out: number[] = [];
  const push = (v: bigint) => {
    const bytes = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from(out);
}
