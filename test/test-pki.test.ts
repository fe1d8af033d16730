/**
 * Invariants of the bundled test PKI in certs-test/ (written by `npm run certs`).
 * Uses only Node's crypto, independently of certs-test/pki.ts.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "certs-test");

interface CertEntry {
  role: string;
  scenario: string;
  subject: string;
  issuedBy: string;
  chain: string[];
  serial: string;
  notBefore: string;
  notAfter: string;
  keySpec: string;
  sha256: string;
  files: { pem: string; der: string; key: string; p12?: string; p12Legacy?: string };
  egn?: string;
  eik?: string;
  identifier?: string;
}
interface CrlEntry {
  file: string;
  issuedBy: string;
  scenario: string;
  url: string | null;
  thisUpdate: string;
  nextUpdate: string;
  revoked: { cert: string; serial: string; date: string; reason: string }[];
}
interface Manifest {
  dates: Record<string, string>;
  passwords: Record<string, string>;
  trustStore: string[];
  endpoints: Record<string, string>;
  certificates: Record<string, CertEntry>;
  crls: Record<string, CrlEntry>;
}

const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as Manifest;
const certs = new Map(Object.entries(manifest.certificates).map(([n, e]) => [n, new X509Certificate(readFileSync(join(DIR, e.files.der)))]));
const cert = (name: string): X509Certificate => {
  const c = certs.get(name);
  if (!c) throw new Error(`no certificate ${name} in manifest`);
  return c;
};

// Independent re-implementations of the checksums in /work/shared/domain.md.
function egnOk(egn: string): boolean {
  if (!/^\d{10}$/.test(egn)) return false;
  const w = [2, 4, 8, 5, 10, 9, 7, 3, 6];
  const s = w.reduce((a, wi, i) => a + wi * Number(egn[i]), 0) % 11;
  return (s === 10 ? 0 : s) === Number(egn[9]);
}
function eikOk(eik: string): boolean {
  if (!/^\d{9}$/.test(eik)) return false;
  const d = [...eik].map(Number);
  let s = d.slice(0, 8).reduce((a, x, i) => a + x * (i + 1), 0) % 11;
  if (s === 10) s = d.slice(0, 8).reduce((a, x, i) => a + x * (i + 3), 0) % 11 % 10;
  return s === d[8];
}

describe("bundled test PKI (certs-test/)", () => {
  it("checksum helpers agree with domain.md's example", () => {
    expect(egnOk("7501010010")).toBe(true);
    expect(egnOk("7501010011")).toBe(false);
  });

  it("the manifest lists the 24 certificates and 7 CRLs the loops below go through", () => {
    expect([Object.keys(manifest.certificates).length, Object.keys(manifest.crls).length]).toEqual([24, 7]);
  });

  it("every file the manifest names exists", () => {
    const files = [
      ...manifest.trustStore,
      ...Object.values(manifest.endpoints),
      ...Object.values(manifest.crls).map((c) => c.file),
      ...Object.values(manifest.certificates).flatMap((c) => Object.values(c.files)),
    ];
    // the count of the test PKI as generated (certs-test/generate.ts): change it with the PKI
    expect(files).toHaveLength(101);
    for (const f of files) expect(existsSync(join(DIR, f)), f).toBe(true);
  });

  it("the trust store holds only the root", () => {
    expect(readdirSync(join(DIR, "trust"))).toEqual(["root-ca.pem"]);
    expect(manifest.trustStore).toEqual(["trust/root-ca.pem"]);
    const trusted = new X509Certificate(readFileSync(join(DIR, "trust", "root-ca.pem")));
    expect(trusted.fingerprint256).toBe(cert("root-ca").fingerprint256);
  });

  it("the root is self-signed and a CA", () => {
    const root = cert("root-ca");
    expect(root.ca).toBe(true);
    expect(root.subject).toBe(root.issuer);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
  });

  it("each certificate matches its manifest entry and is signed by its issuer", () => {
    for (const [name, e] of Object.entries(manifest.certificates)) {
      const c = cert(name);
      const pem = new X509Certificate(readFileSync(join(DIR, e.files.pem)));
      expect(pem.raw.equals(c.raw), name).toBe(true);
      expect(c.serialNumber.toUpperCase(), name).toBe(e.serial);
      expect(c.fingerprint256.replace(/:/g, "").toLowerCase(), name).toBe(e.sha256);
      expect(new Date(c.validFrom).toISOString().replace(".000", ""), name).toBe(e.notBefore);
      expect(new Date(c.validTo).toISOString().replace(".000", ""), name).toBe(e.notAfter);
      expect(c.subject, name).toContain("TEST");
      const issuer = cert(e.issuedBy);
      expect(c.checkIssued(issuer), name).toBe(true);
      expect(c.verify(issuer.publicKey), name).toBe(true);
      // the chain ends at the root, except under the untrusted Evil Root
      const top = e.chain.length ? e.chain[e.chain.length - 1] : name;
      expect(top, name).toBe(e.role.startsWith("untrusted") ? "evil-root-ca" : "root-ca");
    }
  });

  it("each private key belongs to its certificate", () => {
    for (const [name, e] of Object.entries(manifest.certificates)) {
      const pub = createPublicKey(createPrivateKey(readFileSync(join(DIR, e.files.key))));
      const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: "spki", format: "der" });
      expect(spki(pub).equals(spki(cert(name).publicKey)), name).toBe(true);
    }
  });

  it("natural persons carry checksum-valid EGNs, legal persons valid EIKs", () => {
    const citizens = Object.entries(manifest.certificates).filter(([, e]) => e.egn);
    expect(citizens.map(([name]) => name).sort()).toEqual([
      "citizen-p256", "citizen-rsa-pss", "citizen-rsa2048", "citizen-rsa3072", "evil-leaf", "expired", "ku-keycertsign",
      "ku-keyencipherment", "nobc-leaf", "not-yet-valid", "revoked", "revoked-sub-ca-leaf", "unknown-critical-ext", "unreachable-crl",
    ]);
    for (const [name, e] of citizens) {
      expect(egnOk(e.egn!), `${name} EGN`).toBe(true);
      expect(cert(name).subject, name).toContain(`serialNumber=PNOBG-${e.egn}`);
    }
    // each citizen is a different person (evil-leaf deliberately impersonates citizen-rsa2048)
    const egns = citizens.filter(([n]) => n !== "evil-leaf").map(([, e]) => e.egn);
    expect(new Set(egns).size).toBe(egns.length);
    expect(manifest.certificates["evil-leaf"]!.egn).toBe(manifest.certificates["citizen-rsa2048"]!.egn);
    const legal = Object.entries(manifest.certificates).filter(([, e]) => e.eik);
    expect(legal).toHaveLength(8);
    for (const [name, e] of legal) {
      expect(eikOk(e.eik!), `${name} EIK`).toBe(true);
      expect(cert(name).subject, name).toContain(`NTRBG-${e.eik}`);
    }
  });

  it("valid end-entity certificates are valid at the fixed validation time, problem ones as described", () => {
    const at = new Date(manifest.dates.validationTime!).getTime();
    const inside = (c: X509Certificate) => new Date(c.validFrom).getTime() <= at && at <= new Date(c.validTo).getTime();
    for (const [name, e] of Object.entries(manifest.certificates)) {
      const expected = e.scenario !== "expired" && e.scenario !== "not-yet-valid";
      expect(inside(cert(name)), name).toBe(expected);
    }
  });

  it("CRLs are DER, current ones are fresh at the validation time, the stale one is not", () => {
    const at = new Date(manifest.dates.validationTime!).getTime();
    for (const [name, c] of Object.entries(manifest.crls)) {
      const der = readFileSync(join(DIR, c.file));
      expect(der[0], name).toBe(0x30);
      const fresh = new Date(c.thisUpdate).getTime() <= at && at <= new Date(c.nextUpdate).getTime();
      expect(fresh, name).toBe(c.scenario === "current");
      for (const r of c.revoked) {
        expect(manifest.certificates[r.cert]!.serial).toBe(r.serial);
        expect(new Date(r.date).getTime(), `${name}: revocation after thisUpdate`).toBeLessThanOrEqual(new Date(c.thisUpdate).getTime());
        // the serial bytes occur in the CRL
        expect(der.includes(Buffer.from(r.serial, "hex")), name).toBe(true);
      }
    }
  });
});
