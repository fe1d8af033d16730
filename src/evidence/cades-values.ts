/**
 * The long-term evidence a CAdES signature carries (EN 319 122-1 §5.5; TS 101 733 §6.3):
 * certificates (SignedData.certificates, certificate-values), revocation data (SignedData.crls,
 * OtherRevocationInfoFormat id-ri-ocsp-response of RFC 5940, revocation-values), and the
 * time-stamps over it (archive-time-stamp v3/v2, CAdES-C time-stamps), each with the octets its
 * message imprint must be over.
 */
import { Tag, bytesOf, children, contentOf, readRoot } from "../asn1/der.js";
import { octetString, oid, sequence, tlv } from "../asn1/writer.js";
import { CMS } from "../cms/oids.js";
import type { SignedData, SignerInfo } from "../cms/signed-data.js";
import { findAttributes, parseSignedData } from "../cms/signed-data.js";
import { parseTstInfo } from "../timestamp/tst-info.js";
import {
  archiveTimestampPositions,
  atsV2Data,
  atsV3Data,
  checkAtsHashIndexV3,
  hashIndexWithVersion,
  readAtsHashIndexV3,
} from "./cades-ats-v3.js";
import { type SignedDataParts, oidContent } from "./cms-parts.js";

const ID_PKIX_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";

export interface EmbeddedValues {
  /** DER certificates from certificate-values (SignedData.certificates are the bag already) */
  certificates: Uint8Array[];
  /** DER CertificateLists */
  crls: Uint8Array[];
  /** DER OCSPResponses (a BasicOCSPResponse of revocation-values wrapped as a successful OCSPResponse) */
  ocsp: Uint8Array[];
  problems: string[];
}

/** RFC 6960 §4.2.1: a BasicOCSPResponse as the successful OCSPResponse that carries it. */
export function wrapBasicOcsp(basic: Uint8Array): Buffer {
  return sequence(tlv(Tag.ENUMERATED, Buffer.from([0])), tlv(0xa0, sequence(oid(ID_PKIX_OCSP_BASIC), octetString(basic))));
}

export function readCadesValues(sd: SignedData, si: SignerInfo): EmbeddedValues {
  const out: EmbeddedValues = { certificates: [], crls: [...sd.crls], ocsp: [], problems: [] };
  for (const o of sd.otherRevocationInfo) if (o.format === CMS.ocspRevocationInfo) out.ocsp.push(o.der);
  for (const a of findAttributes(si.unsignedAttrs, CMS.certValues)) {
    for (const v of a.values) {
      try {
        for (const c of children(v, readRoot(v))) out.certificates.push(bytesOf(v, c));
      } catch (e) {
        out.problems.push(`certificate-values: ${(e as Error).message}`);
      }
    }
  }
  // RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList, ocspVals [1] SEQUENCE OF BasicOCSPResponse, otherRevVals [2] }
  for (const a of findAttributes(si.unsignedAttrs, CMS.revocationValues)) {
    for (const v of a.values) {
      try {
        for (const f of children(v, readRoot(v))) {
          if (f.tag !== 0xa0 && f.tag !== 0xa1) continue;
          const [list] = children(v, f);
          for (const item of list ? children(v, list) : []) {
            if (f.tag === 0xa0) out.crls.push(bytesOf(v, item));
            else out.ocsp.push(wrapBasicOcsp(bytesOf(v, item)));
          }
        }
      } catch (e) {
        out.problems.push(`revocation-values: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

export type EvidenceTimestampType = "archive" | "validation-data" | "refs";

export interface EvidenceTimestamp {
  type: EvidenceTimestampType;
  /** position among the signer's unsigned attributes (order of appearance) */
  position: number;
  token: Uint8Array;
  /** what the message imprint must be the digest of; null when it could not be built (see problems) */
  data: Uint8Array | null;
  /** why the time-stamp does not cover what it should (a hash index naming what is gone, …) */
  problems: string[];
  version?: 1 | 2 | 3;
}

const ESC = oidContent(CMS.escTimeStamp);
const CERT_CRL = oidContent(CMS.certCRLTimestamp);
const SIG_TS = oidContent(CMS.signatureTimeStampToken);
const CERT_REFS = oidContent(CMS.certificateRefs);
const REV_REFS = oidContent(CMS.revocationRefs);

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);

/**
 * The archive and CAdES-C time-stamps of signer `signer` (an index into parts.signerInfos), in
 * order of appearance. `detached`: the content of a detached signature (bytes), when known.
 */
export function cadesEvidenceTimestamps(parts: SignedDataParts, signer: number, detached: Uint8Array | null): EvidenceTimestamp[] {
  const si = parts.signerInfos[signer]!;
  const out: EvidenceTimestamp[] = [];
  for (const ats of archiveTimestampPositions(si)) {
    for (const token of ats.tokens) {
      const t: EvidenceTimestamp = { type: "archive", position: ats.position, token, data: null, problems: [], version: ats.version };
      try {
        if (ats.version === 3) {
          const index = hashIndexWithVersion(token);
          if (!index) t.problems.push("the archive-time-stamp-v3 carries no ats-hash-index-v3 (EN 319 122-1 §5.5.3)");
          else {
            t.problems.push(...checkAtsHashIndexV3(readAtsHashIndexV3(index.der, index.version), parts, signer, ats.position));
            t.data = atsV3Data(parts, signer, index.der, imprintAlgorithm(token), detached);
          }
        } else if (ats.version === 2) t.data = atsV2Data(parts, signer, ats.position, detached);
        else t.problems.push("archive-time-stamp v1 (TS 101 733 v1.5) is not supported");
      } catch (e) {
        t.problems.push((e as Error).message);
      }
      out.push(t);
    }
  }
  // TS 101 733 §6.3.5 (CAdES-C-time-stamped), §6.3.6 (time-stamped-certs-crls-references): each
  // attribute before the time-stamp, as encoded, after the signature value for the former.
  si.unsignedAttrs.forEach((a, position) => {
    const esc = same(a.oidBytes, ESC);
    if (!esc && !same(a.oidBytes, CERT_CRL)) return;
    const before = si.unsignedAttrs.slice(0, position);
    const covered = before.filter((b) => same(b.oidBytes, CERT_REFS) || same(b.oidBytes, REV_REFS) || (esc && same(b.oidBytes, SIG_TS)));
    const signature = si.signedFields.at(-1)!;
    const sigValue = contentOf(signature, readRoot(signature));
    for (const token of a.values) {
      out.push({ type: esc ? "validation-data" : "refs", position, token, data: Buffer.concat([...(esc ? [sigValue] : []), ...covered.map((c) => c.der)]), problems: [] });
    }
  });
  return out.sort((x, y) => x.position - y.position);
}

function imprintAlgorithm(token: Uint8Array): string {
  const sd = parseSignedData(token);
  return sd.eContent ? parseTstInfo(sd.eContent).imprintAlgorithm : "sha256";
}
