/**
 * `podpis extend` on CAdES made by OpenSSL (`openssl cms -sign -cades`), with a PKI made at run
 * time (`openssl ocsp` answering for the signer, a root CRL for the TSA) and podpis's TSA on
 * loopback: B-T adds a signature time-stamp, B-LT the certificates, the CRL and the OCSP response
 * (id-ri-ocsp-response) of both paths; OpenSSL still verifies every result; a signer the
 * responder calls revoked is refused with no output file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { parseSignedData } from "../src/cms/signed-data.js";
import { CMS } from "../src/cms/oids.js";
import { findAttributes } from "../src/cms/signed-data.js";
import { parseOcspResponse } from "../src/revocation/ocsp-response.js";
import { capture } from "./helpers/cli-capture.js";
import { type ExtendPki, makeExtendPki } from "./helpers/extend-pki.js";
import { requirePeer } from "./helpers/peers.js";
import { createHash } from "node:crypto";
import { atsV3Data, checkAtsHashIndexV3, hashIndexOfToken, readAtsHashIndexV3, signedDataParts } from "../src/evidence/cades-ats-v3.js";

const peer = requirePeer("openssl");
let x: ExtendPki;
const content = Buffer.from("Заявление за издаване на удостоверение — extend test\n");

const sh = (args: string[]) => {
  const r = spawnSync("openssl", args, { cwd: x.pki.dir, encoding: "utf8" });
  return { ok: r.status === 0, err: r.stderr };
};
const cli = (args: string[]) => capture((io) => run(args, io));
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function opensslSign(name: string, signer: string, attached: boolean): string {
  writeFileSync(x.file("content.txt"), content);
  const out = x.file(name);
  const r = sh(["cms", "-sign", "-binary", "-cades", "-md", "sha256", "-in", "content.txt", "-signer", `${signer}.pem`, "-inkey", `${signer}.key`, "-outform", "DER", "-out", out, ...(attached ? ["-nodetach"] : [])]);
  if (!r.ok) throw new Error(r.err);
  return out;
}

function opensslVerifies(file: string, detached: boolean): { ok: boolean; err: string } {
  return sh(["cms", "-verify", "-binary", "-inform", "DER", "-in", file, "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null", ...(detached ? ["-content", "content.txt"] : [])]);
}

/**
 * Each archive-time-stamp-v3 of signer 1: its hash index matches what the file holds, and
 * `openssl ts -verify` accepts the token over the ATSv3 data (imprint and TSA signature).
 */
function archiveTokensVerify(file: string): boolean[] {
  const bytes = readFileSync(file);
  const parts = signedDataParts(bytes);
  const si = parseSignedData(bytes).signerInfos[0]!;
  const positions = si.unsignedAttrs!.map((a, i) => (a.oid === CMS.archiveTimestampV3 ? i : -1)).filter((i) => i >= 0);
  return positions.map((pos, k) => {
    const token = si.unsignedAttrs![pos]!.values[0]!;
    const index = hashIndexOfToken(token)!;
    if (checkAtsHashIndexV3(readAtsHashIndexV3(index), parts, 0, pos).length) return false;
    writeFileSync(x.file(`ats-${k}.tst`), token);
    writeFileSync(x.file(`ats-${k}.data`), atsV3Data(parts, 0, index, "sha256", content));
    return sh(["ts", "-verify", "-token_in", "-in", `ats-${k}.tst`, "-data", `ats-${k}.data`, "-CAfile", "root.pem", "-untrusted", "tsa.pem"]).ok;
  });
}

const trust = () => ["--trust", x.file("root.pem"), "--crl", x.crl, "--tsa", x.tsaUrl];

