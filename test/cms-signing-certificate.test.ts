// The one IssuerSerial reader and signing-certificate match that CMS signers, RFC 3161 tokens and
// XAdES IssuerSerialV2 share (src/cms/signing-certificate.ts), on a real certificate.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Asn1Error } from "../src/asn1/der.js";
import { explicit, sequence, unsignedInteger } from "../src/asn1/writer.js";
import { certHashMatches, issuerSerialMatches, readIssuerSerial } from "../src/cms/signing-certificate.js";
import { issuerSerial } from "../src/cms/write.js";
import { parseCertificate } from "../src/pki/certificate.js";
import { createHash } from "node:crypto";

const cert = parseCertificate(readFileSync(join(import.meta.dirname, "..", "certs-test", "citizen-p256.der")));
const other = parseCertificate(readFileSync(join(import.meta.dirname, "..", "certs-test", "evil-leaf.der")));

describe("IssuerSerial (RFC 5035) read with the DER reader", () => {
  it("reads what the writer wrote and names exactly that certificate", () => {
    const is = readIssuerSerial(issuerSerial(cert));
    expect(is.serialNumber).toBe(cert.serialNumber);
    expect(issuerSerialMatches(cert, is)).toBe(true);
    expect(issuerSerialMatches(other, is)).toBe(false);
    expect(issuerSerialMatches(cert, null)).toBeNull();
  });

  it("a right serial under another issuer, or GeneralNames without a directoryName, names no certificate", () => {
    const serial = unsignedInteger(Buffer.from(cert.serialNumber, "hex"));
    const foreignIssuer = readIssuerSerial(sequence(sequence(explicit(4, other.subject.der)), serial));
    expect(other.subject.key).not.toBe(cert.issuer.key);
    expect(issuerSerialMatches(cert, foreignIssuer)).toBe(false);
    // [6] uniformResourceIdentifier "x" instead of a directoryName
    const uriOnly = readIssuerSerial(sequence(Buffer.from([0x30, 0x03, 0x86, 0x01, 0x78]), serial));
    expect(issuerSerialMatches(cert, uriOnly)).toBe(false);
  });

  it("truncated or wrongly tagged input is an Asn1Error, not a crash or a match", () => {
    const der = issuerSerial(cert);
    expect(() => readIssuerSerial(der.subarray(0, der.length - 3))).toThrow(Asn1Error);
    expect(() => readIssuerSerial(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow(Asn1Error);
    // a length that claims more than there is (the hand-written reader this replaces read past the end)
    expect(() => readIssuerSerial(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30]))).toThrow(Asn1Error);
  });

  it("matches the certificate digest under the referenced hash only", () => {
    expect(certHashMatches(cert, "sha256", createHash("sha256").update(cert.der).digest())).toBe(true);
    expect(certHashMatches(cert, "sha384", createHash("sha384").update(cert.der).digest())).toBe(true);
    expect(certHashMatches(cert, "sha384", createHash("sha256").update(cert.der).digest())).toBe(false);
    expect(certHashMatches(other, "sha256", createHash("sha256").update(cert.der).digest())).toBe(false);
  });
});
