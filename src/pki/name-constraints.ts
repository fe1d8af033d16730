/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)–(c), §6.1.4 (g)).
 *
 * permitted_subtrees is kept as one layer per constraining certificate rather than as a computed
 * intersection: a name is within the intersection exactly when, for every layer that constrains
 * its name form, it is within one of that layer's subtrees. excluded_subtrees is a union, a list.
 */
import { bytesEqual } from "./path-builder.js";
import type { Certificate, GeneralSubtree, NameConstraints } from "./certificate.js";
import type { GeneralName } from "./general-name.js";
import { type Name, rdnKey } from "./name.js";

const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

export class NameConstraintsState {
  private readonly permitted: GeneralSubtree[][] = [];
  private readonly excluded: GeneralSubtree[] = [];

  /** §6.1.4 (g): intersect permitted_subtrees, unite excluded_subtrees. */
  add(nc: NameConstraints): void {
    if (nc.permitted && nc.permitted.length > 0) this.permitted.push(nc.permitted);
    if (nc.excluded) this.excluded.push(...nc.excluded);
  }

  get unconstrained(): boolean {
    return this.permitted.length === 0 && this.excluded.length === 0;
  }

  /**
   * §6.1.3 (b)–(c): the subject DN (when not empty), every subjectAltName, and the legacy
   * emailAddress attributes of the subject DN (§4.2.1.10: rfc822Name constraints apply to them).
   * Returns a description of the first violation, or null.
   */
  check(cert: Certificate): string | null {
    if (this.unconstrained) return null;
    const names: GeneralName[] = [];
    if (cert.subject.rdns.length > 0) names.push({ type: "directoryName", name: cert.subject });
    for (const rdn of cert.subject.rdns) {
      for (const a of rdn) if (a.type === EMAIL_ADDRESS && a.value !== null) names.push({ type: "rfc822Name", value: a.value });
    }
    if (cert.subjectAltName) names.push(...cert.subjectAltName);
    for (const n of names) {
      for (const layer of this.permitted) {
        let constrains = false;
        let within = false;
        for (const st of layer) {
          if (st.base.type !== n.type) continue;
          constrains = true;
          if (matches(n, st.base)) {
            within = true;
            break;
          }
        }
        if (constrains && !within) return `${describe(n)} is not within the permitted subtrees`;
      }
      for (const st of this.excluded) {
        if (st.base.type === n.type && matches(n, st.base)) return `${describe(n)} is within an excluded subtree`;
      }
    }
    return null;
  }
}

function describe(n: GeneralName): string {
  switch (n.type) {
    case "rfc822Name":
    case "dNSName":
    case "uniformResourceIdentifier":
      return `${n.type} "${n.value}"`;
    case "iPAddress":
      return `iPAddress ${Buffer.from(n.bytes).toString("hex")}`;
    case "directoryName":
      return "directoryName";
    default:
      return n.type;
  }
}

/** Whether `name` lies within the subtree whose base is `base` (both of the same form). */
export function matches(name: GeneralName, base: GeneralName): boolean {
  switch (name.type) {
    case "directoryName":
      return base.type === "directoryName" && dnWithin(name.name, base.name);
    case "rfc822Name":
      return base.type === "rfc822Name" && emailWithin(name.value, base.value);
    case "dNSName":
      return base.type === "dNSName" && dnsWithin(name.value, base.value);
    case "uniformResourceIdentifier":
      return base.type === "uniformResourceIdentifier" && uriWithin(name.value, base.value);
    case "iPAddress":
      return base.type === "iPAddress" && ipWithin(name.bytes, base.bytes);
    // Forms without a subtree semantics here: only the same name is within (RFC 5280 §6.1 lets an
    // implementation reject what it cannot process; a different name then counts as outside).
    case "registeredID":
      return base.type === "registeredID" && name.oid === base.oid;
    case "otherName":
    case "x400Address":
    case "ediPartyName":
      return base.type === name.type && bytesEqual(name.der, (base as { der: Uint8Array }).der);
  }
}

const rdnKeys = new WeakMap<Name, string[]>();

function keysOf(n: Name): string[] {
  let k = rdnKeys.get(n);
  if (!k) {
    k = n.rdns.map(rdnKey);
    rdnKeys.set(n, k);
  }
  return k;
}

/** A DN is within a subtree when the base's RDNs are its first RDNs (§7.1 comparison). */
function dnWithin(name: Name, base: Name): boolean {
  const a = keysOf(name);
  const b = keysOf(base);
  if (b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * §4.2.1.10 rfc822Name: a whole mailbox, all mailboxes at one host, or (leading period) at any
 * host of a domain. Host parts compare case-insensitively, local parts exactly.
 */
function emailWithin(email: string, constraint: string): boolean {
  const at = email.lastIndexOf("@");
  if (at <= 0) return false;
  const host = email.slice(at + 1).toLowerCase();
  if (constraint.includes("@")) {
    const cat = constraint.lastIndexOf("@");
    return email.slice(0, at) === constraint.slice(0, cat) && host === constraint.slice(cat + 1).toLowerCase();
  }
  const c = constraint.toLowerCase();
  if (c.startsWith(".")) return host.endsWith(c);
  return host === c;
}

/** §4.2.1.10 dNSName: the name itself or any name made by adding labels on the left. */
function dnsWithin(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const c = constraint.toLowerCase().replace(/\.$/, "");
  if (c === "") return true;
  if (c.startsWith(".")) return n.endsWith(c);
  return n === c || n.endsWith("." + c);
}

/** §4.2.1.10 URI: constraints apply to the host; a leading period means any host in the domain. */
function uriWithin(uri: string, constraint: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = m?.[1]?.toLowerCase();
  if (!host) return false;
  const c = constraint.toLowerCase();
  if (c.startsWith(".")) return host.endsWith(c);
  return host === c;
}

/** §4.2.1.10 iPAddress: the constraint is address then mask (8 octets for IPv4, 32 for IPv6). */
function ipWithin(addr: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== addr.length * 2) return false;
  for (let i = 0; i < addr.length; i++) {
    const mask = constraint[addr.length + i]!;
    if ((addr[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}
