/**
 * GeneralName (RFC 5280 §4.2.1.6) and DistributionPoint (§4.2.1.13) parsing, shared by
 * certificate extensions and CRL extensions.
 */
import { Asn1Error, type Node, Tag, bitSet, bytesOf, children, contentOf, readBitString, readOid, readString, seq } from "../asn1/der.js";
import { type AttributeTypeAndValue, type Name, parseName, parseRdn } from "./name.js";

export type GeneralName =
  | { type: "otherName"; oid: string; der: Uint8Array }
  | { type: "rfc822Name"; value: string }
  | { type: "dNSName"; value: string }
  | { type: "x400Address"; der: Uint8Array }
  | { type: "directoryName"; name: Name }
  | { type: "ediPartyName"; der: Uint8Array }
  | { type: "uniformResourceIdentifier"; value: string }
  | { type: "iPAddress"; bytes: Uint8Array }
  | { type: "registeredID"; oid: string };

export function parseGeneralName(buf: Uint8Array, n: Node): GeneralName {
  switch (n.tag) {
    case 0xa0: {
      const [t] = children(buf, n);
      if (!t) throw new Asn1Error("otherName: missing type");
      return { type: "otherName", oid: readOid(buf, t), der: bytesOf(buf, n) };
    }
    case 0x81:
      return { type: "rfc822Name", value: readString(buf, n) };
    case 0x82:
      return { type: "dNSName", value: readString(buf, n) };
    case 0xa3:
      return { type: "x400Address", der: bytesOf(buf, n) };
    case 0xa4: {
      const [inner] = children(buf, n);
      if (!inner) throw new Asn1Error("directoryName: empty");
      return { type: "directoryName", name: parseName(buf, inner) };
    }
    case 0xa5:
      return { type: "ediPartyName", der: bytesOf(buf, n) };
    case 0x86:
      return { type: "uniformResourceIdentifier", value: readString(buf, n) };
    case 0x87:
      return { type: "iPAddress", bytes: contentOf(buf, n) };
    case 0x88:
      return { type: "registeredID", oid: readOid(buf, { ...n, tag: Tag.OID }) };
    default:
      throw new Asn1Error(`unknown GeneralName tag 0x${n.tag.toString(16)}`);
  }
}

export function parseGeneralNames(buf: Uint8Array, n: Node): GeneralName[] {
  return children(buf, n).map((c) => parseGeneralName(buf, c));
}

/** ReasonFlags bits (RFC 5280 §4.2.1.13): bit 0 unused .. bit 8 aACompromise. */
export const ALL_REASONS = 0x1fe;

export function reasonMask(buf: Uint8Array, n: Node): number {
  const bits = readBitString(buf, { ...n, tag: Tag.BIT_STRING });
  let m = 0;
  for (let i = 0; i <= 8; i++) if (bitSet(bits, i)) m |= 1 << i;
  return m;
}

export type DistributionPointName = { fullName: GeneralName[] } | { relativeName: AttributeTypeAndValue[] };

export interface DistributionPoint {
  name: DistributionPointName | null;
  /** ReasonFlags as a mask; null when absent (all reasons) */
  reasons: number | null;
  crlIssuer: GeneralName[] | null;
}

export function parseDistributionPointName(buf: Uint8Array, n: Node): DistributionPointName {
  if (n.tag === 0xa0) return { fullName: parseGeneralNames(buf, n) };
  if (n.tag === 0xa1) return { relativeName: parseRdn(buf, n) };
  throw new Asn1Error("DistributionPointName: unknown choice");
}

export function parseDistributionPoints(buf: Uint8Array, n: Node): DistributionPoint[] {
  return seq(buf, n, "CRLDistributionPoints").map((dp) => {
    const out: DistributionPoint = { name: null, reasons: null, crlIssuer: null };
    for (const f of seq(buf, dp, "DistributionPoint")) {
      if (f.tag === 0xa0) {
        const [inner] = children(buf, f);
        if (!inner) throw new Asn1Error("DistributionPoint: empty name");
        out.name = parseDistributionPointName(buf, inner);
      } else if (f.tag === 0x81) out.reasons = reasonMask(buf, f);
      else if (f.tag === 0xa2) out.crlIssuer = parseGeneralNames(buf, f);
      else throw new Asn1Error("DistributionPoint: unknown field");
    }
    return out;
  });
}

export function uris(names: GeneralName[] | null | undefined): string[] {
  return (names ?? []).flatMap((g) => (g.type === "uniformResourceIdentifier" ? [g.value] : []));
}
