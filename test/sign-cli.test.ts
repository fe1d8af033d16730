/**
 * `podpis sign` and its bad inputs: each a clear error with a stable code, and never an output
 * file left behind. (main.ts turns an error into one stderr line and the exit code of the edge
 * table, src/edge/errors.ts: 2 for a failure, 64 for a usage error.)
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCommand } from "../src/cli/sign.js";
import { startTsaServer, type TsaServer } from "../src/cli/tsa.js";
import { EXIT_USAGE, type Output } from "../src/cli/output.js";
import { exitCodeFor } from "../src/edge/errors.js";
import { openPkcs12 } from "../src/keys/software.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { type Validator, createValidator } from "../src/validator.js";
import { requirePeer } from "./helpers/peers.js";
import { P12_PASSWORD, PIN, PKI, setupSoftHsm } from "./helpers/sign-tools.js";

const faketime = requirePeer("faketime");
const hsmAndFaketime = requirePeer("softhsm2", "faketime");

/**
 * Signing writes the wall clock into the signature, so the commands that succeed run as a real
 * process under libfaketime at SIGNED_AT, and their results are validated at AT: the suite gives
 * the same answers in 2035 as today.
 */
const SIGNED_AT = "2026-05-31 12:00:00";
const AT = new Date("2026-06-01T00:00:00Z");
const ROOT = join(PKI, "..");

function runCli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("faketime", ["-f", `@${SIGNED_AT}`, process.execPath, join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "test/helpers/cli-entry.ts"), ...argv], {
      env: { ...process.env, TZ: "UTC", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}
const P12 = join(PKI, "keys", "citizen-rsa2048.p12");
let dir: string;
let form: string;
let tsa: TsaServer;
let validator: Validator;

function capture(): Output & { out: string; err: string } {
  const o = { out: "", err: "", stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t) };
  return o;
}

