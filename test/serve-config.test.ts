/**
 * `podpis serve` configuration (issue 10 items 3, 6, 14): own material mixed with the bundled
 * test material is refused, a receipt whose time-stamp does not validate is not valid, a
 * configuration mistake is one line and exit 64 before any worker starts, key passwords and bad
 * files are named plainly, and each command's --help lists exactly the flags it accepts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_DATES, exportPkcs12, generateKey, issueCertificate, OID } from "../certs-test/pki.js";
import { AUDIT_FLAGS, AUDIT_HELP } from "../src/cli/audit.js";
import { KEYS_FLAGS, KEYS_HELP } from "../src/cli/keys.js";
import { run } from "../src/cli/main.js";
import { SERVE_FLAGS, SERVE_HELP, serveConfigFromArgs } from "../src/cli/serve.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { renderText } from "../src/validation/report-text.js";

const ROOT = resolve(__dirname, "..");
const PKI = join(ROOT, "certs-test");
const AT = "2026-06-01T00:00:00.000Z";
const dir = mkdtempSync(join(tmpdir(), "podpis-serve-config-"));

function capture(): { out: { stdout: (t: string) => void; stderr: (t: string) => void }; stdout: () => string; stderr: () => string } {
  let o = "";
  let e = "";
  return { out: { stdout: (t) => void (o += t), stderr: (t) => void (e += t) }, stdout: () => o, stderr: () => e };
}

/** A TSA of the operator's own, NOT under the bundled test root, in a password-protected PKCS#12. */
let ownTsaP12: string;
/** A seal key of the operator's own with a password. */
let ownSealP12: string;
beforeAll(async () => {
  const key = await generateKey("p256");
  const cert = await issueCertificate({
    subject: [["C", "BG"], ["CN", "Own TSA (runtime)"]],
    subjectKey: key,
    serial: 0x5a1n,
    notBefore: BUNDLE_DATES.caNotBefore,
    notAfter: BUNDLE_DATES.rootNotAfter,
    extensions: { keyUsage: ["digitalSignature"], extKeyUsage: { oids: [OID.ekuTimeStamping], critical: true } },
  });
  ownTsaP12 = join(dir, "own-tsa.p12");
  writeFileSync(ownTsaP12, exportPkcs12({ key, cert, password: "own-tsa-secret" }));
  const sealKey = await generateKey("p256");
  const sealCert = await issueCertificate({ subject: [["C", "BG"], ["CN", "Own seal (runtime)"]], subjectKey: sealKey, serial: 0x5a2n, notBefore: BUNDLE_DATES.caNotBefore, notAfter: BUNDLE_DATES.rootNotAfter, extensions: { keyUsage: ["digitalSignature", "nonRepudiation"] } });
  ownSealP12 = join(dir, "own-seal.p12");
  writeFileSync(ownSealP12, exportPkcs12({ key: sealKey, cert: sealCert, password: "own-seal-secret" }));
});

describe("own configuration mixed with bundled test material (item 3)", () => {
  const refused = (argv: string[]): string => {
    try {
      serveConfigFromArgs(argv);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };

  it("own trust and seal without a TSA: refused, naming --tsa URL and --tsa-key", () => {
    const m = refused(["--trust", "own-trust.pem", "--seal-key", "own-seal.p12", "--seal-password-env", "X"]);
    expect(m).toMatch(/add --tsa URL or --tsa-key KEY\.p12/);
    expect(m).toMatch(/TEST TSA/);
    expect(m).not.toMatch(/--seal-key KEY/);
    expect(m.split("\n")).toHaveLength(1);
  });
  it("own trust alone: names the seal and the TSA; own seal alone: names --trust", () => {
    expect(refused(["--trust", "t.pem"])).toMatch(/--seal-key .*--tsa URL/);
    expect(refused(["--seal-key", "s.p12"])).toMatch(/--trust PEM-or-DIR/);
    expect(refused(["--tsa", "http://127.0.0.1:3161/"])).toMatch(/--trust .*--seal-key/);
  });
  it("all own, all bundled, or --allow-test-material: accepted (the bundled TSA still warned about)", () => {
    expect(refused(["--trust", "t.pem", "--seal-key", "s.p12", "--tsa", "http://127.0.0.1:3161/"])).toBe("accepted");
    expect(refused([])).toBe("accepted");
    const { warnings } = serveConfigFromArgs(["--trust", "t.pem", "--allow-test-material"]);
    expect(warnings.join("\n")).toMatch(/bundled TEST TSA/);
    expect(warnings.join("\n")).toMatch(/bundled TEST seal/);
  });
  it("the refusal is exit 64 from the command", async () => {
    const c = capture();
    expect(await run(["serve", "--trust", join(PKI, "trust"), "--seal-key", ownSealP12], c.out)).toBe(64);
    expect(c.stderr()).toMatch(/^podpis serve: own configuration mixed with bundled test material: add --tsa URL/);
  });
});

describe("a receipt whose time-stamp does not validate is not valid (item 3)", () => {
  let rt: Runtime;
  beforeAll(async () => {
    process.env.PODPIS_TEST_OWN_TSA = "own-tsa-secret";
    rt = await buildRuntime({ ...defaultConfig(), dataDir: mkdtempSync(join(dir, "rt-")), clock: AT, offline: true, databaseUrl: undefined, tsaKey: ownTsaP12, tsaPasswordEnv: "PODPIS_TEST_OWN_TSA", logLevel: "silent" });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it("sealed by this service, time-stamped by a TSA it does not trust: valid false with TIMESTAMP_NOT_VALID", async () => {
    const sub = await rt.service.submit({ document: readFileSync(join(ROOT, "fixtures/xades/zayavlenie-enveloped-rsa.xml")), contents: [], applicant: "7501010010", service: "demo" });
    const check = await rt.service.checkReceipt(Buffer.from(sub.receipt));
    expect(check.valid).toBe(false);
    expect(check.problems.map((p) => p.code)).toContain("TIMESTAMP_NOT_VALID");
    // and the plain words do not say VALID … (B-T)
    const text = renderText(check.report);
    expect(text).toContain("the timestamp could not be checked");
    expect(text).not.toMatch(/VALID[^\n]*\(B-T\)/);
  });
});

describe("configuration mistakes: one line, exit 64, before any worker (items 6, 14)", () => {
  const serve = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin/podpis.js"), "serve", "--port", "0", "--workers", "2", "--data", mkdtempSync(join(dir, "d-")), "--allow-test-material", ...args], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL: "", ...env },
    });
    // the warnings about test material are lines of their own; the error is the one other line
    const lines = r.stderr.split("\n").filter((l) => l && !/bundled TEST|--allow-test-material/.test(l));
    return { status: r.status, lines, stderr: r.stderr };
  };

  it.each([
    ["a missing --trust path", ["--trust", "/nonexistent/trust.pem"], /trust anchor \(--trust\) not found: \/nonexistent\/trust\.pem/],
    ["a key file given as --trust", ["--trust", join(PKI, "keys/root-ca.key.pem")], /root-ca\.key\.pem \(--trust\) is not a certificate/],
    ["a key file given as --crl", ["--crl", join(PKI, "keys/root-ca.key.pem")], /root-ca\.key\.pem is not a usable CRL/],
    ["an own seal key without --seal-password-env", ["--seal-key", "SEAL"], /no password was given for the seal key .*own-seal\.p12: add --seal-password-env VAR/],
    ["--seal-password-env naming an unset variable", ["--seal-key", "SEAL", "--seal-password-env", "PODPIS_TEST_UNSET_VAR"], /--seal-password-env PODPIS_TEST_UNSET_VAR: the environment variable is not set/],
    ["a wrong seal password", ["--seal-key", "SEAL", "--seal-password-env", "PODPIS_TEST_WRONG"], /--seal-key: wrong password/],
  ])("%s", (_name, args, want) => {
    const r = serve(args.map((a) => (a === "SEAL" ? ownSealP12 : a)), { PODPIS_TEST_WRONG: "nope" });
    expect(r.status, r.stderr).toBe(64);
    expect(r.lines, r.stderr).toHaveLength(1);
    expect(r.lines[0]).toMatch(want);
    expect(r.stderr).not.toMatch(/"level"|worker|at .*\.js:\d+/);
  });
});

