/**
 * Focused tests of path building and validation: indications per EN 319 102-1 §5.2.6, CRL-based
 * revocation, backtracking, caching, and bounded work on hostile pools. Certificates and CRLs are
 * made at run time with the DER writer and node:crypto (Ed25519 where speed matters).
 */
import { type KeyObject, generateKeyPairSync, sign } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { Tag } from "../src/asn1/der.js";
import { bitString, boolean, explicit, integer, nullValue, octetString, oid, sequence, tlv, x509Time } from "../src/asn1/writer.js";
import { type Certificate, parseCertificate } from "../src/pki/certificate.js";
import { BoundedCache, CertificatePool } from "../src/pki/path-builder.js";
import { type PathResult, pathPolicy } from "../src/pki/path-types.js";
import { TrustStore } from "../src/pki/trust-store.js";
import { type ValidatePathOptions, validatePath } from "../src/pki/validate-path.js";
import { createCrlChecker } from "../src/revocation/checker.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import { parseCrl } from "../src/revocation/crl.js";
import type { CrlFetcher } from "../src/revocation/fetch.js";
import type { RevocationChecker, RevocationResult } from "../src/revocation/types.js";
import { extension, makeCrl, makeName, testKey } from "./helpers/make-crl.js";

const AT = new Date("2026-06-01T00:00:00Z");
const ED25519 = "1.3.101.112";
const SHA256_RSA = "1.2.840.113549.1.1.11";

interface Key {
  privateKey: KeyObject;
  publicKey: KeyObject;
  rsa: boolean;
}

const ed = (): Key => ({ ...generateKeyPairSync("ed25519"), rsa: false });

interface CertSpec {
  subject: string;
  issuer: string;
  /** the subject's key */
  key: Key;
  /** the issuer's key, which signs */
  signer: Key;
  serial?: bigint;
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
  pathLen?: number;
  ski?: string;
  aki?: string;
  /** replaces the SubjectPublicKeyInfo (malformed keys) */
  spki?: Buffer;
  /** replaces the signature algorithm OID (unsupported algorithms) */
  signatureOid?: string;
  /** signs with this key while claiming `signer` (a bad signature) */
  wrongSigner?: Key;
  /** a cRLDistributionPoints extension with this URI */
  crlUrl?: string;
}

let serials = 1000n;

function makeCert(s: CertSpec): Buffer {
  const algOid = s.signatureOid ?? (s.signer.rsa ? SHA256_RSA : ED25519);
  const alg = s.signer.rsa && !s.signatureOid ? sequence(oid(algOid), nullValue()) : sequence(oid(algOid));
  const exts: Buffer[] = [];
  if (s.ca !== undefined) {
    const bc = [...(s.ca ? [boolean(true)] : []), ...(s.pathLen !== undefined ? [integer(s.pathLen)] : [])];
    exts.push(extension("2.5.29.19", true, sequence(...bc)));
  }
  if (s.ca) exts.push(extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)));
  if (s.ski) exts.push(extension("2.5.29.14", false, octetString(Buffer.from(s.ski, "hex"))));
  if (s.crlUrl) exts.push(extension("2.5.29.31", false, sequence(sequence(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(s.crlUrl))))))));
  if (s.aki) exts.push(extension("2.5.29.35", false, sequence(tlv(0x80, Buffer.from(s.aki, "hex")))));
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(s.serial ?? serials++),
    alg,
    makeName(["CN", s.issuer]),
    sequence(x509Time(s.notBefore ?? new Date("2020-01-01T00:00:00Z")), x509Time(s.notAfter ?? new Date("2040-01-01T00:00:00Z"))),
    makeName(["CN", s.subject]),
    s.spki ?? s.key.publicKey.export({ type: "spki", format: "der" }),
    ...(exts.length ? [explicit(3, sequence(...exts))] : []),
  );
  const by = s.wrongSigner ?? s.signer;
  const sig = sign(by.rsa ? "sha256" : null, tbs, by.privateKey);
  return sequence(tbs, alg, tlv(Tag.BIT_STRING, Buffer.from([0]), sig));
}

const cert = (s: CertSpec): Certificate => parseCertificate(makeCert(s));

