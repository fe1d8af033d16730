/**
 * The validator as one policy value with its own state: the path-building maze (issue 11.6), two
 * validators with different trust side by side (issue 9), the certificate cache bounded by bytes
 * (issue 11.3), and the policy file's optional sections. PKI made at run time; fixed times.
 */
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type Certificate, parseCertificate } from "../src/pki/certificate.js";
import { CertificateCache } from "../src/validation/certificate-cache.js";
import { PathCache } from "../src/validation/path-cache.js";
import type { PathResult } from "../src/pki/path-types.js";
import { PolicyError, parsePolicy, validationPolicy } from "../src/validation/policy.js";
import type { ValidationReport } from "../src/validation/report.js";
import { type Validator, createValidator, defaultValidationPolicy } from "../src/validator.js";
import { makeSignedData, makeSignerInfo } from "./helpers/cms-tools.js";
import { makeCert } from "./helpers/make-cert.js";
import { makeCrl, makeName, testKey } from "./helpers/make-crl.js";

const AT = new Date("2026-06-01T00:00:00Z");
const CONTENT = Buffer.from("заявление за издаване на удостоверение\n");

interface Pki {
  root: Buffer;
  ca: Buffer;
  leaf: Certificate;
  leafKey: KeyObject;
  crls: Buffer[];
  /** 250 CA look-alikes: the CA's name and key identifier, each with its own key */
  fakes: Buffer[];
}

let pki: Pki;

function crlBy(issuer: string, key: KeyObject): Buffer {
  return makeCrl({ issuer: makeName(["CN", issuer]), privateKey: key, thisUpdate: new Date("2026-05-01T00:00:00Z"), nextUpdate: new Date("2026-07-01T00:00:00Z") });
}

beforeAll(() => {
  const rootKey = testKey();
  const caKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const leafKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const root = makeCert({ subject: "Root", issuer: "Root", publicKey: rootKey.publicKey, signer: rootKey.privateKey, ca: true, ski: "0a" });
  const ca = makeCert({ subject: "Issuing CA", issuer: "Root", publicKey: caKey.publicKey, signer: rootKey.privateKey, ca: true, ski: "0c", aki: "0a" });
  const leaf = makeCert({ subject: "Иван Иванов", issuer: "Issuing CA", publicKey: leafKey.publicKey, signer: caKey.privateKey, aki: "0c" });
  const fakes: Buffer[] = [];
  for (let i = 0; i < 250; i++) {
    const k = generateKeyPairSync("ed25519");
    fakes.push(makeCert({ subject: "Issuing CA", issuer: "Root", publicKey: k.publicKey, signer: k.privateKey, ca: true, ski: "0c", aki: "0a" }));
  }
  pki = { root, ca, leaf: parseCertificate(leaf), leafKey: leafKey.privateKey, crls: [crlBy("Root", rootKey.privateKey), crlBy("Issuing CA", caKey.privateKey)], fakes };
});

/** CAdES enveloping signature by the leaf, carrying `bag` as its certificates. */
function signedWith(bag: Certificate[]): Buffer {
  const si = makeSignerInfo({ cert: pki.leaf, key: pki.leafKey, contentDigest: createHash("sha256").update(CONTENT).digest() });
  return makeSignedData({ signerInfos: [si], certificates: bag, content: CONTENT });
}

const certs = (ders: Buffer[]): Certificate[] => ders.map((d) => parseCertificate(d));

async function verify(v: Validator, cms: Uint8Array): Promise<ValidationReport> {
  return (await v.verify(cms, { at: AT })) as ValidationReport;
}

