/**
 * The built-in RFC 3161 TSA over HTTP: `openssl ts -verify` accepts its tokens, podpis's own
 * timestamp validation accepts them, unsupported hashes are rejected properly, serials never
 * repeat across restarts; and the signer's TSA client refuses timeouts, garbage, foreign nonces
 * and untrusted TSAs.
 */
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTsaServer, type TsaServer } from "../src/cli/tsa.js";
import { openKeyFiles, openPkcs12 } from "../src/keys/software.js";
import { buildTimestampRequest, parseTimestampResponse } from "../src/timestamp/request.js";
import { createTimestamper, httpTransport } from "../src/io/tsa-client.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { fileSerialSource, memorySerialSource } from "../src/io/tsa-serial.js";
import { parseTstInfo } from "../src/timestamp/tst-info.js";
import { parseSignedData } from "../src/cms/signed-data.js";
import { type Validator, createValidator } from "../src/validator.js";
import { requirePeer } from "./helpers/peers.js";
import { P12_PASSWORD, PKI, run } from "./helpers/sign-tools.js";

const openssl = requirePeer("openssl", "faketime");
const POLICY = "1.3.6.1.4.1.99999.1.3";
const tsaKey = () => openPkcs12(readFileSync(join(PKI, "keys", "tsa.p12")), P12_PASSWORD);
/** The TSAs here stamp, and their answers are checked, at this fixed time: no time bombs. */
const NOW = new Date("2026-05-31T12:00:00Z");
const clock = () => NOW;

let server: TsaServer;
let validator: Validator;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-tsa-"));
  const tsa = new TimestampAuthority({ key: tsaKey(), policy: POLICY, serials: fileSerialSource(join(dir, "data")), accuracyMs: 250, clock });
  server = await startTsaServer(tsa, { port: 0 });
  validator = await createValidator({
    trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
    crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
    offline: true,
  });
});
afterAll(async () => {
  await server?.close();
});

const post = (body: Buffer, type = "application/timestamp-query") =>
  fetch(server.url, { method: "POST", body, headers: { "content-type": type } }).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }));

describe("podpis tsa over HTTP", () => {
  openssl.it("a request podpis builds (DER from src/asn1/writer) reads in `openssl ts -query -text`", () => {
    const req = buildTimestampRequest(Buffer.from("signature value"), "sha384");
    const q = join(dir, "podpis.tsq");
    writeFileSync(q, req.der);
    const r = run("openssl", ["ts", "-query", "-in", q, "-text"]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("Hash Algorithm: sha384");
    expect(r.out).toMatch(/Nonce: 0x[0-9A-F]+/);
    expect(BigInt(/Nonce: (0x[0-9A-F]+)/.exec(r.out)![1]!)).toBe(BigInt("0x" + req.nonce.toString("hex")));
    expect(r.out).toContain("Certificate required: yes");
  });

  openssl.it("answers an `openssl ts -query` request with a token `openssl ts -verify` accepts", async () => {
    const data = join(dir, "data.txt");
    writeFileSync(data, "заявление №1\n");
    const q = join(dir, "req.tsq");
    expect(run("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", q]).status).toBe(0);
    const r = await post(readFileSync(q));
    expect(r.status).toBe(200);
    const reply = join(dir, "reply.tsr");
    writeFileSync(reply, r.body);
    const v1 = run("openssl", ["ts", "-verify", "-in", reply, "-queryfile", q, "-CAfile", join(PKI, "root-ca.pem")]);
    expect(v1.out).toContain("Verification: OK");
    const v2 = run("openssl", ["ts", "-verify", "-in", reply, "-data", data, "-CAfile", join(PKI, "root-ca.pem")]);
    expect(v2.out).toContain("Verification: OK");
    const text = run("openssl", ["ts", "-reply", "-in", reply, "-text"]).out;
    expect(text).toContain(`Policy OID: ${POLICY}`);
    expect(text).toContain("0xFA millis");
    expect(text).toMatch(/Nonce: 0x[0-9A-F]+/);
  });

  it("echoes the nonce, puts the policy, accuracy and an ESSCertIDv2 in the token, and podpis's client accepts it", async () => {
    const data = Buffer.from("signature value");
    const req = buildTimestampRequest(data, "sha384");
    const resp = parseTimestampResponse((await post(req.der)).body);
    expect(resp.status).toBe(0);
    const sd = parseSignedData(resp.token!);
    const tst = parseTstInfo(sd.eContent!);
    expect(BigInt("0x" + tst.nonce)).toBe(BigInt("0x" + req.nonce.toString("hex")));
    expect(tst.policy).toBe(POLICY);
    expect(tst.accuracyMs).toBe(250);
    expect(sd.signerInfos[0]!.signedAttrs!.some((a) => a.oid === "1.2.840.113549.1.9.16.2.47")).toBe(true);
    const ts = createTimestamper({ url: server.url, context: validator.context, now: clock });
    const token = parseTstInfo(parseSignedData(await ts(data, "sha256")).eContent!);
    expect([token.policy, token.imprintAlgorithm, Buffer.from(token.imprint).toString("hex")]).toEqual([POLICY, "sha256", createHash("sha256").update(data).digest("hex")]);
  });

  it("serial numbers increase and never repeat, across a restart of the serial store", async () => {
    const serials: string[] = [];
    for (let i = 0; i < 3; i++) {
      const resp = parseTimestampResponse((await post(buildTimestampRequest(Buffer.from([i]), "sha256").der)).body);
      serials.push(parseTstInfo(parseSignedData(resp.token!).eContent!).serialNumber);
    }
    expect(new Set(serials).size).toBe(3);
    const d = join(dir, "restart");
    const a = fileSerialSource(d, { block: 10 });
    const first = [a.next(), a.next()];
    expect(() => fileSerialSource(d)).toThrow(/another TSA process/);
    a.close();
    const b = fileSerialSource(d, { block: 10 });
    const after = b.next();
    b.close();
    expect(after > first[1]!).toBe(true);
    expect(readFileSync(join(d, "tsa-serial"), "utf8").trim()).toBe("20");
    expect(existsSync(join(d, "tsa-serial.lock"))).toBe(false);
  });

  it("an unsupported hash gets PKIStatus rejection with failInfo badAlg; garbage gets badDataFormat", async () => {
    const sha1 = parseTimestampResponse((await post(buildTimestampRequest(Buffer.from("x"), "sha1").der)).body);
    expect(sha1).toMatchObject({ status: 2, failInfo: [0], token: null });
    const junk = parseTimestampResponse((await post(Buffer.from("not a request"))).body);
    expect(junk).toMatchObject({ status: 2, failInfo: [5] });
    const wrongPolicy = parseTimestampResponse((await post(buildTimestampRequest(Buffer.from("x"), "sha256", { policy: "1.2.3.4" }).der)).body);
    expect(wrongPolicy.failInfo).toEqual([15]);
    expect((await post(Buffer.from("x"), "text/plain")).status).toBe(415);
  });
});

