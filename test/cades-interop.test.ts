/**
 * Interop with OpenSSL, the independent peer: signatures made at run time with `openssl cms
 * -sign` (and tokens with `openssl ts`) validate as TOTAL_PASSED against the test PKI; the same
 * files with a content byte, a signed attribute or the signature value changed fail as EN 319
 * 102-1 says. OpenSSL is a CI dependency: with CI=true a missing openssl fails the run.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyCades } from "../src/validation/verify-cades.js";
import { hashStream } from "../src/cades/hash-stream.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import type { ValidationReport } from "../src/validation/report.js";
import { renderText } from "../src/validation/report-text.js";
import * as T from "./helpers/cms-tools.js";
import { requirePeer } from "./helpers/peers.js";
import { testContext } from "./helpers/cades-context.js";

const AT = new Date("2026-06-01T00:00:00Z");
const content = Buffer.from("<Заявление><Услуга>Удостоверение за семейно положение</Услуга><ЕГН>8503154023</ЕГН></Заявление>\n".repeat(20));
const openssl = requirePeer("openssl", "faketime");
const ctx = testContext();

async function verify(p7: Uint8Array, opts: { contents?: Uint8Array[]; at?: Date; ctx?: typeof ctx } = {}): Promise<ValidationReport> {
  return verifyCades(p7, { contents: opts.contents ?? [], at: opts.at ?? AT, context: opts.ctx ?? ctx });
}

function outcome(r: ValidationReport): string[] {
  return r.signatures.map((s) => `${s.indication}/${s.subIndication ?? "-"}`);
}

/** The signed-attribute bytes of the signingTime value's first digit (openssl always adds signingTime). */
function signingTimeDigit(p7: Buffer): number {
  const l = T.layout(p7);
  const s = T.signerLayout(p7, l.signerInfos[0]!);
  const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05]);
  const at = T.indexOfBytes(p7, oid, s.signedAttrs!.cs);
  if (at < 0) throw new Error("no signingTime attribute");
  // OID, SET header (2), UTCTime header (2), then "YYMMDDhhmmssZ": change a minute digit
  return at + oid.length + 2 + 2 + 9;
}

const CASES: Array<{ name: string; o: Omit<T.OpensslSignOptions, "content">; level: string; qualification?: string }> = [
  { name: "RSA-2048 SHA-256 -cades attached", o: { signer: "citizen-rsa2048", cades: true }, level: "B-B" },
  { name: "RSA-2048 SHA-256 -cades detached", o: { signer: "citizen-rsa2048", cades: true, detached: true }, level: "B-B" },
  { name: "RSA-2048 SHA-256 plain CMS attached", o: { signer: "citizen-rsa2048" }, level: "CMS" },
  { name: "RSA-2048 SHA-256 plain CMS detached", o: { signer: "citizen-rsa2048", detached: true }, level: "CMS" },
  { name: "RSA-3072 SHA-384 -cades", o: { signer: "citizen-rsa3072", cades: true, md: "sha384" }, level: "B-B" },
  { name: "RSA-3072 SHA-512 -cades detached", o: { signer: "citizen-rsa3072", cades: true, md: "sha512", detached: true }, level: "B-B" },
  { name: "RSA-PSS SHA-256", o: { signer: "citizen-rsa-pss", cades: true, pss: true }, level: "B-B" },
  { name: "RSA-PSS SHA-512 detached", o: { signer: "citizen-rsa-pss", cades: true, pss: true, md: "sha512", detached: true }, level: "B-B" },
  { name: "ECDSA P-256 SHA-256", o: { signer: "citizen-p256", cades: true }, level: "B-B" },
  { name: "ECDSA P-256 SHA-384", o: { signer: "citizen-p256", cades: true, md: "sha384" }, level: "B-B" },
  { name: "ECDSA P-256 SHA-512 detached", o: { signer: "citizen-p256", cades: true, md: "sha512", detached: true }, level: "B-B" },
  { name: "e-seal ECDSA P-256 (P-384 CA)", o: { signer: "seal-p256", cades: true, md: "sha384" }, level: "B-B", qualification: "AdESeal-QC" },
  { name: "e-seal RSA-2048", o: { signer: "seal-rsa2048", cades: true }, level: "B-B", qualification: "AdESeal-QC" },
  { name: "BER indefinite lengths", o: { signer: "citizen-rsa2048", cades: true, ber: true }, level: "B-B" },
  { name: "PEM", o: { signer: "citizen-p256", cades: true, outform: "PEM" }, level: "B-B" },
];

