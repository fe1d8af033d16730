/**
 * CAdES augmentation (EN 319 122-1 §5.3–§5.5): a CMS SignedData is rewritten around its signed
 * parts, which are copied octet for octet — the encapsulated content, every SignerInfo's version,
 * sid, digestAlgorithm, signedAttrs, signatureAlgorithm and signature — so that any verifier
 * (OpenSSL included) still verifies it. What changes is unsigned: the unsignedAttrs (a
 * signature-time-stamp, an archive-time-stamp-v3), SignedData.certificates and SignedData.crls
 * (B-LT: CRLs as CertificateList, OCSP responses as OtherRevocationInfoFormat id-ri-ocsp-response,
 * RFC 5940 §4.1), and SignedData.version (RFC 5652 §5.1: 5 once an "other" revocation format is in).
 */
import { type Node, Tag, bytesOf, children, readOid, readRoot, readSmallInt } from "../asn1/der.js";
import { integer, oid, sequence, tlv } from "../asn1/writer.js";
import { CMS } from "../cms/oids.js";
import { DIGEST_OID, type DerNode, type Timestamper, encodeTree } from "../cms/write.js";
import { parseSignedData, unwrapPem } from "../cms/signed-data.js";
import type { SigningHash } from "../pki/signing-key.js";
import { type AtsParts, attributeParts } from "./cms-parts.js";
import { ExtendError } from "./extend-errors.js";
import type { DataCollector, NewTimestamp, ValidationData } from "./extend-evidence.js";

const BER = { ber: true, maxDepth: 64 };

/** One SignerInfo: its signed part (raw) and its unsigned attributes (each Attribute, raw). */
export interface RawSigner {
  head: Uint8Array[];
  unsigned: Uint8Array[];
  signature: Uint8Array;
  hash: SigningHash;
  /** the whole SignerInfo as it stands (after edits: as `encodeSigner` writes it) */
  der: Uint8Array;
}

/** A SignedData split into the pieces augmentation keeps and the ones it adds to. */
export interface RawSignedData {
  version: number;
  digestAlgorithms: Uint8Array;
  encapContentInfo: Uint8Array;
  /** CertificateChoices, raw */
  certificates: Uint8Array[];
  /** RevocationInfoChoices, raw */
  crls: Uint8Array[];
  signers: RawSigner[];
  /** the encapsulated content, or null when detached */
  eContent: Uint8Array | null;
}

const HASH_OF_OID: Record<string, SigningHash> = Object.fromEntries(Object.entries(DIGEST_OID).map(([h, o]) => [o, h as SigningHash]));

/** Splits a CAdES file (DER, BER or PEM) into the pieces above. */
export function splitSignedData(input: Uint8Array): RawSignedData {
  const parsed = parseSignedData(input);
  const buf = unwrapPem(input);
  const root = readRoot(buf, BER);
  const inner = children(buf, children(buf, root, BER)[1]!, BER)[0]!;
  const f = children(buf, inner, BER);
  let i = 0;
  const version = readSmallInt(buf, f[i++]!);
  const digestAlgorithms = bytesOf(buf, f[i++]!);
  const encapContentInfo = bytesOf(buf, f[i++]!);
  const certificates = f[i]?.tag === 0xa0 ? children(buf, f[i++]!, BER).map((n) => bytesOf(buf, n)) : [];
  const crls = f[i]?.tag === 0xa1 ? children(buf, f[i++]!, BER).map((n) => bytesOf(buf, n)) : [];
  const signerNodes = children(buf, f[i]!, BER);
  const signers = signerNodes.map((n, k) => splitSigner(buf, n, parsed.signerInfos[k]!.signature, parsed.signerInfos[k]!.digestAlgorithm.oid));
  if (signers.length === 0) throw new ExtendError("EXTEND_UNSUPPORTED", "the SignedData has no SignerInfo to extend");
  return { version, digestAlgorithms, encapContentInfo, certificates, crls, signers, eContent: parsed.eContent };
}

function splitSigner(buf: Uint8Array, node: Node, signature: Uint8Array, digestOid: string): RawSigner {
  const parts = children(buf, node, BER);
  const last = parts[parts.length - 1]!;
  const hasUnsigned = last.tag === 0xa1;
  const head = (hasUnsigned ? parts.slice(0, -1) : parts).map((n) => bytesOf(buf, n));
  const unsigned = hasUnsigned ? children(buf, last, BER).map((n) => bytesOf(buf, n)) : [];
  return { head, unsigned, signature, hash: HASH_OF_OID[digestOid] ?? "sha256", der: bytesOf(buf, node) };
}

