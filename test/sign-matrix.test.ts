/**
 * Issue 5's "done when": signatures made with both key kinds (PKCS#12 and a SoftHSM2 token), in
 * both formats and every packaging, at B-B and B-T, each checked by podpis itself (TOTAL_PASSED),
 * by `openssl cms -verify` (CAdES) and by `xmlsec1 --verify` (XAdES).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCades } from "../src/cades/sign.js";
import { openPkcs11 } from "../src/keys/pkcs11.js";
import type { KeyProvider, SigningHash, SigningScheme } from "../src/keys/provider.js";
import { openPkcs12 } from "../src/keys/software.js";
import { createTimestamper } from "../src/io/tsa-client.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { type Validator, createValidator } from "../src/validator.js";
import { signXades } from "../src/xades/sign.js";
import { AT, P12_PASSWORD, PIN, PKI, SIGNING_TIME, run, setupSoftHsm } from "./helpers/sign-tools.js";
import { requirePeer } from "./helpers/peers.js";
import { independentXmldsigCheck } from "./helpers/xmldsig-check.js";


const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie xmlns="urn:podpis:form:v1" Id="form">\n  <ime>Иван Петров</ime>\n  <egn>8001010000</egn>\n  <usluga>Удостоверение за наследници</usluga>\n</zayavlenie>\n`);
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.from([0, 1, 2, 0xff, 0xfe]), Buffer.from("\n%%EOF\n")]);

interface KeyCase {
  name: string;
  open: () => Promise<KeyProvider>;
  scheme?: SigningScheme;
  hash?: SigningHash;
  /** xmlsec1 1.2.37 knows no RSA-PSS signature method */
  xmlsec?: boolean;
}

const p12 = (file: string, pw = P12_PASSWORD) => async () => openPkcs12(readFileSync(join(PKI, "keys", file)), pw);

let validator: Validator;
let dir: string;
let hsm: ReturnType<typeof setupSoftHsm> | null = null;
const providers: KeyProvider[] = [];
let timestamper: ReturnType<typeof createTimestamper>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-sign-"));
  validator = await createValidator({
    trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
    crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
    offline: true,
  });
  // the TSA's clock is set just after the signing time, so that everything validates at AT
  const tsa = new TimestampAuthority({
    key: openPkcs12(readFileSync(join(PKI, "keys", "tsa.p12")), P12_PASSWORD),
    policy: "1.3.6.1.4.1.99999.1.3",
    serials: memorySerialSource(),
    clock: () => new Date(SIGNING_TIME.getTime() + 60_000),
  });
  timestamper = createTimestamper({ url: "in-process", context: validator.context, transport: async (_u, body) => (await tsa.respond(body)).response, now: () => AT });
});

afterAll(async () => {
  for (const p of providers) await p.close();
  hsm?.restoreEnv();
});

const KEYS: KeyCase[] = [
  { name: "PKCS#12 RSA PKCS#1 v1.5", open: p12("citizen-rsa2048.p12") },
  { name: "PKCS#12 legacy (3DES/RC2) RSA-PSS SHA-384", open: p12("citizen-rsa2048.legacy.p12", "podpis-legacy"), scheme: "rsa-pss", hash: "sha384", xmlsec: false },
  { name: "PKCS#12 ECDSA P-256 SHA-512", open: p12("citizen-p256.p12"), hash: "sha512" },
  { name: "PKCS#11 RSA", open: async () => openPkcs11({ uri: hsm!.rsa, modulePath: hsm!.module, pin: PIN }) },
  { name: "PKCS#11 ECDSA", open: async () => openPkcs11({ uri: hsm!.ec, modulePath: hsm!.module, pin: PIN }) },
];

const SHAPES = [
  { format: "cades", packaging: "enveloping" },
  { format: "cades", packaging: "detached" },
  { format: "xades", packaging: "enveloped" },
  { format: "xades", packaging: "enveloping" },
  { format: "xades", packaging: "detached" },
] as const;

const hsmPeer = requirePeer("softhsm2");
const opensslPeer = requirePeer("openssl", "faketime");
const xmlsecPeer = requirePeer("xmlsec1", "faketime");
const xmllintPeer = requirePeer("xmllint");

