/**
 * The CAdES augmentation writes the SignedData once (encodeTree, issue 15) and computes what an
 * archive time-stamp covers from its pieces (atsPartsOf): the octets are those nested tlv() calls
 * write, and the pieces are those signedDataParts reads back from them — for DER, BER and PEM
 * input, attached and detached, with unsigned attributes, countersignatures and added values.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tag } from "../src/asn1/der.js";
import { integer, oid, sequence, tlv } from "../src/asn1/writer.js";
import { CMS } from "../src/cms/oids.js";
import { encodeTree } from "../src/cms/write.js";
import { atsV3Data, buildAtsHashIndexV3, signedDataParts } from "../src/evidence/cades-ats-v3.js";
import { type RawSignedData, addCadesValidationData, atsPartsOf, attribute, encodeSigner, joinSignedData, splitSignedData } from "../src/evidence/extend-cades.js";

const FILES = ["rsa2048-cades-attached.p7m", "rsa2048-cades-detached.p7s", "rsa2048-cades-ber.p7m", "rsa2048-cades-attached.pem", "countersigned.p7m", "expired-bt.p7m", "p256-sha512.p7m"];

/** joinSignedData as nested tlv() calls write it (what it did before encodeTree) */
function nested(sd: RawSignedData): Buffer {
  const version = sd.crls.some((c) => c[0] === 0xa1) ? Math.max(sd.version, 5) : sd.version;
  const signedData = sequence(
    integer(version),
    sd.digestAlgorithms,
    sd.encapContentInfo,
    ...(sd.certificates.length ? [tlv(0xa0, ...sd.certificates)] : []),
    ...(sd.crls.length ? [tlv(0xa1, ...sd.crls)] : []),
    tlv(Tag.SET, ...sd.signers.map(encodeSigner)),
  );
  return sequence(oid(CMS.signedData), tlv(0xa0, signedData));
}

/** a split file with more in it: an unsigned attribute, a CRL-like entry, an OCSP entry (arbitrary octets: only the encoding matters here) */
function grown(file: string): RawSignedData {
  const sd = splitSignedData(readFileSync(`fixtures/cades/${file}`));
  sd.signers[0]!.unsigned.push(attribute(CMS.signatureTimeStampToken, sequence(oid("1.2.3.4"), tlv(0x04, Buffer.alloc(300, 7)))));
  addCadesValidationData(sd, { certificates: [sequence(tlv(0x04, Buffer.alloc(1500, 1)))], crls: [sequence(tlv(0x04, Buffer.alloc(90, 2)))], ocsp: [sequence(tlv(0x0a, Buffer.from([0])))] });
  return sd;
}

describe("SignedData written once", () => {
  for (const file of FILES) {
    it(`is what nested tlv() writes, and its pieces are what signedDataParts reads (${file})`, () => {
      for (const sd of [splitSignedData(readFileSync(`fixtures/cades/${file}`)), grown(file)]) {
        const joined = joinSignedData(sd);
        expect(joined.equals(nested(sd))).toBe(true);
        sd.signers.forEach((s) => expect(Buffer.from(s.der).equals(encodeSigner(s))).toBe(true));
        const read = signedDataParts(joined);
        const raw = atsPartsOf(sd);
        expect(Buffer.from(raw.eContentType)).toEqual(Buffer.from(read.eContentType));
        expect(raw.eContent === null ? null : Buffer.from(raw.eContent)).toEqual(read.eContent === null ? null : Buffer.from(read.eContent));
        expect(raw.certificates.map((c) => Buffer.from(c))).toEqual(read.certificates.map((c) => Buffer.from(c)));
        expect(raw.crls.map((c) => Buffer.from(c))).toEqual(read.crls.map((c) => Buffer.from(c)));
        const detached = read.eContent ? null : Buffer.from("content");
        for (let i = 0; i < sd.signers.length; i++) {
          const index = buildAtsHashIndexV3(raw, i);
          expect(index.equals(buildAtsHashIndexV3(read, i))).toBe(true);
          expect(atsV3Data(raw, i, index, "sha256", detached).equals(atsV3Data(read, i, index, "sha256", detached))).toBe(true);
        }
      }
    });
  }

  it("encodes every length form as tlv() does", () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70000]) {
      const inner = Buffer.alloc(n, 5);
      expect(encodeTree({ tag: 0x30, parts: [{ tag: 0xa0, parts: [inner, Buffer.from([1])] }] }).equals(sequence(tlv(0xa0, inner, Buffer.from([1]))))).toBe(true);
    }
  });
});
