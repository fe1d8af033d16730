/**
 * What hostile XML may cost (issue 11 items 2, 4, 8): the node cap stops the parse where it is
 * reached, references are capped and charged before their work, a bad signature value ends the
 * work before any reference is digested, an abort signal stops it, and UTF-16 XML is XML.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DEFAULT_VALIDATION_BUDGET, LimitExceededError } from "../src/limits/budgets.js";
import { createValidator } from "../src/validator.js";
import { checkXadesDocument } from "../src/xades/check.js";
import { DigestMeter, findSignatures, parseSignature, processReferences } from "../src/xades/xmldsig.js";
import { DEFAULT_LIMITS, XmlLimitError, parseXml } from "../src/xades/xml.js";
import { heirsCertificateApplication } from "./helpers/forms.js";
import { signXades } from "./helpers/xades-signer.js";
import { requirePeer } from "./helpers/peers.js";
import { run } from "./helpers/xml-tools.js";

const PKI = "certs-test";
const AT = new Date("2026-06-01T00:00:00Z");
const validator = () =>
  createValidator({
    trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
    crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
    offline: true,
  });

const base = readFileSync("fixtures/xades/zayavlenie-enveloped-rsa.xml", "utf8");
/** The fixture with its whole-document reference repeated n times in all (zero digests would do too: nothing may get that far). */
const withReferences = (n: number, xml = base) => xml.replace(/(<ds:Reference Id="Signature-1-ref0"[\s\S]*?<\/ds:Reference>)/, (m) => m.repeat(n));
/** A signature value that no key verifies (one base64 character changed). */
const badValue = (xml: string) => xml.replace(/(<ds:SignatureValue[^>]*>)(.)/, (_m, tag: string, c: string) => tag + (c === "A" ? "B" : "A"));
const limitOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof LimitExceededError) return { limit: e.limit, max: e.max, used: e.used };
    throw e;
  }
  return null;
};

describe("XML nodes are counted while parsing (issue 11 item 4)", () => {
  const refusal = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return null;
  };

  it("the parse stops at the cap, naming it, whatever follows", () => {
    // short for its cap (no pre-scan): the parser counts and stops at the first node over it
    const err = refusal(() => parseXml(Buffer.from("<r>" + "<a/>".repeat(1_000) + "</r>"), { maxNodes: 1_000 }));
    expect(err).toBeInstanceOf(XmlLimitError);
    expect(err).toMatchObject({ code: "XML_LIMIT_EXCEEDED", limit: "xmlNodes", max: 1_000, used: 1_001 });
  });

  it("a document far over the cap is refused by a scan, before a single node is made", () => {
    const err = refusal(() => parseXml(Buffer.from("<r>" + "<a/>x".repeat(50_000) + "</r>"), { maxNodes: 1_000 }));
    // the scan's count is a lower bound of the nodes: here exact (50,000 elements, 50,000 texts, the root)
    expect(err).toMatchObject({ limit: "xmlNodes", max: 1_000, used: 100_001 });
  });

  it("the scan does not count what comments, CDATA and processing instructions hold", () => {
    const inside = "<b/>".repeat(5_000);
    const doc = `<?xml version="1.0"?><r><!--${inside}--><![CDATA[${inside}]]><?pi ${inside}?><a/></r>`;
    // 60,000+ octets for a cap of 10 nodes: scanned; five nodes in truth (comment, CDATA text, PI, a, r)
    const d = parseXml(doc, { maxNodes: 10 });
    expect(d.nodeCount).toBe(5);
  });

  it("a validation over the node budget is refused with LimitExceededError xmlNodes, not read as 'no signature'", async () => {
    const v = await validator();
    const doc = Buffer.from(base.replace("</Заявление>", "<x/>".repeat(5_000) + "</Заявление>"));
    await expect(v.verify(doc, { at: AT, budget: { xmlNodes: 2_000 } })).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", limit: "xmlNodes", max: 2_000, used: expect.any(Number) });
    // the same document within the budget is read (its signature no longer matches: HASH_FAILURE, not a refusal)
    expect((await v.verify(doc, { at: AT })).indication).toBe("TOTAL_FAILED");
  });

  it("the default node cap is the budget's", () => {
    expect(DEFAULT_LIMITS.maxNodes).toBe(DEFAULT_VALIDATION_BUDGET.xmlNodes);
    expect(DEFAULT_VALIDATION_BUDGET.xmlNodes).toBeGreaterThan(200_000); // a 5 MB form has ~200,000 nodes
  });
});