peer.describe("podpis extend on OpenSSL-made CAdES", () => {
  beforeAll(async () => {
    x = await makeExtendPki(["signer"], ["revoked"], ["stranger"]);
  }, 120_000);
  afterAll(async () => {
    await x?.stop();
  });

  peer.it("B-T: one signature time-stamp over the signature value; OpenSSL still verifies; podpis says B-T", async () => {
    const p7 = opensslSign("bt.p7m", "signer", true);
    const out = join(x.pki.dir, "bt-ext.p7m");
    const r = await cli(["extend", p7, "--level", "B-T", ...trust(), "--json", "-o", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: "CAdES", level: "B-T", signatures: 1, added: { signatureTimestamps: 1, archiveTimestamps: 0 } });
    const before = parseSignedData(readFileSync(p7)).signerInfos[0]!;
    const after = parseSignedData(readFileSync(out)).signerInfos[0]!;
    // the signed part is the same octets
    expect(Buffer.from(after.signedAttrsDer!).equals(Buffer.from(before.signedAttrsDer!))).toBe(true);
    expect(Buffer.from(after.signature).equals(Buffer.from(before.signature))).toBe(true);
    expect(findAttributes(after.unsignedAttrs, CMS.signatureTimeStampToken)).toHaveLength(1);
    expect(opensslVerifies(out, false)).toMatchObject({ ok: true });
    const v = await cli(["verify", out, "--trust", x.file("root.pem"), "--crl", x.crl, "--json"]);
    const report = JSON.parse(v.out);
    expect(report.signatures[0].level).toBe("B-T");
    expect(report.signatures[0].timestamps[0]).toMatchObject({ kind: "signature", indication: "TOTAL_PASSED" });
    expect(v.code).toBe(0);
  }, 60_000);

  peer.it("B-LT (detached): the chain, the root CRL and the signer's OCSP response go into SignedData; OpenSSL still verifies", async () => {
    const p7 = opensslSign("lt.p7s", "signer", false);
    const out = join(x.pki.dir, "lt-ext.p7s");
    const r = await cli(["extend", p7, "--content", x.file("content.txt"), "--level", "B-LT", ...trust(), "--json", "-o", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const sd = parseSignedData(readFileSync(out));
    const certs = sd.certificates.map(sha256);
    const pemDer = (n: string) => Buffer.from(readFileSync(x.file(`${n}.pem`), "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64");
    for (const n of ["signer", "root", "tsa"]) expect(certs).toContain(sha256(pemDer(n)));
    expect(sd.crls.map(sha256)).toContain(sha256(readFileSync(x.crl)));
    const ocsp = sd.otherRevocationInfo.filter((o) => o.format === CMS.ocspRevocationInfo);
    expect(ocsp).toHaveLength(1);
    const res = parseOcspResponse(ocsp[0]!.der);
    expect(res.responseStatus).toBe("successful");
    expect(res.basic!.responses[0]!.status).toBe("good");
    // RFC 5652 §5.1: version 5 with an "other" revocation format
    expect(sd.version).toBe(5);
    expect(opensslVerifies(out, true)).toMatchObject({ ok: true });
    const v = await cli(["verify", out, "--content", x.file("content.txt"), "--trust", x.file("root.pem"), "--crl", x.crl, "--json"]);
    expect(JSON.parse(v.out).signatures[0].indication).toBe("TOTAL_PASSED");
    expect(v.code).toBe(0);
  }, 60_000);

  peer.it("extending B-LT again adds nothing twice", async () => {
    const once = join(x.pki.dir, "lt-ext.p7s");
    const twice = join(x.pki.dir, "lt-twice.p7s");
    const r = await cli(["extend", once, "--content", x.file("content.txt"), "--level", "B-LT", ...trust(), "--json", "-o", twice]);
    expect(r.code).toBe(0);
    const a = parseSignedData(readFileSync(once));
    const b = parseSignedData(readFileSync(twice));
    expect(b.certificates.length).toBe(a.certificates.length);
    expect(b.crls.length).toBe(a.crls.length);
    expect(findAttributes(b.signerInfos[0]!.unsignedAttrs, CMS.signatureTimeStampToken)).toHaveLength(1);
  }, 60_000);

  peer.it("B-LTA (detached), then again: an archive-time-stamp-v3 with its hash index, then a second covering the first; OpenSSL and podpis verify both", async () => {
    const p7 = opensslSign("lta.p7s", "signer", false);
    const once = join(x.pki.dir, "lta-ext.p7s");
    const r = await cli(["extend", p7, "--content", x.file("content.txt"), "--level", "B-LTA", ...trust(), "--json", "-o", once]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).added).toMatchObject({ signatureTimestamps: 1, archiveTimestamps: 1 });
    const si = parseSignedData(readFileSync(once)).signerInfos[0]!;
    const ats = findAttributes(si.unsignedAttrs, CMS.archiveTimestampV3);
    expect(ats).toHaveLength(1);
    // the index rides in the token's own unsigned attributes (EN 319 122-1 §5.5.3)
    const token = parseSignedData(ats[0]!.values[0]!).signerInfos[0]!;
    expect(findAttributes(token.unsignedAttrs, CMS.atsHashIndexV3)).toHaveLength(1);
    expect(opensslVerifies(once, true)).toMatchObject({ ok: true });
    const verify = async (f: string) => JSON.parse((await cli(["verify", f, "--content", x.file("content.txt"), "--trust", x.file("root.pem"), "--crl", x.crl, "--json"])).out);
    const v1 = await verify(once);
    expect(v1.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-LTA" });
    expect(archiveTokensVerify(once)).toEqual([true]);
    const archived = (v: { signatures: Array<{ timestamps: Array<{ type: string; intact: boolean; valid: boolean }> }> }) => v.signatures[0]!.timestamps.filter((t) => t.type === "archive");
    expect(archived(v1)).toEqual([expect.objectContaining({ intact: true, valid: true })]);

    const twice = join(x.pki.dir, "lta-renewed.p7s");
    const r2 = await cli(["extend", once, "--content", x.file("content.txt"), "--level", "B-LTA", ...trust(), "--json", "-o", twice]);
    expect(r2.err).toBe("");
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.out).added).toMatchObject({ signatureTimestamps: 0, archiveTimestamps: 1 });
    const si2 = parseSignedData(readFileSync(twice)).signerInfos[0]!;
    expect(findAttributes(si2.unsignedAttrs, CMS.archiveTimestampV3)).toHaveLength(2);
    expect(opensslVerifies(twice, true)).toMatchObject({ ok: true });
    const v2 = await verify(twice);
    expect(v2.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-LTA" });
    expect(archiveTokensVerify(twice)).toEqual([true, true]);
    expect(archived(v2)).toEqual([expect.objectContaining({ intact: true, valid: true }), expect.objectContaining({ intact: true, valid: true })]);
  }, 90_000);

  peer.it("a signer the responder calls revoked (before signing) is refused: EXTEND_REFUSED, exit 2, no output file", async () => {
    const p7 = opensslSign("revoked.p7m", "revoked", true);
    const out = join(x.pki.dir, "revoked-ext.p7m");
    const r = await cli(["extend", p7, "--level", "B-LT", ...trust(), "-o", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EXTEND_REFUSED: not extended to B-LT/);
    expect(r.err).toMatch(/REVOKED/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  peer.it("a signer whose status nobody can tell (responder: unknown, no CRL given) is refused: EXTEND_REFUSED_INDETERMINATE, exit 1, no output file", async () => {
    const p7 = opensslSign("stranger.p7m", "stranger", true);
    const out = join(x.pki.dir, "stranger-ext.p7m");
    const r = await cli(["extend", p7, "--level", "B-T", "--trust", x.file("root.pem"), "--tsa", x.tsaUrl, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/EXTEND_REFUSED_INDETERMINATE: not extended to B-T: .*INDETERMINATE\/TRY_LATER/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  peer.it("a signature whose content was changed is refused: EXTEND_REFUSED, exit 2, no output file", async () => {
    const p7 = opensslSign("tampered.p7s", "signer", false);
    writeFileSync(x.file("other.txt"), "not what was signed");
    const out = join(x.pki.dir, "tampered-ext.p7s");
    const r = await cli(["extend", p7, "--content", x.file("other.txt"), "--level", "B-T", ...trust(), "-o", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EXTEND_REFUSED: /);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  peer.it("usage: no --level, an unknown level, no --tsa → exit 64", async () => {
    const p7 = x.file("bt.p7m");
    expect((await cli(["extend", p7, ...trust(), "-o", "/dev/null"])).code).toBe(64);
    expect((await cli(["extend", p7, "--level", "B-X", ...trust(), "-o", "/dev/null"])).code).toBe(64);
    expect((await cli(["extend", p7, "--level", "B-T", "--trust", x.file("root.pem"), "-o", "/dev/null"])).code).toBe(64);
  });
});
