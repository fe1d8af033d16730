/**
 * Interop defect (issue 12): `podpis tsa --key tsa.p12` whose PKCS#12 holds the TSA certificate
 * and its issuing CA answered tokens with the TSA certificate alone, so `podpis sign --level B-T
 * --trust ROOT` found no path (TSA_UNTRUSTED). Tokens now carry the chain as the key file gives
 * it when certReq is set (RFC 3161 §2.4.1); `openssl ts -verify` accepts them with only the root;
 * `podpis sign --untrusted` supplies an intermediate a token lacks. A real `podpis tsa` process
 * (bin/podpis.js, so `npx tsc -p tsconfig.json` first) with a PKI made at run time.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { openPkcs12 } from "../src/keys/software.js";
import { memorySerialSource } from "../src/io/tsa-serial.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { buildTimestampRequest, parseTimestampResponse } from "../src/timestamp/request.js";
import { parseSignedData } from "../src/cms/signed-data.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import { createValidator } from "../src/validator.js";
import { startTsaServer } from "../src/cli/tsa.js";
import { testContext } from "./helpers/cades-context.js";
import { capture } from "./helpers/cli-capture.js";
import { type ChainPki, makeChainPki } from "./helpers/chain-pki.js";
import { requirePeer } from "./helpers/peers.js";
import { P12_PASSWORD, PKI } from "./helpers/sign-tools.js";

const openssl = requirePeer("openssl");
const BIN = resolve("bin/podpis.js");
let pki: ChainPki;
let dir: string;
let tsa: ChildProcess | null = null;
let url = "";

beforeAll(async () => {
  if (!openssl.present) return;
  pki = makeChainPki({ tsa: "tsa" }, "TSA Chain");
  dir = mkdtempSync(join(tmpdir(), "podpis-tsa-chain-"));
  writeFileSync(join(dir, "form.xml"), "<заявление>1</заявление>\n");
  tsa = spawn(process.execPath, [BIN, "tsa", "--port", "0", "--host", "127.0.0.1", "--key", pki.p12("tsa"), "--password-env", "CHAIN_TSA_PASSWORD", "--data", join(dir, "tsa-data")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CHAIN_TSA_PASSWORD: pki.password },
  });
  let said = "";
  url = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`podpis tsa did not start: ${said}`)), 60_000);
    const hear = (d: Buffer) => {
      said += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(said);
      if (m) {
        clearTimeout(t);
        ok(m[1]!);
      }
    };
    tsa!.stdout!.on("data", hear);
    tsa!.stderr!.on("data", hear);
    tsa!.on("exit", (c) => fail(new Error(`podpis tsa exited ${c}: ${said}`)));
  });
});
afterAll(() => {
  if (tsa && tsa.exitCode === null) tsa.kill("SIGTERM");
});

const sign = (extra: string[], out: string) =>
  capture((io) =>
    run(["sign", join(dir, "form.xml"), "--key", join(PKI, "keys", "citizen-rsa2048.p12"), "--password-env", "CHAIN_SIGNER_PASSWORD", "--format", "cades", "--level", "B-T", "--tsa", url, "--offline", ...extra, "-o", join(dir, out), "--json"], io),
  );

openssl.describe("podpis tsa with a PKCS#12 that holds the TSA's issuing CA", () => {
  beforeAll(() => {
    process.env.CHAIN_SIGNER_PASSWORD = P12_PASSWORD;
  });

  openssl.it("the token carries the TSA certificate and its CA when certReq is set", async () => {
    const req = buildTimestampRequest(Buffer.from("x"), "sha256", { certReq: true });
    const res = await fetch(url, { method: "POST", body: req.der, headers: { "content-type": "application/timestamp-query" } });
    const token = parseTimestampResponse(Buffer.from(await res.arrayBuffer())).token!;
    const subjects = parseSignedData(token).certificates.map((der) => spawnSync("openssl", ["x509", "-inform", "DER", "-noout", "-subject"], { input: der, encoding: "utf8" }).stdout.trim());
    expect(subjects).toEqual([expect.stringContaining("TSA Chain tsa"), expect.stringContaining("TSA Chain Intermediate CA")]);
  });

  openssl.it("podpis sign --level B-T --tsa … --trust ROOT succeeds (was TSA_UNTRUSTED)", async () => {
    const r = await sign(["--trust", pki.root, ...pki.crls.flatMap((c) => ["--crl", c])], "signed.p7m");
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ level: "B-T" });
  });

  openssl.it("openssl ts -verify accepts the token with only the root", () => {
    const data = join(dir, "data.bin");
    writeFileSync(data, "signature value stand-in\n");
    const q = join(dir, "q.tsq");
    expect(spawnSync("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", q]).status).toBe(0);
    const post = spawnSync(process.execPath, ["-e", `fetch(${JSON.stringify(url)},{method:"POST",body:require("fs").readFileSync(${JSON.stringify(q)}),headers:{"content-type":"application/timestamp-query"}}).then(async r=>process.stdout.write(Buffer.from(await r.arrayBuffer())))`]);
    const reply = join(dir, "reply.tsr");
    writeFileSync(reply, post.stdout);
    const v = spawnSync("openssl", ["ts", "-verify", "-in", reply, "-data", data, "-CAfile", pki.root], { encoding: "utf8" });
    expect(`${v.stdout}${v.stderr}`).toContain("Verification: OK");
  });

  openssl.it("the signature made through it validates with the root and the CRLs only", async () => {
    const v = await createValidator({ trust: [readFileSync(join(PKI, "trust", "root-ca.pem")), readFileSync(pki.root)], crls: [...readdirCrls(), ...pki.crls.map((c) => readFileSync(c))], offline: true });
    const r = await v.verify(readFileSync(join(dir, "signed.p7m")));
    expect(r.signatures[0]!.timestamps.map((t) => t.indication)).toEqual(["TOTAL_PASSED"]);
  });
});

openssl.describe("a token without the intermediate (an in-process TSA that knows only its own certificate)", () => {
  let bareUrl = "";
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const key = openPkcs12(readFileSync(pki.p12("tsa")), pki.password);
    const own = { ...key, chain: [key.certificate], sign: key.sign.bind(key), close: key.close.bind(key) };
    const server = await startTsaServer(new TimestampAuthority({ key: own, policy: "1.3.6.1.4.1.99999.1.3", serials: memorySerialSource() }), { port: 0 });
    bareUrl = server.url;
    close = server.close;
  });
  afterAll(() => close());

  openssl.it("podpis sign fails with TSA_UNTRUSTED, and --untrusted INTERMEDIATE mends it", async () => {
    const args = (extra: string[]) => ["sign", join(dir, "form.xml"), "--key", join(PKI, "keys", "citizen-rsa2048.p12"), "--password-env", "CHAIN_SIGNER_PASSWORD", "--format", "cades", "--level", "B-T", "--tsa", bareUrl, "--offline", "--trust", pki.root, ...pki.crls.flatMap((c) => ["--crl", c]), ...extra, "-o", join(dir, "bare.p7m")];
    const without = await capture((io) => run(args([]), io));
    expect(without.code).not.toBe(0);
    expect(without.err).toMatch(/TSA_UNTRUSTED|not trusted|untrusted/i);
    const withIt = await capture((io) => run(args(["--untrusted", pki.intermediate]), io));
    expect(withIt.code, withIt.err).toBe(0);
    const report = await verifyCades(readFileSync(join(dir, "bare.p7m")), { at: new Date(), context: testContext() });
    expect(report.signatures[0]!.intact).toBe(true);
  });
});

function readdirCrls(): Buffer[] {
  return readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f)));
}
