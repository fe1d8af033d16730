/**
 * `podpis extend` on XAdES (enveloped and detached, signed at run time by a key of the run-time
 * PKI): B-T adds xades:SignatureTimeStamp, B-LT xades:CertificateValues / RevocationValues for the
 * signer's path (its OCSP response) and xadesv141:TimeStampValidationData for the TSA's (the root
 * CRL); xmlsec1 still verifies every result and podpis validates it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { openKeyFiles } from "../src/keys/software.js";
import { parseOcspResponse } from "../src/revocation/ocsp-response.js";
import { XADES141_NS, XADES_NS } from "../src/xades/properties.js";
import { signXades } from "../src/xades/sign.js";
import { DS_NS, parseSignature } from "../src/xades/xmldsig.js";
import { archiveTimestampData } from "../src/evidence/xades-archive.js";
import { parseXml } from "../src/xades/xml.js";
import type { XmlElement } from "../src/xades/xml.js";
import { capture } from "./helpers/cli-capture.js";
import { type ExtendPki, makeExtendPki } from "./helpers/extend-pki.js";
import { requirePeer } from "./helpers/peers.js";

const peer = requirePeer("xmlsec1", "openssl");
let x: ExtendPki;
const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Zayavlenie xmlns="urn:podpis:test"><Ime>Иван Петров</Ime><Usluga>2079</Usluga></Zayavlenie>\n`);

const cli = (args: string[]) => capture((io) => run(args, io));
const trust = () => ["--trust", x.file("root.pem"), "--crl", x.crl, "--tsa", x.tsaUrl];

function xmlsecVerifies(file: string, detachedDir?: string): { ok: boolean; err: string } {
  const r = spawnSync(
    "xmlsec1",
    ["--verify", "--trusted-pem", x.file("root.pem"), "--id-attr:Id", `${XADES_NS}:SignedProperties`, ...(detachedDir ? ["--url-map:content.txt", `${detachedDir}/content.txt`] : []), file],
    { cwd: x.pki.dir, encoding: "utf8" },
  );
  return { ok: r.status === 0, err: r.stderr };
}

function all(e: XmlElement, ns: string, local: string, out: XmlElement[] = []): XmlElement[] {
  if (e.ns === ns && e.local === local) out.push(e);
  for (const c of e.elements()) all(c, ns, local, out);
  return out;
}

/** `openssl ts -verify` of each ArchiveTimeStamp's token over the data xades-archive.ts says it covers. */
function archiveTokensVerify(file: string): boolean[] {
  const doc = parseXml(readFileSync(file));
  const sigEl = all(doc.root, DS_NS, "Signature")[0]!;
  const sig = parseSignature(sigEl);
  return all(sigEl, XADES141_NS, "ArchiveTimeStamp").map((ats, k) => {
    const token = b64(ats.first(XADES_NS, "EncapsulatedTimeStamp")!);
    writeFileSync(x.file(`xats-${k}.tst`), token);
    writeFileSync(x.file(`xats-${k}.data`), archiveTimestampData(doc, sig, ats, { method: "exc-c14n", comments: false }));
    const r = spawnSync("openssl", ["ts", "-verify", "-token_in", "-in", `xats-${k}.tst`, "-data", `xats-${k}.data`, "-CAfile", "root.pem", "-untrusted", "tsa.pem"], { cwd: x.pki.dir });
    return r.status === 0;
  });
}

