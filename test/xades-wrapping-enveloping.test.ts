/**
 * Signature wrapping in enveloping and detached forms (issue 12 item 1). Each signature is made
 * by xmlsec1 from a template, then hand-edited the way the attacks in the field do it: the signed
 * object moved where XMLDSig puts none and a forged one shown in its place, a reference typed
 * Object that leads elsewhere, an Id that only a look-alike attribute carries, a target inside
 * SignedInfo, the signature's own Id repeated elsewhere. The signature value and digests still
 * verify in every case (intact); what is refused is where the signed bytes were found.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { verifyXades } from "../src/validation/verify-xades.js";
import { signXades } from "./helpers/xades-signer.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { DS_DECL, SHA256_DIGEST, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";
import { createPrivateKey } from "node:crypto";

const ctx = testContext();
const OBJECT = "http://www.w3.org/2000/09/xmldsig#Object";
const EXC = `<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>`;
const KEYINFO = `<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>`;
const FORM = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100</z:Сума></z:Заявление>`;
const FORGED = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100000</z:Сума></z:Заявление>`;

async function verify(xml: string, contents: Array<{ name: string; bytes: Uint8Array }> = []) {
  const r = await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: ctx, contents });
  return r.signatures[0]!;
}

function codes(s: { errors: Array<{ code: string }> }): string[] {
  return s.errors.map((e) => e.code);
}

/** An enveloping signature over ds:Object o1 (typed Object, as DSS and xadesjs write it). */
function enveloping(extraRef = "", objects = `<ds:Object Id="o1">${FORM}</ds:Object>`): string {
  return xmlsecSign(
    `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="${OBJECT}" URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference>${extraRef}</ds:SignedInfo>${KEYINFO}${objects}</ds:Signature>`,
  );
}

const xs = requirePeer("xmlsec1");

describe("wrapping in enveloping signatures", () => {
  xs.it("the untouched signature passes (the edits below are what is refused)", async () => {
    const s = await verify(enveloping());
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
    expect(s.signedData.map((d) => d.ref)).toEqual(["/ds:Signature/ds:Object[1]"]);
  });

  xs.it("the signed ds:Object moved into a wrapper inside another ds:Object, a forged one shown: refused", async () => {
    const signed = enveloping();
    const obj = /<ds:Object Id="o1">.*?<\/ds:Object>/s.exec(signed)![0];
    const wrapped = signed.replace(obj, `<ds:Object Id="shown">${FORGED}</ds:Object><ds:Object><wrapper>${obj}</wrapper></ds:Object>`);
    const s = await verify(wrapped);
    expect(s.intact).toBe(true);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" });
    expect(codes(s)).toContain("REFERENCE_MISPLACED");
  });

  xs.it("a ds:Manifest moved into a wrapper (the fake-manifest trick): refused", async () => {
    const manifest = `<ds:Object><ds:Manifest Id="m1"><ds:Reference URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:Manifest></ds:Object><ds:Object Id="o1">${FORM}</ds:Object>`;
    const signed = xmlsecSign(
      `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="http://www.w3.org/2000/09/xmldsig#Manifest" URI="#m1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}${manifest}</ds:Signature>`,
    );
    expect((await verify(signed)).indication).toBe("TOTAL_PASSED");
    const m = /<ds:Object><ds:Manifest Id="m1">.*?<\/ds:Manifest><\/ds:Object>/s.exec(signed)![0];
    const inner = m.slice("<ds:Object>".length, -"</ds:Object>".length);
    const wrapped = signed.replace(m, `<ds:Object><ds:Manifest Id="shown"/></ds:Object><ds:Object><wrapper><ds:Object>${inner}</ds:Object></wrapper></ds:Object>`);
    const s = await verify(wrapped);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("REFERENCE_MISPLACED");
  });

  xs.it("a ds:Object found through an ID attribute its schema does not have (ID, not Id): refused", async () => {
    const signed = xmlsecSign(
      `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="${OBJECT}" URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}<ds:Object ID="o1">${FORM}</ds:Object></ds:Signature>`,
      { idAttrs: [["ID", "http://www.w3.org/2000/09/xmldsig#:Object"]] },
    );
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("REFERENCE_MISPLACED");
  });

  xs.it("a reference whose target is an element inside SignedInfo: refused", async () => {
    const signed = xmlsecSign(
      `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Id="r1" Type="${OBJECT}" URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference><ds:Reference URI="#r1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}<ds:Object Id="o1">${FORM}</ds:Object></ds:Signature>`,
    );
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(s.errors.find((e) => e.code === "REFERENCE_MISPLACED")!.message).toMatch(/inside a ds:SignedInfo/);
  });

  xs.it('a reference typed Object that leads to something else (the "disable checks" trick): refused', async () => {
    // an enveloped form whose data element is referenced as if it were a ds:Object of the signature
    const signed = xmlsecSign(
      `<Форма><Данни Id="d1">${FORGED}</Данни><ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="${OBJECT}" URI="#d1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}</ds:Signature></Форма>`,
      { idAttrs: [["Id", "Данни"]] },
    );
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(s.errors.find((e) => e.code === "REFERENCE_MISPLACED")!.message).toMatch(/typed Object/);
  });
});

describe("wrapping in detached signatures", () => {
  xs.it("a detached signature whose signed ds:Object is moved into a wrapper: refused", async () => {
    const data = Buffer.from("the detached document\n");
    const template = `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference URI="doc.txt">${SHA256_DIGEST}</ds:Reference><ds:Reference Type="${OBJECT}" URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}<ds:Object Id="o1">${FORM}</ds:Object></ds:Signature>`;
    const signed = xmlsecSign(template, { files: { "doc.txt": data } });
    const contents = [{ name: "doc.txt", bytes: data }];
    expect((await verify(signed, contents)).indication).toBe("TOTAL_PASSED");
    const obj = /<ds:Object Id="o1">.*?<\/ds:Object>/s.exec(signed)![0];
    const s = await verify(signed.replace(obj, `<ds:Object Id="shown">${FORGED}</ds:Object><ds:Object><w>${obj}</w></ds:Object>`), contents);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", intact: true });
    expect(codes(s)).toContain("REFERENCE_MISPLACED");
  });
});

describe("duplicate Ids anywhere in the document", () => {
  const key = createPrivateKey(readFileSync("certs-test/keys/citizen-rsa2048.key.pem"));
  const certs = [readFileSync("certs-test/citizen-rsa2048.der"), readFileSync("certs-test/qualified-ca.der")];
  const form = `<Заявление xmlns="urn:egov:zayavlenie"><Сума>100</Сума></Заявление>`;

  it("the signature's own Id carried by an injected element elsewhere: refused, though nothing references it by that Id", async () => {
    const signed = Buffer.from(signXades({ key, certs, packaging: "enveloped", document: form, id: "Signature-77" })).toString("utf8");
    expect((await verify(signed)).indication).toBe("TOTAL_PASSED");
    // an unsigned ds:Object (left out of the whole-document digest with the signature) carries
    // a look-alike element with the signature's Id: QualifyingProperties' Target would resolve to either
    const injected = signed.replace(/<\/(ds:)?Signature>/, (end) => `<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><Подпис Id="Signature-77"/></ds:Object>${end}`);
    expect(injected).not.toBe(signed);
    const s = await verify(injected);
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" });
    expect(codes(s)).toContain("DUPLICATE_ID");
  });
});