const GOOD: RevocationChecker = { check: async (): Promise<RevocationResult> => ({ status: "good", source: "CRL", crls: [] }) };

function run(leaf: Certificate, anchors: Certificate[], untrusted: Certificate[] | CertificatePool, extra: Partial<ValidatePathOptions> = {}): Promise<PathResult> {
  return validatePath(leaf, { anchors: new TrustStore(anchors), untrusted, revocation: GOOD, at: AT, ...extra });
}

/** A root, an intermediate and a leaf, Ed25519 throughout. */
function chain() {
  const rootKey = ed();
  const caKey = ed();
  const leafKey = ed();
  const root = cert({ subject: "Root", issuer: "Root", key: rootKey, signer: rootKey, ca: true, ski: "01" });
  const ca = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, ski: "02", aki: "01" });
  const leaf = cert({ subject: "Leaf", issuer: "CA", key: leafKey, signer: caKey, aki: "02" });
  return { rootKey, caKey, leafKey, root, ca, leaf };
}

describe("indications (EN 319 102-1 §5.2.6)", () => {
  it("passes a good chain and reports it leaf first, anchor last", async () => {
    const { root, ca, leaf } = chain();
    const r = await run(leaf, [root], [ca]);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.report.subIndication).toBeNull();
    expect(r.report.path.map((p) => p.subject)).toEqual(["CN=Leaf", "CN=CA", "CN=Root"]);
    expect(r.report.path[2]!.revocation).toEqual({ status: "good", source: null });
    expect(r.workingPublicKey?.asymmetricKeyType).toBe("ed25519");
  });

  it("passes a trust anchor on its own", async () => {
    const { root } = chain();
    const r = await run(root, [root], []);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.certificates).toHaveLength(1);
  });

  it("says NO_CERTIFICATE_CHAIN_FOUND without an issuer", async () => {
    const { root, leaf } = chain();
    const r = await run(leaf, [root], []);
    expect(r.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_CERTIFICATE_CHAIN_FOUND" });
    expect(r.report.errors[0]).toMatchObject({ code: "NO_ISSUER_FOUND", certificate: leaf.sha256 });
  });

  it("reports a signature that does not verify as CERTIFICATE_CHAIN_GENERAL_FAILURE", async () => {
    const { root, rootKey, caKey, leafKey } = chain();
    const ca = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, wrongSigner: ed(), ca: true });
    const leaf = cert({ subject: "Leaf", issuer: "CA", key: leafKey, signer: caKey });
    const r = await run(leaf, [root], [ca]);
    expect(r.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "CERTIFICATE_CHAIN_GENERAL_FAILURE" });
    expect(r.report.errors[0]).toMatchObject({ code: "CERT_SIGNATURE_INVALID", certificate: ca.sha256 });
  });

  it("says OUT_OF_BOUNDS_NO_POE for an expired certificate and NOT_YET_VALID for a future one", async () => {
    const { root, ca, caKey, leafKey } = chain();
    const expired = cert({ subject: "Leaf", issuer: "CA", key: leafKey, signer: caKey, notAfter: new Date("2025-01-01T00:00:00Z") });
    const r1 = await run(expired, [root], [ca]);
    expect(r1.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "OUT_OF_BOUNDS_NO_POE" });
    expect(r1.report.errors[0]!.code).toBe("CERT_EXPIRED");
    const future = cert({ subject: "Leaf", issuer: "CA", key: leafKey, signer: caKey, notBefore: new Date("2027-01-01T00:00:00Z") });
    const r2 = await run(future, [root], [ca]);
    expect(r2.report).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "NOT_YET_VALID" });
  });

  it("says CHAIN_CONSTRAINTS_FAILURE for an intermediate that is not a CA, or too deep", async () => {
    const { root, rootKey, caKey, leafKey } = chain();
    const notCa = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey });
    const r = await run(cert({ subject: "Leaf", issuer: "CA", key: leafKey, signer: caKey }), [root], [notCa]);
    expect(r.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "CHAIN_CONSTRAINTS_FAILURE" });
    expect(r.report.errors[0]!.code).toBe("NOT_A_CA");

    const subKey = ed();
    const ca0 = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, pathLen: 0 });
    const sub = cert({ subject: "Sub", issuer: "CA", key: subKey, signer: caKey, ca: true });
    const deep = await run(cert({ subject: "Leaf", issuer: "Sub", key: leafKey, signer: subKey }), [root], [ca0, sub]);
    expect(deep.report.errors[0]!.code).toBe("PATH_LENGTH_EXCEEDED");
  });

  it("maps revocation outcomes: leaf revoked, CA revoked, unknown", async () => {
    const { root, ca, leaf } = chain();
    const status = (bad: string, status: "revoked" | "unknown"): RevocationChecker => ({
      check: async (c) => (c.sha256 === bad ? { status, source: status === "revoked" ? "CRL" : null, crls: [], ...(status === "unknown" ? { errorCode: "CRL_MISSING" } : {}) } : { status: "good", source: "CRL", crls: [] }),
    });
    const r1 = await run(leaf, [root], [ca], { revocation: status(leaf.sha256, "revoked") });
    expect(r1.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "REVOKED_NO_POE" });
    const r2 = await run(leaf, [root], [ca], { revocation: status(ca.sha256, "revoked") });
    expect(r2.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "REVOKED_CA_NO_POE" });
    expect(r2.report.errors[0]).toMatchObject({ code: "CA_REVOKED", certificate: ca.sha256 });
    const r3 = await run(leaf, [root], [ca], { revocation: status(leaf.sha256, "unknown") });
    expect(r3.report).toMatchObject({ indication: "INDETERMINATE", subIndication: "TRY_LATER" });
    expect(r3.report.errors[0]).toMatchObject({ code: "REVOCATION_UNKNOWN", revocationCode: "CRL_MISSING" });
  });
});

