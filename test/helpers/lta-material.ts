/**
 * B-LT/B-LTA CAdES signatures made at run time over the bundled test PKI (TEST DATA ONLY): a
 * signature, its signature-time-stamp, the validation data of the day (CRLs issued then, by the
 * test CAs' keys), and archive-time-stamps-v3 built with src/evidence/. A second TSA with a P-256
 * key (no sunset in policy/default.json) is issued by the test root here, so that archive
 * time-stamps can outlive the RSA sunset of 2029.
 */
import { createHash, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generalizedTime, integer, octetString, oid, sequence, utcTime } from "../../src/asn1/writer.js";
import { type Certificate, parseCertificate } from "../../src/pki/certificate.js";
import { atsV3Data, attachAtsHashIndexV3, buildAtsHashIndexV3, replaceSignerInfos } from "../../src/evidence/cades-ats-v3.js";
import { sequence as seq, tlv } from "../../src/asn1/writer.js";
import { signedDataParts } from "../../src/evidence/cms-parts.js";
import { CMS } from "../../src/cms/oids.js";
import { newArchiveTimestampData } from "../../src/evidence/xades-archive.js";
import { findSignatures } from "../../src/xades/xmldsig.js";
import { parseXml } from "../../src/xades/xml.js";
import { generateKey, issueCertificate, issueCrl, loadKey, type RevokedEntry, type TestKey } from "../../certs-test/pki.js";
import {
  OIDS,
  PKI,
  addCertificates,
  addCrls,
  addUnsignedAttributes,
  attribute,
  cert,
  makeSignedData,
  makeSignerInfo,
  privateKey,
  signatureValue,
  signingCertificateV2,
} from "./cms-tools.js";

export interface Tsa {
  cert: Certificate;
  key: KeyObject;
}

export interface LtaPki {
  /** the bundled RSA-2048 TSA */
  rsaTsa: Tsa;
  /** a P-256 TSA issued by the test root here */
  ecTsa: Tsa;
  /** the Qualified CA's and the root's CRLs as issued at `thisUpdate` (valid a month) */
  crlsAt(thisUpdate: Date, revoked?: RevokedEntry[]): Promise<Uint8Array[]>;
}

const pemOf = (name: string) => readFileSync(join(PKI, `${name}.pem`), "utf8");
const keyOf = (name: string, spec: "rsa4096" | "rsa3072") => loadKey(readFileSync(join(PKI, "keys", `${name}.key.pem`), "utf8"), spec);

export async function ltaPki(): Promise<LtaPki> {
  const root = { cert: pemOf("root-ca"), key: await keyOf("root-ca", "rsa4096") };
  const qca = { cert: pemOf("qualified-ca"), key: await keyOf("qualified-ca", "rsa3072") };
  const ecKey: TestKey = await generateKey("p256");
  const ec = await issueCertificate({
    subject: [["C", "BG", "printable"], ["O", "Подпис Тест ООД"], ["CN", "podpis Test TSA P-256"]],
    issuer: root,
    subjectKey: ecKey,
    serial: 0x75a256n,
    notBefore: new Date("2024-06-01T00:00:00Z"),
    notAfter: new Date("2038-01-01T00:00:00Z"),
    extensions: { keyUsage: ["digitalSignature"], extKeyUsage: { oids: ["1.3.6.1.5.5.7.3.8"], critical: true }, crlDistributionPoints: ["http://crl.podpis.test/root.crl"] },
  });
  let n = 1000;
  return {
    rsaTsa: { cert: cert("tsa"), key: privateKey("tsa") },
    ecTsa: { cert: parseCertificate(ec.der), key: ecKey.privateKeyObject },
    async crlsAt(thisUpdate, revoked = []) {
      const nextUpdate = new Date(thisUpdate.getTime() + 31 * 86_400_000);
      const q = await issueCrl({ issuer: qca, thisUpdate, nextUpdate, crlNumber: n++, revoked });
      const r = await issueCrl({ issuer: root, thisUpdate, nextUpdate, crlNumber: n++ });
      return [q.der, r.der];
    },
  };
}

/** An RFC 3161 token over `data` by `tsa` at `genTime` (SHA-256 imprint). */
export function timestampBy(tsa: Tsa, data: Uint8Array, genTime: Date, serial = 1): Buffer {
  const tst = sequence(integer(1), oid("1.3.6.1.4.1.99999.1.3"), sequence(sequence(oid(OIDS.sha256)), octetString(createHash("sha256").update(data).digest())), integer(serial), generalizedTime(genTime));
  const si = makeSignerInfo({
    cert: tsa.cert,
    key: tsa.key,
    signedAttrs: [
      attribute(OIDS.contentType, oid(OIDS.tstInfo)),
      attribute(OIDS.signingTime, utcTime(genTime)),
      attribute(OIDS.messageDigest, octetString(createHash("sha256").update(tst).digest())),
      signingCertificateV2(tsa.cert),
    ],
  });
  return makeSignedData({ signerInfos: [si], certificates: [tsa.cert], content: tst, contentType: OIDS.tstInfo });
}

