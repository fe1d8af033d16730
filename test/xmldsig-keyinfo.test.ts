/**
 * Plain XMLDSig whose KeyInfo carries no certificate (issue 12 item 3): a bare RSA or EC key
 * (KeyValue) says whether the bytes are intact but binds no one (NO_SIGNING_CERTIFICATE_FOUND,
 * intact true); an X509IssuerSerial naming a certificate the validator knows (--untrusted) finds
 * the signer and its chain. xmlsec1 signs; the EC KeyValue (which this xmlsec1 does not write)
 * is added by hand after SignatureValue, where it is not signed.
 */
import { describe, expect } from "vitest";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { verifyXades } from "../src/validation/verify-xades.js";
import { parseCertificate } from "../src/pki/certificate.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { DS_DECL, P256_CERT, P256_KEY, RSA_CERT, RSA_KEY, SHA256_DIGEST, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";

const FORM = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100</z:Сума></z:Заявление>`;
const ENVELOPED = `<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>`;

function template(keyInfo: string, ec = false): string {
  return FORM.replace(
    "</z:Заявление>",
    `<ds:Signature ${DS_DECL}>${signedInfoStart(ec)}<ds:Reference URI="">${ENVELOPED}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo><ds:SignatureValue/>${keyInfo}</ds:Signature></z:Заявление>`,
  );
}

async function verify(xml: string, untrusted: Buffer[] = []) {
  const ctx = testContext();
  ctx.untrusted = untrusted.map((d) => parseCertificate(d));
  return (await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: ctx })).signatures[0]!;
}

const xs = requirePeer("xmlsec1");

describe("XMLDSig with the key in KeyInfo", () => {
  xs.it("RSAKeyValue: intact from the key, no certificate binds it", async () => {
    const signed = xmlsecSign(template("<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>"), { key: RSA_KEY, certs: [] });
    expect(signed).toContain("RSAKeyValue");
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: true, signer: null });
    expect(s.signedData.map((d) => d.kind)).toEqual(["whole-document"]);
    expect(await verify(signed.replace(">100<", ">900<"))).toMatchObject({ subIndication: "HASH_FAILURE", intact: false });
    const sv = /<ds:SignatureValue>([^<]+)</.exec(signed)![1]!;
    const flipped = (sv[10] === "A" ? "B" : "A") + sv.slice(11);
    expect(await verify(signed.replace(sv, sv.slice(0, 10) + flipped))).toMatchObject({ subIndication: "SIG_CRYPTO_FAILURE", intact: false });
  });

  xs.it("dsig11:ECKeyValue (P-256): intact from the key", async () => {
    const signed = xmlsecSign(template("", true), { key: P256_KEY, certs: [] });
    const jwk = createPublicKey(readFileSync(P256_CERT)).export({ format: "jwk" });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]).toString("base64");
    const keyInfo = `<ds:KeyInfo><ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11="http://www.w3.org/2009/xmldsig11#"><dsig11:NamedCurve URI="urn:oid:1.2.840.10045.3.1.7"/><dsig11:PublicKey>${point}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue></ds:KeyInfo>`;
    const withKey = signed.replace("</ds:SignatureValue>", `</ds:SignatureValue>${keyInfo}`);
    expect(await verify(withKey)).toMatchObject({ subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: true });
  });

  xs.it("X509IssuerSerial of a certificate given as untrusted: the signer and its chain are found", async () => {
    const signed = xmlsecSign(template("<ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial/></ds:X509Data></ds:KeyInfo>"), { key: RSA_KEY, certs: [RSA_CERT] });
    expect(signed).not.toContain("X509Certificate");
    const leaf = readFileSync("certs-test/citizen-rsa2048.der");
    const ca = readFileSync("certs-test/qualified-ca.der");
    const s = await verify(signed, [leaf, ca]);
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
    expect(s.signer!.sha256).toBe(parseCertificate(leaf).sha256);
    // without it: no certificate, and no key to say anything about the bytes
    expect(await verify(signed)).toMatchObject({ subIndication: "NO_SIGNING_CERTIFICATE_FOUND", intact: false });
  });
});
