/**
 * `intact` is a fact about bytes (the contract; issue 12 item 2): the SignatureValue and every
 * signed reference verify ⇒ intact, whatever else fails the signature — a SigningCertificate(V2)
 * naming another certificate or malformed, a signed property that occurs twice. xmlsec1 signs
 * XAdES B-B templates whose signed properties carry each defect, so the bytes verify and only
 * the defect is there to judge.
 */
import { describe, expect } from "vitest";
import { readFileSync } from "node:fs";
import { parseCertificate } from "../src/pki/certificate.js";
import { verifyXades } from "../src/validation/verify-xades.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { issuerRdns, issuerSerialOf, nextSerial } from "./helpers/cms-tools.js";
import { CA_CERT, DS_DECL, RSA_CERT, SHA256_DIGEST, XADES_NS, certDigest, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";

const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
const SP_TYPE = "http://uri.etsi.org/01903#SignedProperties";

/** A B-B enveloped form whose SignedSignatureProperties are `ssp`. */
function signed(ssp: string): string {
  const qp = `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#S1"><xades:SignedProperties Id="SP1"><xades:SignedSignatureProperties>${ssp}</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>`;
  const form = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100</z:Сума><ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference><ds:Reference Type="${SP_TYPE}" URI="#SP1">${SHA256_DIGEST}</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>${qp}</ds:Signature></z:Заявление>`;
  return xmlsecSign(form);
}

const TIME = "<xades:SigningTime>2026-05-30T10:00:00Z</xades:SigningTime>";
function certV2(digest: string, issuerSerial = ""): string {
  return `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${digest}</ds:DigestValue></xades:CertDigest>${issuerSerial}</xades:Cert></xades:SigningCertificateV2>`;
}

async function verify(xml: string) {
  return (await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: testContext() })).signatures[0]!;
}

/** an xades:IssuerSerialV2 of the issuer written as these RDNs, with this serial */
const issuerSerialV2 = (rdns: readonly Buffer[], serialHex: string) => `<xades:IssuerSerialV2>${issuerSerialOf(rdns, serialHex).toString("base64")}</xades:IssuerSerialV2>`;

const codes = (s: { errors: Array<{ code: string }> }) => s.errors.map((e) => e.code);
const xs = requirePeer("xmlsec1");

describe("intact is a fact about bytes", () => {
  xs.it("the well-formed template passes", async () => {
    expect(await verify(signed(TIME + certV2(certDigest(RSA_CERT))))).toMatchObject({ indication: "TOTAL_PASSED", intact: true, level: "B-B" });
  });

  xs.it("SigningCertificateV2 naming another certificate: NO_SIGNING_CERTIFICATE_FOUND, intact", async () => {
    const s = await verify(signed(TIME + certV2(certDigest(CA_CERT))));
    expect(s).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: true });
  });

  xs.it("a CertDigest that is not base64: FORMAT_FAILURE, intact", async () => {
    const s = await verify(signed(TIME + certV2("not*base64")));
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("SIGNING_CERTIFICATE_MALFORMED");
  });

  xs.it("an IssuerSerialV2 that is not base64: FORMAT_FAILURE, intact", async () => {
    const s = await verify(signed(TIME + certV2(certDigest(RSA_CERT), "<xades:IssuerSerialV2>%%%</xades:IssuerSerialV2>")));
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("SIGNING_CERTIFICATE_MALFORMED");
  });

  xs.it("a SigningCertificate (v1) X509SerialNumber that is no integer: FORMAT_FAILURE, intact", async () => {
    const v1 = `<xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${certDigest(RSA_CERT)}</ds:DigestValue></xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName>CN=x</ds:X509IssuerName><ds:X509SerialNumber>12ab</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate>`;
    const s = await verify(signed(TIME + v1));
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
  });

  xs.it("a duplicated SigningTime: FORMAT_FAILURE, intact", async () => {
    const s = await verify(signed(TIME + TIME.replace("10:00", "11:00") + certV2(certDigest(RSA_CERT))));
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("PROPERTY_DUPLICATED");
  });

  xs.it("a duplicated SigningCertificateV2: FORMAT_FAILURE, intact", async () => {
    const c = certV2(certDigest(RSA_CERT));
    const s = await verify(signed(TIME + c + c));
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("PROPERTY_DUPLICATED");
  });

  xs.it("a changed form is not intact, whatever else holds", async () => {
    const s = await verify(signed(TIME + certV2(certDigest(RSA_CERT))).replace(">100<", ">900<"));
    expect(s).toMatchObject({ subIndication: "HASH_FAILURE", intact: false });
  });

  xs.it("IssuerSerialV2 naming the signer, then another serial, then the signer again: each answered on its own bytes (the per-certificate answer cache)", async () => {
    const c = parseCertificate(readFileSync("certs-test/citizen-rsa2048.der"));
    const issuerSerial = (hex: string) => issuerSerialV2(issuerRdns(c), hex);
    const other = nextSerial(c);
    const right = signed(TIME + certV2(certDigest(RSA_CERT), issuerSerial(c.serialNumber)));
    const wrong = signed(TIME + certV2(certDigest(RSA_CERT), issuerSerial(other)));
    for (let round = 0; round < 2; round++) {
      expect(await verify(right)).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
      const w = await verify(wrong);
      expect(w).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: true });
      expect(codes(w)).toContain("ISSUER_SERIAL_MISMATCH");
    }
  });

  xs.it("IssuerSerialV2 writing the issuer's RDNs back to front (DSS's xades-extended-xl.xml does): the signer, with ISSUER_NAME_DIFFERS; with another serial or another RDN it names no one", async () => {
    const c = parseCertificate(readFileSync("certs-test/citizen-rsa2048.der"));
    const rdns = issuerRdns(c);
    expect(rdns.length).toBeGreaterThan(2);
    const issuerSerial = issuerSerialV2;
    const reversed = [...rdns].reverse();
    const other = nextSerial(c);
    // one RDN left out, the rest reversed: not the same RDNs
    const fewer = reversed.slice(1);

    const ok = await verify(signed(TIME + certV2(certDigest(RSA_CERT), issuerSerial(reversed, c.serialNumber))));
    expect(ok).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
    expect(ok.warnings.map((w) => w.code)).toContain("ISSUER_NAME_DIFFERS");
    for (const [n, hex] of [[reversed, other], [fewer, c.serialNumber]] as const) {
      const s = await verify(signed(TIME + certV2(certDigest(RSA_CERT), issuerSerial(n, hex))));
      expect(s).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: true });
      expect(codes(s)).toContain("ISSUER_SERIAL_MISMATCH");
    }
  });
});
