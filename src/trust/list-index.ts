/**
 * The accepted lists as one index: which services a certificate is the identity of, which service
 * issued a certificate, what a service's status was at a time, and the anchors they give. Trust
 * anchors are the certificates of services that were ever in a trusted status (TS 119 615 §4.1);
 * whether one anchors a path at a given time is anchorTrustedAt's answer, from the history.
 */
import type { Certificate } from "../pki/certificate.js";
import { type ServiceVersion, TRUSTED_STATUSES, type TrustService, type TrustedList } from "./model.js";
import type { ListSignature } from "./signature.js";

/** One list version in use, as reports and receipts name it. */
export interface UsedList {
  kind: "TL" | "LOTL";
  territory: string;
  sequenceNumber: number;
  sha256: string;
  issueDate: string;
  nextUpdate: string | null;
  /** where it was read from */
  location: string;
  fetchedAt: string;
}

export interface AcceptedList {
  list: TrustedList;
  location: string;
  fetchedAt: Date;
  bytes: Uint8Array;
  signature: ListSignature;
}

export interface ServiceMatch {
  service: TrustService;
  list: TrustedList;
}

export function usedList(a: AcceptedList): UsedList {
  const l = a.list;
  return {
    kind: l.kind,
    territory: l.schemeTerritory,
    sequenceNumber: l.sequenceNumber,
    sha256: l.sha256,
    issueDate: l.issueDate.toISOString(),
    nextUpdate: l.nextUpdate?.toISOString() ?? null,
    location: a.location,
    fetchedAt: a.fetchedAt.toISOString(),
  };
}

const sameKey = (a: Certificate, b: Certificate) => a.sha256 === b.sha256 || (a.subject.key === b.subject.key && Buffer.compare(Buffer.from(a.spki), Buffer.from(b.spki)) === 0);

/** The service's information in effect at `t` (versions are newest first); null before its first. */
export function versionAt(service: TrustService, t: Date): ServiceVersion | null {
  for (const v of service.versions) if (v.from.getTime() <= t.getTime()) return v;
  return null;
}

export class TrustedListIndex {
  private readonly bySubject = new Map<string, ServiceMatch[]>();
  private readonly bySki = new Map<string, ServiceMatch[]>();
  private readonly anchorList: Certificate[] = [];

  constructor(readonly accepted: readonly AcceptedList[]) {
    for (const a of accepted) {
      for (const p of a.list.providers) {
        for (const service of p.services) {
          const m = { service, list: a.list };
          for (const c of service.identity.certificates) {
            push(this.bySubject, c.subject.key, m);
            if (c.subjectKeyIdentifier) push(this.bySki, c.subjectKeyIdentifier, m);
            if (service.versions.some((v) => TRUSTED_STATUSES.has(v.status)) && !this.anchorList.some((x) => x.sha256 === c.sha256)) this.anchorList.push(c);
          }
          for (const ski of service.identity.skis) push(this.bySki, ski, m);
        }
      }
    }
  }

  /** the certificates that may anchor a path (each still subject to anchorTrustedAt) */
  anchors(): readonly Certificate[] {
    return this.anchorList;
  }

  get lists(): UsedList[] {
    return this.accepted.map(usedList);
  }

  /** Services whose digital identity is this certificate (same certificate, or same subject and key). */
  servicesOf(cert: Certificate): ServiceMatch[] {
    return (this.bySubject.get(cert.subject.key) ?? []).filter((m) => m.service.identity.certificates.some((c) => sameKey(c, cert)));
  }

  /**
   * The services that issued `cert` (TS 119 615 §4.2.1): those whose identity is the issuing CA's
   * certificate from the path, or, for services listed by SKI alone, whose SKI is the
   * certificate's authority key identifier.
   */
  issuersOf(cert: Certificate, issuer: Certificate | null): ServiceMatch[] {
    const out = issuer ? this.servicesOf(issuer) : [];
    const aki = cert.authorityKeyIdentifier?.keyIdentifier;
    if (aki) for (const m of this.bySki.get(aki) ?? []) if (!out.includes(m)) out.push(m);
    return out;
  }

  /**
   * Whether an anchor from the lists anchors a path at `at`: one of its services was in a trusted
   * status then. undefined: the certificate is no list's identity (a --trust anchor decides alone).
   */
  anchorTrustedAt(anchor: Certificate, at: Date): boolean | undefined {
    const ms = this.servicesOf(anchor);
    if (ms.length === 0) return undefined;
    return ms.some((m) => {
      const v = versionAt(m.service, at);
      return v !== null && TRUSTED_STATUSES.has(v.status);
    });
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