describe("CRL checking (RFC 5280 §6.3)", () => {
  let rootKey: Key;
  let caKey: Key;
  let root: Certificate;
  let ca: Certificate;
  let leaf: Certificate;
  const thisUpdate = new Date("2026-05-01T00:00:00Z");
  const nextUpdate = new Date("2026-07-01T00:00:00Z");

  beforeAll(() => {
    rootKey = { ...generateKeyPairSync("rsa", { modulusLength: 2048 }), rsa: true };
    caKey = { ...testKey(), rsa: true };
    root = cert({ subject: "CRL Root", issuer: "CRL Root", key: rootKey, signer: rootKey, ca: true });
    ca = cert({ subject: "CRL CA", issuer: "CRL Root", key: caKey, signer: rootKey, ca: true, serial: 7n });
    leaf = cert({ subject: "CRL Leaf", issuer: "CRL CA", key: ed(), signer: caKey, serial: 42n });
  });

  const crl = (issuer: string, key: Key, revoked: bigint[] = [], next = nextUpdate) =>
    parseCrl(makeCrl({ issuer: makeName(["CN", issuer]), privateKey: key.privateKey, thisUpdate, nextUpdate: next, entries: revoked.map((serial) => ({ serial, date: thisUpdate, reason: 1 })) }));

  const check = (crls: ReturnType<typeof crl>[]) => run(leaf, [root], [ca], { revocation: createCrlChecker({ store: new CrlStore(crls) }) });

  it("is good with a current CRL for every certificate", async () => {
    const rootCrl = crl("CRL Root", rootKey);
    const caCrl = crl("CRL CA", caKey);
    const r = await check([rootCrl, caCrl]);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.report.path.slice(0, 2).map((p) => p.revocation)).toMatchObject([
      { status: "good", source: "CRL" },
      { status: "good", source: "CRL" },
    ]);
    expect(new Set(r.crlsUsed)).toEqual(new Set([rootCrl.sha256, caCrl.sha256]));
  });

  it("finds the leaf and the CA revoked", async () => {
    const r1 = await check([crl("CRL Root", rootKey), crl("CRL CA", caKey, [42n])]);
    expect(r1.report.subIndication).toBe("REVOKED_NO_POE");
    const r2 = await check([crl("CRL Root", rootKey, [7n]), crl("CRL CA", caKey)]);
    expect(r2.report.subIndication).toBe("REVOKED_CA_NO_POE");
  });

  it("never says good without a usable CRL: missing, stale, or signed by someone else", async () => {
    const missing = await check([crl("CRL Root", rootKey)]);
    expect(missing.report.errors[0]).toMatchObject({ code: "REVOCATION_UNKNOWN", revocationCode: "CRL_MISSING", certificate: leaf.sha256 });
    const stale = await check([crl("CRL Root", rootKey), crl("CRL CA", caKey, [], new Date("2026-05-15T00:00:00Z"))]);
    expect(stale.report.errors[0]).toMatchObject({ revocationCode: "CRL_STALE" });
    const forged = await check([crl("CRL Root", rootKey), crl("CRL CA", rootKey)]);
    expect(forged.report.errors[0]).toMatchObject({ revocationCode: "CRL_SIGNATURE_INVALID" });
    for (const r of [missing, stale, forged]) expect(r.report.subIndication).toBe("TRY_LATER");
  });

  it("fetches the distribution point only when allowed and nothing usable is stored", async () => {
    const url = "http://crl.podpis.test/crl-ca.crl";
    const dpLeaf = cert({ subject: "CRL Leaf", issuer: "CRL CA", key: ed(), signer: caKey, serial: 43n, crlUrl: url });
    const caCrl = crl("CRL CA", caKey);
    const asked: string[] = [];
    const fetcher: CrlFetcher = {
      fetch: async (u) => {
        asked.push(u);
        return caCrl;
      },
    };
    const validate = (allowFetch: boolean, f: CrlFetcher) =>
      run(dpLeaf, [root], [ca], { policy: pathPolicy({}, allowFetch), revocation: createCrlChecker({ store: new CrlStore([crl("CRL Root", rootKey)]), fetcher: f }) });
    const offline = await validate(false, fetcher);
    expect(offline.report.errors[0]).toMatchObject({ revocationCode: "CRL_MISSING" });
    expect(asked).toEqual([]);
    const online = await validate(true, fetcher);
    expect(online.report.indication).toBe("TOTAL_PASSED");
    expect(asked).toEqual([url]);
    const down: CrlFetcher = {
      fetch: async () => {
        throw new Error("connection refused");
      },
    };
    const failed = await validate(true, down);
    expect(failed.report.errors[0]).toMatchObject({ code: "REVOCATION_UNKNOWN", revocationCode: "CRL_FETCH_FAILED" });
  });
});

