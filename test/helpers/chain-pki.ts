/**
 * A three-level PKI made at run time with the openssl CLI (TEST DATA ONLY): a root, an
 * intermediate CA under it, and leaves under the intermediate (a TSA with the RFC 3161 §2.3
 * extendedKeyUsage, a seal), each with its key in a PKCS#12 that also holds the intermediate —
 * a key file "with its chain", as CAs hand them out (and one without it). Both CAs publish an empty CRL. Validity is
 * relative to now (the process's own clock, faked or not), so nothing expires with the calendar.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const EXT = `
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[seal]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export interface ChainPki {
  dir: string;
  /** PEM files */
  root: string;
  intermediate: string;
  /** DER CRLs of the root and of the intermediate */
  crls: string[];
  /** the PKCS#12 of a leaf (key, leaf certificate, intermediate) and its PEM certificate */
  p12(name: string): string;
  /** the same key and certificate without the intermediate */
  p12Alone(name: string): string;
  cert(name: string): string;
  password: string;
}

function openssl(args: string[], cwd: string): string {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** `leaves`: name → profile ("tsa" or "seal"). `prefix` keeps the names of two PKIs apart. */
export function makeChainPki(leaves: Record<string, "tsa" | "seal">, prefix = "Chain Test"): ChainPki {
  const dir = mkdtempSync(join(tmpdir(), "podpis-chain-"));
  const password = "chain-test";
  writeFileSync(join(dir, "ext.cnf"), EXT);
  // P-256, not RSA-2048: the policy retires RSA-2048 on 2029-01-01 and these keys are used at the
  // real clock (npm run test:2035 runs in 2035)
  const key = (n: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${n}.key`], dir);
  let serial = 0x2000;
  key("root");
  openssl(["req", "-x509", "-new", "-key", "root.key", "-subj", `/C=BG/O=podpis test/CN=${prefix} Root`, "-days", "3650", "-sha256", "-config", "ext.cnf", "-extensions", "ca", "-set_serial", String(serial++), "-out", "root.pem"], dir);
  const issue = (n: string, cn: string, ca: string, ext: string) => {
    key(n);
    openssl(["req", "-new", "-key", `${n}.key`, "-subj", `/C=BG/O=podpis test/CN=${cn}`, "-out", `${n}.csr`], dir);
    openssl(["x509", "-req", "-in", `${n}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-set_serial", String(serial++), "-days", "1825", "-sha256", "-extfile", "ext.cnf", "-extensions", ext, "-out", `${n}.pem`], dir);
  };
  issue("intermediate", `${prefix} Intermediate CA`, "root", "ca");
  for (const [n, profile] of Object.entries(leaves)) {
    issue(n, `${prefix} ${n}`, "intermediate", profile);
    openssl(["pkcs12", "-export", "-inkey", `${n}.key`, "-in", `${n}.pem`, "-certfile", "intermediate.pem", "-name", n, "-passout", `pass:${password}`, "-out", `${n}.p12`], dir);
    openssl(["pkcs12", "-export", "-inkey", `${n}.key`, "-in", `${n}.pem`, "-name", n, "-passout", `pass:${password}`, "-out", `${n}-alone.p12`], dir);
  }
  const crl = (ca: string) => {
    writeFileSync(join(dir, `${ca}.index`), "");
    writeFileSync(join(dir, `${ca}.crlnumber`), "01\n");
    writeFileSync(join(dir, `${ca}.ca.cnf`), `[ca]\ndefault_ca = c\n[c]\ndatabase = ${ca}.index\ncrlnumber = ${ca}.crlnumber\ncertificate = ${ca}.pem\nprivate_key = ${ca}.key\ndefault_md = sha256\ndefault_crl_days = 30\n`);
    openssl(["ca", "-gencrl", "-config", `${ca}.ca.cnf`, "-out", `${ca}.crl.pem`], dir);
    openssl(["crl", "-in", `${ca}.crl.pem`, "-outform", "DER", "-out", `${ca}.crl`], dir);
    return join(dir, `${ca}.crl`);
  };
  const crls = [crl("root"), crl("intermediate")];
  return {
    dir,
    root: join(dir, "root.pem"),
    intermediate: join(dir, "intermediate.pem"),
    crls,
    p12: (n) => join(dir, `${n}.p12`),
    p12Alone: (n) => join(dir, `${n}-alone.p12`),
    cert: (n) => join(dir, `${n}.pem`),
    password,
  };
}
