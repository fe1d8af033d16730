// The archive time-stamp imprints of src/evidence/ (EN 319 122-1 §5.5.2–§5.5.3): built over a
// B-LT CAdES signature made here, a token over exactly those octets, and the checks that see
// any later change to what the time-stamp covers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  archiveTimestampPositions,
  atsV2Data,
  atsV3Data,
  attachAtsHashIndexV3,
  buildAtsHashIndexV3,
  checkAtsHashIndexV3,
  digestEquals,
  hashIndexOfToken,
  readAtsHashIndexV3,
} from "../src/evidence/cades-ats-v3.js";
import { signedDataParts } from "../src/evidence/cms-parts.js";
import { parseTstInfo } from "../src/timestamp/tst-info.js";
import { parseSignedData } from "../src/cms/signed-data.js";
import { CMS } from "../src/cms/oids.js";
import { PKI, addCrls, addSignatureTimestamp, addUnsignedAttributes, attribute, cert, makeSignedData, makeSignerInfo, makeTimestampToken, privateKey, signatureValue } from "./helpers/cms-tools.js";

const content = Buffer.from("Заявление за издаване на удостоверение\n");

function bLt(): Buffer {
  const signer = cert("citizen-rsa2048");
  const si = makeSignerInfo({ cert: signer, key: privateKey("citizen-rsa2048"), contentDigest: createHash("sha256").update(content).digest() });
  const bb = makeSignedData({ signerInfos: [si], certificates: [signer, cert("qualified-ca")], content });
  const bt = addSignatureTimestamp(bb, makeTimestampToken(signatureValue(bb), { genTime: new Date("2026-02-01T10:05:00Z") }));
  return addCrls(bt, [readFileSync(join(PKI, "crl", "qualified-ca.crl")), readFileSync(join(PKI, "crl", "root.crl"))]);
}

function withAts(cms: Buffer, genTime = new Date("2026-02-02T09:00:00Z")): Buffer {
  const parts = signedDataParts(cms);
  const index = buildAtsHashIndexV3(parts, 0);
  const token = makeTimestampToken(atsV3Data(parts, 0, index, "sha256"), { genTime, serial: 77 });
  return addUnsignedAttributes(cms, 0, [attribute(CMS.archiveTimestampV3, attachAtsHashIndexV3(token, index))]);
}

function imprintOf(token: Uint8Array): { alg: string; imprint: Uint8Array } {
  const t = parseTstInfo(parseSignedData(token).eContent!);
  return { alg: t.imprintAlgorithm, imprint: t.imprint };
}

