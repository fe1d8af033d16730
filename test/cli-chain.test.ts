/**
 * `podpis chain` on the bundled test PKI: each scenario of the foundation issue gives its
 * EN 319 102-1 indication and exit code, CRLs are fetched from a local HTTP server, and bad
 * input ends in a clear error without a stack trace.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { issueCertificate, issueCrl, loadKey } from "../certs-test/pki.js";
import { createValidator } from "../src/validator.js";
import { type Captured, capture } from "./helpers/cli-capture.js";

const ROOT = resolve(__dirname, "..");
const PKI = join(ROOT, "certs-test");
const AT = "2026-06-01T00:00:00Z";
const CAS = ["qualified-ca", "seal-ca", "revoked-sub-ca", "nobc-ca"].flatMap((c) => ["--untrusted", join(PKI, `${c}.pem`)]);
const CURRENT_CRLS = ["root", "qualified-ca", "seal-ca", "revoked-sub-ca", "nobc-ca"].flatMap((c) => ["--crl", join(PKI, "crl", `${c}.crl`)]);

const chain = (args: string[]): Promise<Captured> => capture((io) => run(["chain", ...args], io));

async function chainJson(cert: string, extra: string[] = [], at = AT) {
  const r = await chain([join(PKI, `${cert}.pem`), ...CAS, "--trust", join(PKI, "trust"), "--at", at, "--json", ...extra]);
  return { ...r, report: JSON.parse(r.out) };
}

describe("podpis chain on the test PKI", () => {
  const cases: Array<[string, string, string | null, number, string | null]> = [
    // certificate, indication, subIndication, exit code, first error code
    ["citizen-rsa2048", "TOTAL_PASSED", null, 0, null],
    ["citizen-p256", "TOTAL_PASSED", null, 0, null],
    ["citizen-rsa-pss", "TOTAL_PASSED", null, 0, null],
    ["seal-p256", "TOTAL_PASSED", null, 0, null],
    ["revoked", "INDETERMINATE", "REVOKED_NO_POE", 1, "CERT_REVOKED"],
    ["expired", "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE", 1, "CERT_EXPIRED"],
    ["not-yet-valid", "TOTAL_FAILED", "NOT_YET_VALID", 2, "CERT_NOT_YET_VALID"],
    ["evil-leaf", "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", 1, "NO_ISSUER_FOUND"],
    ["nobc-leaf", "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE", 1, "NOT_A_CA"],
    ["unknown-critical-ext", "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE", 1, "UNKNOWN_CRITICAL_EXTENSION"],
    ["revoked-sub-ca-leaf", "INDETERMINATE", "REVOKED_CA_NO_POE", 1, "CA_REVOKED"],
    // a leaf's key usage is a signature-level question; the path itself is fine
    ["ku-keyencipherment", "TOTAL_PASSED", null, 0, null],
  ];
  for (const [cert, indication, sub, exit, code] of cases) {
    it(`${cert} → ${indication}${sub ? "/" + sub : ""}`, async () => {
      const r = await chainJson(cert, [...CURRENT_CRLS, "--offline"]);
      expect(r.report.indication).toBe(indication);
      expect(r.report.subIndication).toBe(sub);
      expect(r.code).toBe(exit);
      expect(r.report.errors[0]?.code ?? null).toBe(code);
      expect(r.report.validationTime).toBe("2026-06-01T00:00:00.000Z");
    });
  }

  it("reports the path leaf first, anchor last, with revocation per certificate", async () => {
    const r = await chainJson("citizen-rsa2048", [...CURRENT_CRLS, "--offline"]);
    const manifest = JSON.parse(readFileSync(join(PKI, "manifest.json"), "utf8"));
    expect(r.report.path.map((p: { sha256: string }) => p.sha256)).toEqual(
      ["citizen-rsa2048", "qualified-ca", "root-ca"].map((n) => manifest.certificates[n].sha256),
    );
    expect(r.report.path[0].subject).toContain("CN=Иван Петров Иванов");
    expect(r.report.path[0].revocation).toMatchObject({ status: "good", source: "CRL" });
    expect(r.report.path[1].revocation).toMatchObject({ status: "good", source: "CRL" });
  });

  it("a stale CRL (past nextUpdate) gives TRY_LATER, never a pass", async () => {
    const r = await chainJson("citizen-rsa2048", ["--crl", join(PKI, "crl/root.crl"), "--crl", join(PKI, "crl/qualified-ca-stale.crl"), "--offline"]);
    expect(r.report.indication).toBe("INDETERMINATE");
    expect(r.report.subIndication).toBe("TRY_LATER");
    expect(r.report.path[0].revocation.status).toBe("unknown");
    expect(r.code).toBe(1);
  });

  it("a missing CRL offline gives TRY_LATER", async () => {
    const r = await chainJson("citizen-rsa2048", ["--crl", join(PKI, "crl/root.crl"), "--offline"]);
    expect(r.report.subIndication).toBe("TRY_LATER");
  });

  it("an unreachable CRL distribution point gives TRY_LATER", async () => {
    // unreachable-crl's distribution point is http://127.0.0.1:9/ (nothing listens there)
    const r = await chainJson("unreachable-crl", ["--crl", join(PKI, "crl/root.crl")]);
    expect(r.report.indication).toBe("INDETERMINATE");
    expect(r.report.subIndication).toBe("TRY_LATER");
    expect(JSON.stringify(r.report.errors)).toMatch(/CRL_FETCH_FAILED|fetch/i);
  });

  it("the human output says the verdict and names the certificates", async () => {
    const r = await chain([join(PKI, "revoked.pem"), ...CAS, "--trust", join(PKI, "trust"), ...CURRENT_CRLS, "--offline", "--at", AT]);
    expect(r.out).toMatch(/^INDETERMINATE \(REVOKED_NO_POE\)/);
    expect(r.out).toContain("Стоян Колев Маринов");
    expect(r.out).toContain("keyCompromise");
    expect(r.code).toBe(1);
  });

  it("validates the same certificate at different times", async () => {
    // at 2026-04-15 the revocation (2026-03-01) has happened and the CRL (2026-04-01) says so
    const after = await chainJson("revoked", [...CURRENT_CRLS, "--offline"], "2026-04-15T00:00:00Z");
    expect(after.report.subIndication).toBe("REVOKED_NO_POE");
    // in 2024 the expired certificate was in its validity period, but no CRL of that time is at hand
    const early = await chainJson("expired", [...CURRENT_CRLS, "--offline"], "2024-06-01T00:00:00Z");
    expect(early.report.subIndication).toBe("TRY_LATER");
  });
});

describe("CRL fetched from the distribution point", () => {
  let server: Server;
  let hits = 0;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), "podpis-chain-"));
  let leafPath = "";

  beforeAll(async () => {
    const crl = readFileSync(join(PKI, "crl/qualified-ca.crl"));
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/qualified-ca.crl") {
        res.writeHead(200, { "content-type": "application/pkix-crl" });
        res.end(crl);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
    const caKey = await loadKey(readFileSync(join(PKI, "keys/qualified-ca.key.pem"), "utf8"), "rsa3072");
    const leafKey = await loadKey(readFileSync(join(PKI, "keys/citizen-rsa2048.key.pem"), "utf8"), "rsa2048");
    const leaf = await issueCertificate({
      subject: [["C", "BG", "printable"], ["CN", "Мария Георгиева Димитрова"], ["serialNumber", "PNOBG-7501010010"]],
      issuer: { cert: readFileSync(join(PKI, "qualified-ca.pem"), "utf8"), key: caKey },
      subjectKey: leafKey,
      serial: 0x7e57f00dn,
      notBefore: new Date("2025-01-01T00:00:00Z"),
      notAfter: new Date("2028-01-01T00:00:00Z"),
      extensions: { keyUsage: ["digitalSignature", "nonRepudiation"], crlDistributionPoints: [`http://127.0.0.1:${port}/qualified-ca.crl`] },
    });
    leafPath = join(dir, "leaf.pem");
    writeFileSync(leafPath, leaf.pem);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("passes with the CRL fetched over HTTP, and the fetch is made once per validator", async () => {
    const r = await chain([leafPath, ...CAS, "--trust", join(PKI, "trust"), "--crl", join(PKI, "crl/root.crl"), "--at", AT, "--json"]);
    const report = JSON.parse(r.out);
    expect(report.indication).toBe("TOTAL_PASSED");
    expect(report.path[0].revocation).toMatchObject({ status: "good", source: "CRL" });
    expect(hits).toBe(1);
  });

  it("a refetched distribution point replaces the CRL it fetched before (the store does not grow)", async () => {
    const caKey = await loadKey(readFileSync(join(PKI, "keys/qualified-ca.key.pem"), "utf8"), "rsa3072");
    const issuer = { cert: readFileSync(join(PKI, "qualified-ca.pem"), "utf8"), key: caKey };
    const month = (m: number) => new Date(Date.UTC(2026, m, 1));
    const crls = [await issueCrl({ issuer, thisUpdate: month(4), nextUpdate: month(5), crlNumber: 100 }), await issueCrl({ issuer, thisUpdate: month(5), nextUpdate: month(6), crlNumber: 101 })];
    let served = 0;
    const local = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/pkix-crl" });
      res.end(crls[Math.min(served++, 1)]!.der);
    });
    await new Promise<void>((r) => local.listen(0, "127.0.0.1", r));
    try {
      const caKeyLeaf = await loadKey(readFileSync(join(PKI, "keys/citizen-p256.key.pem"), "utf8"), "p256");
      const leaf = await issueCertificate({
        subject: [["C", "BG", "printable"], ["CN", "Петър Стоянов Колев"]],
        issuer,
        subjectKey: caKeyLeaf,
        serial: 0x7e57f00en,
        notBefore: new Date("2025-01-01T00:00:00Z"),
        notAfter: new Date("2028-01-01T00:00:00Z"),
        extensions: { crlDistributionPoints: [`http://127.0.0.1:${(local.address() as AddressInfo).port}/q.crl`] },
      });
      const v = await createValidator({
        trust: [readFileSync(join(PKI, "trust/root-ca.pem"))],
        untrusted: [readFileSync(join(PKI, "qualified-ca.pem"))],
        crls: [readFileSync(join(PKI, "crl/root.crl"))],
      });
      const issuerKey = v.crlStore.all().length;
      expect((await v.validatePath(leaf.der, { at: new Date("2026-05-15T00:00:00Z") })).indication).toBe("TOTAL_PASSED");
      expect((await v.validatePath(leaf.der, { at: new Date("2026-06-15T00:00:00Z") })).indication).toBe("TOTAL_PASSED");
      expect(served).toBe(2);
      // the root's CRL plus only the newer of the two fetched ones
      expect(v.crlStore.all().length).toBe(issuerKey + 1);
      expect(v.crlStore.all().some((c) => c.crlNumber === 101n)).toBe(true);
    } finally {
      await new Promise<void>((r) => local.close(() => r()));
    }
  });

  it("does not fetch with --offline", async () => {
    hits = 0;
    const r = await chain([leafPath, ...CAS, "--trust", join(PKI, "trust"), "--crl", join(PKI, "crl/root.crl"), "--at", AT, "--json", "--offline"]);
    expect(JSON.parse(r.out).subIndication).toBe("TRY_LATER");
    expect(hits).toBe(0);
  });
});

describe("bad input", () => {
  const dir = mkdtempSync(join(tmpdir(), "podpis-bad-"));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "test/helpers/cli-entry.ts"), ...args], {
      encoding: "utf8",
      timeout: 60_000,
    });
  const trust = ["--trust", join(PKI, "trust"), "--offline", "--at", AT];

  it("a file that is no certificate: FORMAT_FAILURE, exit 2, no stack trace", () => {
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    const r = cli(["chain", garbage, ...trust, "--json"]);
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.subIndication).toBe("FORMAT_FAILURE");
    expect(report.errors[0].code).toBe("MALFORMED_CERTIFICATE");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("truncated DER, a CRL given as the certificate, and 50 MB of random bytes", () => {
    const der = readFileSync(join(PKI, "citizen-rsa2048.der"));
    const files = {
      truncated: der.subarray(0, der.length - 10),
      crl: readFileSync(join(PKI, "crl/qualified-ca.crl")),
      random: randomBytes(50 * 1024 * 1024),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const t = Date.now();
      const r = cli(["chain", p, ...trust]);
      expect(r.status, name).toBe(2);
      expect(r.stdout, name).toMatch(/^INVALID \(FORMAT_FAILURE\)/);
      expect(r.stdout + r.stderr, name).not.toMatch(/\n\s+at /);
      expect(Date.now() - t, name).toBeLessThan(30_000);
    }
  });

  it("a --crl that is no CRL: exit 2 with the file named", () => {
    const r = cli(["chain", join(PKI, "citizen-rsa2048.pem"), ...trust, "--crl", join(PKI, "root-ca.pem")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/BAD_CRL/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("usage errors exit 64", () => {
    expect(cli(["chain", join(PKI, "citizen-rsa2048.pem"), ...trust, "--bogus"]).status).toBe(64);
    expect(cli(["chain", join(dir, "missing.pem"), ...trust]).status).toBe(64);
    expect(cli(["chain", join(PKI, "citizen-rsa2048.pem")]).status).toBe(64);
    expect(cli(["chain", join(PKI, "citizen-rsa2048.pem"), ...trust.slice(0, 3), "--at", "yesterday"]).status).toBe(64);
    expect(cli(["frobnicate"]).status).toBe(64);
  });
});
