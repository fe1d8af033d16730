/**
 * CAdES archive time-stamps: the ATSv3 message imprint and its ats-hash-index-v3
 * (EN 319 122-1 §5.5.2, §5.5.3), and the older archive-time-stamp v2 imprint (TS 101 733 §6.4.1)
 * for reading. Pure functions over the encodings of cms-parts.ts; `extend` builds with them, the
 * validation checks with them.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Tag, children, contentOf, readRoot } from "../asn1/der.js";
import { octetString, oid, sequence, tlv } from "../asn1/writer.js";
import { hashName, parseAlgorithmIdentifier } from "../pki/algorithms.js";
import { CMS } from "../cms/oids.js";
import { DIGEST_OID } from "../cms/write.js";
import { CmsFormatError } from "../cms/errors.js";
import { type AtsParts, type SignedDataParts, type SignerInfoParts, oidContent, signedDataParts, signerInfoParts } from "./cms-parts.js";

const ARCHIVE_OIDS = [CMS.archiveTimestampV3, CMS.archiveTimestampV2, CMS.archiveTimestampV1].map((o) => oidContent(o));
const ATS_V3 = oidContent(CMS.archiveTimestampV3);

/**
 * The hash index an ATSv3 carries: ats-hash-index-v3 (EN 319 122-1 v1.1.1, one hash per attribute
 * value), and for reading the older forms: ats-hash-index (TS 101 733 v2.2.1, 0.4.0.1733.2.5: one
 * hash per whole Attribute) and ats-hash-index-v2 (EN 319 122-1 v1.0.1, 0.4.0.19122.1.4: one hash
 * per attrType and its SET of values).
 */
export interface AtsHashIndexV3 {
  /** Node digest name of hashIndAlgorithm (DEFAULT sha256) */
  hash: string;
  version?: 1 | 2 | 3;
  certificates: Buffer[];
  crls: Buffer[];
  unsignedAttrValues: Buffer[];
}

/** EN 319 122-1 §5.5.2: one hash per attribute value, over the encoded attrType and that value; `skip`: an attribute left out. */
function attrValueHashes(si: Pick<SignerInfoParts, "unsignedAttrs">, hash: string, skip = -1): Buffer[] {
  const out: Buffer[] = [];
  si.unsignedAttrs.forEach((a, i) => {
    if (i !== skip) for (const v of a.values) out.push(createHash(hash).update(a.type).update(v).digest());
  });
  return out;
}

/**
 * The ats-hash-index-v3 over what the SignedData and the SignerInfo hold now (before the new
 * archive time-stamp is added), as its DER value (ATSHashIndexV3 ::= SEQUENCE { hashIndAlgorithm
 * DEFAULT sha256, certificatesHashIndex, crlsHashIndex, unsignedAttrValuesHashIndex }).
 */
export function buildAtsHashIndexV3(sd: AtsParts, signer: number, hash: "sha256" | "sha384" | "sha512" = "sha256"): Buffer {
  const si = sd.signerInfos[signer];
  if (!si) throw new CmsFormatError(`no signer #${signer}`);
  const h = (b: Uint8Array) => createHash(hash).update(b).digest();
  const list = (bs: Buffer[]) => sequence(...bs.map((b) => octetString(b)));
  return sequence(
    ...(hash === "sha256" ? [] : [sequence(oid(DIGEST_OID[hash]))]),
    list(sd.certificates.map(h)),
    list(sd.crls.map(h)),
    list(attrValueHashes(si, hash)),
  );
}