export function encodeSigner(s: RawSigner): Buffer {
  return sequence(...s.head, ...(s.unsigned.length ? [tlv(0xa1, ...s.unsigned)] : []));
}

const signerTree = (s: RawSigner): DerNode => ({ tag: Tag.SEQUENCE, parts: [...s.head, ...(s.unsigned.length ? [{ tag: 0xa1, parts: s.unsigned }] : [])] });

/** The ContentInfo around the pieces; the order of every list is kept (new items at the end). Written once (encodeTree). */
export function joinSignedData(sd: RawSignedData): Buffer {
  const hasOther = sd.crls.some((c) => c[0] === 0xa1);
  const version = hasOther ? Math.max(sd.version, 5) : sd.version;
  const signers = sd.signers.map(signerTree);
  const signedData: DerNode = {
    tag: Tag.SEQUENCE,
    parts: [
      integer(version),
      sd.digestAlgorithms,
      sd.encapContentInfo,
      ...(sd.certificates.length ? [{ tag: 0xa0, parts: sd.certificates }] : []),
      ...(sd.crls.length ? [{ tag: 0xa1, parts: sd.crls }] : []),
      { tag: Tag.SET, parts: signers },
    ],
  };
  const placed = new Map<DerNode, Buffer>(signers.map((n) => [n, Buffer.alloc(0)]));
  const out = encodeTree({ tag: Tag.SEQUENCE, parts: [oid(CMS.signedData), { tag: 0xa0, parts: [signedData] }] }, placed);
  sd.signers.forEach((s, i) => (s.der = placed.get(signers[i]!)!));
  return out;
}

/**
 * What the archive time-stamps cover (EN 319 122-1 §5.5.3), read from the pieces as
 * joinSignedData writes them — the same octets signedDataParts(joinSignedData(sd)) finds, without
 * writing and reading the file once more.
 */
export function atsPartsOf(sd: RawSignedData): AtsParts {
  const eci = sd.encapContentInfo;
  const type = children(eci, readRoot(eci, BER), BER)[0];
  if (!type) throw new ExtendError("EXTEND_UNSUPPORTED", "the SignedData's encapContentInfo has no eContentType");
  return {
    eContentType: bytesOf(eci, type),
    eContent: sd.eContent,
    certificates: sd.certificates,
    crls: sd.crls,
    signerInfos: sd.signers.map((s) => ({ signedFields: s.head, unsignedAttrs: s.unsigned.map((a) => attributeParts(a, readRoot(a, BER))) })),
  };
}

export const attribute = (type: string, value: Uint8Array): Buffer => sequence(oid(type), tlv(Tag.SET, value));

export function attributeOid(attr: Uint8Array): string {
  const n = readRoot(attr, BER);
  return readOid(attr, children(attr, n, BER)[0]!);
}

/** EN 319 122-1 §5.3: a signature-time-stamp over each SignerInfo's signature value, where none is yet. */
export async function addCadesSignatureTimestamps(sd: RawSignedData, timestamper: Timestamper, fresh?: NewTimestamp[]): Promise<number> {
  let added = 0;
  for (const [index, s] of sd.signers.entries()) {
    if (s.unsigned.some((a) => attributeOid(a) === CMS.signatureTimeStampToken)) continue;
    const token = await timestamper(s.signature, s.hash);
    s.unsigned.push(attribute(CMS.signatureTimeStampToken, token));
    fresh?.push({ index, token, data: s.signature });
    added++;
  }
  return added;
}

/** Marks the certificates and revocation data the SignedData already holds. */
export function markPresent(sd: RawSignedData, into: DataCollector): void {
  for (const c of sd.certificates) into.already(c);
  for (const r of sd.crls) {
    if (r[0] === Tag.SEQUENCE) into.already(r);
    else {
      const n = readRoot(r, BER);
      const [fmt, info] = children(r, n, BER);
      if (fmt && info && readOid(r, fmt) === CMS.ocspRevocationInfo) into.already(bytesOf(r, info));
    }
  }
}

/** EN 319 122-1 §5.4 (B-LT): the values go into SignedData.certificates and SignedData.crls. */
export function addCadesValidationData(sd: RawSignedData, data: ValidationData): number {
  for (const c of data.certificates) sd.certificates.push(c);
  for (const c of data.crls) sd.crls.push(c);
  // RFC 5940 §4.1: [1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }
  for (const o of data.ocsp) sd.crls.push(tlv(0xa1, oid(CMS.ocspRevocationInfo), o));
  return data.certificates.length + data.crls.length + data.ocsp.length;
}
