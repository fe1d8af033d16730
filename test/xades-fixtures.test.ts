/**
 * Verdicts of the XAdES fixtures (fixtures/xades/MANIFEST.json), xmlsec1 interop both ways, and
 * for every fixture a verdict podpis did not compute: the second XMLDSig implementation in
 * helpers/xmldsig-check.ts (libxml2 canonicalization + node:crypto), which also covers RSA-PSS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkXadesDocument } from "../src/xades/check.js";
import { requirePeer } from "./helpers/peers.js";
import { run } from "./helpers/xml-tools.js";
import { independentXmldsigCheck, type IndependentSignature } from "./helpers/xmldsig-check.js";

interface Expectation {
  file: string;
  verdict: string;
  subIndication: string | null;
  coversWholeDocument: boolean;
  level?: string;
  content?: string;
  xmlsec?: boolean;
  note: string;
}

const dir = "fixtures/xades";
const manifest = JSON.parse(readFileSync(join(dir, "MANIFEST.json"), "utf8")) as Expectation[];
const xmlsec = requirePeer("xmlsec1");
const xmllint = requirePeer("xmllint");

/**
 * What the independent check finds, per signature: each reference's outcome, whether the
 * SignatureValue verifies, and whether SigningCertificate(V2) names the KeyInfo certificate
 * ("-": no XAdES). Written down by hand from what each fixture is meant to be.
 */
const INDEPENDENT: Record<string, string[]> = {
  "zayavlenie-enveloped-rsa.xml": ["match,match valid cert"],
  "zayavlenie-enveloped-exc.xml": ["match,match valid cert"],
  "zayavlenie-enveloping-p256.xml": ["match,match valid cert"],
  "prilozhenie-detached.xml": ["match,match valid cert"],
  "zayavlenie-epes-v1.xml": ["match,match valid cert"],
  "zayavlenie-pss.xml": ["match,match valid cert"],
  "zayavlenie-c14n11-rsa3072.xml": ["match,match valid cert"],
  "zayavlenie-plain-xmldsig.xml": ["match valid -"],
  "zayavlenie-two-signatures.xml": ["match,match valid cert", "match,match valid cert"],
  "tampered-text.xml": ["mismatch,match valid cert"],
  "tampered-attribute.xml": ["mismatch,match valid cert"],
  "tampered-whitespace.xml": ["mismatch,match valid cert"],
  "tampered-signingtime.xml": ["match,mismatch valid cert"],
  "tampered-signaturevalue.xml": ["match,match INVALID cert"],
  "comment-added.xml": ["match,match valid cert"],
  "xsw-duplicate-id.xml": ["ambiguous,match valid cert"],
  "element-reference.xml": ["match,match valid cert"],
  // cryptographically sound: what makes it fail is that the signed element is not what the form shows
  "xsw-moved-element.xml": ["match,match valid cert"],
  "second-signature-untrusted.xml": ["match,match valid cert", "match,match valid cert"],
  "fresh-key-bound-cert.xml": ["match,match INVALID cert"],
  "signing-certificate-mismatch.xml": ["match,match valid OTHER-CERT"],
  "external-reference.xml": ["unresolved,match valid cert"],
  "xmlsec-enveloped-rsa-c14n.xml": ["match valid -"],
  "xmlsec-enveloped-p256-exc.xml": ["match valid -"],
  "xmlsec-enveloping-rsa.xml": ["match valid -"],
  "xmlsec-detached-p256.xml": ["match valid -"],
};

const summary = (s: IndependentSignature): string =>
  `${s.references.join(",")} ${s.signatureValid ? "valid" : "INVALID"} ${s.signingCertificateMatches === null ? "-" : s.signingCertificateMatches ? "cert" : "OTHER-CERT"}`;

function contentsFor(e: Expectation) {
  return e.content ? [{ name: e.content, bytes: readFileSync(join(dir, e.content)) }] : [];
}

