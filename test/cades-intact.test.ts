/**
 * `intact` is a fact about bytes (contract; issue 12 item 2): the signature value and the message
 * digest verify. It stays true when something else is wrong — a signing-certificate reference
 * that does not match, a duplicated signed attribute or signing time, malformed content hints, a
 * time-stamp copied from another signature — and the verdict says what is wrong. Also the
 * encodings other producers sign (found in the EU DSS test corpus, reproduced here): zero
 * padding after the CMS, signed attributes stored out of DER order, a DigestInfo without NULL
 * parameters, an empty unsigned-attributes set, a policy qualifier without its SEQUENCE OF.
 */
import { type KeyObject, constants, createHash, privateEncrypt, sign as nodeSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { explicit, integer, nullValue, octetString, oid, sequence, setOf, tlv, unsignedInteger, utcTime } from "../src/asn1/writer.js";
import type { Certificate } from "../src/pki/certificate.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import type { SignatureReport } from "../src/validation/report.js";
import * as T from "./helpers/cms-tools.js";
import { testContext } from "./helpers/cades-context.js";

const AT = new Date("2026-06-01T00:00:00Z");
const ctx = testContext();
const content = Buffer.from("<form>заявление</form>");
const digest = createHash("sha256").update(content).digest();
const signer = T.cert("citizen-rsa2048");
const key = T.privateKey("citizen-rsa2048");
const CONTENT_TIMESTAMP = "1.2.840.113549.1.9.16.2.20";

const base = (over: { time?: Date } = {}) => [
  T.attribute(T.OIDS.contentType, oid(T.OIDS.data)),
  T.attribute(T.OIDS.signingTime, utcTime(over.time ?? new Date("2026-02-01T00:00:00Z"))),
  T.attribute(T.OIDS.messageDigest, octetString(digest)),
  T.signingCertificateV2(signer),
];

function cms(signerInfo: Buffer): Buffer {
  return T.makeSignedData({ signerInfos: [signerInfo], certificates: [signer, T.cert("qualified-ca")], content });
}
const signed = (attrs: Buffer[], unsignedAttrs?: Buffer[]) => cms(T.makeSignerInfo({ cert: signer, key, signedAttrs: attrs, ...(unsignedAttrs ? { unsignedAttrs } : {}) }));

const ia5String = (v: string) => tlv(0x16, Buffer.from(v, "ascii"));
const signWith = (k: KeyObject, data: Uint8Array) => nodeSign("sha256", data, k);

/** A SignerInfo with the signed attributes exactly as given (`set`, tag 0x31) and a given signature value. */
function rawSignerInfo(c: Certificate, set: Buffer, signature: Uint8Array, o: { emptyUnsigned?: boolean } = {}): Buffer {
  const sid = sequence(Buffer.from(c.issuer.der), unsignedInteger(Buffer.from(c.serialNumber, "hex")));
  const tagged = Buffer.concat([Buffer.from([0xa0]), set.subarray(1)]);
  const parts = [integer(1), sid, sequence(oid(T.OIDS.sha256)), tagged, sequence(oid(T.OIDS.rsaEncryption), nullValue()), octetString(signature)];
  if (o.emptyUnsigned) parts.push(Buffer.from([0xa1, 0x00]));
  return sequence(...parts);
}

async function one(bytes: Uint8Array): Promise<SignatureReport> {
  const r = await verifyCades(bytes, { at: AT, context: ctx });
  expect(r.signatures).toHaveLength(1);
  return r.signatures[0]!;
}
const codes = (s: SignatureReport) => [...s.errors, ...s.warnings].map((e) => e.code);

/** ESS signing-certificate-v2 with a chosen hash and serial (RFC 5035 §5.4.1). */
function essV2(certHash: Buffer, serialHex: string): Buffer {
  const issuerSerial = sequence(sequence(explicit(4, Buffer.from(signer.issuer.der))), unsignedInteger(Buffer.from(serialHex, "hex")));
  return T.attribute(T.OIDS.signingCertificateV2, sequence(sequence(sequence(octetString(certHash), issuerSerial))));
}

describe("the baseline and a real break", () => {
  it("a well-formed signature passes, intact", async () => {
    const s = await one(signed(base()));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
  });
  it("content changed after signing: HASH_FAILURE, not intact", async () => {
    const attrs = base();
    attrs[2] = T.attribute(T.OIDS.messageDigest, octetString(createHash("sha256").update("other").digest()));
    const s = await one(signed(attrs));
    expect([s.subIndication, s.intact]).toEqual(["HASH_FAILURE", false]);
  });
});

describe("a signing-certificate reference that does not match: NO_SIGNING_CERTIFICATE_FOUND, intact", () => {
  it("certHash of another certificate", async () => {
    const attrs = base();
    attrs[3] = essV2(Buffer.from(T.cert("seal-rsa2048").sha256, "hex"), signer.serialNumber);
    const s = await one(signed(attrs));
    expect([s.indication, s.subIndication, s.intact]).toEqual(["INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", true]);
  });
  it("the right certHash with another serial", async () => {
    const attrs = base();
    attrs[3] = essV2(Buffer.from(signer.sha256, "hex"), "7777");
    const s = await one(signed(attrs));
    expect([s.indication, s.subIndication, s.intact]).toEqual(["INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND", true]);
  });
});

describe("duplicated signed attributes: FORMAT_FAILURE, intact", () => {
  it("a second message-digest", async () => {
    const s = await one(signed([...base(), T.attribute(T.OIDS.messageDigest, octetString(digest))]));
    expect([s.subIndication, s.intact]).toEqual(["FORMAT_FAILURE", true]);
    expect(codes(s)).toContain("DUPLICATE_SIGNED_ATTRIBUTE");
  });
  it("a second message-digest over other data: not intact (every value must match)", async () => {
    const s = await one(signed([...base(), T.attribute(T.OIDS.messageDigest, octetString(Buffer.alloc(32, 7)))]));
    expect([s.subIndication, s.intact]).toEqual(["FORMAT_FAILURE", false]);
  });
  it("two signing times: no claimed signing time", async () => {
    const s = await one(signed([...base(), T.attribute(T.OIDS.signingTime, utcTime(new Date("2026-03-01T00:00:00Z")))]));
    expect([s.subIndication, s.intact, s.claimedSigningTime]).toEqual(["FORMAT_FAILURE", true, null]);
  });
  it("a signing time with two values", async () => {
    const attrs = base();
    attrs[1] = T.attribute(T.OIDS.signingTime, utcTime(new Date("2026-02-01T00:00:00Z")), utcTime(new Date("2026-02-02T00:00:00Z")));
    const s = await one(signed(attrs));
    expect([s.subIndication, s.intact, s.claimedSigningTime]).toEqual(["FORMAT_FAILURE", true, null]);
  });
  it("two signing-certificate-v2 attributes", async () => {
    const s = await one(signed([...base(), essV2(Buffer.from(T.cert("seal-rsa2048").sha256, "hex"), "01")]));
    expect([s.subIndication, s.intact]).toEqual(["FORMAT_FAILURE", true]);
  });
});

describe("content hints that do not parse are a warning (RFC 2634 §2.9: a hint, nothing checked)", () => {
  it("description as an OCTET STRING instead of UTF8String", async () => {
    const hints = T.attribute(T.OIDS.contentHint, sequence(octetString(Buffer.from("form.xml")), oid(T.OIDS.data)));
    const s = await one(signed([...base(), hints]));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
    expect(codes(s)).toContain("CONTENT_HINTS_MALFORMED");
  });
});

describe("time-stamps copied from another signature: the time-stamp fails, the signature stays intact", () => {
  it("a signature-time-stamp over another signature value", async () => {
    const other = T.signatureValue(signed(base({ time: new Date("2026-01-15T00:00:00Z") })));
    const token = T.makeTimestampToken(other, { genTime: new Date("2026-02-01T00:05:00Z") });
    const s = await one(signed(base(), [T.attribute(T.OIDS.signatureTimeStampToken, token)]));
    expect(s.intact).toBe(true);
    expect(s.timestamps.map((t) => `${t.kind}:${t.indication}/${t.subIndication}`)).toEqual(["signature:TOTAL_FAILED/HASH_FAILURE"]);
    expect(s.timestamps.map((t) => [t.intact, t.valid])).toEqual([[false, false]]);
    expect(s.bestSignatureTime).toBeNull();
    // its message imprint does not match: the time-stamp is not intact (issue 13's report)
    expect(codes(s)).toContain("TIMESTAMP_NOT_INTACT");
  });
  it("two content-time-stamps (EN 319 122-1 allows several), one over other content", async () => {
    const good = T.makeTimestampToken(content, { genTime: new Date("2026-01-31T00:00:00Z") });
    const copied = T.makeTimestampToken(Buffer.from("another document"), { genTime: new Date("2026-01-31T00:00:00Z"), serial: 43 });
    const s = await one(signed([...base(), T.attribute(CONTENT_TIMESTAMP, good), T.attribute(CONTENT_TIMESTAMP, copied)]));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
    expect(s.timestamps.map((t) => `${t.kind}:${t.indication}/${t.subIndication}:${t.intact}`).sort()).toEqual(["content:TOTAL_FAILED/HASH_FAILURE:false", "content:TOTAL_PASSED/null:true"]);
  });
});

describe("encodings other producers sign", () => {
  it("zero octets after the CMS (a fixed-size buffer) are ignored, with a warning", async () => {
    const s = await one(Buffer.concat([signed(base()), Buffer.alloc(700)]));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
    expect(codes(s)).toContain("TRAILING_ZEROS");
  });
  it("other bytes after the CMS are still refused", async () => {
    const s = await one(Buffer.concat([signed(base()), Buffer.from([0, 0, 1])]));
    expect(s.subIndication).toBe("FORMAT_FAILURE");
  });
  it("signed attributes stored out of DER order, signed in DER order (RFC 5652 §5.4)", async () => {
    const attrs = [T.signingCertificateV2(signer), ...base().slice(0, 3)];
    const stored = tlv(0x31, ...attrs); // as written: not sorted
    const derSet = setOf(...attrs); // what was signed
    expect(stored.equals(derSet)).toBe(false);
    const signature = signWith(key, derSet);
    const s = await one(cms(rawSignerInfo(signer, stored, signature)));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
    expect(codes(s)).toContain("SIGNED_ATTRIBUTES_NOT_DER");
  });
  it("a signature over neither order fails", async () => {
    const attrs = [T.signingCertificateV2(signer), ...base().slice(0, 3)];
    const s = await one(cms(rawSignerInfo(signer, tlv(0x31, ...attrs), signWith(key, Buffer.from("something else")))));
    expect([s.subIndication, s.intact]).toEqual(["SIG_CRYPTO_FAILURE", false]);
  });
  it("an RSA DigestInfo whose hash AlgorithmIdentifier has no NULL (RFC 4055 §2.1)", async () => {
    const set = setOf(...base());
    const digestInfo = sequence(sequence(oid(T.OIDS.sha256)), octetString(createHash("sha256").update(set).digest()));
    const signature = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
    const s = await one(cms(rawSignerInfo(signer, set, signature)));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
    expect(codes(s)).toContain("DIGEST_INFO_PARAMETERS_ABSENT");
  });
  it("a DigestInfo over another hash is not taken for one without NULL", async () => {
    const set = setOf(...base());
    const digestInfo = sequence(sequence(oid(T.OIDS.sha256)), octetString(createHash("sha256").update("other").digest()));
    const s = await one(cms(rawSignerInfo(signer, set, privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo))));
    expect([s.subIndication, s.intact]).toEqual(["SIG_CRYPTO_FAILURE", false]);
  });
  it("an empty unsigned-attributes set is read as none", async () => {
    const s = await one(cms(rawSignerInfo(signer, setOf(...base()), signWith(key, setOf(...base())), { emptyUnsigned: true })));
    expect([s.indication, s.intact]).toEqual(["TOTAL_PASSED", true]);
  });
  it("a signature-policy qualifier written without its SEQUENCE OF", async () => {
    const spUri = sequence(oid("1.2.840.113549.1.9.16.5.1"), ia5String("https://example.invalid/policy.pdf"));
    const policy = sequence(oid("1.3.6.1.4.1.99999.7.1"), sequence(sequence(oid(T.OIDS.sha256)), octetString(Buffer.alloc(32, 1))), spUri);
    const s = await one(signed([...base(), T.attribute(T.OIDS.sigPolicyId, policy)]));
    expect(s.intact).toBe(true);
    expect(s.signaturePolicy?.uri).toBe("https://example.invalid/policy.pdf");
    expect(s.subIndication).not.toBe("FORMAT_FAILURE");
  });
  it("a signature-policy identifier that does not parse is FORMAT_FAILURE, still intact", async () => {
    const s = await one(signed([...base(), T.attribute(T.OIDS.sigPolicyId, sequence(integer(5)))]));
    expect([s.subIndication, s.intact]).toEqual(["FORMAT_FAILURE", true]);
  });
});
