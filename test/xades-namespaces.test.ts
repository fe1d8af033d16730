/**
 * XAdES 1.1.1 and 1.2.2 (http://uri.etsi.org/01903/v1.1.1#, v1.2.2#; issue 12 item 3), still met
 * in member states' archives: their QualifyingProperties are read as XAdES (level, signing
 * certificate binding, signing time), 1.1.1 with its CertDigest children in its own namespace.
 * xmlsec1 signs the templates.
 */
import { describe, expect } from "vitest";
import { readFileSync } from "node:fs";
import { verifyXades } from "../src/validation/verify-xades.js";
import { parseCertificate } from "../src/pki/certificate.js";
import { nameToString } from "../src/pki/name.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { DS_DECL, RSA_CERT, SHA256_DIGEST, certDigest, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";

const leaf = parseCertificate(readFileSync("certs-test/citizen-rsa2048.der"));
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

function signedWith(ns: string, digestPrefix: "etsi" | "ds"): string {
  const digest = `<${digestPrefix}:DigestMethod Algorithm="${SHA256}"/><${digestPrefix}:DigestValue>${certDigest(RSA_CERT)}</${digestPrefix}:DigestValue>`;
  const qp =
    `<ds:Object><etsi:QualifyingProperties xmlns:etsi="${ns}" Target="#S1"><etsi:SignedProperties Id="SP1"><etsi:SignedSignatureProperties>` +
    `<etsi:SigningTime>2026-05-30T10:00:00Z</etsi:SigningTime><etsi:SigningCertificate><etsi:Cert><etsi:CertDigest>${digest}</etsi:CertDigest>` +
    `<etsi:IssuerSerial><ds:X509IssuerName>${nameToString(leaf.issuer)}</ds:X509IssuerName><ds:X509SerialNumber>${BigInt("0x" + leaf.serialNumber).toString()}</ds:X509SerialNumber></etsi:IssuerSerial>` +
    `</etsi:Cert></etsi:SigningCertificate><etsi:SignaturePolicyIdentifier><etsi:SignaturePolicyImplied/></etsi:SignaturePolicyIdentifier></etsi:SignedSignatureProperties></etsi:SignedProperties></etsi:QualifyingProperties></ds:Object>`;
  const form = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100</z:Сума><ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference><ds:Reference Type="${ns}SignedProperties" URI="#SP1">${SHA256_DIGEST}</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>${qp}</ds:Signature></z:Заявление>`;
  return xmlsecSign(form, { idAttrs: [["Id", `${ns}:SignedProperties`]] });
}

async function verify(xml: string) {
  return (await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: testContext() })).signatures[0]!;
}

const xs = requirePeer("xmlsec1");

describe("legacy XAdES namespaces", () => {
  for (const [version, ns, digestPrefix] of [
    ["1.1.1", "http://uri.etsi.org/01903/v1.1.1#", "etsi"],
    ["1.2.2", "http://uri.etsi.org/01903/v1.2.2#", "ds"],
  ] as const) {
    xs.it(`XAdES ${version}: read as XAdES, the signing certificate bound by its SigningCertificate`, async () => {
      const s = await verify(signedWith(ns, digestPrefix));
      expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true, level: "BES", claimedSigningTime: "2026-05-30T10:00:00.000Z" });
      expect(s.signer!.sha256).toBe(leaf.sha256);
      expect(s.warnings.map((w) => w.code)).toContain(`XADES_${version.replace(/\./g, "_")}`);
      expect(s.warnings.map((w) => w.code)).not.toContain("PLAIN_XMLDSIG");
    });
  }

  xs.it("a changed XAdES 1.1.1 SignedProperties breaks the signature (its typed reference covers it)", async () => {
    const signed = signedWith("http://uri.etsi.org/01903/v1.1.1#", "etsi");
    const changed = signed.replace("2026-05-30T10:00:00Z", "2026-05-20T10:00:00Z");
    expect(changed).not.toBe(signed);
    expect(await verify(changed)).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE", intact: false });
  });
});
