/**
 * OCSP as a revocation source (RFC 6960), against real `openssl ocsp` responders on loopback
 * serving an index for a PKI made at run time: good, revoked, unknown, CA-signed and delegated
 * responses, an unauthorised signer, a stale answer, garbage, a responder that is down; through
 * createValidator().validatePath and through `podpis chain`.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { createOcspFetcher } from "../src/revocation/ocsp-fetch.js";
import { validationPolicy, withOverrides } from "../src/validation/policy.js";
import { createValidator, defaultValidationPolicy } from "../src/validator.js";
import { requirePeer } from "./helpers/peers.js";
import { type OcspPki, type Responder, indexTime, makeOcspPki, rootCrl, startResponder } from "./ocsp-pki.js";

const peer = requirePeer("openssl");

const LEAVES = {
  "good-ca": "ca",
  "revoked-ca": "ca",
  "unknown-ca": "ca",
  "good-delegated": "delegated",
  "good-checked": "checked",
  "good-evil": "evil",
  "good-stale": "stale",
  "good-garbage": "garbage",
  "good-down": "down",
} as const;

let pki: OcspPki;
const responders: Responder[] = [];
let garbage: Server;
const REVOKED_AT = new Date(Date.now() - 3600_000);
/** a little after the responses are produced: every answer is current then */
const at = () => new Date(Date.now() + 5_000);