describe("ATSv3 (archive-time-stamp-v3 with ats-hash-index-v3)", () => {
  it("covers eContentType, the content digest, the SignerInfo fields and the hash index; the index matches what is there", () => {
    const cms = withAts(bLt());
    const parts = signedDataParts(cms);
    const [ats] = archiveTimestampPositions(parts.signerInfos[0]!);
    expect(ats?.version).toBe(3);
    const token = ats!.tokens[0]!;
    const indexDer = hashIndexOfToken(token)!;
    const index = readAtsHashIndexV3(indexDer);
    expect(index.certificates).toHaveLength(2);
    expect(index.crls).toHaveLength(2);
    // the signature-time-stamp's one value
    expect(index.unsignedAttrValues).toHaveLength(1);
    expect(checkAtsHashIndexV3(index, parts, 0, ats!.position)).toEqual([]);
    const { alg, imprint } = imprintOf(token);
    expect(digestEquals(alg, atsV3Data(parts, 0, indexDer, alg), imprint)).toBe(true);
  });

  it("a CRL replaced after the time-stamp: the index names what is no longer there", () => {
    const cms = withAts(bLt());
    const parts = signedDataParts(cms);
    // one octet of the second CRL changed (the time-stamp and its index stay as they were)
    const p = signedDataParts(cms);
    const swapped = Buffer.from(cms);
    const at = swapped.indexOf(Buffer.from(p.crls[1]!));
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.concat([swapped.subarray(0, at), Buffer.from(p.crls[1]!).fill(0, 10, 11), swapped.subarray(at + p.crls[1]!.length)]);
    const tp = signedDataParts(tampered);
    const [ats] = archiveTimestampPositions(tp.signerInfos[0]!);
    const index = readAtsHashIndexV3(hashIndexOfToken(ats!.tokens[0]!)!);
    expect(checkAtsHashIndexV3(index, tp, 0, ats!.position)).toEqual([expect.stringContaining("CRL/revocation entry")]);
    expect(checkAtsHashIndexV3(index, parts, 0, ats!.position)).toEqual([]);
  });

  it("data added after the time-stamp (a second ATS, another certificate) leaves the first one intact", () => {
    const once = withAts(bLt());
    const twice = withAts(once, new Date("2027-02-02T09:00:00Z"));
    const parts = signedDataParts(twice);
    const list = archiveTimestampPositions(parts.signerInfos[0]!);
    expect(list).toHaveLength(2);
    for (const ats of list) {
      const token = ats.tokens[0]!;
      const indexDer = hashIndexOfToken(token)!;
      expect(checkAtsHashIndexV3(readAtsHashIndexV3(indexDer), parts, 0, ats.position)).toEqual([]);
      const { alg, imprint } = imprintOf(token);
      expect(digestEquals(alg, atsV3Data(parts, 0, indexDer, alg), imprint)).toBe(true);
    }
    // the second index covers the first ATS's value
    expect(readAtsHashIndexV3(hashIndexOfToken(list[1]!.tokens[0]!)!).unsignedAttrValues).toHaveLength(2);
  });

  it("the signed fields changed: the imprint no longer matches", () => {
    const cms = withAts(bLt());
    const parts = signedDataParts(cms);
    const [ats] = archiveTimestampPositions(parts.signerInfos[0]!);
    const indexDer = hashIndexOfToken(ats!.tokens[0]!)!;
    const { alg, imprint } = imprintOf(ats!.tokens[0]!);
    const detachedOther = { ...parts, eContent: Buffer.from("other content") };
    expect(digestEquals(alg, atsV3Data(detachedOther, 0, indexDer, alg), imprint)).toBe(false);
  });

  it("the older ats-hash-index (TS 101 733 v2.2.1: one hash per whole attribute) is read and checked as such", () => {
    const parts = signedDataParts(bLt());
    const si = parts.signerInfos[0]!;
    const h = (b: Uint8Array) => createHash("sha256").update(b).digest();
    const os = (b: Buffer) => Buffer.concat([Buffer.from([0x04, b.length]), b]);
    const list = (bs: Buffer[]) => { const body = Buffer.concat(bs.map(os)); return Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]); };
    const body = Buffer.concat([list(parts.certificates.map(h)), list(parts.crls.map(h)), list(si.unsignedAttrs.map((a) => h(a.der)))]);
    const v1 = Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]);
    expect(checkAtsHashIndexV3(readAtsHashIndexV3(v1, 1), parts, 0, 99)).toEqual([]);
    // read as a v3 index, the same hashes name nothing that is there
    expect(checkAtsHashIndexV3(readAtsHashIndexV3(v1, 3), parts, 0, 99)).toHaveLength(1);
  });

  it("a SHA-512 hash index names its algorithm and reads back", () => {
    const parts = signedDataParts(bLt());
    const idx = readAtsHashIndexV3(buildAtsHashIndexV3(parts, 0, "sha512"));
    expect(idx.hash).toBe("sha512");
    expect(idx.crls[0]).toHaveLength(64);
    expect(checkAtsHashIndexV3(idx, parts, 0, 1)).toEqual([]);
  });

  it("ATS v2 data: encapContentInfo, certificates, crls, SignerInfo with the unsigned attributes before it", () => {
    const cms = bLt();
    const parts = signedDataParts(cms);
    const data = atsV2Data(parts, 0, 1);
    expect(data.indexOf(Buffer.from(parts.encapContentInfo))).toBe(0);
    expect(data.includes(Buffer.from(parts.certificatesElement!))).toBe(true);
    expect(data.includes(Buffer.from(parts.crlsElement!))).toBe(true);
    expect(data.includes(Buffer.from(parts.signerInfos[0]!.unsignedAttrs[0]!.der))).toBe(true);
  });
});