describe("path-building maze (issue 11.6)", () => {
  const maze = () => signedWith([...certs(pki.fakes), parseCertificate(pki.ca), pki.leaf]);

  it("passes when the real CA is given as an extra certificate (--untrusted)", async () => {
    const v = await createValidator({ trust: [pki.root], crls: pki.crls, untrusted: [pki.ca], offline: true });
    const r = await verify(v, maze());
    expect(r.signatures).toHaveLength(1);
    expect(r.signatures[0]!.errors).toEqual([]);
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.signatures[0]!.chain.map((c) => c.subject)).toEqual(["CN=Иван Иванов", "CN=Issuing CA", "CN=Root"]);
  });

  it("passes when the real CA is in the trust store", async () => {
    const v = await createValidator({ trust: [pki.ca], crls: pki.crls, offline: true });
    const r = await verify(v, maze());
    expect(r.indication).toBe("TOTAL_PASSED");
    expect(r.signatures[0]!.chain.map((c) => c.subject)).toEqual(["CN=Иван Иванов", "CN=Issuing CA"]);
  });

  it("uses only the first certificatesInBag certificates of a bag, and says so", async () => {
    // the real CA is the 251st certificate of the bag: past the cap, so no valid path is found
    // (the look-alike whose signature fails is what the report then names)
    const v = await createValidator({ trust: [pki.root], crls: pki.crls, offline: true });
    const r = await verify(v, maze());
    expect(r.indication).toBe("INDETERMINATE");
    expect(r.signatures[0]!.subIndication).toBe("CERTIFICATE_CHAIN_GENERAL_FAILURE");
    expect(r.signatures[0]!.warnings.map((w) => w.code)).toContain("CERTIFICATES_IN_BAG_LIMIT");
    expect(r.signatures[0]!.warnings.find((w) => w.code === "CERTIFICATES_IN_BAG_LIMIT")!.message).toMatch(/certificatesInBag/);
  });

  it("still finds the CA in a large bag within the cap, after look-alikes", async () => {
    const v = await createValidator({ trust: [pki.root], crls: pki.crls, offline: true });
    const r = await verify(v, signedWith([...certs(pki.fakes.slice(0, 90)), parseCertificate(pki.ca), pki.leaf]));
    expect(r.signatures[0]!.errors).toEqual([]);
    expect(r.indication).toBe("TOTAL_PASSED");
  });
});

describe("validators share no state (issue 9)", () => {
  // Same name "Root", another key: B's anchor cannot have signed the CA.
  let otherRoot: Buffer;
  beforeAll(() => {
    const k = generateKeyPairSync("ed25519");
    otherRoot = makeCert({ subject: "Root", issuer: "Root", publicKey: k.publicKey, signer: k.privateKey, ca: true, ski: "0a" });
  });

  for (const order of [["A", "B"], ["B", "A"]] as const) {
    it(`two validators with different anchors answer differently, ${order.join(" then ")}, and keep doing so`, async () => {
      const made = {
        A: await createValidator({ trust: [pki.root], crls: pki.crls, untrusted: [pki.ca], offline: true }),
        B: await createValidator({ trust: [otherRoot], crls: pki.crls, untrusted: [pki.ca], offline: true }),
      };
      const cms = signedWith([pki.leaf]);
      for (let round = 0; round < 3; round++) {
        for (const who of order) {
          const v = made[who];
          const path = await v.validatePath(pki.leaf.der, { at: AT });
          const report = await verify(v, cms);
          if (who === "A") {
            expect(path.indication).toBe("TOTAL_PASSED");
            expect(report.indication).toBe("TOTAL_PASSED");
          } else {
            expect(path.indication).not.toBe("TOTAL_PASSED");
            expect(report.indication).not.toBe("TOTAL_PASSED");
            expect(path.path.at(-1)?.sha256).not.toBe(createHash("sha256").update(pki.root).digest("hex"));
          }
        }
      }
    });
  }
});

