/**
 * ds:Manifest (XMLDSig §5.1; issue 12 item 1): a signature that signs a manifest signs what the
 * manifest lists only as far as the manifest's own references verify. Those are verified under
 * the same reference and digest budgets; the ones that do not verify are reported and never
 * listed in signedData, and a signature that signs nothing else is then not passed. The
 * signatures are made by xmlsec1, which digests manifest references itself.
 */
import { describe, expect } from "vitest";
import { verifyXades } from "../src/validation/verify-xades.js";
import { TEST_TIME, testContext } from "./helpers/xades-context.js";
import { requirePeer } from "./helpers/peers.js";
import { DS_DECL, SHA256_DIGEST, signedInfoStart, xmlsecSign } from "./helpers/xmlsec-template.js";
import { LimitExceededError } from "../src/limits/budgets.js";

const ctx = testContext();
const MANIFEST = "http://www.w3.org/2000/09/xmldsig#Manifest";
const EXC = `<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>`;
const KEYINFO = `<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>`;
const attachment = Buffer.from("%PDF-1.4 the attachment the manifest lists\n");
const form = `<z:Заявление xmlns:z="urn:egov:zayavlenie"><z:Сума>100</z:Сума></z:Заявление>`;

/** An enveloping signature whose only data reference is a ds:Manifest listing a file and an object. */
function signedManifest(): string {
  const manifest = `<ds:Object><ds:Manifest Id="m1"><ds:Reference URI="attachment.pdf">${SHA256_DIGEST}</ds:Reference><ds:Reference URI="#o1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:Manifest></ds:Object>`;
  return xmlsecSign(
    `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="${MANIFEST}" URI="#m1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}${manifest}<ds:Object Id="o1">${form}</ds:Object></ds:Signature>`,
    { files: { "attachment.pdf": attachment } },
  );
}

async function verify(xml: string, contents: Array<{ name: string; bytes: Uint8Array }>, budget?: { xmlReferences?: number }) {
  const r = await verifyXades(Buffer.from(xml), { at: TEST_TIME, context: ctx, contents, budget });
  return r.signatures[0]!;
}

const xs = requirePeer("xmlsec1");

describe("ds:Manifest references", () => {
  xs.it("verified manifest references are the signed content; the manifest itself is not", async () => {
    const s = await verify(signedManifest(), [{ name: "attachment.pdf", bytes: attachment }]);
    expect(s).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
    expect(s.signedData).toEqual([
      { kind: "detached", ref: "attachment.pdf", sha256: expect.any(String) },
      { kind: "element", ref: "/ds:Signature/ds:Object[2]", sha256: expect.any(String) },
    ]);
  });

  xs.it("a manifest entry whose data is not supplied is reported as not verified and not listed as signed", async () => {
    const s = await verify(signedManifest(), []);
    expect(s.intact).toBe(true);
    expect(s.signedData.map((d) => d.ref)).toEqual(["/ds:Signature/ds:Object[2]"]);
    expect(s.signedData.some((d) => d.ref.includes("Manifest"))).toBe(false);
    expect(s.warnings.map((w) => w.code)).toContain("MANIFEST_REFERENCE_NOT_VERIFIED");
  });

  xs.it("a manifest entry that does not match is not signed content; a manifest that lists nothing verifiable signs nothing", async () => {
    const onlyFile = xmlsecSign(
      `<ds:Signature ${DS_DECL} Id="S1">${signedInfoStart()}<ds:Reference Type="${MANIFEST}" URI="#m1">${EXC}${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>${KEYINFO}<ds:Object><ds:Manifest Id="m1"><ds:Reference URI="attachment.pdf">${SHA256_DIGEST}</ds:Reference></ds:Manifest></ds:Object></ds:Signature>`,
      { files: { "attachment.pdf": attachment } },
    );
    const changed = await verify(onlyFile, [{ name: "attachment.pdf", bytes: Buffer.from("%PDF-1.4 another attachment\n") }]);
    expect(changed).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE", signedData: [] });
    expect(changed.errors.map((e) => e.code)).toContain("MANIFEST_DIGEST_MISMATCH");
    const missing = await verify(onlyFile, []);
    expect(missing).toMatchObject({ indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND", signedData: [], intact: true });
  });

  xs.it("manifest references count against the reference budget", async () => {
    await expect(verify(signedManifest(), [{ name: "attachment.pdf", bytes: attachment }], { xmlReferences: 2 })).rejects.toBeInstanceOf(LimitExceededError);
  });
});