describe("the signer's TSA client refuses", () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  const fake = (handler: Parameters<typeof createServer>[1]) =>
    new Promise<string>((resolve) => {
      const s = createServer(handler);
      servers.push(s);
      s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as { port: number }).port}/`));
    });
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return "no error";
  };

  it("a TSA that does not answer in time: TSA_TIMEOUT", async () => {
    const url = await fake(() => undefined);
    const ts = createTimestamper({ url, context: validator.context, transport: httpTransport({ timeoutMs: 200 }) });
    expect(await codeOf(ts(Buffer.from("x"), "sha256"))).toBe("TSA_TIMEOUT");
  });

  it("garbage: TSA_BAD_RESPONSE; an HTTP error: TSA_HTTP_ERROR; nobody listening: TSA_UNREACHABLE", async () => {
    const junk = await fake((_q, r) => r.end("<html>hello</html>"));
    expect(await codeOf(createTimestamper({ url: junk, context: validator.context, now: clock })(Buffer.from("x"), "sha256"))).toBe("TSA_BAD_RESPONSE");
    const e500 = await fake((_q, r) => {
      r.statusCode = 500;
      r.end();
    });
    expect(await codeOf(createTimestamper({ url: e500, context: validator.context, now: clock })(Buffer.from("x"), "sha256"))).toBe("TSA_HTTP_ERROR");
    expect(await codeOf(createTimestamper({ url: "http://127.0.0.1:1/", context: validator.context, now: clock })(Buffer.from("x"), "sha256"))).toBe("TSA_UNREACHABLE");
  });

  it("a token for another request (replayed: other nonce and imprint): TSA_MISMATCH", async () => {
    const tsa = new TimestampAuthority({ key: tsaKey(), policy: POLICY, serials: memorySerialSource(), clock });
    const old = (await tsa.respond(buildTimestampRequest(Buffer.from("old"), "sha256").der)).response;
    const ts = createTimestamper({ url: "x", context: validator.context, now: clock, transport: async () => old });
    expect(await codeOf(ts(Buffer.from("new"), "sha256"))).toBe("TSA_MISMATCH");
  });

  it("a TSA whose certificate does not chain to the trust store: TSA_UNTRUSTED", async () => {
    const evil = openKeyFiles(join(PKI, "keys", "evil-leaf.key.pem"), join(PKI, "evil-leaf.pem"));
    const tsa = new TimestampAuthority({ key: evil, policy: POLICY, serials: memorySerialSource(), clock });
    const ts = createTimestamper({ url: "x", context: validator.context, now: clock, transport: async (_u, body) => (await tsa.respond(body)).response });
    expect(await codeOf(ts(Buffer.from("x"), "sha256"))).toBe("TSA_UNTRUSTED");
  });

  it("a rejection: TSA_REJECTED", async () => {
    const tsa = new TimestampAuthority({ key: tsaKey(), policy: POLICY, serials: memorySerialSource(), acceptedHashes: ["sha512"], clock });
    const ts = createTimestamper({ url: "x", context: validator.context, now: clock, transport: async (_u, body) => (await tsa.respond(body)).response });
    expect(await codeOf(ts(Buffer.from("x"), "sha256"))).toBe("TSA_REJECTED");
  });
});
