/**
 * XPath Filter 2.0 transforms (http://www.w3.org/2002/06/xmldsig-filter2; issue 12 item 3), as
 * Belgian, Austrian and other member states' XAdES use them: the document less its signatures
 * (subtract), one element (intersect), an element's content (intersect `id('x')/node()`), and
 * their combination. xmlsec1 digests each reference itself (libxml2's XPath), so a match is its
 * reading and podpis's agreeing; an XPath that would visit too many nodes ends with the budget.
 */
import { describe, expect } from "vitest";
import { verifyXades } from "../src/validation/verify-xades.js";
import { LimitExceededError } from "../src/limits/budgets.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { DS_DECL, SHA256_DIGEST, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";

const ctx = testContext();
const F2 = "http://www.w3.org/2002/06/xmldsig-filter2";
const KEYINFO = `<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>`;
const EXC_T = `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`;

function filter(...steps: Array<[string, string]>): string {
  const xp = steps.map(([f, e]) => `<f2:XPath xmlns:f2="${F2}" Filter="${f}">${e}</f2:XPath>`).join("");
  return `<ds:Transform Algorithm="${F2}">${xp}</ds:Transform>`;
}

/** An enveloped form signed over URI="" through the given filter steps. */
function signedForm(steps: Array<[string, string]>, body = `<z:Данни Id="d1"><z:Сума>100</z:Сума><z:Бележка>чернова</z:Бележка></z:Данни><z:Подател>Иван</z:Подател>`): string {
  return xmlsecSign(
    `<z:Заявление xmlns:z="urn:egov:zayavlenie">${body}<ds:Signature ${DS_DECL}>${signedInfoStart()}<ds:Reference URI=""><ds:Transforms>${filter(...steps)}${EXC_T}</ds:Transforms>${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}</ds:Signature></z:Заявление>`,
    { idAttrs: [["Id", "urn:egov:zayavlenie:Данни"]] },
  );
}

async function verify(xml: string) {
  return (await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: ctx })).signatures[0]!;
}

const xs = requirePeer("xmlsec1");

describe("XPath Filter 2.0", () => {
  xs.it("subtract /descendant::ds:Signature: the whole form less the signature", async () => {
    const signed = signedForm([["subtract", "/descendant::ds:Signature"]]);
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true, coversWholeDocument: true });
    expect(s.signedData).toEqual([{ kind: "whole-document", ref: "/", sha256: expect.any(String) }]);
    expect((await verify(signed.replace("Иван", "Петър"))).subIndication).toBe("HASH_FAILURE");
  });

  xs.it("the name() test form of the same filter (as a Belgian producer writes it)", async () => {
    const s = await verify(signedForm([["subtract", "/descendant::*[name()='ds:Signature']"]]));
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
  });

  xs.it("intersect one element, then subtract a part of it: what is left out may change, the rest may not", async () => {
    const signed = signedForm([
      ["intersect", "//*[@Id='d1']"],
      ["subtract", "//z:Бележка"],
    ]);
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true, coversWholeDocument: false });
    expect(s.signedData[0]!.ref).toBe("/z:Заявление/z:Данни[1]");
    expect((await verify(signed.replace("чернова", "окончателно"))).indication).toBe("TOTAL_PASSED");
    expect((await verify(signed.replace("Иван", "Петър"))).indication).toBe("TOTAL_PASSED");
    expect((await verify(signed.replace(">100<", ">100000<"))).subIndication).toBe("HASH_FAILURE");
  });

  xs.it("intersect id('d1')/node(): the element's content without its own tags", async () => {
    const signed = signedForm([["intersect", "id('d1')/node()"]]);
    const s = await verify(signed);
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
    expect(s.signedData[0]!.ref).toBe("/z:Заявление/z:Данни[1]/node()");
    expect((await verify(signed.replace("чернова", "окончателно"))).subIndication).toBe("HASH_FAILURE");
  });

  xs.it("a union that adds nodes back is refused as unsupported, not approximated", async () => {
    const s = await verify(
      signedForm([
        ["subtract", "//z:Данни"],
        ["union", "//z:Сума"],
      ]),
    );
    expect(s).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE" });
    expect(s.errors.map((e) => e.message).join(" ")).toMatch(/union/);
  });

  xs.it("an XPath that would visit nodes without end stops at the node budget", async () => {
    // 200 nested elements (within the parser's depth limit): //*//*//* visits each subtree once per ancestor
    const deep = "<z:e>".repeat(200) + "x" + "</z:e>".repeat(200);
    const signed = signedForm([["subtract", "//*//*//*[local-name()='nothing']"]], deep);
    const err = await verify(signed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as LimitExceededError).message).toMatch(/XPath/);
  });
});
