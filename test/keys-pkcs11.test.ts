/** PKCS#11 through SoftHSM2: the key stays on the token; absent/locked tokens and wrong PINs are clear errors. */
import { createHash, verify } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPkcs11 } from "../src/keys/pkcs11.js";
import { parseCertificate, publicKeyOf } from "../src/pki/certificate.js";
import { requirePeer } from "./helpers/peers.js";
import { PIN, setupSoftHsm } from "./helpers/sign-tools.js";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

requirePeer("softhsm2").describe("PKCS#11 key provider (SoftHSM2)", () => {
  let hsm: ReturnType<typeof setupSoftHsm>;
  beforeAll(() => {
    hsm = setupSoftHsm();
  });
  afterAll(() => hsm?.restoreEnv());

  it("signs with RSA (PKCS#1 v1.5 and PSS) and ECDSA; the chain comes from the token", async () => {
    const rsa = await openPkcs11({ uri: hsm.rsa, modulePath: hsm.module, pin: PIN });
    const ec = await openPkcs11({ uri: hsm.ec, modulePath: hsm.module, pin: PIN });
    try {
      expect(rsa.chain.length).toBe(3);
      const data = Buffer.from("заявление");
      const rsaPub = publicKeyOf(parseCertificate(rsa.certificate));
      expect(verify("sha256", data, rsaPub, Buffer.from(await rsa.sign({ data }, { scheme: "rsa-pkcs1", hash: "sha256" })))).toBe(true);
      const pss = await rsa.sign({ data }, { scheme: "rsa-pss", hash: "sha384" });
      expect(verify("sha384", data, { key: rsaPub, padding: 6, saltLength: 48 }, Buffer.from(pss))).toBe(true);
      // a digest computed by the caller (the service's seal path)
      const digest = createHash("sha256").update(data).digest();
      expect(verify("sha256", data, rsaPub, Buffer.from(await rsa.sign({ digest }, { scheme: "rsa-pkcs1", hash: "sha256" })))).toBe(true);
      const ecPub = publicKeyOf(parseCertificate(ec.certificate));
      // SoftHSM has no CKM_ECDSA_SHA256: hashed here, raw (r,s) from the token turned into DER
      const der = await ec.sign({ data }, { scheme: "ecdsa", hash: "sha256" });
      expect(verify("sha256", data, { key: ecPub, dsaEncoding: "der" }, Buffer.from(der))).toBe(true);
      const raw = await ec.sign({ data }, { scheme: "ecdsa", hash: "sha512", ecdsaEncoding: "raw" });
      expect(raw.length).toBe(64);
      expect(verify("sha512", data, { key: ecPub, dsaEncoding: "ieee-p1363" }, Buffer.from(raw))).toBe(true);
      // concurrent signatures on one session are serialised, not interleaved
      const many = await Promise.all(Array.from({ length: 8 }, () => rsa.sign({ data }, { scheme: "rsa-pkcs1", hash: "sha256" })));
      for (const s of many) expect(verify("sha256", data, rsaPub, Buffer.from(s))).toBe(true);
    } finally {
      await rsa.close();
      await ec.close();
    }
  });

  it("several sessions on one module sign at the same time without crashing the process", async () => {
    // C_Sign runs on the thread pool: without OS locking asked of the module at C_Initialize,
    // two sessions signing at once crashed the process (seen in bench/sign.ts).
    const sessions = await Promise.all([0, 1, 2].map(() => openPkcs11({ uri: hsm.rsa, modulePath: hsm.module, pin: PIN })));
    try {
      const data = Buffer.from("receipt");
      const pub = publicKeyOf(parseCertificate(sessions[0]!.certificate));
      const sigs = await Promise.all(Array.from({ length: 300 }, (_, i) => sessions[i % 3]!.sign({ data }, { scheme: "rsa-pkcs1", hash: "sha256" })));
      expect(sigs.every((s) => verify("sha256", data, pub, Buffer.from(s)))).toBe(true);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });

  it("wrong PIN: BAD_PIN; no PIN: BAD_PIN", async () => {
    expect(await codeOf(openPkcs11({ uri: hsm.rsa, modulePath: hsm.module, pin: "9999" }))).toBe("BAD_PIN");
    expect(await codeOf(openPkcs11({ uri: hsm.rsa, modulePath: hsm.module }))).toBe("BAD_PIN");
  });

  it("absent token: TOKEN_NOT_FOUND; token without a user PIN: TOKEN_LOCKED; unknown key: KEY_NOT_FOUND", async () => {
    expect(await codeOf(openPkcs11({ uri: "pkcs11:token=absent;object=x", modulePath: hsm.module, pin: PIN }))).toBe("TOKEN_NOT_FOUND");
    expect(await codeOf(openPkcs11({ uri: hsm.noPinToken, modulePath: hsm.module, pin: PIN }))).toBe("TOKEN_LOCKED");
    expect(await codeOf(openPkcs11({ uri: "pkcs11:token=podpis;object=nope", modulePath: hsm.module, pin: PIN }))).toBe("KEY_NOT_FOUND");
  });

  it("no module, or a module that does not load: PKCS11_MODULE; a PIN in the URI is refused", async () => {
    expect(await codeOf(openPkcs11({ uri: hsm.rsa, pin: PIN }))).toBe("PKCS11_MODULE");
    expect(await codeOf(openPkcs11({ uri: hsm.rsa, modulePath: "/nonexistent/libnothing.so", pin: PIN }))).toBe("PKCS11_MODULE");
    expect(await codeOf(openPkcs11({ uri: hsm.rsa + "?pin-value=1234", modulePath: hsm.module }))).toBe("BAD_PKCS11_URI");
  });
});