const pemDer = (n: string) => Buffer.from(readFileSync(x.file(`${n}.pem`), "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64");
const b64 = (e: XmlElement) => Buffer.from(e.text().replace(/\s+/g, ""), "base64");

peer.describe("podpis extend on XAdES", () => {
  beforeAll(async () => {
    x = await makeExtendPki(["signer"], []);
    const key = openKeyFiles(x.file("signer.key"), x.file("signer.pem"));
    writeFileSync(x.file("form.xml"), await signXades({ key, packaging: "enveloped", content: FORM }));
    writeFileSync(x.file("content.txt"), "detached content\n");
    writeFileSync(x.file("detached.xml"), await signXades({ key, packaging: "detached", content: readFileSync(x.file("content.txt")), name: "content.txt" }));
  }, 120_000);
  afterAll(async () => {
    await x?.stop();
  });

  peer.it("B-T (enveloped): one SignatureTimeStamp; xmlsec1 still verifies; podpis says B-T", async () => {
    expect(xmlsecVerifies(x.file("form.xml"))).toMatchObject({ ok: true });
    const out = x.file("form-bt.xml");
    const r = await cli(["extend", x.file("form.xml"), "--level", "B-T", ...trust(), "--json", "-o", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: "XAdES", level: "B-T", added: { signatureTimestamps: 1 } });
    const doc = parseXml(readFileSync(out));
    expect(all(doc.root, XADES_NS, "SignatureTimeStamp")).toHaveLength(1);
    expect(xmlsecVerifies(out)).toMatchObject({ ok: true });
    const v = await cli(["verify", out, "--trust", x.file("root.pem"), "--crl", x.crl, "--json"]);
    const report = JSON.parse(v.out);
    expect(report.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-T" });
    expect(v.code).toBe(0);
  }, 60_000);

  peer.it("B-LT (enveloped): the signer's certificate and OCSP response in CertificateValues/RevocationValues, the TSA's in TimeStampValidationData", async () => {
    const out = x.file("form-lt.xml");
    const r = await cli(["extend", x.file("form.xml"), "--level", "B-LT", ...trust(), "--json", "-o", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const doc = parseXml(readFileSync(out));
    const usp = all(doc.root, XADES_NS, "UnsignedSignatureProperties")[0]!;
    const names = usp.elements().map((e) => `${e.ns === XADES141_NS ? "v141:" : ""}${e.local}`);
    expect(names).toEqual(["SignatureTimeStamp", "CertificateValues", "RevocationValues", "v141:TimeStampValidationData"]);
    const [cv, rv, tsvd] = [usp.elements()[1]!, usp.elements()[2]!, usp.elements()[3]!];
    // the signer's own certificate is in KeyInfo already: CertificateValues holds the rest of its path
    expect(all(cv, XADES_NS, "EncapsulatedX509Certificate").map(b64)).toEqual([pemDer("root")]);
    const ocsp = all(rv, XADES_NS, "EncapsulatedOCSPValue").map((e) => parseOcspResponse(b64(e)));
    expect(ocsp).toHaveLength(1);
    expect(ocsp[0]!.basic!.responses[0]!.status).toBe("good");
    expect(all(rv, XADES_NS, "EncapsulatedCRLValue")).toHaveLength(0);
    expect(all(tsvd, XADES_NS, "EncapsulatedCRLValue").map(b64)).toEqual([readFileSync(x.crl)]);
    // the TSA's certificate rides in its token; the root is in CertificateValues already
    expect(all(tsvd, XADES_NS, "EncapsulatedX509Certificate").map(b64).some((c) => c.equals(pemDer("root")))).toBe(false);
    expect(xmlsecVerifies(out)).toMatchObject({ ok: true });
    const v = await cli(["verify", out, "--trust", x.file("root.pem"), "--crl", x.crl, "--json"]);
    expect(JSON.parse(v.out).signatures[0].indication).toBe("TOTAL_PASSED");
  }, 60_000);

  peer.it("B-LT (detached): xmlsec1 still verifies with the content; extending again adds no certificate or CRL twice", async () => {
    const out = x.file("detached-lt.xml");
    const r = await cli(["extend", x.file("detached.xml"), "--content", x.file("content.txt"), "--level", "B-LT", ...trust(), "--json", "-o", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(xmlsecVerifies(out, x.pki.dir)).toMatchObject({ ok: true });
    const again = x.file("detached-lt2.xml");
    const r2 = await cli(["extend", out, "--content", x.file("content.txt"), "--level", "B-LT", ...trust(), "--json", "-o", again]);
    expect(r2.code).toBe(0);
    // no second time-stamp, no certificate or CRL twice (a fresher OCSP answer may join the first)
    expect(JSON.parse(r2.out).added).toMatchObject({ signatureTimestamps: 0 });
    const count = (f: string, local: string) => all(parseXml(readFileSync(f)).root, XADES_NS, local).length;
    for (const local of ["SignatureTimeStamp", "EncapsulatedX509Certificate", "EncapsulatedCRLValue"]) expect(count(again, local)).toBe(count(out, local));
    expect(xmlsecVerifies(again, x.pki.dir)).toMatchObject({ ok: true });
  }, 60_000);

  peer.it("B-LTA (enveloped), then again: a xadesv141:ArchiveTimeStamp, then one covering it; xmlsec1 verifies, openssl ts verifies each token over its data", async () => {
    const once = x.file("form-lta.xml");
    const r = await cli(["extend", x.file("form.xml"), "--level", "B-LTA", ...trust(), "--json", "-o", once]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).added).toMatchObject({ signatureTimestamps: 1, archiveTimestamps: 1 });
    expect(xmlsecVerifies(once)).toMatchObject({ ok: true });
    expect(archiveTokensVerify(once)).toEqual([true]);
    const v = await cli(["verify", once, "--trust", x.file("root.pem"), "--crl", x.crl, "--json"]);
    expect(JSON.parse(v.out).signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-LTA" });
    type Ts = { type: string; intact: boolean; valid: boolean };
    const archived = async (f: string) =>
      (JSON.parse((await cli(["verify", f, "--trust", x.file("root.pem"), "--crl", x.crl, "--json"])).out).signatures[0].timestamps as Ts[]).filter((t) => t.type === "archive");
    expect(await archived(once)).toEqual([expect.objectContaining({ intact: true, valid: true })]);

    const twice = x.file("form-lta2.xml");
    const r2 = await cli(["extend", once, "--level", "B-LTA", ...trust(), "--json", "-o", twice]);
    expect(r2.err).toBe("");
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.out).added).toMatchObject({ signatureTimestamps: 0, archiveTimestamps: 1 });
    expect(xmlsecVerifies(twice)).toMatchObject({ ok: true });
    expect(archiveTokensVerify(twice)).toEqual([true, true]);
    expect(await archived(twice)).toEqual([expect.objectContaining({ intact: true, valid: true }), expect.objectContaining({ intact: true, valid: true })]);
    const usp = all(parseXml(readFileSync(twice)).root, XADES_NS, "UnsignedSignatureProperties")[0]!;
    const names = usp.elements().map((e) => e.local);
    // the second comes after the first, so it covers it
    expect(names.lastIndexOf("ArchiveTimeStamp")).toBe(names.length - 1);
    expect(names.indexOf("ArchiveTimeStamp")).toBeLessThan(names.length - 1);
  }, 90_000);

  peer.it("an XML document with no signature is refused: EXTEND_REFUSED, exit 2, no output", async () => {
    const out = x.file("nothing.xml");
    writeFileSync(x.file("not-signed.xml"), FORM);
    const r = await cli(["extend", x.file("not-signed.xml"), "--level", "B-T", ...trust(), "-o", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EXTEND_REFUSED/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
