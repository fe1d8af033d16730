/**
 * When archived evidence needs a new archive time-stamp (EN 319 102-1 §5.6.2.5 / EN 319 122-1
 * §5.5.3 note: before the newest one stops proving anything): the newest archive time-stamp of
 * each signature, and the first instant its TSA certificate expires or one of its algorithms
 * reaches its sunset date under the policy. `podpis archive renew --before DATE` renews what is
 * due before DATE.
 */
import { CMS } from "../cms/oids.js";
import type { CertificateSources } from "../cms/candidates.js";
import { parseSignedData } from "../cms/signed-data.js";
import { readTimestampToken } from "../timestamp/token.js";
import { XADES141_NS, XADES_NS } from "../xades/properties.js";
import type { AlgorithmUse } from "../pki/key-info.js";
import { looksLikeXml } from "./extend.js";
import { parseForExtension } from "./extend-xades.js";

const ARCHIVE: readonly string[] = [CMS.archiveTimestampV3, CMS.archiveTimestampV2, CMS.archiveTimestampV1];

/** The newest archive time-stamp token of each top-level signature (null where there is none). */
export function newestArchiveTokens(bytes: Uint8Array): Array<Uint8Array | null> {
  if (looksLikeXml(bytes)) {
    return parseForExtension(bytes).targets.map((t) => {
      const all = (t.usp?.elements() ?? []).filter((e) => e.local === "ArchiveTimeStamp" && (e.ns === XADES141_NS || e.ns === XADES_NS));
      const enc = all.at(-1)?.first(XADES_NS, "EncapsulatedTimeStamp");
      return enc ? Buffer.from(enc.text().replace(/\s+/g, ""), "base64") : null;
    });
  }
  return parseSignedData(bytes).signerInfos.map((si) => {
    const attrs = (si.unsignedAttrs ?? []).filter((a) => ARCHIVE.includes(a.oid));
    return attrs.at(-1)?.values[0] ?? null;
  });
}

export interface RenewalDue {
  /** the earliest end of what the newest archive time-stamps prove; null: no archive time-stamp at all */
  expires: Date | null;
  /** what ends then */
  reason: string;
}

/** An algorithm's end under the policy (validation/crypto-constraints.ts sunsetOf, passed in from above). */
export type Sunset = (use: AlgorithmUse) => { known: boolean; until: Date | null; message: string };

/** The earliest instant any signature's newest archive time-stamp stops being a proof. */
export function renewalDue(bytes: Uint8Array, sources: CertificateSources, sunset: Sunset): RenewalDue {
  let due: RenewalDue | null = null;
  const earlier = (at: Date, reason: string) => {
    if (!due || (due.expires && at < due.expires)) due = { expires: at, reason };
  };
  for (const der of newestArchiveTokens(bytes)) {
    if (!der) return { expires: null, reason: "a signature has no archive time-stamp" };
    const token = readTimestampToken(der, { kind: "archive", imprintedData: null, ctx: sources });
    const tsa = token.tsaCertificate;
    if (!tsa) return { expires: null, reason: "the newest archive time-stamp's TSA certificate is not at hand" };
    earlier(tsa.notAfter, `the TSA certificate of the newest archive time-stamp expires`);
    for (const use of token.algorithms) {
      const s = sunset(use);
      if (!s.known) earlier(new Date(0), `${s.message} (not acceptable)`);
      else if (s.until) earlier(s.until, `${s.message} reaches its sunset date`);
    }
  }
  return due ?? { expires: null, reason: "no signature" };
}
