/**
 * The OCSP request builder, response parser and verifier on their own, with responses made by
 * `openssl ocsp` from request files (no server): CertID and nonce encoding as openssl reads them,
 * every truncation and many byte flips of a real response give a typed error or a refusal, never
 * a crash or a pass; a tampered signature, another certificate's answer, a missing nonce.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, expect } from "vitest";
import { parseCertificates, type Certificate } from "../src/pki/certificate.js";
import { buildOcspRequest } from "../src/revocation/ocsp-request.js";
import { OcspError, parseOcspResponse } from "../src/revocation/ocsp-response.js";
import { verifyOcspResponse } from "../src/revocation/ocsp-verify.js";
import { parsePolicy } from "../src/validation/policy.js";
import { requirePeer } from "./helpers/peers.js";
import { type OcspPki, indexTime, makeOcspPki, openssl } from "./ocsp-pki.js";

const peer = requirePeer("openssl");

let pki: OcspPki;
let root: Certificate;
let leaf: Certificate;
let other: Certificate;

function answer(cert: Certificate, opts: { hash?: "sha1" | "sha256"; nonce?: boolean; signer?: string } = {}) {
  const req = buildOcspRequest(cert, root, { hash: opts.hash ?? "sha1", nonce: opts.nonce ?? true });
  writeFileSync(pki.file("req.der"), req.der);
  const signer = opts.signer ?? "root";
  openssl(["ocsp", "-index", "index.txt", "-CA", "root.pem", "-rsigner", `${signer}.pem`, "-rkey", `${signer}.key`, "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1"], pki.dir);
  return { req, der: readFileSync(pki.file("resp.der")) };
}

const input = (cert: Certificate, nonce: string | null) => ({
  cert,
  issuer: root,
  at: new Date(Date.now() + 5000),
  skewMs: 60_000,
  nonce,
  responderStatus: async () => "not checked",
});

peer.describe("OCSP request, response and verification", () => {
  beforeAll(async () => {
    pki = await makeOcspPki(["x"], { leaf: "x", other: "x" });
    const expiry = indexTime(new Date(Date.now() + 30 * 86400_000));
    writeFileSync(pki.file("index.txt"), `V\t${expiry}\t\t${pki.serials.leaf!.toUpperCase()}\tunknown\t/CN=leaf\n`);
    root = parseCertificates(readFileSync(pki.file("root.pem")))[0]!;
    leaf = parseCertificates(readFileSync(pki.file("leaf.pem")))[0]!;
    other = parseCertificates(readFileSync(pki.file("other.pem")))[0]!;
  }, 60_000);

  peer.it("openssl reads the request: SHA-1 and SHA-256 CertIDs, the nonce", () => {
    for (const hash of ["sha1", "sha256"] as const) {
      const req = buildOcspRequest(leaf, root, { hash });
      writeFileSync(pki.file("r.der"), req.der);
      const text = openssl(["ocsp", "-reqin", "r.der", "-req_text"], pki.dir);
      expect(text).toContain(`Hash Algorithm: ${hash}`);
      expect(text.toLowerCase()).toContain(`serial number: ${pki.serials.leaf}`);
      expect(text).toContain("OCSP Nonce");
      expect(text.replace(/[\s:]/g, "").toLowerCase()).toContain(req.nonce!);
    }
    expect(buildOcspRequest(leaf, root, { nonce: false }).nonce).toBeNull();
  });

  peer.it("a good answer verifies, with the nonce echoed and producedAt recorded", async () => {
    for (const hash of ["sha1", "sha256"] as const) {
      const { req, der } = answer(leaf, { hash });
      const res = parseOcspResponse(der);
      const v = await verifyOcspResponse(res, input(leaf, req.nonce));
      expect(v).toMatchObject({ ok: true, status: "good", signer: "issuer" });
      expect(res.basic!.producedAt.getTime()).toBeGreaterThan(Date.now() - 120_000);
    }
  });

  peer.it("refuses: a wrong nonce, no nonce when one was sent, another certificate's answer, a tampered signature", async () => {
    const { req, der } = answer(leaf);
    const res = parseOcspResponse(der);
    expect(await verifyOcspResponse(res, input(leaf, "00".repeat(32)))).toMatchObject({ ok: false, code: "OCSP_NONCE_MISMATCH" });
    const bare = parseOcspResponse(answer(leaf, { nonce: false }).der);
    expect(await verifyOcspResponse(bare, input(leaf, req.nonce))).toMatchObject({ ok: false, code: "OCSP_NONCE_MISMATCH" });
    expect(await verifyOcspResponse(res, input(other, req.nonce))).toMatchObject({ ok: false, code: "OCSP_CERTID_MISMATCH" });
    // flip a bit in the signed producedAt: the structure still parses, the signature fails
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(Buffer.from([0x18, 0x0f]));
    tampered[at + 5] ^= 1;
    expect(await verifyOcspResponse(parseOcspResponse(tampered), input(leaf, req.nonce))).toMatchObject({ ok: false, code: "OCSP_SIGNATURE_INVALID" });
    // a response signed by a responder of another CA
    const evil = parseOcspResponse(answer(leaf, { signer: "other-responder" }).der);
    expect(await verifyOcspResponse(evil, input(leaf, null))).toMatchObject({ ok: false, code: "OCSP_SIGNER_UNAUTHORISED" });
  });

  peer.it("every truncation and byte flip of a real response is an OcspError or a refusal, never a crash or a pass", async () => {
    const { req, der } = answer(leaf);
    const tbs = parseOcspResponse(der).basic!.tbs;
    const from = der.indexOf(Buffer.from(tbs));
    const to = from + tbs.length;
    expect(from).toBeGreaterThan(0);
    for (let n = 0; n < der.length; n++) expect(() => parseOcspResponse(der.subarray(0, n))).toThrow(OcspError);
    for (let i = 0; i < der.length; i++) {
      const b = Buffer.from(der);
      b[i] ^= 0x41;
      let res;
      try {
        res = parseOcspResponse(b);
      } catch (e) {
        expect(e).toBeInstanceOf(OcspError);
        continue;
      }
      const v = await verifyOcspResponse(res, input(leaf, req.nonce));
      // flips in the unsigned wrapper or the carried certificates may leave a valid answer; a flip
      // in anything signed must not
      if (i >= from && i < to) expect(v.ok, `flip at ${i} (signed data ${from}..${to}) passed`).toBe(false);
    }
    expect(() => parseOcspResponse(Buffer.alloc(2_000_000, 0x30))).toThrow(/exceeds the limit/);
    expect(() => parseOcspResponse(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]))).not.toThrow();
    expect(parseOcspResponse(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03])).responseStatus).toBe("tryLater");
    const tryLater = await verifyOcspResponse(parseOcspResponse(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03])), input(leaf, null));
    expect(tryLater).toMatchObject({ ok: false, code: "OCSP_ERROR_STATUS" });
  }, 60_000);

  peer.it("policy: revocation.order and the OCSP settings are data, checked when read", () => {
    const base = { digestAlgorithms: { sha256: null }, signatureAlgorithms: { ecdsa: [{ minBits: 256, until: null }] } };
    const p = parsePolicy({ ...base, revocation: { order: ["crl", "ocsp"], ocspNonce: false, ocspHash: "sha256", ocspClockSkewSeconds: 30 } });
    expect(p.revocation).toMatchObject({ order: ["crl", "ocsp"], ocspNonce: false, ocspHash: "sha256", ocspClockSkewSeconds: 30 });
    // the default since issue 13 archives the OCSP responses a verdict used: OCSP first
    expect(parsePolicy(base).revocation.order).toEqual(["ocsp", "crl"]);
    expect(() => parsePolicy({ ...base, revocation: { order: ["ocsp", "ldap"] } })).toThrow(/revocation.order/);
    expect(() => parsePolicy({ ...base, revocation: { order: [] } })).toThrow(/revocation.order/);
    expect(() => parsePolicy({ ...base, revocation: { ocspHash: "md5" } })).toThrow(/ocspHash/);
    expect(() => parsePolicy({ ...base, revocation: { ocspClockSkewSeconds: -1 } })).toThrow(/ocspClockSkewSeconds/);
  });
});
