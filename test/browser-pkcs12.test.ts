/**
 * The browser's PKCS#12 reader (web/src/pkcs12.ts, des.ts, rc2.ts) run under Node's WebCrypto:
 * the same files as the server's reader opens — modern (PBES2, PBKDF2, AES-256-CBC, SHA-256 MAC)
 * and legacy (pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd40BitRC2-CBC, SHA-1 MAC) — give the
 * same private key; a wrong password is BAD_PASSWORD; the Triple-DES agrees with OpenSSL's.
 */
import { createCipheriv, createPrivateKey, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPkcs12 } from "../src/keys/pkcs12.js";
import { tripleDesCbcDecrypt } from "../web/src/des.js";
import { openPkcs12 } from "../web/src/pkcs12.js";
import { requirePeer } from "./helpers/peers.js";
import { PKI } from "./helpers/sign-tools.js";

const key = (f: string): Buffer => readFileSync(join(PKI, "keys", f));
const pkcs8Of = (der: Uint8Array): string => createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({ format: "jwk" }).d as string;

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("Triple-DES in the browser (web/src/des.ts) against OpenSSL's des-ede3-cbc", () => {
  it.each([24, 16])("%i-octet keys, 20 random messages", (len) => {
    for (let i = 0; i < 20; i++) {
      const k = randomBytes(len);
      const iv = randomBytes(8);
      const plain = randomBytes(1 + Math.floor(Math.random() * 100));
      const c = createCipheriv(len === 24 ? "des-ede3-cbc" : "des-ede-cbc", k, iv);
      const ct = Buffer.concat([c.update(plain), c.final()]);
      expect(Buffer.from(tripleDesCbcDecrypt(k, iv, ct)).equals(plain)).toBe(true);
    }
  });
});

describe("PKCS#12 in the browser (web/src/pkcs12.ts)", () => {
  it.each([
    ["citizen-rsa2048.p12", "podpis-test"],
    ["citizen-rsa2048.legacy.p12", "podpis-legacy"],
    ["citizen-p256.p12", "podpis-test"],
    ["seal-rsa2048.p12", "podpis-test"],
  ])("%s gives the key and certificates the server's reader gives", async (f, pw) => {
    const server = readPkcs12(key(f), pw);
    const browser = await openPkcs12(new Uint8Array(key(f)), pw);
    expect(pkcs8Of(browser.privateKey)).toBe(server.privateKey.export({ format: "jwk" }).d);
    const certs = browser.certificates.map((c) => Buffer.from(c).toString("hex"));
    expect(certs).toContain(Buffer.from(server.certificate.der).toString("hex"));
    expect(certs.length).toBe(1 + server.others.length);
  });

  it.each([["citizen-rsa2048.p12"], ["citizen-rsa2048.legacy.p12"]])("%s with a wrong or empty password: BAD_PASSWORD", async (f) => {
    expect(await codeOf(openPkcs12(new Uint8Array(key(f)), "wrong"))).toBe("BAD_PASSWORD");
    expect(await codeOf(openPkcs12(new Uint8Array(key(f)), ""))).toBe("BAD_PASSWORD");
  });

  it("garbage and a certificate: BAD_FILE", async () => {
    expect(await codeOf(openPkcs12(new TextEncoder().encode("not a p12"), "x"))).toBe("BAD_FILE");
    expect(await codeOf(openPkcs12(new Uint8Array(readFileSync(join(PKI, "root-ca.der"))), "x"))).toBe("BAD_FILE");
  });

  const openssl = requirePeer("openssl");
  // what QTSPs and Windows export, and what OpenSSL 3 writes by default
  const VARIANTS: Array<[string, string[]]> = [
    ["-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)", ["-legacy"]],
    ["3DES for both bags", ["-legacy", "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES"]],
    ["two-key 3DES key bag, RC2-128 certificates", ["-legacy", "-certpbe", "PBE-SHA1-RC2-128", "-keypbe", "PBE-SHA1-2DES"]],
    ["PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC (OpenSSL 3 default)", []],
    ["PBES2 AES-128-CBC, SHA-512 MAC", ["-certpbe", "AES-128-CBC", "-keypbe", "AES-128-CBC", "-macalg", "sha512"]],
  ];
  for (const [name, args] of VARIANTS) {
    openssl.it(`a file from \`openssl pkcs12 -export\` with ${name} opens`, async () => {
      const d = mkdtempSync(join(tmpdir(), "podpis-web-p12-"));
      const f = join(d, "x.p12");
      execFileSync("openssl", ["pkcs12", "-export", ...args, "-inkey", join(PKI, "keys", "citizen-rsa2048.key.pem"), "-in", join(PKI, "citizen-rsa2048.pem"), "-certfile", join(PKI, "root-ca.pem"), "-out", f, "-passout", "pass:Пароля-1"], { stdio: ["ignore", "pipe", "pipe"] });
      const browser = await openPkcs12(new Uint8Array(readFileSync(f)), "Пароля-1");
      expect(pkcs8Of(browser.privateKey)).toBe(createPrivateKey(readFileSync(join(PKI, "keys", "citizen-rsa2048.key.pem"))).export({ format: "jwk" }).d);
      expect(browser.certificates.length).toBe(2);
      expect(await codeOf(openPkcs12(new Uint8Array(readFileSync(f)), "Пароля-2"))).toBe("BAD_PASSWORD");
    });
  }
});

describe("SHA-1 and SHA-256 for the PKCS#12 KDF (web/src/sha.ts) against Node's", () => {
  it("agree on lengths around the block boundaries and on random messages", async () => {
    const { sha1, sha256 } = await import("../web/src/sha.js");
    const { createHash } = await import("node:crypto");
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const m = randomBytes(n);
      expect(Buffer.from(sha1(m)).toString("hex"), `sha1 ${n}`).toBe(createHash("sha1").update(m).digest("hex"));
      expect(Buffer.from(sha256(m)).toString("hex"), `sha256 ${n}`).toBe(createHash("sha256").update(m).digest("hex"));
    }
  });
});