for (const k of KEYS) {
  // a PKCS#11 key needs SoftHSM2: without it these cases are skipped (locally) or fail (CI), never green
  (k.name.startsWith("PKCS#11") ? hsmPeer.describe : describe)(k.name, () => {
    let key: KeyProvider;
    beforeAll(async () => {
      if (k.name.startsWith("PKCS#11") && !hsm) hsm = setupSoftHsm();
      key = await k.open();
      providers.push(key);
    });

    for (const { format, packaging } of SHAPES) {
      describe(`${format} ${packaging}`, () => {
        for (const level of ["B-B", "B-T"] as const) {
          const content = packaging === "detached" ? PDF : FORM;
          let signed: Buffer;
          const base = () => join(dir, `${k.name.replace(/\W+/g, "_")}-${format}-${packaging}-${level}`);
          beforeAll(async () => {
            const common = { key, content, hash: k.hash, scheme: k.scheme, signingTime: SIGNING_TIME, timestamper: level === "B-T" ? timestamper : undefined };
            signed =
              format === "cades"
                ? await signCades({ ...common, packaging })
                : await signXades({ ...common, packaging, name: "application.pdf", mimeType: packaging === "detached" ? "application/pdf" : undefined });
          });

          it(`${level} validates in podpis`, async () => {
            const report = await validator.verify(signed, { at: AT, contents: packaging === "detached" ? [{ name: "application.pdf", bytes: content }] : [] });
            const s = report.signatures[0]!;
            expect({ indication: report.indication, errors: s?.errors }).toEqual({ indication: "TOTAL_PASSED", errors: [] });
            expect(report.signatures).toHaveLength(1);
            expect(s.level).toBe(level);
            expect(s.intact).toBe(true);
          });

          if (format === "cades") {
            opensslPeer.it(`${level} validates in openssl cms -verify`, () => {
              writeFileSync(base() + ".p7", signed);
              writeFileSync(base() + ".content", content);
              const args = ["cms", "-verify", "-binary", "-inform", "DER", "-in", base() + ".p7", "-CAfile", join(PKI, "root-ca.pem"), "-certfile", join(PKI, "qualified-ca.pem"), "-purpose", "any", "-out", "/dev/null"];
              if (packaging === "detached") args.push("-content", base() + ".content");
              const r = run("openssl", args);
              expect(r.out).toContain("Verification successful");
              expect(r.status).toBe(0);
            });
          } else if (k.xmlsec !== false) {
            xmlsecPeer.it(`${level} validates in xmlsec1 --verify`, () => {
              const sub = mkdtempSync(base() + "-");
              writeFileSync(join(sub, "signed.xml"), signed);
              if (packaging === "detached") writeFileSync(join(sub, "application.pdf"), content);
              const r = run("xmlsec1", ["--verify", "--trusted-pem", join(PKI, "root-ca.pem"), "--untrusted-pem", join(PKI, "qualified-ca.pem"), "signed.xml"], { cwd: sub });
              expect(r.out).toContain("OK");
              expect(r.status).toBe(0);
            });
          } else {
            // xmlsec1 knows no RSA-PSS SignatureMethod: check it from the standard instead
            xmllintPeer.it(`${level} verifies by a second XMLDSig check (xmllint c14n + node:crypto)`, () => {
              const files: Record<string, Uint8Array> = packaging === "detached" ? { "application.pdf": content } : {};
              expect(signed.toString("utf8")).toContain(`Algorithm="http://www.w3.org/2007/05/xmldsig-more#${k.hash}-rsa-MGF1"`);
              const sigs = independentXmldsigCheck(signed, files);
              expect(sigs.map((s) => [s.references, s.signatureValid, s.signingCertificateMatches])).toEqual([[["match", "match"], true, true]]);
            });
          }
        }
      });
    }
  });
}

describe("a signature that was tampered with", () => {
  it("fails in podpis", async () => {
    const key = await p12("citizen-rsa2048.p12")();
    const signed = await signCades({ key, content: FORM, packaging: "enveloping", signingTime: SIGNING_TIME });
    const i = signed.indexOf(Buffer.from("Иван"));
    signed[i] ^= 1;
    await key.close();
    const report = await validator.verify(signed, { at: AT });
    expect([report.indication, report.signatures[0]?.subIndication]).toEqual(["TOTAL_FAILED", "HASH_FAILURE"]);
  });
  opensslPeer.it("fails in OpenSSL", async () => {
    const key = await p12("citizen-rsa2048.p12")();
    const signed = await signCades({ key, content: FORM, packaging: "enveloping", signingTime: SIGNING_TIME });
    await key.close();
    const f = join(dir, "tampered.p7m");
    writeFileSync(f, signed);
    const args = ["cms", "-verify", "-binary", "-inform", "DER", "-in", f, "-CAfile", join(PKI, "root-ca.pem"), "-purpose", "any", "-out", "/dev/null"];
    // the untouched file passes, so the failure below is the tampering's
    expect(run("openssl", args).status).toBe(0);
    signed[signed.indexOf(Buffer.from("Иван"))] ^= 1;
    writeFileSync(f, signed);
    const r = run("openssl", args);
    expect(r.out).toContain("Verification failure");
    expect(r.status).not.toBe(0);
  });
});