describe("path building", () => {
  it("backtracks from a dead end to another issuer of the same name and key", async () => {
    const { root, rootKey, caKey, leaf } = chain();
    const strangerKey = ed();
    const deadEnd = cert({ subject: "CA", issuer: "Stranger", key: caKey, signer: strangerKey, ca: true, ski: "02" });
    const ca = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, ski: "02", aki: "01" });
    const r = await run(leaf, [root], [deadEnd, ca]);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.certificates.map((c) => c.sha256)).toEqual([leaf.sha256, ca.sha256, root.sha256]);
  });

  it("tries the next path when the first fails validation", async () => {
    const { root, rootKey, caKey, leaf } = chain();
    const expiredCa = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, notAfter: new Date("2025-01-01T00:00:00Z") });
    const notCa = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey });
    const good = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true });
    const r = await run(leaf, [root], [notCa, expiredCa, good]);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.certificates[1]!.sha256).toBe(good.sha256);
  });

  it("ends a cross-signing cycle without an anchor", async () => {
    const a = ed();
    const b = ed();
    const ab = cert({ subject: "A", issuer: "B", key: a, signer: b, ca: true });
    const ba = cert({ subject: "B", issuer: "A", key: b, signer: a, ca: true });
    const leaf = cert({ subject: "Leaf", issuer: "A", key: ed(), signer: a });
    const { root } = chain();
    const r = await run(leaf, [root], [ab, ba]);
    expect(r.report.subIndication).toBe("NO_CERTIFICATE_CHAIN_FOUND");
    expect(r.report.errors[0]!.code).toBe("NO_ISSUER_FOUND");
  });

  it("ignores malformed certificates in the pool", async () => {
    const { root, rootKey, caKey, leaf } = chain();
    const badKey = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, spki: sequence(sequence(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bitString(Buffer.from([4, 1, 2, 3]))) });
    const oddAlg = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true, signatureOid: "1.2.3.4.5" });
    const ca = cert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey, ca: true });
    const pool = new CertificatePool([badKey, oddAlg]);
    expect(pool.add(Buffer.from("not a certificate"))).toBe(false);
    expect(pool.add(makeCert({ subject: "CA", issuer: "Root", key: caKey, signer: rootKey }).subarray(0, 50))).toBe(false);
    pool.add(ca);
    const r = await run(leaf, [root], pool);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(r.certificates[1]!.sha256).toBe(ca.sha256);
  });

  it("caches verified signatures: validating the same chain again verifies nothing", async () => {
    const { root, ca, leaf } = chain();
    const cache = new BoundedCache<boolean>(1000);
    await run(leaf, [root], [ca], { signatureCache: cache });
    const after = cache.size;
    expect(after).toBeGreaterThanOrEqual(2);
    const r = await run(leaf, [root], [ca], { signatureCache: cache });
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(cache.size).toBe(after);
  });
});