peer.describe("OCSP against openssl ocsp responders", () => {
  beforeAll(async () => {
    pki = await makeOcspPki(["ca", "delegated", "checked", "evil", "stale", "garbage", "down"], LEAVES);
    const expiry = indexTime(new Date(Date.now() + 30 * 86400_000));
    const line = (name: string, revoked?: string) =>
      `${revoked ? "R" : "V"}\t${expiry}\t${revoked ?? ""}\t${pki.serials[name]!.toUpperCase()}\tunknown\t/C=BG/O=podpis test/CN=Leaf ${name}\n`;
    const index = Object.keys(LEAVES)
      .filter((n) => n !== "unknown-ca")
      .map((n) => line(n, n === "revoked-ca" ? `${indexTime(REVOKED_AT)},keyCompromise` : undefined))
      .join("");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(pki.file("index.txt"), index);
    const base = ["-CA", "root.pem"];
    const start = (name: string, signer: string, extra: string[] = []) =>
      startResponder(pki.dir, pki.ports[name]!, "index.txt", [...base, "-rsigner", `${signer}.pem`, "-rkey", `${signer}.key`, ...extra]);
    responders.push(
      await start("ca", "root", ["-ndays", "1"]),
      await start("delegated", "responder", ["-ndays", "1"]),
      await start("checked", "responder-checked", ["-ndays", "1"]),
      await start("evil", "other-responder", ["-ndays", "1"]),
      await start("stale", "root", ["-nmin", "1"]),
    );
    garbage = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/ocsp-response" });
      res.end(Buffer.from("this is not an OCSP response at all"));
    });
    await new Promise<void>((r) => garbage.listen(pki.ports.garbage, "127.0.0.1", r));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(responders.map((r) => r.stop()));
    await new Promise((r) => garbage?.close(r));
  });

  const pem = (name: string) => readFileSync(pki.file(`${name}.pem`));
  // These cases are about OCSP: ask the responder first (the default order is CRL first).
  const ocspFirst = withOverrides(defaultValidationPolicy(), { revocation: { order: ["ocsp", "crl"] } });
  const validator = (opts: Parameters<typeof createValidator>[0] extends infer O ? Partial<O> : never = {}) =>
    createValidator({ trust: [pem("root")], policy: ocspFirst, ...opts });

  peer.it("good from a CA-signed response: TOTAL_PASSED, source OCSP with producedAt", async () => {
    const v = await validator();
    const r = await v.validatePath(pem("good-ca"), { at: at() });
    expect(r.errors).toEqual([]);
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.path[0]!.revocation.status).toBe("good");
    expect(r.path[0]!.revocation.source).toBe("OCSP");
    expect(Date.parse(r.path[0]!.revocation.producedAt!)).toBeGreaterThan(Date.now() - 120_000);
  }, 30_000);

  peer.it("revoked carries its time and reason into the process: REVOKED_NO_POE", async () => {
    const v = await validator();
    const r = await v.validatePathDetailed(pem("revoked-ca"), { at: at() });
    expect(r.report.indication).toBe("INDETERMINATE");
    expect(r.report.subIndication).toBe("REVOKED_NO_POE");
    expect(r.report.errors[0]!.code).toBe("CERT_REVOKED");
    expect(r.revocation![0]).toMatchObject({ status: "revoked", source: "OCSP", reason: "keyCompromise" });
    expect(Math.abs(r.revocation![0]!.revocationDate!.getTime() - REVOKED_AT.getTime())).toBeLessThan(1000);
  }, 30_000);

  peer.it("unknown (not in the responder's index) is never a pass: TRY_LATER, OCSP_UNKNOWN", async () => {
    const v = await validator();
    const r = await v.validatePath(pem("unknown-ca"), { at: at() });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.subIndication).toBe("TRY_LATER");
    expect(r.errors[0]).toMatchObject({ code: "REVOCATION_UNKNOWN", revocationCode: "OCSP_UNKNOWN" });
    expect(r.errors[0]!.message).toMatch(/status unknown/);
  }, 30_000);

  peer.it("a delegated responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) is accepted", async () => {
    const r = await (await validator()).validatePath(pem("good-delegated"), { at: at() });
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.path[0]!.revocation.source).toBe("OCSP");
  }, 30_000);

  peer.it("a delegated responder without nocheck: its own status comes from the CA's CRL; without one it fails closed, revoked it is refused", async () => {
    const none = await (await validator()).validatePath(pem("good-checked"), { at: at() });
    expect(none.indication).toBe("INDETERMINATE");
    expect(none.errors[0]).toMatchObject({ revocationCode: "OCSP_SIGNER_UNAUTHORISED" });
    expect(none.errors[0]!.message).toMatch(/responder certificate's own revocation status/);

    const empty = rootCrl(pki, "", "empty");
    const good = await (await validator({ crls: [readFileSync(empty)] })).validatePath(pem("good-checked"), { at: at() });
    expect(good.errors).toEqual([]);
    expect(good.indication).toBe("TOTAL_PASSED");
    expect(good.path[0]!.revocation.source).toBe("OCSP");

    const expiry = indexTime(new Date(Date.now() + 30 * 86400_000));
    const revokedResponder = rootCrl(pki, `R\t${expiry}\t${indexTime(REVOKED_AT)}\t${pki.serials["responder-checked"]!.toUpperCase()}\tunknown\t/CN=x\n`, "resp-revoked");
    const bad = await (await validator({ crls: [readFileSync(revokedResponder)] })).validatePath(pem("good-checked"), { at: at() });
    // the revoked responder's answer is refused; the CRL fallback (which does not list the leaf) decides, and says so
    expect(bad.indication).toBe("TOTAL_PASSED");
    expect(bad.path[0]!.revocation.source).toBe("CRL");
    const ocspOnly = withOverrides(defaultValidationPolicy(), { revocation: { order: ["ocsp"] } });
    const refused = await (await validator({ crls: [readFileSync(revokedResponder)], policy: ocspOnly })).validatePath(pem("good-checked"), { at: at() });
    expect(refused.indication).toBe("INDETERMINATE");
    expect(refused.errors[0]).toMatchObject({ revocationCode: "OCSP_SIGNER_UNAUTHORISED" });
    expect(refused.errors[0]!.message).toMatch(/revoked \(CRL\)/);
  }, 30_000);

  peer.it("an unauthorised signer (another CA's responder) is never a pass", async () => {
    const r = await (await validator()).validatePath(pem("good-evil"), { at: at() });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.subIndication).toBe("TRY_LATER");
    expect(r.errors[0]).toMatchObject({ revocationCode: "OCSP_SIGNER_UNAUTHORISED" });
  }, 30_000);

  peer.it("a stale answer (validation time past nextUpdate) is never a pass", async () => {
    const r = await (await validator()).validatePath(pem("good-stale"), { at: new Date(Date.now() + 20 * 60_000) });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.errors[0]).toMatchObject({ revocationCode: "OCSP_STALE" });
    // the same answer with a clock skew wider than its age passes (the skew is policy)
    const lax = withOverrides(defaultValidationPolicy(), { revocation: { ocspClockSkewSeconds: 3600 } });
    const ok = await (await validator({ policy: lax })).validatePath(pem("good-stale"), { at: new Date(Date.now() + 20 * 60_000) });
    expect(ok.indication).toBe("TOTAL_PASSED");
  }, 30_000);

  peer.it("garbage from the responder is OCSP_MALFORMED, never a crash or a pass", async () => {
    const r = await (await validator()).validatePath(pem("good-garbage"), { at: at() });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.errors[0]).toMatchObject({ revocationCode: "OCSP_MALFORMED" });
  }, 30_000);

  peer.it("a responder that is down is OCSP_FETCH_FAILED; a slow one runs into the timeout", async () => {
    const r = await (await validator()).validatePath(pem("good-down"), { at: at() });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.errors[0]).toMatchObject({ revocationCode: "OCSP_FETCH_FAILED" });
    expect(r.errors[0]!.message).toMatch(/connection refused/);

    const slow = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((res) => slow.listen(0, "127.0.0.1", res));
    const port = (slow.address() as { port: number }).port;
    const redirect = createOcspFetcher({ timeoutMs: 300, fetchImpl: (url, init) => globalThis.fetch(String(url).replace(`:${pki.ports.down}/`, `:${port}/`), init) });
    const s = await (await validator({ ocspFetcher: redirect })).validatePath(pem("good-down"), { at: at() });
    slow.closeAllConnections();
    await new Promise((res) => slow.close(res));
    expect(s.indication).toBe("INDETERMINATE");
    expect(s.errors[0]).toMatchObject({ revocationCode: "OCSP_FETCH_FAILED" });
    expect(s.errors[0]!.message).toMatch(/no complete response within 300 ms/);
  }, 30_000);

  peer.it("GET for small requests, POST for larger ones; answers cached until nextUpdate and concurrent asks coalesced", async () => {
    const seen: string[] = [];
    const counting = createOcspFetcher({
      fetchImpl: (url, init) => {
        seen.push(`${init?.method ?? "GET"} ${String(url).length > 60 ? "long" : "short"}`);
        return globalThis.fetch(url, init);
      },
    });
    const v = await validator({ ocspFetcher: counting });
    const [a, b] = await Promise.all([v.validatePath(pem("good-ca"), { at: at() }), v.validatePath(pem("good-ca"), { at: at() })]);
    expect([a.indication, b.indication]).toEqual(["TOTAL_PASSED", "TOTAL_PASSED"]);
    expect(seen).toEqual(["GET long"]); // SHA-1 CertID + nonce: base64 under 255 octets, one exchange
    expect((await v.validatePath(pem("good-ca"), { at: at() })).indication).toBe("TOTAL_PASSED");
    expect(seen).toHaveLength(1); // from the cache (nextUpdate a day away)

    // a SHA-256 CertID still fits a GET; a request over the GET limit goes by POST
    seen.length = 0;
    const posting = createOcspFetcher({
      maxGetLength: 100,
      fetchImpl: (url, init) => {
        seen.push(`${init?.method ?? "GET"} ${String(url).length > 60 ? "long" : "short"}`);
        return globalThis.fetch(url, init);
      },
    });
    const sha256 = withOverrides(defaultValidationPolicy(), { revocation: { ocspHash: "sha256" } });
    const big = await (await validator({ ocspFetcher: posting, policy: sha256 })).validatePath(pem("good-delegated"), { at: at() });
    expect(big.errors).toEqual([]);
    expect(big.indication).toBe("TOTAL_PASSED");
    expect(seen).toEqual(["POST short"]);
  }, 30_000);

  peer.it("order crl-first falls back to OCSP; --offline asks no responder (supplied responses only)", async () => {
    const crlFirst = withOverrides(defaultValidationPolicy(), { revocation: { order: ["crl", "ocsp"] } });
    const r = await (await validator({ policy: crlFirst })).validatePath(pem("good-ca"), { at: at() });
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.path[0]!.revocation.source).toBe("OCSP");
    const crlOnly = withOverrides(defaultValidationPolicy(), { revocation: { order: ["crl"] } });
    const c = await (await validator({ policy: crlOnly })).validatePath(pem("good-ca"), { at: at() });
    expect(c.indication).toBe("INDETERMINATE");
    expect(c.errors[0]).toMatchObject({ revocationCode: "CRL_MISSING" });

    const off = await (await validator({ offline: true })).validatePath(pem("good-ca"), { at: at() });
    expect(off.indication).toBe("INDETERMINATE");
    expect(off.errors[0]!.message).toMatch(/offline/);

    // a response fetched once, supplied offline, decides (no nonce then: it was not asked for now)
    const { execFileSync } = await import("node:child_process");
    execFileSync("openssl", ["ocsp", "-issuer", "root.pem", "-cert", "good-ca.pem", "-url", `http://127.0.0.1:${pki.ports.ca}/`, "-respout", "good-ca.ocsp", "-noverify"], { cwd: pki.dir, stdio: "ignore" });
    const supplied = await validator({ offline: true, ocspResponses: [readFileSync(pki.file("good-ca.ocsp"))] });
    const s = await supplied.validatePath(pem("good-ca"), { at: at() });
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.path[0]!.revocation.source).toBe("OCSP");
    await expect(createValidator({ trust: [pem("root")], ocspResponses: [Buffer.from("junk")] })).rejects.toMatchObject({ code: "BAD_OCSP_RESPONSE" });
  }, 30_000);

  peer.it("OCSP and CRL draw on the validation's one fetch budget: none left is FETCH_LIMIT, never a pass", async () => {
    const noFetches = withOverrides(defaultValidationPolicy(), { budget: { fetches: 0 } });
    const r = await (await validator({ policy: noFetches })).validatePath(pem("good-delegated"), { at: at() });
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.errors[0]).toMatchObject({ revocationCode: "FETCH_LIMIT" });
    const elsewhere = withOverrides(defaultValidationPolicy(), { revocation: { fetchHosts: ["ocsp.example.bg"] } });
    const h = await (await validator({ policy: elsewhere })).validatePath(pem("good-delegated"), { at: at() });
    expect(h.indication).toBe("INDETERMINATE");
    expect(h.errors[0]!.message).toMatch(/not among the hosts the policy allows/);
  }, 30_000);

  peer.it("podpis chain uses OCSP: source and producedAt in --json; --offline gives TRY_LATER", async () => {
    let out = "";
    const code = await run(["chain", pki.file("good-ca.pem"), "--trust", pki.file("root.pem"), "--json"], { stdout: (t) => void (out += t), stderr: () => undefined });
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.path[0].revocation).toMatchObject({ status: "good", source: "OCSP" });
    expect(typeof report.path[0].revocation.producedAt).toBe("string");
    out = "";
    const revoked = await run(["chain", pki.file("revoked-ca.pem"), "--trust", pki.file("root.pem"), "--json"], { stdout: (t) => void (out += t), stderr: () => undefined });
    expect(revoked).toBe(1);
    expect(JSON.parse(out).subIndication).toBe("REVOKED_NO_POE");
    out = "";
    const offline = await run(["chain", pki.file("good-ca.pem"), "--trust", pki.file("root.pem"), "--offline", "--json"], { stdout: (t) => void (out += t), stderr: () => undefined });
    expect(offline).toBe(1);
    expect(JSON.parse(out).subIndication).toBe("TRY_LATER");
  }, 30_000);
});

void validationPolicy;