describe("XAdES fixtures: format, binding and cryptographic verdicts", () => {
  it("the manifest lists the 26 fixtures, and each has an independent expectation", () => {
    expect(manifest.map((e) => e.file).sort()).toEqual(Object.keys(INDEPENDENT).sort());
    expect(manifest).toHaveLength(26);
  });

  for (const e of manifest) {
    it(`${e.file}: ${e.note}`, () => {
      const r = checkXadesDocument(readFileSync(join(dir, e.file)), { contents: contentsFor(e) });
      expect(r.formatError).toBeNull();
      expect(r.signatures).toHaveLength(INDEPENDENT[e.file]!.length);
      const worst = r.signatures.find((s) => s.verdict.indication !== "TOTAL_PASSED") ?? r.signatures[0]!;
      expect({ indication: worst.verdict.indication, subIndication: worst.verdict.subIndication }).toEqual({ indication: e.verdict, subIndication: e.subIndication });
      expect(r.coversWholeDocument).toBe(e.coversWholeDocument);
      if (e.level) expect(r.signatures[0]!.level).toBe(e.level);
      if (e.verdict === "TOTAL_PASSED") expect(r.signatures.every((s) => s.intact)).toBe(true);
    });
  }

  it("reports what each signature covers", () => {
    const moved = checkXadesDocument(readFileSync(join(dir, "xsw-moved-element.xml")));
    expect(moved.signatures[0]!.signedData).toEqual([{ kind: "element", ref: "/Заявление/ds:Signature[1]/ds:Object[2]/Данни[1]", sha256: expect.any(String) }]);
    const whole = checkXadesDocument(readFileSync(join(dir, "zayavlenie-enveloped-rsa.xml")));
    expect(whole.signatures[0]!.signedData.map((d) => d.kind)).toEqual(["whole-document"]);
    const det = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")), { contents: [{ name: "prilozhenie.pdf", bytes: readFileSync(join(dir, "prilozhenie.pdf")) }] });
    expect(det.packaging).toBe("detached");
    expect(det.signatures[0]!.signedData[0]).toMatchObject({ kind: "detached", ref: "prilozhenie.pdf" });
  });

  it("a detached signature without its content is INDETERMINATE / SIGNED_DATA_NOT_FOUND", () => {
    const r = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")));
    expect(r.signatures[0]!.verdict).toEqual({ indication: "INDETERMINATE", subIndication: "SIGNED_DATA_NOT_FOUND" });
  });

  it("detached content given without a name is matched to the single external reference", () => {
    const r = checkXadesDocument(readFileSync(join(dir, "prilozhenie-detached.xml")), { contents: [{ bytes: readFileSync(join(dir, "prilozhenie.pdf")) }] });
    expect(r.signatures[0]!.verdict.indication).toBe("TOTAL_PASSED");
    expect(r.coversWholeDocument).toBe(true);
  });
});

xmllint.describe("a second XMLDSig implementation (libxml2 c14n + node:crypto) agrees", () => {
  for (const e of manifest) {
    it(`${e.file}: ${INDEPENDENT[e.file]?.join(" | ")}`, () => {
      const files = e.content ? { [e.content]: readFileSync(join(dir, e.content)) } : {};
      expect(independentXmldsigCheck(readFileSync(join(dir, e.file)), files).map(summary)).toEqual(INDEPENDENT[e.file]);
    });
  }

  it("the RSA-PSS fixture really is RSASSA-PSS (RFC 6931 sha256-rsa-MGF1), which xmlsec1 cannot check", () => {
    expect(readFileSync(join(dir, "zayavlenie-pss.xml"), "utf8")).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"/>');
  });
});

xmlsec.describe("xmlsec1 agrees", () => {
  const pki = "../../certs-test";
  const args = (file: string) => [
    "--verify",
    "--trusted-pem", join(pki, "root-ca.pem"),
    "--untrusted-pem", join(pki, "qualified-ca.pem"),
    "--untrusted-pem", join(pki, "seal-ca.pem"),
    "--id-attr:Id", "SignedProperties",
    "--id-attr:Id", "Object",
    "--id-attr:Id", "urn:podpis:test:form:Данни",
    "--verification-time", "2026-06-01+00:00:00",
    file,
  ];
  const rejects = (e: Expectation) => e.verdict === "TOTAL_FAILED" && (e.subIndication === "HASH_FAILURE" || e.subIndication === "SIG_CRYPTO_FAILURE");
  it("checks 13 fixtures it must accept and 6 it must reject", () => {
    expect([manifest.filter((e) => e.xmlsec).length, manifest.filter(rejects).length]).toEqual([13, 6]);
  });
  for (const e of manifest) {
    if (e.xmlsec) {
      it(`xmlsec1 --verify accepts ${e.file}`, () => {
        const r = run("xmlsec1", args(e.file), undefined, dir);
        expect(r.status, r.stderr).toBe(0);
      });
    }
    if (rejects(e)) {
      it(`xmlsec1 --verify rejects ${e.file}`, () => {
        expect(run("xmlsec1", args(e.file), undefined, dir).status).not.toBe(0);
      });
    }
  }
});
