/**
 * A run-time PKI for the extend tests: the OCSP test PKI (test/ocsp-pki.ts: EC P-256 keys, dates
 * relative to now, so nothing expires with the calendar and test:2035 sees the same), plus a TSA
 * certificate of its root, a root CRL (covering the TSA, which names no responder), an
 * `openssl ocsp` responder for the leaves, and podpis's TSA serving on loopback.
 */
import { writeFileSync } from "node:fs";
import { openKeyFiles } from "../../src/keys/software.js";
import { TimestampAuthority } from "../../src/timestamp/tsa.js";
import { memorySerialSource } from "../../src/timestamp/tsa-serial.js";
import { type TsaServer, startTsaServer } from "../../src/cli/tsa.js";
import { type OcspPki, type Responder, indexTime, makeOcspPki, openssl, rootCrl, startResponder } from "../ocsp-pki.js";

export interface ExtendPki {
  pki: OcspPki;
  /** path of a file in the PKI's directory */
  file(name: string): string;
  /** the root CRL (DER), current for a day */
  crl: string;
  tsaUrl: string;
  tsa: TimestampAuthority;
  revokedAt: Date;
  stop(): Promise<void>;
}

const TSA_EXT = `[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
authorityKeyIdentifier = keyid
`;

/** `good`, `revoked`: leaves the responder says are good or revoked; `unknown`: leaves it does not know. */
export async function makeExtendPki(good: string[], revoked: string[] = [], unknown: string[] = []): Promise<ExtendPki> {
  const leaves = Object.fromEntries([...good, ...revoked, ...unknown].map((n) => [n, "ca"]));
  const pki = await makeOcspPki(["ca"], leaves);
  const dir = pki.dir;
  writeFileSync(pki.file("tsa.cnf"), TSA_EXT);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tsa.key"], dir);
  openssl(["req", "-new", "-key", "tsa.key", "-subj", "/C=BG/O=podpis test/CN=Extend Test TSA", "-out", "tsa.csr"], dir);
  openssl(["x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "0x7777", "-days", "30", "-sha256", "-extfile", "tsa.cnf", "-extensions", "tsa", "-out", "tsa.pem"], dir);
  const expiry = indexTime(new Date(Date.now() + 30 * 86400_000));
  const revokedAt = new Date(Date.now() - 3600_000);
  const line = (name: string, r: boolean) => `${r ? "R" : "V"}\t${expiry}\t${r ? `${indexTime(revokedAt)},keyCompromise` : ""}\t${pki.serials[name]!.toUpperCase()}\tunknown\t/CN=${name}\n`;
  writeFileSync(pki.file("index.txt"), [...good.map((n) => line(n, false)), ...revoked.map((n) => line(n, true))].join(""));
  const responder: Responder = await startResponder(dir, pki.ports.ca!, "index.txt", ["-CA", "root.pem", "-rsigner", "root.pem", "-rkey", "root.key", "-ndays", "1"]);
  const crl = rootCrl(pki, "", "root-crl");
  const tsa = new TimestampAuthority({ key: openKeyFiles(pki.file("tsa.key"), pki.file("tsa.pem")), policy: "1.3.6.1.4.1.99999.13.1", serials: memorySerialSource() });
  const server: TsaServer = await startTsaServer(tsa, { port: 0 });
  let stopped: Promise<void> | undefined;
  return {
    pki,
    file: (n) => pki.file(n),
    crl,
    tsaUrl: server.url,
    tsa,
    revokedAt,
    // (once: a responder killed by a signal keeps exitCode null, and a second stop would wait forever)
    stop: () => (stopped ??= Promise.all([responder.stop(), server.close()]).then(() => undefined)),
  };
}
