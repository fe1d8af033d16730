/**
 * X.501 Names: parsing, RFC 4514 display, and RFC 5280 §7.1 comparison.
 */
import { Asn1Error, type Node, Tag, bytesOf, children, hex, readOid, readString, seq } from "../asn1/der.js";

export interface AttributeTypeAndValue {
  type: string;
  /** the value as text when it is a string type; null otherwise */
  value: string | null;
  /** DER of the value (any type) */
  valueDer: Uint8Array;
}

export interface Name {
  /** the Name's DER encoding (the whole SEQUENCE) */
  der: Uint8Array;
  rdns: AttributeTypeAndValue[][];
  /** comparison key: equal keys are equal names under RFC 5280 §7.1 */
  key: string;
}

export const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "T",
  "2.5.4.42": "GN",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/**
 * RFC 5280 §7.1 asks for RFC 4518 string preparation; we apply its observable parts for the
 * scripts certificates use: case folding, leading/trailing space removal and internal space
 * runs collapsed (PKITS 4.3.3–4.3.11 exercise exactly these).
 */
function prepare(s: string): string {
  return s.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

function avaKey(a: AttributeTypeAndValue): string {
  return a.type + "=" + (a.value !== null ? "s:" + prepare(a.value) : "b:" + hex(a.valueDer));
}

export function parseName(buf: Uint8Array, node: Node): Name {
  const rdns: AttributeTypeAndValue[][] = [];
  const keys: string[] = [];
  for (const rdnNode of seq(buf, node, "Name")) {
    if (rdnNode.tag !== Tag.SET) throw new Asn1Error("Name: malformed RelativeDistinguishedName");
    const rdn = parseRdn(buf, rdnNode);
    rdns.push(rdn);
    keys.push(rdnKey(rdn));
  }
  return { der: bytesOf(buf, node), rdns, key: keys.join(",") };
}

/** Comparison key of one RelativeDistinguishedName (RFC 5280 §7.1), as used inside `Name.key`. */
export const rdnKey = (rdn: AttributeTypeAndValue[]): string => rdn.map(avaKey).sort().join("+");

/** The AttributeTypeAndValues of a RelativeDistinguishedName (a SET, or an IMPLICIT-tagged one). */
export function parseRdn(buf: Uint8Array, setNode: Node): AttributeTypeAndValue[] {
  const set = children(buf, setNode);
  if (set.length === 0) throw new Asn1Error("Name: empty RelativeDistinguishedName");
  const rdn: AttributeTypeAndValue[] = [];
  for (const avaNode of set) {
    const [t, v] = seq(buf, avaNode, "AttributeTypeAndValue");
    if (!t || !v) throw new Asn1Error("Name: malformed AttributeTypeAndValue");
    let value: string | null = null;
    try {
      value = readString(buf, v);
    } catch (e) {
      if (v.tag === Tag.UTF8_STRING) throw e;
      value = null;
    }
    rdn.push({ type: readOid(buf, t), value, valueDer: bytesOf(buf, v) });
  }
  return rdn;
}

/** RFC 5280 §5.2.5: a nameRelativeToCRLIssuer is appended to the issuer's name. No DER is kept. */
export function appendRdn(name: Name, rdn: AttributeTypeAndValue[]): Name {
  return { der: new Uint8Array(0), rdns: [...name.rdns, rdn], key: (name.key ? name.key + "," : "") + rdnKey(rdn) };
}

function escape4514(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => "\\" + c);
  if (s.startsWith("#") || s.startsWith(" ")) s = "\\" + s;
  if (s.endsWith(" ")) s = s.slice(0, -1) + "\\ ";
  return s;
}

/** RFC 4514 form: the last RDN first. */
export function nameToString(name: Name): string {
  return [...name.rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => `${ATTRIBUTE_NAMES[a.type] ?? a.type}=${a.value !== null ? escape4514(a.value) : "#" + hex(a.valueDer)}`)
        .join("+"),
    )
    .join(",");
}

export function nameAttribute(name: Name, type: string): string | null {
  for (const rdn of name.rdns) for (const a of rdn) if (a.type === type && a.value !== null) return a.value;
  return null;
}

export function namesEqual(a: Name, b: Name): boolean {
  return a.key === b.key;
}

/** The same RelativeDistinguishedNames, each compared as RFC 5280 §7.1 does, in any order (a producer that wrote the issuer back to front). Not name equality: a reference's hint only. */
export function sameRdnsInAnyOrder(a: Name, b: Name): boolean {
  if (a.rdns.length !== b.rdns.length) return false;
  const sorted = (n: Name) => n.rdns.map(rdnKey).sort().join(",");
  return sorted(a) === sorted(b);
}

export function isEmptyName(name: Name): boolean {
  return name.rdns.length === 0;
}
