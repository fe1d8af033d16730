/**
 * Malformed CAdES input ends in FORMAT_FAILURE or a clean NotSignedDataError, in bounded time:
 * truncation, wrong tags, lengths past the end, deep nesting, a bag of 10,000 certificates,
 * repeated or contradicting signed attributes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explicit, integer, octetString, oid, sequence, setOf, tlv, utcTime } from "../src/asn1/writer.js";
import { NotSignedDataError, verifyCades } from "../src/validation/verify-cades.js";
import type { ValidationReport } from "../src/validation/report.js";
import * as T from "./helpers/cms-tools.js";
import { testContext } from "./helpers/cades-context.js";

const AT = new Date("2026-06-01T00:00:00Z");
const ctx = testContext();
const fixture = (f: string) => readFileSync(join(T.ROOT, "fixtures", "cades", f));
const good = fixture("rsa2048-cades-attached.p7m");
const content = fixture("content.xml");

async function run(b: Uint8Array): Promise<ValidationReport> {
  const t = performance.now();
  const r = await verifyCades(b, { at: AT, context: ctx });
  // a hang guard (many seconds), not a speed claim: speed is measured in bench/
  expect(performance.now() - t).toBeLessThan(20_000);
  return r;
}
const outcome = (r: ValidationReport) => r.signatures.map((s) => `${s.indication}/${s.subIndication}`);

function ownSigned(attrs: Buffer[], opts: { contentType?: string } = {}): Buffer {
  const c = T.cert("citizen-rsa2048");
  const si = T.makeSignerInfo({ cert: c, key: T.privateKey("citizen-rsa2048"), signedAttrs: attrs });
  return T.makeSignedData({ signerInfos: [si], certificates: [c, T.cert("qualified-ca")], content, ...(opts.contentType ? { contentType: opts.contentType } : {}) });
}
const digest = createHash("sha256").update(content).digest();
const baseAttrs = () => [
  T.attribute(T.OIDS.contentType, oid(T.OIDS.data)),
  T.attribute(T.OIDS.signingTime, utcTime(new Date("2026-02-01T00:00:00Z"))),
  T.attribute(T.OIDS.messageDigest, octetString(digest)),
  T.signingCertificateV2(T.cert("citizen-rsa2048")),
];

describe("not a signature at all → NotSignedDataError (code NOT_A_SIGNATURE)", () => {
  for (const [name, bytes] of [
    ["empty", Buffer.alloc(0)],
    ["text", Buffer.from("hello, this is not CMS")],
    ["an XML form", content],
    ["a certificate", readFileSync(join(T.PKI, "citizen-rsa2048.der"))],
    ["a CRL", readFileSync(join(T.PKI, "crl", "root.crl"))],
    ["ContentInfo of id-data", sequence(oid(T.OIDS.data), explicit(0, octetString(Buffer.from("x"))))],
    ["PEM with broken base64", Buffer.from("-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n")],
  ] as const) {
    it(name, async () => {
      await expect(verifyCades(bytes, { at: AT, context: ctx })).rejects.toMatchObject({ code: "NOT_A_SIGNATURE" });
      await expect(verifyCades(bytes, { at: AT, context: ctx })).rejects.toBeInstanceOf(NotSignedDataError);
    });
  }
});

describe("broken SignedData → TOTAL_FAILED/FORMAT_FAILURE", () => {
  it("truncated anywhere", async () => {
    for (const cut of [20, 60, 500, 2000, good.length - 300, good.length - 1]) {
      expect(outcome(await run(good.subarray(0, cut))), `cut at ${cut}`).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
    }
  });
  it("a length past the end", async () => {
    const b = Buffer.from(good);
    const l = T.layout(b);
    b[l.signedData.start + 2] = 0xff; // SignedData length (long form) now overruns
    expect(outcome(await run(b))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("a wrong tag where SignerInfos belong", async () => {
    const b = Buffer.from(good);
    const l = T.layout(b);
    b[l.fields.at(-1)!.start] = 0x30;
    expect(outcome(await run(b))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("indefinite lengths nested 100,000 deep", async () => {
    const deep = Buffer.concat([Buffer.from([0x30, 0x80]), oid(T.OIDS.signedData), Buffer.from([0xa0, 0x80]), Buffer.alloc(200_000, 0).fill(Buffer.from([0x30, 0x80])), Buffer.alloc(200_004, 0)]);
    const r = await run(deep);
    expect(outcome(r)).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("a certificate bag of 10,000 certificates", async () => {
    const c = Buffer.from(T.cert("qualified-ca").der);
    const bag = tlv(0xa0, ...Array.from({ length: 10_000 }, () => c));
    const si = T.makeSignerInfo({ cert: T.cert("citizen-rsa2048"), key: T.privateKey("citizen-rsa2048"), signedAttrs: baseAttrs() });
    const sd = sequence(integer(1), setOf(sequence(oid(T.OIDS.sha256))), sequence(oid(T.OIDS.data), explicit(0, octetString(content))), bag, setOf(si));
    const r = await run(sequence(oid(T.OIDS.signedData), explicit(0, sd)));
    expect(outcome(r)).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
    expect(r.signatures[0]!.errors[0]!.message).toContain("10000 certificates");
  });
  it("no signer at all (a certificate bag)", async () => {
    const sd = sequence(integer(1), setOf(), sequence(oid(T.OIDS.data)), tlv(0xa0, Buffer.from(T.cert("qualified-ca").der)), setOf());
    expect(outcome(await run(sequence(oid(T.OIDS.signedData), explicit(0, sd))))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
});

describe("signed attributes", () => {
  it("the well-formed baseline passes", async () => {
    expect(outcome(await run(ownSigned(baseAttrs())))).toEqual(["TOTAL_PASSED/null"]);
  });
  it("a repeated signed attribute → FORMAT_FAILURE", async () => {
    const r = await run(ownSigned([...baseAttrs(), T.attribute(T.OIDS.messageDigest, octetString(digest))]));
    expect(outcome(r)).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
    expect(r.signatures[0]!.errors.map((e) => e.code)).toContain("DUPLICATE_SIGNED_ATTRIBUTE");
  });
  it("message-digest with two values → FORMAT_FAILURE", async () => {
    const attrs = baseAttrs();
    attrs[2] = T.attribute(T.OIDS.messageDigest, octetString(digest), octetString(Buffer.alloc(32)));
    expect(outcome(await run(ownSigned(attrs)))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("content-type attribute other than eContentType → FORMAT_FAILURE", async () => {
    const attrs = baseAttrs();
    attrs[0] = T.attribute(T.OIDS.contentType, oid("1.2.840.113549.1.7.5"));
    expect(outcome(await run(ownSigned(attrs)))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("no message-digest → FORMAT_FAILURE", async () => {
    expect(outcome(await run(ownSigned(baseAttrs().filter((_, i) => i !== 2))))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("a message digest over other content → HASH_FAILURE", async () => {
    const attrs = baseAttrs();
    attrs[2] = T.attribute(T.OIDS.messageDigest, octetString(createHash("sha256").update("other").digest()));
    expect(outcome(await run(ownSigned(attrs)))).toEqual(["TOTAL_FAILED/HASH_FAILURE"]);
  });
  it("signing-certificate-v2 naming another certificate (substitution) → NO_SIGNING_CERTIFICATE_FOUND", async () => {
    const attrs = baseAttrs();
    attrs[3] = T.signingCertificateV2(T.cert("evil-leaf"));
    const r = await run(ownSigned(attrs));
    expect(outcome(r)).toEqual(["INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND"]);
    expect(r.signatures[0]!.errors.map((e) => e.code)).toContain("SIGNING_CERTIFICATE_MISMATCH");
  });
  it("signing-certificate-v2 whose issuer has the signer's RDNs back to front → the signer, ISSUER_NAME_DIFFERS; another serial or other RDNs → NO_SIGNING_CERTIFICATE_FOUND", async () => {
    const c = T.cert("citizen-rsa2048");
    const rdns = T.issuerRdns(c);
    expect(rdns.length).toBeGreaterThan(2);
    const ess = (name: Buffer[], serialHex: string) => T.attribute(T.OIDS.signingCertificateV2, sequence(sequence(sequence(octetString(Buffer.from(c.sha256, "hex")), T.issuerSerialOf(name, serialHex)))));
    const withEss = (a: Buffer) => {
      const attrs = baseAttrs();
      attrs[3] = a;
      return ownSigned(attrs);
    };
    const reversed = [...rdns].reverse();
    const ok = await run(withEss(ess(reversed, c.serialNumber)));
    expect(outcome(ok)).toEqual(["TOTAL_PASSED/null"]);
    expect(ok.signatures[0]!.warnings.map((w) => w.code)).toContain("ISSUER_NAME_DIFFERS");
    const other = T.nextSerial(c);
    for (const a of [ess(reversed, other), ess(reversed.slice(1), c.serialNumber)]) {
      const r = await run(withEss(a));
      expect(outcome(r)).toEqual(["INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND"]);
      expect(r.signatures[0]!.errors.map((e) => e.code)).toContain("SIGNING_CERTIFICATE_MISMATCH");
    }
  });
  it("a signed attribute that does not parse → FORMAT_FAILURE", async () => {
    const attrs = baseAttrs();
    attrs[1] = T.attribute(T.OIDS.signingTime, Buffer.from([0x17, 0x03, 0x31, 0x32, 0x33]));
    expect(outcome(await run(ownSigned(attrs)))).toEqual(["TOTAL_FAILED/FORMAT_FAILURE"]);
  });
  it("countersignatures nested deeper than 4 are reported, not followed", async () => {
    let p7: Buffer = ownSigned(baseAttrs());
    // each level countersigns the previous countersignature's signature value
    const l = T.layout(p7);
    const s0 = T.signerLayout(p7, l.signerInfos[0]!);
    let value = Buffer.from(p7.subarray(s0.signature.cs, s0.signature.ce));
    let inner: Buffer | null = null;
    for (let depth = 0; depth < 6; depth++) {
      const c = T.cert("seal-rsa2048");
      const si = T.makeSignerInfo({ cert: c, key: T.privateKey("seal-rsa2048"), contentType: null, contentDigest: createHash("sha256").update(value).digest(), unsignedAttrs: inner ? [T.attribute(T.OIDS.counterSignature, inner)] : [] });
      inner = si;
      value = Buffer.alloc(0);
    }
    p7 = T.addUnsignedAttributes(p7, 0, [T.attribute(T.OIDS.counterSignature, inner!)]);
    const r = await run(p7);
    expect(r.signatures.length).toBe(5);
    expect(r.signatures.flatMap((s) => s.warnings.map((w) => w.code))).toContain("COUNTERSIGNATURES_TOO_DEEP");
  });
});