openssl.describe("openssl cms -sign → podpis", () => {
  it("covers 15 kinds of openssl output", () => expect(CASES).toHaveLength(15));

  for (const c of CASES) {
    describe(c.name, () => {
      // made when the tests run, not while collecting: without openssl the file must still collect
      let p7: Buffer;
      beforeAll(() => {
        p7 = T.opensslSign({ ...c.o, content });
      });
      const contents = c.o.detached ? [content] : [];

      it("passes, intact, with the right level and qualification", async () => {
        const r = await verify(p7, { contents });
        expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-"]);
        const s = r.signatures[0]!;
        expect(s.intact).toBe(true);
        expect(s.level).toBe(c.level);
        // no trusted list is given: the certificates' QcStatements give at most the -QC forms (issue 14)
        expect(s.qualification).toBe(c.qualification ?? "AdESig-QC");
        expect(r.document.packaging).toBe(c.o.detached ? "detached" : "enveloping");
        expect(s.signedData[0]!.sha256).toBe(createHash("sha256").update(content).digest("hex"));
        expect(s.chain.map((e) => e.revocation.status)).toEqual(["good", "good", "good"]);
      });

      // the PEM variant carries the same DER: the changes below are tried on the DER variants
      if (c.o.outform === "PEM") return;

      it("one content byte changed → TOTAL_FAILED/HASH_FAILURE", async () => {
        let r: ValidationReport;
        if (c.o.detached) {
          r = await verify(p7, { contents: [T.flipByte(content, 100)] });
        } else {
          const l = T.layout(p7);
          // with BER the content sits in OCTET STRING segments; the first segment's bytes are content
          let at = l.eContent!.cs;
          if (l.eContent!.tag === 0x24) at += 4;
          r = await verify(T.flipByte(p7, at + 5));
        }
        expect(outcome(r), renderText(r)).toEqual(["TOTAL_FAILED/HASH_FAILURE"]);
        expect(r.signatures[0]!.intact).toBe(false);
      });

      it("a signed attribute changed → TOTAL_FAILED/SIG_CRYPTO_FAILURE", async () => {
        const r = await verify(T.flipByte(p7, signingTimeDigit(p7)), { contents });
        expect(outcome(r), renderText(r)).toEqual(["TOTAL_FAILED/SIG_CRYPTO_FAILURE"]);
      });

      it("the signature value changed → TOTAL_FAILED/SIG_CRYPTO_FAILURE", async () => {
        const l = T.layout(p7);
        const s = T.signerLayout(p7, l.signerInfos[0]!);
        const r = await verify(T.flipByte(p7, s.signature.cs + 7), { contents });
        expect(outcome(r), renderText(r)).toEqual(["TOTAL_FAILED/SIG_CRYPTO_FAILURE"]);
      });
    });
  }

  it("without the chain inside: passes with the CA as untrusted, INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND offline without it", async () => {
    const p7 = T.opensslSign({ signer: "citizen-rsa2048", content, cades: true, chain: false });
    expect(outcome(await verify(p7, { ctx: testContext({ untrusted: [T.cert("qualified-ca")] }) }))).toEqual(["TOTAL_PASSED/-"]);
    const r = await verify(p7);
    expect(outcome(r)).toEqual(["INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"]);
    expect(r.signatures[0]!.intact).toBe(true);
  });

  it("the signer certificate left out (-nocerts): found among the untrusted certificates, else NO_SIGNING_CERTIFICATE_FOUND", async () => {
    const p7 = T.opensslSign({ signer: "citizen-p256", content, cades: true, nocerts: true });
    expect(outcome(await verify(p7))).toEqual(["INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND"]);
    const r = await verify(p7, { ctx: testContext({ untrusted: [T.cert("citizen-p256"), T.cert("qualified-ca")] }) });
    expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-"]);
  });

  it("detached signature without its content → INDETERMINATE/SIGNED_DATA_NOT_FOUND; a large content hashed as a stream passes", async () => {
    const big = Buffer.alloc(3 << 20, 0x41);
    const p7 = T.opensslSign({ signer: "citizen-rsa2048", content: big, cades: true, detached: true, md: "sha512" });
    expect(outcome(await verify(p7))).toEqual(["INDETERMINATE/SIGNED_DATA_NOT_FOUND"]);
    async function* chunks() {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    }
    const d = await hashStream(chunks(), ["sha256", "sha512"], "big.bin");
    const r = await verifyCades(p7, { contents: [d], at: AT, context: ctx });
    expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-"]);
    expect(r.signatures[0]!.signedData).toEqual([{ kind: "detached", ref: "big.bin", sha256: createHash("sha256").update(big).digest("hex") }]);
  });

  it("several signers: each reported", async () => {
    const p7 = T.opensslSign({ signer: "citizen-rsa2048", content, cades: true, extraSigners: ["citizen-p256", "seal-p256"] });
    const r = await verify(p7);
    expect(outcome(r)).toEqual(["TOTAL_PASSED/-", "TOTAL_PASSED/-", "TOTAL_PASSED/-"]);
    // OpenSSL orders the SignerInfos as a DER SET OF: compare without order
    const seen = r.signatures.map((s) => `${s.signer?.identifier?.value} ${s.qualification}`).sort();
    expect(seen).toEqual(["000999875 AdESeal-QC", "8503154023 AdESig-QC", "9211021375 AdESig-QC"]);
  });

  describe("signer certificates that must not pass", () => {
    it("revoked (2026-03-01), signing time claimed after → TOTAL_FAILED/REVOKED", async () => {
      const r = await verify(T.opensslSign({ signer: "revoked", content, cades: true }));
      expect(outcome(r)).toEqual(["TOTAL_FAILED/REVOKED"]);
    });
    it("revoked, no signing time → INDETERMINATE/REVOKED_NO_POE", async () => {
      const r = await verify(T.opensslSign({ signer: "revoked", content, noattr: true }));
      expect(outcome(r)).toEqual(["INDETERMINATE/REVOKED_NO_POE"]);
      expect(r.signatures[0]!.intact).toBe(true);
    });
    it("expired → INDETERMINATE/OUT_OF_BOUNDS_NO_POE", async () => {
      expect(outcome(await verify(T.opensslSign({ signer: "expired", content, cades: true })))).toEqual(["INDETERMINATE/OUT_OF_BOUNDS_NO_POE"]);
    });
    it("not yet valid → TOTAL_FAILED/NOT_YET_VALID", async () => {
      expect(outcome(await verify(T.opensslSign({ signer: "not-yet-valid", content, cades: true })))).toEqual(["TOTAL_FAILED/NOT_YET_VALID"]);
    });
    it("untrusted root (impersonating a citizen) → INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND, intact", async () => {
      const r = await verify(T.opensslSign({ signer: "evil-leaf", content, cades: true }));
      expect(outcome(r)).toEqual(["INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"]);
      expect(r.signatures[0]!.intact).toBe(true);
      expect(r.signatures[0]!.qualification).toBe("N/A");
    });
    it("key usage without nonRepudiation/digitalSignature → INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE", async () => {
      expect(outcome(await verify(T.opensslSign({ signer: "ku-keycertsign", content, cades: true })))).toEqual(["INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE"]);
      expect(outcome(await verify(T.opensslSign({ signer: "ku-keyencipherment", content, cades: true })))).toEqual(["INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE"]);
    });
    it("issuing CA revoked → INDETERMINATE/REVOKED_CA_NO_POE", async () => {
      expect(outcome(await verify(T.opensslSign({ signer: "revoked-sub-ca-leaf", content, cades: true })))).toEqual(["INDETERMINATE/REVOKED_CA_NO_POE"]);
    });
  });

  describe("B-T", () => {
    it("openssl ts token as signature-time-stamp: B-T, best-signature-time = genTime", async () => {
      const p7 = T.opensslSign({ signer: "citizen-rsa2048", content, cades: true });
      const token = T.opensslTimestamp(T.signatureValue(p7));
      const bt = T.addSignatureTimestamp(p7, token);
      expect(T.opensslVerifies(bt)).toBe(true);
      // openssl runs at PEER_TIME (libfaketime), so genTime is fixed and the real CRLs cover it
      const at = new Date(T.PEER_DATE.getTime() + 60 * 60_000);
      const r = await verify(bt, { at, ctx: testContext() });
      expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-"]);
      const s = r.signatures[0]!;
      expect(s.level).toBe("B-T");
      expect(s.timestamps).toHaveLength(1);
      expect(s.timestamps[0]!.indication).toBe("TOTAL_PASSED");
      expect(s.bestSignatureTime).toBe(s.timestamps[0]!.genTime);
      expect(Math.abs(new Date(s.bestSignatureTime!).getTime() - T.PEER_DATE.getTime())).toBeLessThan(10 * 60_000);
    });

    it("a certificate revoked after the time-stamp passes; one revoked before it does not", async () => {
      // openssl signs without signed attributes (no signing time); the token is made at a chosen time
      const p7 = T.opensslSign({ signer: "revoked", content, noattr: true });
      const before = T.addSignatureTimestamp(p7, T.makeTimestampToken(T.signatureValue(p7), { genTime: new Date("2026-02-15T12:00:00Z") }));
      expect(T.opensslVerifies(before)).toBe(true);
      const r1 = await verify(before);
      expect(outcome(r1), renderText(r1)).toEqual(["TOTAL_PASSED/-"]);
      expect(r1.signatures[0]!.warnings.map((w) => w.code)).toContain("REVOKED_AFTER_SIGNATURE_TIMESTAMP");
      const after = T.addSignatureTimestamp(p7, T.makeTimestampToken(T.signatureValue(p7), { genTime: new Date("2026-03-15T12:00:00Z") }));
      expect(outcome(await verify(after))).toEqual(["INDETERMINATE/REVOKED_NO_POE"]);
    });

    it("a token over something else, or with its signature changed, is not a proof of existence", async () => {
      const p7 = T.opensslSign({ signer: "revoked", content, noattr: true });
      const wrong = T.addSignatureTimestamp(p7, T.makeTimestampToken(Buffer.from("other data"), { genTime: new Date("2026-02-15T12:00:00Z") }));
      const r = await verify(wrong);
      expect(outcome(r)).toEqual(["INDETERMINATE/REVOKED_NO_POE"]);
      expect(r.signatures[0]!.timestamps[0]!.subIndication).toBe("HASH_FAILURE");
      const token = T.makeTimestampToken(T.signatureValue(p7), { genTime: new Date("2026-02-15T12:00:00Z") });
      const bad = T.flipByte(token, token.length - 3);
      const r2 = await verify(T.addSignatureTimestamp(p7, bad));
      expect(r2.signatures[0]!.timestamps[0]!.subIndication).toBe("SIG_CRYPTO_FAILURE");
      expect(outcome(r2)).toEqual(["INDETERMINATE/REVOKED_NO_POE"]);
    });

    it("our own tokens verify with openssl ts -verify", () => {
      const data = Buffer.from("signature value bytes");
      const token = T.makeTimestampToken(data, { genTime: new Date("2026-02-15T12:00:00Z") });
      const ok = T.withTmp((dir) => {
        writeFileSync(`${dir}/t.der`, token);
        writeFileSync(`${dir}/d`, data);
        writeFileSync(`${dir}/chain.pem`, readFileSync(T.pem("tsa")));
        return T.peer("openssl", ["ts", "-verify", "-in", `${dir}/t.der`, "-token_in", "-data", `${dir}/d`, "-CAfile", `${T.PKI}/trust/root-ca.pem`, "-untrusted", `${dir}/chain.pem`]).status;
      });
      expect(ok).toBe(0);
    });
  });

  it("B-LT: CRLs carried in the SignedData are used when the validator has none", async () => {
    const p7 = T.opensslSign({ signer: "citizen-rsa2048", content, cades: true });
    const token = T.makeTimestampToken(T.signatureValue(p7), { genTime: new Date("2026-05-01T00:00:00Z") });
    const crls = ["root.crl", "qualified-ca.crl"].map((f) => readFileSync(`${T.PKI}/crl/${f}`));
    const lt = T.addCrls(T.addSignatureTimestamp(p7, token), crls);
    expect(T.opensslVerifies(lt)).toBe(true);
    const bare = testContext({ store: new CrlStore() });
    const r = await verify(lt, { ctx: bare });
    expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-"]);
    expect(r.signatures[0]!.level).toBe("B-LT");
    expect(r.signatures[0]!.timestamps[0]!.indication).toBe("TOTAL_PASSED");
    // without them, the same validator cannot tell the revocation status
    const r2 = await verify(T.addSignatureTimestamp(p7, token), { ctx: bare });
    expect(outcome(r2)).toEqual(["INDETERMINATE/TRY_LATER"]);
  });

  it("a countersignature is reported as its own signature", async () => {
    const p7 = T.opensslSign({ signer: "citizen-rsa2048", content, cades: true });
    const cs = T.addCountersignature(p7, "seal-p256", 0, "sha384", new Date("2026-05-01T00:00:00Z"));
    expect(T.opensslVerifies(cs)).toBe(true);
    const r = await verify(cs);
    expect(outcome(r), renderText(r)).toEqual(["TOTAL_PASSED/-", "TOTAL_PASSED/-"]);
    expect(r.signatures[1]!.counterSignatureOf).toBe("S1");
    expect(r.signatures[1]!.id).toBe("S1-C1");
    expect(renderText(r)).toContain("countersignature of S1");
    // the countersignature covers the signature value: changing it breaks both
    const s = T.signerLayout(cs, T.layout(cs).signerInfos[0]!);
    const r2 = await verify(T.flipByte(cs, s.signature.cs + 3));
    expect(outcome(r2)).toEqual(["TOTAL_FAILED/SIG_CRYPTO_FAILURE", "TOTAL_FAILED/HASH_FAILURE"]);
  });

  it("a signing time before the certificate's validity → TOTAL_FAILED/NOT_YET_VALID", async () => {
    const c = T.cert("citizen-p256");
    const digest = createHash("sha256").update(content).digest();
    const si = T.makeSignerInfo({ cert: c, key: T.privateKey("citizen-p256"), contentDigest: digest, signingTime: new Date("2024-12-01T00:00:00Z") });
    const p7 = T.makeSignedData({ signerInfos: [si], certificates: [c, T.cert("qualified-ca")], content });
    expect(T.opensslVerifies(p7)).toBe(true);
    expect(outcome(await verify(p7))).toEqual(["TOTAL_FAILED/NOT_YET_VALID"]);
  });
});