async function fails(argv: string[]): Promise<{ code: string | undefined; message: string }> {
  try {
    await signCommand(argv, capture());
  } catch (e) {
    // what the command line makes of it: every error the edge table answers with exit 64 is a usage error
    return { code: exitCodeFor(e) === EXIT_USAGE ? "USAGE" : (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error("expected the command to fail");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-sign-cli-"));
  form = join(dir, "zayavlenie.xml");
  writeFileSync(form, `<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie><ime>Мария Иванова</ime></zayavlenie>\n`);
  process.env.PODPIS_TEST_P12_PASSWORD = P12_PASSWORD;
  process.env.PODPIS_TEST_WRONG = "wrong";
  const authority = new TimestampAuthority({
    key: openPkcs12(readFileSync(join(PKI, "keys", "tsa.p12")), P12_PASSWORD),
    policy: "1.3.6.1.4.1.99999.1.3",
    serials: memorySerialSource(),
    clock: () => new Date(`${SIGNED_AT.replace(" ", "T")}Z`),
  });
  tsa = await startTsaServer(authority, { port: 0 });
  validator = await createValidator({
    trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))],
    crls: readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))),
    offline: true,
  });
});
afterAll(async () => {
  delete process.env.PODPIS_TEST_P12_PASSWORD;
  delete process.env.PODPIS_TEST_WRONG;
  await tsa?.close();
});

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("podpis sign", () => {
  faketime.it("a citizen signs a form with a .p12 in one command (XAdES enveloped, B-T over HTTP)", async () => {
    const out = join(dir, "signed.xml");
    const o = await runCli(["sign", form, "--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "xades", "--level", "B-T", "--tsa", tsa.url, "-o", out]);
    expect(o.code, o.err).toBe(0);
    expect(o.out).toMatch(/XAdES-B-T enveloped/);
    const report = await validator.verify(readFileSync(out), { at: AT });
    expect(report.indication).toBe("TOTAL_PASSED");
    expect(report.signatures[0]!.level).toBe("B-T");
  });

  faketime.it("CAdES detached with --json", async () => {
    const out = join(dir, "form.p7s");
    const o = await runCli(["sign", form, "--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades", "--packaging", "detached", "--hash", "sha384", "--rsa-pss", "--json", "-o", out]);
    expect(o.code, o.err).toBe(0);
    expect(JSON.parse(o.out)).toMatchObject({ format: "CAdES", packaging: "detached", level: "B-B", hash: "sha384", scheme: "rsa-pss" });
    const report = await validator.verify(readFileSync(out), { at: AT, contents: [readFileSync(form)] });
    expect(report.indication).toBe("TOTAL_PASSED");
  });

  hsmAndFaketime.it("with a PKCS#11 token (PIN from PODPIS_PKCS11_PIN)", async () => {
    const hsm = setupSoftHsm();
    try {
      const out = join(dir, "token.p7m");
      const o = await runCli(["sign", form, "--key", hsm.ec, "--pkcs11-module", hsm.module, "--format", "cades", "-o", out], { PODPIS_PKCS11_PIN: PIN, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? "" });
      expect(o.code, o.err).toBe(0);
      expect((await validator.verify(readFileSync(out), { at: AT })).indication).toBe("TOTAL_PASSED");
      process.env.PODPIS_PKCS11_PIN = "0000";
      expect((await fails([form, "--key", hsm.ec, "--pkcs11-module", hsm.module, "--format", "cades", "-o", join(dir, "badpin.p7m")])).code).toBe("BAD_PIN");
      expect(existsSync(join(dir, "badpin.p7m"))).toBe(false);
      expect((await fails([form, "--key", "pkcs11:token=gone;object=k", "--pkcs11-module", hsm.module, "--format", "cades", "-o", join(dir, "gone.p7m")])).code).toBe("TOKEN_NOT_FOUND");
    } finally {
      delete process.env.PODPIS_PKCS11_PIN;
      hsm.restoreEnv();
    }
  });

  describe("bad input: a clear error and no output file", () => {
    it.each([
      ["wrong password", ["--key", P12, "--password-env", "PODPIS_TEST_WRONG", "--format", "cades"], "BAD_PASSWORD"],
      ["unset password variable", ["--key", P12, "--password-env", "PODPIS_TEST_UNSET", "--format", "cades"], "USAGE"],
      ["no such key file", ["--key", join(tmpdir(), "podpis-no-such-key.p12"), "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades"], "USAGE"],
      ["a certificate given as the key", ["--key", join(PKI, "root-ca.der"), "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades"], "BAD_KEY_FILE"],
      ["B-T without a TSA", ["--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades", "--level", "B-T"], "USAGE"],
      ["enveloped CAdES", ["--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades", "--packaging", "enveloped"], "USAGE"],
      ["no format", ["--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD"], "USAGE"],
      ["unknown hash", ["--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades", "--hash", "md5"], "USAGE"],
    ])("%s", async (_name, args, code) => {
      const out = join(dir, `bad-${code}.out`);
      const r = await fails([form, ...args, "-o", out]);
      expect(r.code).toBe(code);
      expect(r.message).not.toContain("\n");
      expect(existsSync(out)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it("a TSA that times out, answers garbage, or is not trusted", async () => {
      const hang = createServer(() => undefined);
      const junk = createServer((_q, r) => r.end("garbage"));
      await Promise.all([hang, junk].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()))));
      const url = (s: typeof hang) => `http://127.0.0.1:${(s.address() as { port: number }).port}/`;
      const evilTrust = join(PKI, "evil-root-ca.pem");
      const cases: Array<[string[], string]> = [
        [["--tsa", url(hang), "--tsa-timeout", "300"], "TSA_TIMEOUT"],
        [["--tsa", url(junk)], "TSA_BAD_RESPONSE"],
        [["--tsa", tsa.url, "--trust", evilTrust, "--offline"], "TSA_UNTRUSTED"],
      ];
      try {
        for (const [extra, code] of cases) {
          const out = join(dir, `tsa-${code}.p7m`);
          const r = await fails([form, "--key", P12, "--password-env", "PODPIS_TEST_P12_PASSWORD", "--format", "cades", ...extra, "-o", out]);
          expect(r.code).toBe(code);
          expect(existsSync(out)).toBe(false);
        }
        expect(leftovers()).toEqual([]);
      } finally {
        hang.closeAllConnections();
        hang.close();
        junk.close();
      }
    });
  });
});