describe("references: cheap checks first, budget charged before work (issue 11 item 2)", () => {
  it("10,000 references are refused by count before any is read", async () => {
    // (the repeated whole-document reference, and the SignedProperties one)
    const doc = Buffer.from(withReferences(9_999));
    expect(limitOf(() => checkXadesDocument(doc))).toEqual({ limit: "xmlReferences", max: DEFAULT_VALIDATION_BUDGET.xmlReferences, used: 10_000 });
    const v = await validator();
    await expect(v.verify(doc, { at: AT, budget: { xmlReferences: 100 } })).rejects.toMatchObject({ limit: "xmlReferences", max: 100, used: 10_000 });
  });

  it("a signature value no key verifies ends the work: no reference is digested", () => {
    const r = checkXadesDocument(Buffer.from(badValue(withReferences(500))));
    const s = r.signatures[0]!;
    expect(s.verdict).toEqual({ indication: "TOTAL_FAILED", subIndication: "SIG_CRYPTO_FAILURE" });
    expect(s.signatureIntact).toBe(false);
    expect(s.references).toHaveLength(0);
  });

  it("without any key, no reference is digested", () => {
    const r = checkXadesDocument(Buffer.from(withReferences(500).replace(/<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/, "")));
    const s = r.signatures[0]!;
    expect(s.verdict).toEqual({ indication: "INDETERMINATE", subIndication: "NO_SIGNING_CERTIFICATE_FOUND" });
    expect(s.references).toHaveLength(0);
  });

  it("only the named signers count (a receipt: this service's seal): another's signature costs no reference work", () => {
    const r = checkXadesDocument(Buffer.from(withReferences(50)), { signers: ["00".repeat(32)] });
    const s = r.signatures[0]!;
    expect(s.verdict.subIndication).toBe("NO_SIGNING_CERTIFICATE_FOUND");
    expect(s.signingCertificate).toBe(null);
    expect(s.references).toHaveLength(0);
  });

  it("the digest budget is charged before each reference by its size: over it, a LimitExceededError and no partial answer", () => {
    const doc = Buffer.from(base);
    const size = doc.length;
    // the whole-document reference alone costs about the document's size: a budget of half of it is spent before any work
    expect(limitOf(() => checkXadesDocument(doc, { maxDigestBytes: size >> 1 }))).toMatchObject({ limit: "digestBytes", max: size >> 1 });
    expect(checkXadesDocument(doc, { maxDigestBytes: 4 * size }).signatures[0]!.verdict.indication).toBe("TOTAL_PASSED");
  });

  it("an aborted verification stops with the signal's reason", async () => {
    const v = await validator();
    const c = new AbortController();
    const reason = new Error("client gone");
    c.abort(reason);
    await expect(v.verify(Buffer.from(base), { at: AT, signal: c.signal })).rejects.toBe(reason);
  });

  it("the not(ancestor-or-self::ds:Signature) XPath finds the signatures once per document, charged to the budget", () => {
    const key = createPrivateKey(readFileSync(join(PKI, "keys", "citizen-rsa2048.key.pem")));
    const certs = [readFileSync(join(PKI, "citizen-rsa2048.der")), readFileSync(join(PKI, "qualified-ca.der"))];
    const form = heirsCertificateApplication(4);
    const xml = signXades({ key, certs, packaging: "enveloped", document: form, excludeAllSignatures: true });
    const n = 50;
    // the same reference n times, and once more as #xpointer(/) (other octets: comments kept)
    const many = xml.replace(/(<ds:Reference[^>]*URI=""[\s\S]*?<\/ds:Reference>)/, (m) => m.repeat(n) + m.replace('URI=""', 'URI="#xpointer(/)"'));
    expect(many).toContain("ancestor-or-self");
    const doc = parseXml(many);
    const sig = parseSignature(findSignatures(doc)[0]!);
    const meter = new DigestMeter(1 << 30);
    const out = processReferences(doc, sig, [], meter);
    expect(out.filter((o) => o.excludesAllSignatures)).toHaveLength(n + 1);
    // the n identical references are one canonicalization, the xpointer one another; one walk over the elements
    const perReference = doc.source.length;
    expect(meter.used).toBeGreaterThanOrEqual(doc.elementCount + 2 * (perReference >> 1));
    expect(meter.used).toBeLessThan(2 * doc.elementCount + 4 * perReference);
    // and every one of them is answered for itself
    expect(new Set(out.map((o) => o.sha256)).size).toBe(2);
  });
});

describe("UTF-16 XML signatures (issue 11 item 8)", () => {
  requirePeer("xmlsec1", "iconv").it("a UTF-16 (with BOM) copy of an xmlsec1-verified XAdES is validated as XAdES, not taken for CMS", async () => {
    const file = "fixtures/xades/zayavlenie-enveloped-rsa.xml";
    // the UTF-8 original is one an outside implementation accepts
    const xs = run("xmlsec1", ["--verify", "--trusted-pem", join(PKI, "root-ca.pem"), "--untrusted-pem", join(PKI, "qualified-ca.pem"), "--id-attr:Id", "SignedProperties", "--verification-time", "2026-06-01+00:00:00", file]);
    expect(xs.status, xs.stderr).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "podpis-utf16-"));
    for (const [enc, bom] of [["UTF-16", null], ["UTF-16BE", [0xfe, 0xff]], ["UTF-16LE", [0xff, 0xfe]]] as const) {
      const conv = run("iconv", ["-f", "UTF-8", "-t", enc, file]);
      expect(conv.status, conv.stderr).toBe(0);
      // iconv writes a BOM for "UTF-16" only; the explicit forms get theirs here
      const bytes = bom ? Buffer.concat([Buffer.from(bom), conv.stdout]) : conv.stdout;
      expect(bytes[0] === 0xff || bytes[0] === 0xfe).toBe(true);
      writeFileSync(join(dir, `utf16-${enc}.xml`), bytes);
      const report = await (await validator()).verify(bytes, { at: AT });
      expect(report.document.format, enc).toBe("XAdES");
      expect(report.indication, enc).toBe("TOTAL_PASSED");
    }
  });
});