describe("certificate cache bounded by bytes (issue 11.3)", () => {
  it("120 signatures each carrying a different 1–4 MB self-signed certificate stay within the cache's byte cap", async () => {
    const v = await createValidator({ trust: [pki.root], crls: pki.crls, untrusted: [pki.ca], offline: true });
    const cache = v.context.certificates;
    expect(cache.maxBytes).toBe(32 * 1024 * 1024);
    // an honest signature first: its certificates chained and are kept
    expect((await verify(v, signedWith([pki.leaf]))).indication).toBe("TOTAL_PASSED");
    expect(cache.has(pki.leaf.der)).toBe(true);
    let biggest = 0;
    for (let i = 0; i < 120; i++) {
      const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const size = (1 + (i % 4)) * 1024 * 1024;
      const der = makeCert({ subject: `self ${i}`, issuer: `self ${i}`, publicKey: k.publicKey, signer: k.privateKey, filler: { oid: "1.3.6.1.4.1.99999.9.9", bytes: Buffer.alloc(size, i) } });
      const self = parseCertificate(der);
      const si = makeSignerInfo({ cert: self, key: k.privateKey, contentDigest: createHash("sha256").update(CONTENT).digest() });
      const r = await verify(v, makeSignedData({ signerInfos: [si], certificates: [self], content: CONTENT }));
      expect(r.signatures[0]!.subIndication).toBe("NO_CERTIFICATE_CHAIN_FOUND");
      expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
      expect(cache.transientBytes).toBeLessThanOrEqual(cache.maxTransientBytes);
      biggest = Math.max(biggest, cache.transientBytes);
    }
    // the transient share was used (the cache is not simply off) and never outgrew its cap
    expect(biggest).toBeGreaterThan(1024 * 1024);
    // what chained, and what the operator configured, outlived the flood
    expect(cache.has(pki.leaf.der)).toBe(true);
    expect(cache.has(pki.ca)).toBe(true);
    expect(cache.has(pki.root)).toBe(true);
    expect(v.context.paths!.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  }, 120_000);
});

describe("the caches' own accounting", () => {
  const selfSigned = (i: number, size: number): Certificate => {
    const k = generateKeyPairSync("ed25519");
    return parseCertificate(makeCert({ subject: `c${i}`, issuer: `c${i}`, publicKey: k.publicKey, signer: k.privateKey, filler: { oid: "1.3.6.1.4.1.99999.9.9", bytes: Buffer.alloc(size, i) } }));
  };

  it("certificates: configured ones are never dropped, chained ones outlive a flood of others, one larger than its share is not kept", () => {
    const cache = new CertificateCache({ maxBytes: 200_000, transientBytes: 50_000 });
    const configured = cache.put(selfSigned(0, 60_000));
    const chained = selfSigned(1, 20_000);
    cache.chainedTo(chained);
    for (let i = 2; i < 60; i++) cache.get(selfSigned(i, 10_000).der);
    expect(cache.transientBytes).toBeLessThanOrEqual(50_000);
    expect(cache.bytes).toBeLessThanOrEqual(200_000);
    expect(cache.has(configured.der)).toBe(true);
    expect(cache.has(chained.der)).toBe(true);
    const huge = selfSigned(99, 80_000);
    expect(cache.get(huge.der).sha256).toBe(huge.sha256);
    expect(cache.has(huge.der)).toBe(false);
    // a repeated bag is answered from the cache: the same parsed object
    const again = selfSigned(100, 1_000);
    expect(cache.get(again.der)).toBe(cache.get(again.der));
  });

  it("path results: bounded by the bytes of the certificates they hold", () => {
    const cache = new PathCache({ maxBytes: 100_000 });
    for (let i = 0; i < 40; i++) {
      const c = selfSigned(200 + i, 10_000);
      const result = { report: { indication: "TOTAL_PASSED", subIndication: null, validationTime: AT.toISOString(), path: [], errors: [] }, certificates: [c], revocation: [], crlsUsed: [], validPolicies: null } as PathResult;
      cache.set(c, [], AT, result);
      expect(cache.bytes).toBeLessThanOrEqual(100_000);
    }
    expect(cache.size).toBeGreaterThan(1);
    expect(cache.size).toBeLessThan(40);
  });
});

describe("the policy file", () => {
  it("reads optional pathInputs, revocation and budget sections, field by field over the defaults", () => {
    const base = { digestAlgorithms: { sha256: null }, signatureAlgorithms: { ecdsa: [{ minBits: 256, until: null }] } };
    const p = parsePolicy({ ...base, revocation: { fetch: false, fetchHosts: ["CRL.example.bg"] }, budget: { fetches: 2 }, pathInputs: { initialExplicitPolicy: true } });
    expect(p.revocation).toMatchObject({ useEmbedded: true, fetch: false, fetchHosts: ["crl.example.bg"], onUnknown: "indeterminate" });
    expect(p.budget.fetches).toBe(2);
    expect(p.budget.signatureChecks).toBe(128);
    expect(p.pathInputs.initialExplicitPolicy).toBe(true);
    expect(p.pathInputs.userInitialPolicySet).toEqual(["2.5.29.32.0"]);
    expect(Object.isFrozen(p) && Object.isFrozen(p.budget)).toBe(true);
    expect(() => parsePolicy({ ...base, revocation: { onUnknown: "good" } })).toThrow(PolicyError);
    expect(() => parsePolicy({ ...base, budget: { fetchz: 1 } })).toThrow(/unknown budget fetchz/);
    expect(() => parsePolicy({ ...base, budget: { fetches: -1 } })).toThrow(PolicyError);
  });

  it("--offline turns fetching off in the validator's policy; bare constraints are taken as a policy", async () => {
    const off = await createValidator({ trust: [pki.root], offline: true });
    expect(off.policy.revocation.fetch).toBe(false);
    const on = await createValidator({ trust: [pki.root], policy: validationPolicy(defaultValidationPolicy().algorithms) });
    expect(on.policy.revocation.fetch).toBe(true);
    const legacy = await createValidator({ trust: [pki.root], policy: defaultValidationPolicy().algorithms });
    expect(legacy.policy.algorithms).toBe(defaultValidationPolicy().algorithms);
    expect(legacy.policy.revocation.onUnknown).toBe("indeterminate");
  });
});