describe("a worker that cannot start is reported once, not restarted in a loop (item 6)", () => {
  it("the port is taken: one line naming it, exit 64, no 'starting another'", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = String((taken.address() as { port: number }).port);
    try {
      const r = spawnSync(process.execPath, [join(ROOT, "bin/podpis.js"), "serve", "--port", port, "--workers", "2", "--data", mkdtempSync(join(dir, "d-"))], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, DATABASE_URL: "" },
      });
      const lines = r.stderr.split("\n").filter((l) => l && !/bundled TEST/.test(l));
      expect(r.status, r.stderr).toBe(64);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/EADDRINUSE/);
      expect(r.stderr).not.toMatch(/starting another/);
    } finally {
      taken.close();
    }
  });
});

describe("keys and audit refuse a data directory that does not exist (item 14)", () => {
  it("keys create --data <typo>: exit 64, nothing created; --init creates it", async () => {
    const typo = join(dir, "dta");
    const c = capture();
    expect(await run(["keys", "create", "--name", "x", "--scope", "verify", "--data", typo], c.out)).toBe(64);
    expect(c.stderr()).toMatch(/data directory .*dta does not exist .*--init/);
    expect(existsSync(typo)).toBe(false);
    const d = capture();
    expect(await run(["keys", "create", "--name", "x", "--scope", "verify", "--data", typo, "--init", "--json"], d.out)).toBe(0);
    expect(JSON.parse(d.stdout()).name).toBe("x");
  });
  it("audit verify --data <typo>: exit 64 instead of 'intact: 0 entries'", async () => {
    const c = capture();
    expect(await run(["audit", "verify", "--data", join(dir, "nope")], c.out)).toBe(64);
    expect(c.stdout()).not.toMatch(/intact/);
  });
});

describe("--help lists exactly the flags each command accepts (item 14)", () => {
  const flagsIn = (help: string): string[] => [...new Set([...help.matchAll(/--([a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]!))].sort();
  // keys has subcommands, each with its own parser: the help lists their union, plus --help
  const keysFlags = [...new Set([...Object.values(KEYS_FLAGS).flatMap((f) => Object.keys(f)), "help"])];
  it.each([
    ["serve", SERVE_HELP, Object.keys(SERVE_FLAGS)],
    ["keys", KEYS_HELP, keysFlags],
    ["audit", AUDIT_HELP, Object.keys(AUDIT_FLAGS)],
  ])("%s", async (cmd, help, flags) => {
    expect(flagsIn(help)).toEqual([...flags].sort());
    const c = capture();
    expect(await run([cmd, "--help"], c.out)).toBe(0);
    expect(c.stdout().trimEnd()).toBe(help.trimEnd());
  });
  it("serve --help shows the real default host, 127.0.0.1, as does `podpis help`", async () => {
    expect(SERVE_HELP).toContain("[--host 127.0.0.1]");
    expect(defaultConfig().host).toBe("127.0.0.1");
    const c = capture();
    await run(["help"], c.out);
    expect(c.stdout()).not.toContain("0.0.0.0");
    expect(c.stdout()).toMatch(/keys create .*--init.*--database-url URL/);
    expect(c.stdout()).toMatch(/audit verify .*--database-url URL/);
  });
});
