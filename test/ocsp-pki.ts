/**
 * A PKI made at run time with the openssl CLI for the OCSP tests: a root CA whose leaves name a
 * responder on a loopback port each (AIA id-ad-ocsp), delegated responder certificates (with and
 * without id-pkix-ocsp-nocheck), another CA with its own responder, and an openssl index. All
 * validity is relative to now, so nothing here expires with the calendar.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function openssl(args: string[], cwd: string): string {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const EXT = `
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
authorityInfoAccess = OCSP;URI:http://127.0.0.1:\${ENV::OCSP_PORT}/
authorityKeyIdentifier = keyid
[responder_nocheck]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
authorityKeyIdentifier = keyid
[responder]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
authorityKeyIdentifier = keyid
`;

export interface OcspPki {
  dir: string;
  /** file names in dir: <name>.pem, <name>.key */
  serials: Record<string, string>;
  ports: Record<string, number>;
  file(name: string): string;
}

/** `leaves`: leaf name → the responder (a key of `ports`) its AIA names; `ports`: responder → port. */
export async function makeOcspPki(responders: string[], leaves: Record<string, string>): Promise<OcspPki> {
  const dir = mkdtempSync(join(tmpdir(), "podpis-ocsp-"));
  writeFileSync(join(dir, "ext.cnf"), EXT);
  const key = (name: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`], dir);
  const env = (port: number) => ({ ...process.env, OCSP_PORT: String(port) });
  const run = (args: string[], port = 1) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", env: env(port) });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  const selfSigned = (name: string, cn: string) => {
    key(name);
    run(["req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/C=BG/O=podpis test/CN=${cn}`, "-days", "3650", "-sha256", "-config", "ext.cnf", "-extensions", "ca", "-out", `${name}.pem`]);
  };
  const serials: Record<string, string> = {};
  let next = 0x1000;
  const issue = (name: string, cn: string, ca: string, ext: string, port = 1) => {
    key(name);
    run(["req", "-new", "-key", `${name}.key`, "-subj", `/C=BG/O=podpis test/CN=${cn}`, "-out", `${name}.csr`]);
    const serial = (next++).toString(16);
    serials[name] = serial;
    run(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-set_serial", `0x${serial}`, "-days", "30", "-sha256", "-extfile", "ext.cnf", "-extensions", ext, "-out", `${name}.pem`], port);
  };
  selfSigned("root", "OCSP Test Root");
  selfSigned("other", "Another CA");
  issue("responder", "OCSP Responder (nocheck)", "root", "responder_nocheck");
  issue("responder-checked", "OCSP Responder (checked)", "root", "responder");
  issue("other-responder", "Another CA's Responder", "other", "responder_nocheck");
  const ports: Record<string, number> = {};
  for (const r of responders) ports[r] = await freePort();
  for (const [leaf, r] of Object.entries(leaves)) issue(leaf, `Leaf ${leaf}`, "root", "leaf", ports[r]);
  return { dir, serials, ports, file: (n) => join(dir, n) };
}

/** openssl's index time format: YYMMDDHHMMSSZ */
export function indexTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
}

export interface Responder {
  stop(): Promise<void>;
}

/** `openssl ocsp` serving `index` on `port` until stopped; resolves when it accepts connections. */
export async function startResponder(dir: string, port: number, index: string, args: string[]): Promise<Responder> {
  const child: ChildProcess = spawn("openssl", ["ocsp", "-index", index, "-port", String(port), ...args], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`openssl ocsp exited: ${stderr}`);
    // (a probe connection would wedge it: openssl ocsp serves one connection at a time and
    // waits on a silent one; it says when it listens)
    if (/waiting for OCSP client connections/.test(stderr)) break;
    if (Date.now() > deadline) throw new Error(`openssl ocsp did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}

/** A CRL of the root (DER) from an openssl index (`openssl ca -gencrl`), current for a day. */
export function rootCrl(pki: OcspPki, index: string, name: string): string {
  const dir = pki.dir;
  writeFileSync(join(dir, `${name}.index`), index);
  writeFileSync(join(dir, `${name}.crlnumber`), "01\n");
  writeFileSync(
    join(dir, `${name}.ca.cnf`),
    `[ca]\ndefault_ca = c\n[c]\ndatabase = ${name}.index\ncrlnumber = ${name}.crlnumber\ncertificate = root.pem\nprivate_key = root.key\ndefault_md = sha256\ndefault_crl_days = 1\n`,
  );
  openssl(["ca", "-gencrl", "-config", `${name}.ca.cnf`, "-out", `${name}.crl.pem`], dir);
  openssl(["crl", "-in", `${name}.crl.pem`, "-outform", "DER", "-out", `${name}.crl`], dir);
  return join(dir, `${name}.crl`);
}