export function readAtsHashIndexV3(der: Uint8Array, version: 1 | 2 | 3 = 3): AtsHashIndexV3 {
  const root = readRoot(der);
  const f = children(der, root);
  let i = 0;
  let hash = "sha256";
  if (f[0]?.tag === Tag.SEQUENCE && f.length === 4) hash = hashName(parseAlgorithmIdentifier(der, f[i++]!).oid);
  const list = (n: (typeof f)[number] | undefined, what: string): Buffer[] => {
    if (!n || n.tag !== Tag.SEQUENCE) throw new CmsFormatError(`ats-hash-index-v3: ${what} missing`);
    return children(der, n).map((o) => {
      if (o.tag !== Tag.OCTET_STRING) throw new CmsFormatError(`ats-hash-index-v3: ${what} holds a non-OCTET STRING`);
      return Buffer.from(contentOf(der, o));
    });
  };
  const out = { hash, version, certificates: list(f[i], "certificatesHashIndex"), crls: list(f[i + 1], "crlsHashIndex"), unsignedAttrValues: list(f[i + 2], "unsignedAttrValuesHashIndex") };
  if (f.length !== i + 3) throw new CmsFormatError("ats-hash-index-v3: unexpected fields");
  return out;
}

/**
 * EN 319 122-1 §5.5.3: every hash in the index must be of an element still present; elements
 * added later (after the time-stamp) are allowed. The unsigned attributes are looked for among
 * all but the archive time-stamp's own (a DER-sorted SET may have put later ones first).
 * Returns what is missing.
 */
export function checkAtsHashIndexV3(index: AtsHashIndexV3, sd: SignedDataParts, signer: number, atsPosition: number): string[] {
  const si = sd.signerInfos[signer]!;
  const h = (b: Uint8Array) => createHash(index.hash).update(b).digest("hex");
  const problems: string[] = [];
  const check = (what: string, want: Buffer[], have: string[]) => {
    const pool = new Map<string, number>();
    for (const x of have) pool.set(x, (pool.get(x) ?? 0) + 1);
    for (const w of want) {
      const k = w.toString("hex");
      const n = pool.get(k) ?? 0;
      if (n === 0) problems.push(`${what} ${k.slice(0, 16)}… is in the hash index but not in the signature`);
      else pool.set(k, n - 1);
    }
  };
  check("certificate", index.certificates, sd.certificates.map(h));
  check("CRL/revocation entry", index.crls, sd.crls.map(h));
  const attrs =
    index.version === 1
      ? si.unsignedAttrs.filter((_, i) => i !== atsPosition).map((a) => h(a.der))
      : index.version === 2
        ? si.unsignedAttrs.filter((_, i) => i !== atsPosition).map((a) => createHash(index.hash).update(a.type).update(a.valuesSet).digest("hex"))
        : attrValueHashes(si, index.hash, atsPosition).map((b) => b.toString("hex"));
  check("unsigned attribute value", index.unsignedAttrValues, attrs);
  return problems;
}

/**
 * The octets the ATSv3 message imprint is the digest of (EN 319 122-1 §5.5.3): eContentType,
 * the digest of the content (eContent's value, or the detached content), the SignerInfo's
 * fields but unsignedAttrs, and the ats-hash-index-v3 value.
 */
export function atsV3Data(sd: AtsParts, signer: number, hashIndex: Uint8Array, hash: string, detached: Uint8Array | null = null): Buffer {
  const si = sd.signerInfos[signer];
  if (!si) throw new CmsFormatError(`no signer #${signer}`);
  const content = sd.eContent ?? detached;
  if (!content) throw new CmsFormatError("the signature is detached and its content was not given");
  return Buffer.concat([sd.eContentType, createHash(hash).update(content).digest(), ...si.signedFields, hashIndex]);
}

const INDEX_OIDS: Array<[Buffer, 1 | 2 | 3]> = [
  [oidContent(CMS.atsHashIndexV3), 3],
  [oidContent("0.4.0.19122.1.4"), 2],
  [oidContent(CMS.atsHashIndex), 1],
];

/** The ats-hash-index(-v2/-v3) value in a time-stamp token's SignerInfo unsigned attributes, or null. */
export function hashIndexOfToken(token: Uint8Array): Uint8Array | null {
  return hashIndexWithVersion(token)?.der ?? null;
}

