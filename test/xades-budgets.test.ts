/**
 * What hostile XML may cost (issue 11 items 2, 4, 8): the node cap stops the parse where it is
 * reached, references are capped and charged before their work, a bad signature value ends the
 * work before any reference is digested, an abort signal stops it, and UTF-16 XML is XML.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { createValidator } from "../src/validator.js";
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