export interface BltOptions {
  /** a bundled test certificate name (its key is in certs-test/keys) */
  signer: string;
  content: Uint8Array;
  signingTime: Date;
  /** the signature-time-stamp's genTime (by the RSA TSA) */
  timestampTime: Date;
}

/** B-T with the signer's chain in the bag. */
export function cadesBT(pki: LtaPki, o: BltOptions): Buffer {
  const c = cert(o.signer);
  const si = makeSignerInfo({ cert: c, key: privateKey(o.signer), signingTime: o.signingTime, contentDigest: createHash("sha256").update(o.content).digest() });
  const bb = makeSignedData({ signerInfos: [si], certificates: [c, cert("qualified-ca")], content: o.content });
  return addUnsignedAttributes(bb, 0, [attribute(OIDS.signatureTimeStampToken, timestampBy(pki.rsaTsa, signatureValue(bb), o.timestampTime, 2))]);
}

/** Adds validation data (CRLs, and TSA certificates to the bag), then an ATSv3 by `tsa` at `atsTime`. */
export function addArchiveTimestamp(cms: Uint8Array, tsa: Tsa, atsTime: Date, crls: Uint8Array[] = [], certs: Certificate[] = []): Buffer {
  let out: Buffer = Buffer.from(cms);
  if (certs.length) out = addCertificates(out, certs);
  if (crls.length) out = addCrls(out, crls);
  const parts = signedDataParts(out);
  const index = buildAtsHashIndexV3(parts, 0);
  const token = attachAtsHashIndexV3(timestampBy(tsa, atsV3Data(parts, 0, index, "sha256"), atsTime, 3), index);
  return appendUnsignedAttribute(out, attribute(CMS.archiveTimestampV3, token));
}

/** Adds an unsigned attribute after the others (CAdES keeps the order of addition, EN 319 122-1 §4.4). */
export function appendUnsignedAttribute(cms: Uint8Array, attr: Uint8Array): Buffer {
  const parts = signedDataParts(cms);
  const si = parts.signerInfos[0]!;
  return replaceSignerInfos(parts, [seq(...si.signedFields, tlv(0xa1, ...si.unsignedAttrs.map((a) => a.der), attr))]);
}

// ---------------------------------------------------------------------------------------------
// XAdES B-LT / B-LTA (EN 319 132-1 §5.5): values and an xadesv141:ArchiveTimeStamp added as text

const XADES141 = "http://uri.etsi.org/01903/v1.4.1#";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** Adds CertificateValues and RevocationValues (CRLValues) after the last unsigned signature property. */
export function addXadesValues(xml: string, certs: Certificate[], crls: Uint8Array[]): string {
  const cv = `<xades:CertificateValues>${certs.map((c) => `<xades:EncapsulatedX509Certificate>${b64(c.der)}</xades:EncapsulatedX509Certificate>`).join("")}</xades:CertificateValues>`;
  const rv = `<xades:RevocationValues><xades:CRLValues>${crls.map((c) => `<xades:EncapsulatedCRLValue>${b64(c)}</xades:EncapsulatedCRLValue>`).join("")}</xades:CRLValues></xades:RevocationValues>`;
  return xml.replace("</xades:UnsignedSignatureProperties>", `${cv}${rv}</xades:UnsignedSignatureProperties>`);
}

/** Adds an xadesv141:TimeStampValidationData with CRLs (the validation data of a renewal, EN 319 132-1 §5.5.1). */
export function addTimestampValidationData(xml: string, crls: Uint8Array[]): string {
  const rv = `<xades:RevocationValues><xades:CRLValues>${crls.map((c) => `<xades:EncapsulatedCRLValue>${b64(c)}</xades:EncapsulatedCRLValue>`).join("")}</xades:CRLValues></xades:RevocationValues>`;
  return xml.replace("</xades:UnsignedSignatureProperties>", `<xadesv141:TimeStampValidationData xmlns:xadesv141="${XADES141}">${rv}</xadesv141:TimeStampValidationData></xades:UnsignedSignatureProperties>`);
}

/** Adds an xadesv141:ArchiveTimeStamp by `tsa` at `genTime` over what EN 319 132-1 §5.5.2 says it covers (exc-c14n, as extend writes). */
export function addXadesArchiveTimestamp(xml: string, tsa: Tsa, genTime: Date, n = 1): string {
  const doc = parseXml(Buffer.from(xml));
  const data = newArchiveTimestampData(doc, findSignatures(doc)[0]!, EXC_C14N);
  const token = b64(timestampBy(tsa, data, genTime, 10 + n));
  const ats = `<xadesv141:ArchiveTimeStamp xmlns:xadesv141="${XADES141}" Id="ats-${n}"><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xades:EncapsulatedTimeStamp>${token}</xades:EncapsulatedTimeStamp></xadesv141:ArchiveTimeStamp>`;
  return xml.replace("</xades:UnsignedSignatureProperties>", `${ats}</xades:UnsignedSignatureProperties>`);
}
