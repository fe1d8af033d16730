/**
 * Two-step signing over HTTP: prepare → the client signs the returned octets with its own key
 * (Node crypto here, standing in for a smart card or a browser) → complete → the assembled
 * signature validates TOTAL_PASSED in podpis at a fixed time and passes `openssl cms -verify`
 * (CAdES) and `xmlsec1 --verify` (XAdES); a tampered or expired state and a wrong signature
 * value are refused with a reason.
 */
import { createPrivateKey, sign as nodeSign, constants, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import type { PrepareResponse } from "../src/http/signing.js";
import { TwoStepSigning } from "../src/http/signing.js";
import { loadStateKey } from "../src/http/signing-state.js";
import { requirePeer } from "./helpers/peers.js";
import { peer } from "./helpers/peer.js";

const AT = "2026-06-01T00:00:00Z";
/** every validation runs at this instant, whatever the wall clock says */
const VALIDATE_AT = new Date("2026-06-01T01:00:00Z");
const PKI = "certs-test";
const openssl = requirePeer("openssl", "faketime");
const xmlsec = requirePeer("xmlsec1", "faketime");

const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie xmlns="urn:podpis:form:v1">\n  <ime>Иван Петров</ime>\n  <usluga>Удостоверение за наследници</usluga>\n</zayavlenie>\n`);
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.from([0, 1, 2, 0xff, 0xfe]), Buffer.from("\n%%EOF\n")]);

interface Signer {
  key: KeyObject;
  cert: Buffer;
  chain: Buffer;
}
const signerOf = (name: string): Signer => ({
  key: createPrivateKey(readFileSync(join(PKI, "keys", `${name}.key.pem`))),
  cert: readFileSync(join(PKI, `${name}.der`)),
  chain: readFileSync(join(PKI, "qualified-ca.der")),
});
const RSA = signerOf("citizen-rsa2048");
const EC = signerOf("citizen-p256");

let rt: Runtime;
let server: Server;
let base: string;
let dir: string;
let submitKey: string;
let verifyKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-signing-"));
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined });
  const app = createApp({ service: rt.service, archive: rt.archive, signing: rt.signing, log: pino({ level: "silent" }), maxBodyBytes: 256 * 1024, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  for (const [name, scopes] of [["portal", ["submit"]], ["verifier", ["verify"]]] as const) {
    const { key, record } = newApiKey(name, [...scopes], new Date(AT));
    await rt.archive.createApiKey(record);
    if (name === "portal") submitKey = key;
    else verifyKey = key;
  }
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}, key = submitKey): Promise<Response> =>
  fetch(base + path, { method: "POST", body, headers: { Authorization: `Bearer ${key}`, ...headers } });

function form(parts: Record<string, Buffer | string | undefined>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (v === undefined) continue;
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v]), `${k}.bin`);
  }
  return f;
}

async function ok<T>(r: Response): Promise<T> {
  if (r.status !== 200) throw new Error(`${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

async function problem(r: Response, status: number, code: string): Promise<string> {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await r.json()) as { code: string; detail: string };
  expect(body.code).toBe(code);
  return body.detail;
}

/** What the client's key does with the prepared octets. */
function clientSign(s: Signer, p: PrepareResponse, ecdsa: "der" | "ieee-p1363" = "der"): string {
  const tbs = Buffer.from(p.toBeSigned, "base64");
  const a = p.signatureAlgorithm;
  const opts =
    a.scheme === "rsa-pss"
      ? { key: s.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.saltLength }
      : a.scheme === "ecdsa"
        ? { key: s.key, dsaEncoding: ecdsa }
        : { key: s.key };
  return nodeSign(a.hash, tbs, opts).toString("base64");
}

const complete = (p: PrepareResponse, signatureValue: string, document?: Buffer): Promise<Response> =>
  post("/api/v1/signing/complete", JSON.stringify({ state: p.state, signatureValue, ...(document ? { document: document.toString("base64") } : {}) }), { "Content-Type": "application/json" });

async function signed(r: Response): Promise<Buffer> {
  if (r.status !== 200) throw new Error(`${r.status}: ${await r.text()}`);
  return Buffer.from(await r.arrayBuffer());
}

async function expectPassed(bytes: Buffer, contents: Array<{ name: string; bytes: Buffer }> = [], level = "B-B"): Promise<void> {
  const report = await rt.validator.verify(bytes, { at: VALIDATE_AT, contents });
  if (!("signatures" in report)) throw new Error("not a signature");
  expect(report.signatures).toHaveLength(1);
  const s = report.signatures[0]!;
  expect({ indication: report.indication, errors: s.errors }).toEqual({ indication: "TOTAL_PASSED", errors: [] });
  expect(s.level).toBe(level);
}

function opensslVerify(p7: Buffer, content?: Buffer): void {
  const w = mkdtempSync(join(dir, "openssl-"));
  writeFileSync(join(w, "sig.p7"), p7);
  const args = ["cms", "-verify", "-binary", "-inform", "DER", "-in", join(w, "sig.p7"), "-CAfile", join(PKI, "root-ca.pem"), "-certfile", join(PKI, "qualified-ca.pem"), "-purpose", "any", "-out", "/dev/null"];
  if (content) {
    writeFileSync(join(w, "content"), content);
    args.push("-content", join(w, "content"));
  }
  const r = peer("openssl", args);
  expect(`${r.stdout}${r.stderr}`).toContain("Verification successful");
  expect(r.status).toBe(0);
}

function xmlsecVerify(xml: Buffer, detached?: { name: string; bytes: Buffer }): void {
  const w = mkdtempSync(join(dir, "xmlsec-"));
  writeFileSync(join(w, "signed.xml"), xml);
  if (detached) writeFileSync(join(w, detached.name), detached.bytes);
  const r = peer("xmlsec1", ["--verify", "--verification-time", "2026-06-01 01:00:00", "--trusted-pem", join(process.cwd(), PKI, "root-ca.pem"), "--untrusted-pem", join(process.cwd(), PKI, "qualified-ca.pem"), "signed.xml"], { cwd: w });
  expect(`${r.stdout}${r.stderr}`).toContain("OK");
  expect(r.status).toBe(0);
}

const certHeader = (s: Signer): string => `${s.cert.toString("base64")}, ${s.chain.toString("base64")}`;

/** Made once, by whichever test asks first: each test below stands alone, in any order. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

describe("CAdES", () => {
  const rsaEnveloping = once(async () => {
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare?format=cades&packaging=enveloping", FORM, { "Content-Type": "application/octet-stream", "X-Signer-Certificate": certHeader(RSA) }));
    expect(p).toMatchObject({ format: "cades", packaging: "enveloping", level: "B-B", digestAlgorithm: "sha256", signatureAlgorithm: { scheme: "rsa-pkcs1", id: "1.2.840.113549.1.1.11" } });
    expect(Buffer.from(p.toBeSigned, "base64")[0]).toBe(0x31); // the DER SET of the signed attributes
    return signed(await complete(p, clientSign(RSA, p), FORM));
  });
  it("enveloping, RSA: raw-body prepare, JSON complete with the document", async () => expectPassed(await rsaEnveloping()));
  openssl.it("enveloping, RSA: openssl cms -verify accepts it", async () => opensslVerify(await rsaEnveloping()));

  const ecDetachedBT = once(async () => {
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "cades", packaging: "detached", level: "B-T", document: PDF, certificate: EC.cert, chain: EC.chain })));
    expect(p.signatureAlgorithm).toMatchObject({ scheme: "ecdsa", id: "1.2.840.10045.4.3.2" });
    return signed(await complete(p, clientSign(EC, p, "der")));
  });
  it("detached, ECDSA P-256 with a DER signature value, B-T: multipart prepare, complete without the document", async () =>
    expectPassed(await ecDetachedBT(), [{ name: "application.pdf", bytes: PDF }], "B-T"));
  openssl.it("detached, ECDSA P-256, B-T: openssl cms -verify accepts it", async () => opensslVerify(await ecDetachedBT(), PDF));

  const rsaPss = once(async () => {
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "cades", hash: "sha384", scheme: "rsa-pss", document: FORM, certificate: RSA.cert, chain: RSA.chain })));
    expect(p.signatureAlgorithm).toMatchObject({ scheme: "rsa-pss", hash: "sha384", saltLength: 48 });
    return signed(await complete(p, clientSign(RSA, p), FORM));
  });
  it("enveloping, RSA-PSS with SHA-384", async () => expectPassed(await rsaPss()));
  openssl.it("enveloping, RSA-PSS with SHA-384: openssl cms -verify accepts it", async () => opensslVerify(await rsaPss()));
});

describe("XAdES", () => {
  const rsaEnveloped = once(async () => {
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "xades", document: FORM, certificate: RSA.cert, chain: RSA.chain })));
    expect(p).toMatchObject({ packaging: "enveloped", signatureAlgorithm: { id: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" } });
    expect(Buffer.from(p.toBeSigned, "base64").toString("utf8")).toMatch(/^<ds:SignedInfo xmlns:ds=/);
    const xml = await signed(await post("/api/v1/signing/complete", form({ state: p.state, signatureValue: clientSign(RSA, p), document: FORM })));
    expect(xml.toString("utf8")).toContain("<ime>Иван Петров</ime>");
    return xml;
  });
  it("enveloped, RSA: multipart both ways", async () => expectPassed(await rsaEnveloped()));
  xmlsec.it("enveloped, RSA: xmlsec1 --verify accepts it", async () => xmlsecVerify(await rsaEnveloped()));

  const ecDetached = once(async () => {
    const pem = Buffer.concat([Buffer.from(`-----BEGIN CERTIFICATE-----\n${EC.cert.toString("base64")}\n-----END CERTIFICATE-----\n`), Buffer.from(`-----BEGIN CERTIFICATE-----\n${EC.chain.toString("base64")}\n-----END CERTIFICATE-----\n`)]);
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "xades", packaging: "detached", name: "application.pdf", mimeType: "application/pdf", document: PDF, certificate: pem.toString("utf8") })));
    return signed(await complete(p, clientSign(EC, p, "ieee-p1363")));
  });
  it("detached, ECDSA P-256 with a raw r||s signature value, no document at complete", async () => expectPassed(await ecDetached(), [{ name: "application.pdf", bytes: PDF }]));
  xmlsec.it("detached, ECDSA P-256: xmlsec1 --verify accepts it", async () => xmlsecVerify(await ecDetached(), { name: "application.pdf", bytes: PDF }));

  const ecEnveloping = once(async () => {
    const p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "xades", packaging: "enveloping", document: FORM, certificate: EC.cert, chain: EC.chain })));
    return signed(await complete(p, clientSign(EC, p, "der"), FORM));
  });
  it("enveloping, ECDSA with a DER signature value", async () => expectPassed(await ecEnveloping()));
  xmlsec.it("enveloping, ECDSA: xmlsec1 --verify accepts it", async () => xmlsecVerify(await ecEnveloping()));
});

describe("refusals", () => {
  let p: PrepareResponse;
  beforeAll(async () => {
    p = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "cades", packaging: "detached", document: PDF, certificate: RSA.cert, chain: RSA.chain })));
  });

  it("a tampered state: 400 INVALID_SIGNING_STATE", async () => {
    const [v, payload, mac] = p.state.split(".");
    const state = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as { signingTime: string };
    state.signingTime = "2026-01-01T00:00:00.000Z";
    const forged = { ...p, state: `${v}.${Buffer.from(JSON.stringify(state)).toString("base64url")}.${mac}` };
    expect(await problem(await complete(forged, clientSign(RSA, p)), 400, "INVALID_SIGNING_STATE")).toMatch(/altered/);
    await problem(await complete({ ...p, state: "not-a-state" }, clientSign(RSA, p)), 400, "INVALID_SIGNING_STATE");
  });

  it("a wrong signature value: 422 SIGNATURE_VALUE_INVALID", async () => {
    const other = { ...p, toBeSigned: Buffer.from("something else").toString("base64") };
    expect(await problem(await complete(p, clientSign(RSA, other)), 422, "SIGNATURE_VALUE_INVALID")).toMatch(/does not verify/);
    // the right octets signed by another key
    await problem(await complete(p, nodeSign("sha256", Buffer.from(p.toBeSigned, "base64"), createPrivateKey(readFileSync(join(PKI, "keys", "citizen-rsa3072.key.pem")))).toString("base64")), 422, "SIGNATURE_VALUE_INVALID");
  });

  it("another document at complete: 422 DOCUMENT_MISMATCH; a missing one: 400", async () => {
    const q = await ok<PrepareResponse>(await post("/api/v1/signing/prepare", form({ format: "xades", document: FORM, certificate: RSA.cert })));
    await problem(await complete(q, clientSign(RSA, q), Buffer.from(FORM.toString("utf8").replace("Иван", "Петър"))), 422, "DOCUMENT_MISMATCH");
    await problem(await complete(q, clientSign(RSA, q)), 400, "BAD_REQUEST");
  });

  it("a state past its expiry: 422 SIGNING_STATE_EXPIRED", async () => {
    // prepared eleven minutes before the service's clock, by a signer sharing its key (same data dir)
    let now = new Date(Date.parse(AT) - 660_000);
    const signing = new TwoStepSigning({ stateKey: loadStateKey(dir), clock: () => now, ttlSeconds: 600 });
    const q = signing.prepare({ format: "cades", packaging: "detached", document: PDF, certificates: [RSA.cert, RSA.chain] });
    now = new Date(Date.parse(AT));
    await expect(signing.complete({ state: q.state, signatureValue: Buffer.from(clientSign(RSA, q), "base64") })).rejects.toMatchObject({ code: "SIGNING_STATE_EXPIRED" });
    expect(await problem(await complete(q, clientSign(RSA, q)), 422, "SIGNING_STATE_EXPIRED")).toMatch(/expired/);
  });

  it("bad input at prepare: no certificate, an unreadable one, enveloped into a non-XML file, a wrong scope", async () => {
    await problem(await post("/api/v1/signing/prepare", form({ format: "cades", document: PDF })), 400, "BAD_REQUEST");
    await problem(await post("/api/v1/signing/prepare", form({ format: "cades", document: PDF, certificate: "not a certificate" })), 422, "CANNOT_SIGN");
    await problem(await post("/api/v1/signing/prepare", form({ format: "xades", packaging: "enveloped", document: PDF, certificate: RSA.cert })), 422, "CANNOT_SIGN");
    await problem(await post("/api/v1/signing/prepare", form({ format: "cades", scheme: "ecdsa", document: PDF, certificate: RSA.cert })), 422, "CANNOT_SIGN");
    await problem(await post("/api/v1/signing/prepare", form({ format: "pades", document: PDF, certificate: RSA.cert })), 400, "BAD_REQUEST");
    await problem(await post("/api/v1/signing/prepare", form({ format: "cades", document: PDF, certificate: RSA.cert }), {}, verifyKey), 403, "FORBIDDEN");
  });
});
