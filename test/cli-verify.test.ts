/**
 * `podpis verify` as a user runs it: exit codes, the bundled test trust store, detached content,
 * the human and JSON outputs, and bad input.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { BUNDLED } from "../src/bundled.js";
import { type Captured, capture } from "./helpers/cli-capture.js";

const ROOT = resolve(__dirname, "..");
const fx = (p: string) => join(ROOT, "fixtures", p);
const AT = ["--at", "2026-06-01T00:00:00Z", "--offline"];

const verify = (args: string[]): Promise<Captured> => capture((io) => run(["verify", ...args], io));

describe("podpis verify", () => {
  it("a valid CAdES with the bundled test trust store: exit 0, a warning that it is the test store", async () => {
    const r = await verify([fx("cades/rsa2048-cades-attached.p7m"), ...AT]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/bundled TEST trust store/);
    expect(r.out).toMatch(/TOTAL_PASSED/);
    expect(r.out).toMatch(/Иван Петров Иванов \(EGN 85031\*\*\*\*\*\)/);
    expect(r.out).not.toMatch(/8503154023/);
    expect(BUNDLED.trust).toBe(join(ROOT, "certs-test", "trust"));
  });

  it("detached CAdES needs its content: without it INDETERMINATE, with it TOTAL_PASSED", async () => {
    const without = await verify([fx("cades/rsa2048-cades-detached.p7s"), ...AT, "--json"]);
    expect(JSON.parse(without.out).signatures[0].subIndication).toBe("SIGNED_DATA_NOT_FOUND");
    expect(without.code).toBe(1);
    const withContent = await verify([fx("cades/rsa2048-cades-detached.p7s"), "--content", fx("cades/content.xml"), ...AT, "--json"]);
    expect(JSON.parse(withContent.out).indication).toBe("TOTAL_PASSED");
    expect(withContent.code).toBe(0);
  });

  it("a tampered XAdES form: TOTAL_FAILED / HASH_FAILURE, exit 2", async () => {
    const r = await verify([fx("xades/tampered-text.xml"), ...AT, "--json"]);
    const report = JSON.parse(r.out);
    expect(report.signatures[0]).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE", intact: false });
    expect(r.code).toBe(2);
  });

  it("with an explicit trust store that does not hold the signer's root: NO_CERTIFICATE_CHAIN_FOUND, still intact", async () => {
    const r = await verify([fx("xades/zayavlenie-enveloped-rsa.xml"), "--trust", join(ROOT, "certs-test", "evil-root-ca.pem"), ...AT, "--json"]);
    const s = JSON.parse(r.out).signatures[0];
    expect(s).toMatchObject({ indication: "INDETERMINATE", subIndication: "NO_CERTIFICATE_CHAIN_FOUND", intact: true });
    expect(r.err).not.toMatch(/bundled/);
    expect(r.code).toBe(1);
  });

  it("an algorithm policy from --policy decides: SHA-256 sunset before the validation time fails without a proof of existence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podpis-policy-"));
    const policy = JSON.parse(readFileSync(join(ROOT, "policy", "default.json"), "utf8"));
    policy.digestAlgorithms.sha256 = "2020-01-01";
    writeFileSync(join(dir, "strict.json"), JSON.stringify(policy));
    const r = await verify([fx("cades/rsa2048-cades-attached.p7m"), ...AT, "--policy", join(dir, "strict.json"), "--json"]);
    expect(JSON.parse(r.out).signatures[0].subIndication).toBe("CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
    writeFileSync(join(dir, "broken.json"), "{ not json");
    const bad = await verify([fx("cades/rsa2048-cades-attached.p7m"), ...AT, "--policy", join(dir, "broken.json")]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/BAD_POLICY/);
  });

  it("a file that is no signature: FORMAT_FAILURE with NOT_A_SIGNATURE, exit 2", async () => {
    for (const f of [join(ROOT, "README.md"), join(ROOT, "certs-test", "root-ca.der"), join(ROOT, "package.json")]) {
      const r = await verify([f, ...AT, "--json"]);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", signatures: [] });
      expect(report.errors[0].code).toBe("NOT_A_SIGNATURE");
      expect(r.code, f).toBe(2);
    }
  });

  it("usage errors exit 64: no file, a missing file, trusted lists, a bad --at", async () => {
    expect((await verify([])).code).toBe(64);
    expect((await verify([join(ROOT, "no-such.p7m")])).code).toBe(64);
    expect((await verify([fx("cades/rsa2048-cades-attached.p7m"), "--tl", "x.xml"])).code).toBe(64);
    expect((await verify([fx("cades/rsa2048-cades-attached.p7m"), "--at", "tomorrow"])).code).toBe(64);
    expect((await verify([fx("cades/rsa2048-cades-detached.p7s"), "--content", join(ROOT, "no-such-content")])).code).toBe(64);
  });
});