export function hashIndexWithVersion(token: Uint8Array): { der: Uint8Array; version: 1 | 2 | 3 } | null {
  const si = signedDataParts(token).signerInfos[0];
  for (const [want, version] of INDEX_OIDS) {
    const a = si?.unsignedAttrs.find((x) => Buffer.from(x.oidBytes).equals(want));
    if (a?.values[0]) return { der: a.values[0], version };
  }
  return null;
}

/** A token with the ats-hash-index-v3 attribute added to its SignerInfo's unsigned attributes (the TSA does not sign it). */
export function attachAtsHashIndexV3(token: Uint8Array, hashIndex: Uint8Array): Buffer {
  const parts = signedDataParts(token);
  const si = parts.signerInfos[0];
  if (!si || parts.signerInfos.length !== 1) throw new CmsFormatError("a time-stamp token has exactly one signer");
  const attr = sequence(oid(CMS.atsHashIndexV3), tlv(Tag.SET, hashIndex));
  const others = si.unsignedAttrs.filter((a) => !Buffer.from(a.oidBytes).equals(oidContent(CMS.atsHashIndexV3))).map((a) => a.der);
  const newSi = sequence(...si.signedFields, tlv(0xa1, ...others, attr));
  return replaceSignerInfos(parts, [newSi]);
}

/** A SignedData ContentInfo with other SignerInfos (re-encoded DER around the untouched parts). */
export function replaceSignerInfos(parts: SignedDataParts, signerInfos: Uint8Array[]): Buffer {
  const buf = parts.buf;
  const ci = children(buf, readRoot(buf, { ber: true, maxDepth: 64 }), { ber: true, maxDepth: 64 });
  const sdNode = children(buf, ci[1]!, { ber: true, maxDepth: 64 })[0]!;
  const f = children(buf, sdNode, { ber: true, maxDepth: 64 });
  const kept = f.slice(0, -1).map((n) => buf.subarray(n.start, n.end));
  return sequence(oid(CMS.signedData), tlv(0xa0, sequence(...kept, tlv(Tag.SET, ...signerInfos))));
}

/** The position of each archive time-stamp (v3, v2, v1) among the signer's unsigned attributes. */
export function archiveTimestampPositions(si: SignerInfoParts): Array<{ position: number; version: 1 | 2 | 3; tokens: Uint8Array[] }> {
  const out: Array<{ position: number; version: 1 | 2 | 3; tokens: Uint8Array[] }> = [];
  si.unsignedAttrs.forEach((a, i) => {
    const k = ARCHIVE_OIDS.findIndex((o) => Buffer.from(a.oidBytes).equals(o));
    if (k >= 0) out.push({ position: i, version: k === 0 ? 3 : k === 1 ? 2 : 1, tokens: a.values });
  });
  return out;
}

/**
 * TS 101 733 §6.4.1 archive-time-stamp (v2) imprint data: the encapContentInfo, the detached
 * content, the certificates and crls elements, and every field of the SignerInfo with the
 * unsigned attributes that came before the time-stamp.
 */
export function atsV2Data(sd: SignedDataParts, signer: number, atsPosition: number, detached: Uint8Array | null = null): Buffer {
  const si = sd.signerInfos[signer]!;
  const before = si.unsignedAttrs.slice(0, atsPosition).map((a) => a.der);
  return Buffer.concat([
    sd.encapContentInfo,
    ...(sd.eContent ? [] : detached ? [detached] : []),
    ...(sd.certificatesElement ? [sd.certificatesElement] : []),
    ...(sd.crlsElement ? [sd.crlsElement] : []),
    ...si.signedFields,
    ...(before.length ? [tlv(0xa1, ...before)] : []),
  ]);
}

export function digestEquals(alg: string, data: Uint8Array, imprint: Uint8Array): boolean {
  const d = createHash(alg).update(data).digest();
  return d.length === imprint.length && timingSafeEqual(d, imprint);
}

export { signedDataParts, signerInfoParts, ATS_V3 };
