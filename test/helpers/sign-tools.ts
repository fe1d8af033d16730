/**
 * Tools for the signing tests: a SoftHSM2 token initialised in a temporary directory with the
 * citizen keys and their chains, and a TSA on a local port (the peers the tests need are declared
 * with requirePeer, peers.ts). TEST KEYS ONLY.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { peer } from "./peer.js";
import { SOFTHSM_MODULES } from "./peers.js";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPkcs12 } from "../../src/keys/software.js";
import { TimestampAuthority } from "../../src/timestamp/tsa.js";
import { memorySerialSource } from "../../src/timestamp/tsa-serial.js";
import { PKI, ROOT } from "./cms-tools.js";

export { PKI, ROOT };
export const AT = new Date("2026-06-01T00:00:00Z");
export const SIGNING_TIME = new Date("2026-05-31T12:00:00Z");
export const P12_PASSWORD = "podpis-test";
export const PIN = "1234";
export const SO_PIN = "12345678";

export const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

export const softhsmModule = (): string | null => SOFTHSM_MODULES.find((p) => existsSync(p)) ?? null;

export interface SoftHsm {
  module: string;
  conf: string;
  token: string;
  /** URIs of the keys */
  rsa: string;
  ec: string;
  /** a token whose user PIN was never set */
  noPinToken: string;
  /** puts SOFTHSM2_CONF back as it was before setupSoftHsm */
  restoreEnv(): void;
}

/**
 * A fresh SoftHSM2 token in a temporary directory, SOFTHSM2_CONF pointing at it (set for this
 * process, before any module loads). Keys are imported with softhsm2-util, certificates with a
 * child process through pkcs11js (softhsm2-util 2.6 cannot import certificates).
 */
export function setupSoftHsm(): SoftHsm {
  const module = softhsmModule();
  if (!module) throw new Error("SoftHSM2 module not found");
  const dir = mkdtempSync(join(tmpdir(), "podpis-softhsm-"));
  const tokens = join(dir, "tokens");
  execFileSync("mkdir", ["-p", tokens]);
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const before = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const restoreEnv = () => {
    if (before === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = before;
  };
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const util = (...args: string[]) => execFileSync("softhsm2-util", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  util("--init-token", "--free", "--label", "podpis", "--so-pin", SO_PIN, "--pin", PIN);
  util("--import", join(PKI, "keys", "citizen-rsa2048.key.pem"), "--token", "podpis", "--label", "citizen-rsa", "--id", "01", "--pin", PIN);
  util("--import", join(PKI, "keys", "citizen-p256.key.pem"), "--token", "podpis", "--label", "citizen-p256", "--id", "02", "--pin", PIN);
  const certs = [
    { file: "citizen-rsa2048.der", label: "citizen-rsa", id: "01" },
    { file: "citizen-p256.der", label: "citizen-p256", id: "02" },
    { file: "qualified-ca.der", label: "qualified-ca", id: "a1" },
    { file: "root-ca.der", label: "root-ca", id: "a2" },
  ].map((c) => ({ ...c, der: readFileSync(join(PKI, c.file)).toString("base64") }));
  const script = `
    const p = require("pkcs11js");
    const { X509Certificate } = require("node:crypto");
    const m = new p.PKCS11(); m.load(${JSON.stringify(module)}); m.C_Initialize();
    const slots = m.C_GetSlotList(true);
    const slot = slots.find((s) => m.C_GetTokenInfo(s).label.trim() === "podpis");
    const s = m.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
    m.C_Login(s, p.CKU_USER, ${JSON.stringify(PIN)});
    for (const c of ${JSON.stringify(certs)}) {
      const der = Buffer.from(c.der, "base64");
      const x = new X509Certificate(der);
      m.C_CreateObject(s, [
        { type: p.CKA_CLASS, value: p.CKO_CERTIFICATE }, { type: p.CKA_CERTIFICATE_TYPE, value: p.CKC_X_509 },
        { type: p.CKA_TOKEN, value: true }, { type: p.CKA_PRIVATE, value: false }, { type: p.CKA_LABEL, value: c.label },
        { type: p.CKA_ID, value: Buffer.from(c.id, "hex") }, { type: p.CKA_VALUE, value: der },
        { type: p.CKA_SUBJECT, value: Buffer.from(x.subject) },
      ]);
    }
    m.C_Logout(s); m.C_CloseSession(s);
    const free = m.C_GetSlotList(false).find((sl) => !(m.C_GetTokenInfo(sl).flags & p.CKF_TOKEN_INITIALIZED));
    m.C_InitToken(free, ${JSON.stringify(SO_PIN)}, "nopin");
    m.C_Finalize();
  `;
  execFileSync(process.execPath, ["-e", script], { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  return { module, conf, token: "podpis", rsa: "pkcs11:token=podpis;object=citizen-rsa", ec: "pkcs11:token=podpis;object=citizen-p256", noPinToken: "pkcs11:token=nopin;object=x", restoreEnv };
}

/** The bundled test TSA in-process (memory serials), its clock a minute after SIGNING_TIME. */
export function testTsa(): TimestampAuthority {
  return new TimestampAuthority({
    key: openPkcs12(readFileSync(join(PKI, "keys", "tsa.p12")), P12_PASSWORD),
    policy: "1.3.6.1.4.1.99999.1.3",
    serials: memorySerialSource(),
    clock: () => new Date(SIGNING_TIME.getTime() + 60_000),
  });
}

/** An interop peer (openssl, xmlsec1) at PEER_TIME (see peer.ts). */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): { status: number; out: string } {
  const r = peer(cmd, args, { cwd: opts.cwd });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