describe("hostile pools", () => {
  // Ten names, one key each, 200 certificates per name cross-signed by every other name: every
  // edge verifies, so the paths are exponential in number and none reaches the anchor.
  const NAMES = 10;
  const PER_NAME = 200;
  let keys: Key[];
  let mesh: Certificate[];
  let pool: CertificatePool;

  beforeAll(() => {
    keys = Array.from({ length: NAMES }, ed);
    mesh = [];
    for (let i = 0; i < NAMES; i++) {
      for (let j = 0; j < PER_NAME; j++) {
        const by = (i + 1 + (j % (NAMES - 1))) % NAMES;
        mesh.push(cert({ subject: `Mesh CA ${i}`, issuer: `Mesh CA ${by}`, key: keys[i]!, signer: keys[by]!, ca: true }));
      }
    }
    pool = new CertificatePool(mesh);
  });

  it("stays within its budgets and returns quickly with no path", async () => {
    expect(pool.size).toBe(NAMES * PER_NAME);
    const { root } = chain();
    const leaf = cert({ subject: "Victim", issuer: "Mesh CA 0", key: ed(), signer: keys[0]! });
    const cache = new BoundedCache<boolean>(100_000);
    const t0 = performance.now();
    const r = await run(leaf, [root], pool, { signatureCache: cache });
    const ms = performance.now() - t0;
    expect(r.report.subIndication).toBe("NO_CERTIFICATE_CHAIN_FOUND");
    expect(r.report.errors[0]!.code).toBe("PATH_BUILDING_LIMIT");
    expect(cache.size).toBeLessThanOrEqual(128);
    // a hang guard (many seconds), not a speed claim: speed is measured in bench/
    expect(ms).toBeLessThan(20_000);
  });

  it("spends at most 128 signature checks on 2,000 impostors of the issuer's name", async () => {
    const { root } = chain();
    const issuerKey = ed();
    const impostors = Array.from({ length: 2000 }, () => {
      const k = ed();
      return cert({ subject: "Busy CA", issuer: "Busy CA", key: k, signer: k, ca: true });
    });
    const leaf = cert({ subject: "Victim", issuer: "Busy CA", key: ed(), signer: issuerKey });
    const cache = new BoundedCache<boolean>(100_000);
    const t0 = performance.now();
    const r = await run(leaf, [root], impostors, { signatureCache: cache });
    // a hang guard (many seconds), not a speed claim: speed is measured in bench/
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.report.errors[0]!.code).toBe("PATH_BUILDING_LIMIT");
    expect(cache.size).toBe(128);
  });

  it("still finds the real path when the AKI points at it", async () => {
    const rootKey = ed();
    const realKey = ed();
    const root = cert({ subject: "Real Root", issuer: "Real Root", key: rootKey, signer: rootKey, ca: true, ski: "aa" });
    const real = cert({ subject: "Mesh CA 0", issuer: "Real Root", key: realKey, signer: rootKey, ca: true, ski: "bb", aki: "aa" });
    const leaf = cert({ subject: "Citizen", issuer: "Mesh CA 0", key: ed(), signer: realKey, aki: "bb" });
    const cache = new BoundedCache<boolean>(100_000);
    const r = await run(leaf, [root], [...mesh, real], { signatureCache: cache });
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(cache.size).toBeLessThanOrEqual(4);
  });
});
