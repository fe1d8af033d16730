/** PKCS#12 reading (modern PBES2/AES and legacy 3DES/RC2), RC2 itself, and PKCS#11 URIs. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePkcs11Uri } from "../src/keys/pkcs11-uri.js";
import { readPkcs12 } from "../src/keys/pkcs12.js";
import { rc2DecryptEcb } from "../src/keys/rc2.js";
import { openPkcs12 } from "../src/keys/software.js";
import { X509Certificate, constants, createPublicKey, verify } from "node:crypto";
import { parseCertificate, publicKeyOf } from "../src/pki/certificate.js";
import { requirePeer } from "./helpers/peers.js";
import { PKI } from "./helpers/sign-tools.js";

const key = (f: string) => readFileSync(join(PKI, "keys", f));
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe("RC2 (RFC 2268 §5 test vectors)", () => {
  it.each([
    ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
    ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
    ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
    ["88", 64, "0000000000000000", "61a8a244adacccf0"],
    ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
    ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ] as const)("key %s / %i bits", (k, bits, plain, cipher) => {
    expect(rc2DecryptEcb(Buffer.from(k, "hex"), bits, Buffer.from(cipher, "hex")).toString("hex")).toBe(plain);
  });
});

describe("PKCS#12", () => {
  it.each([
    ["citizen-rsa2048.p12", "podpis-test", "rsa"],
    ["citizen-rsa2048.legacy.p12", "podpis-legacy", "rsa"],
    ["citizen-p256.p12", "podpis-test", "ec"],
    ["citizen-rsa-pss.p12", "podpis-test", "rsa"],
    ["seal-rsa2048.p12", "podpis-test", "rsa"],
  ])("%s opens, with its certificate and chain, and its key signs for its certificate", async (f, pw, type) => {
    const p = openPkcs12(key(f), pw);
    expect(p.keyType).toBe(type);
    expect(p.chain.length).toBe(3);
    expect(Buffer.from(p.chain[0]!).equals(Buffer.from(p.certificate))).toBe(true);
    const scheme = p.schemes[0]!;
    const sig = await p.sign({ data: Buffer.from("x") }, { scheme, hash: "sha256" });
    const pub = publicKeyOf(parseCertificate(p.certificate));
    const opts = scheme === "rsa-pss" ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : pub;
    expect(verify("sha256", Buffer.from("x"), opts, sig)).toBe(true);
  });

  it("the legacy file is the same key and certificate as the modern one", () => {
    const a = readPkcs12(key("citizen-rsa2048.p12"), "podpis-test");
    const b = readPkcs12(key("citizen-rsa2048.legacy.p12"), "podpis-legacy");
    expect(a.certificate.sha256).toBe(b.certificate.sha256);
    expect(a.privateKey.equals(b.privateKey)).toBe(true);
  });

  it("an RSA key offers PKCS#1 v1.5 first (widest acceptance), then PSS; an EC key ECDSA", () => {
    expect(openPkcs12(key("citizen-rsa2048.p12"), "podpis-test").schemes).toEqual(["rsa-pkcs1", "rsa-pss"]);
    expect(openPkcs12(key("citizen-p256.p12"), "podpis-test").schemes).toEqual(["ecdsa"]);
  });

  it.each([["citizen-rsa2048.p12"], ["citizen-rsa2048.legacy.p12"], ["citizen-p256.p12"]])("%s with a wrong password: BAD_PASSWORD", (f) => {
    expect(code(() => readPkcs12(key(f), "wrong"))).toBe("BAD_PASSWORD");
    expect(code(() => readPkcs12(key(f), ""))).toBe("BAD_PASSWORD");
  });

  it("garbage: BAD_KEY_FILE", () => {
    expect(code(() => readPkcs12(Buffer.from("not a p12"), "x"))).toBe("BAD_KEY_FILE");
    expect(code(() => readPkcs12(readFileSync(join(PKI, "root-ca.der")), "x"))).toBe("BAD_KEY_FILE");
  });

  const openssl = requirePeer("openssl");
  openssl.it("a PKCS#12 with certificates only: NO_PRIVATE_KEY", () => {
    const d = mkdtempSync(join(tmpdir(), "podpis-p12-"));
    const f = join(d, "certs-only.p12");
    execFileSync("openssl", ["pkcs12", "-export", "-nokeys", "-in", join(PKI, "citizen-rsa2048.pem"), "-out", f, "-passout", "pass:pw"]);
    expect(code(() => readPkcs12(readFileSync(f), "pw"))).toBe("NO_PRIVATE_KEY");
  });

  openssl.it("a file written by `openssl pkcs12 -export -legacy` (RC2-40 + 3DES, SHA-1 MAC) opens", () => {
    const d = mkdtempSync(join(tmpdir(), "podpis-p12-"));
    const f = join(d, "legacy.p12");
    execFileSync("openssl", ["pkcs12", "-export", "-legacy", "-inkey", join(PKI, "keys", "citizen-p256.key.pem"), "-in", join(PKI, "citizen-p256.pem"), "-out", f, "-passout", "pass:секрет"], { stdio: ["ignore", "pipe", "pipe"] });
    const p = readPkcs12(readFileSync(f), "секрет");
    expect(p.privateKey.asymmetricKeyType).toBe("ec");
    // the key that came out is the certificate's: it is the citizen's P-256 key, not just any EC key
    expect(createPublicKey(p.privateKey).export({ format: "der", type: "spki" })).toEqual(new X509Certificate(readFileSync(join(PKI, "citizen-p256.der"))).publicKey.export({ format: "der", type: "spki" }));
    expect(Buffer.from(p.certificate.der)).toEqual(readFileSync(join(PKI, "citizen-p256.der")));
  });
});

describe("PKCS#11 URI (RFC 7512)", () => {
  it("reads token, object, id and module-path, percent-decoded", () => {
    const u = parsePkcs11Uri("pkcs11:token=My%20Card;object=sign%2Dkey;id=%01%02?module-path=/usr/lib/x.so");
    expect(u).toMatchObject({ token: "My Card", object: "sign-key", modulePath: "/usr/lib/x.so" });
    expect(u.id!.toString("hex")).toBe("0102");
  });
  it.each(["pkcs11:token", "pkcs11:bogus=1", "pkcs11:token=a;token=b", "pkcs11:type=cert", "file:x", "pkcs11:id=%zz"])("refuses %s", (s) => {
    expect(code(() => parsePkcs11Uri(s))).toBe("BAD_PKCS11_URI");
  });
});
