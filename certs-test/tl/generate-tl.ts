/**
 * The test trusted lists (issue 14): a test LOTL and a test Bulgarian list, signed by test
 * scheme-operator keys, over the bundled test PKI plus a few new CAs and leaves. Run by
 * `npm run certs` after the PKI (and alone: `tsx certs-test/tl/generate-tl.ts`). It only ADDS
 * files under certs-test/tl/: the bundled PKI's keys and certificates are read, never rewritten.
 * Keys under tl/keys/ are kept between runs; RSA PKCS#1 v1.5 signatures and fixed dates make
 * every other file the same on every run. TEST ONLY.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_PASSWORDS, type ExtensionsSpec, type IssuedCertificate, type RdnSpec, type TestKey, exportPkcs12, generateKey, issueCertificate, issueCrl, loadKey, makeEgn, pemToDer, toPem } from "../pki.js";
import { SIE_URI, STATUS, SVCTYPE, buildList, signList } from "./build.js";

const TL = dirname(fileURLToPath(import.meta.url));
const PKI = join(TL, "..");
const ARC = "1.3.6.1.4.1.99999";
/** the bundled PKI's policies (generate.ts POLICY) and this file's own */
export const TL_POLICY = { citizen: `${ARC}.1.1`, seal: `${ARC}.1.2`, withdrawn: `${ARC}.1.4`, noQc: `${ARC}.1.9` } as const;
export const TL_DATES = {
  granted: new Date("2024-01-01T00:00:00Z"),
  qtstGranted: new Date("2024-06-01T00:00:00Z"),
  withdrawn: new Date("2026-01-01T00:00:00Z"),
  issue: new Date("2026-01-15T00:00:00Z"),
  nextUpdate: new Date("2037-01-01T00:00:00Z"),
} as const;
export const TL_LOCATIONS = { bg: "https://tl.podpis.test/TSL-BG.xml", lotl: "https://tl.podpis.test/LOTL.xml" } as const;
const TEST_OU = "TEST KEY — НЕ Е ИСТИНСКИ";

const ca = (cn: string): RdnSpec[] => [["C", "BG"], ["O", "Подпис Тест ООД"], ["OU", TEST_OU], ["organizationIdentifier", "NTRBG-204123454"], ["CN", cn]];
const operator = (cn: string): RdnSpec[] => [["C", "BG"], ["O", "Тестова регулаторна комисия"], ["OU", TEST_OU], ["CN", cn]];
const person = (given: string, surname: string, egn: string): RdnSpec[] => [["C", "BG"], ["OU", TEST_OU], ["serialNumber", `PNOBG-${egn}`], ["GN", given], ["SN", surname], ["CN", `${given} ${surname}`]];

async function key(name: string): Promise<TestKey> {
  const f = join(TL, "keys", `${name}.key.pem`);
  if (existsSync(f)) return loadKey(readFileSync(f, "utf8"), "rsa2048");
  const k = await generateKey("rsa2048");
  writeFileSync(f, toPem(k.pkcs8Der, "PRIVATE KEY"));
  return k;
}

function write(name: string, c: IssuedCertificate): void {
  writeFileSync(join(TL, `${name}.pem`), c.pem);
  writeFileSync(join(TL, `${name}.der`), c.der);
}

export async function generateTestLists(): Promise<void> {
  mkdirSync(join(TL, "keys"), { recursive: true });
  mkdirSync(join(TL, "crl"), { recursive: true });
  const pem = (n: string) => readFileSync(join(PKI, `${n}.pem`), "utf8");
  const root = { cert: pem("root-ca"), key: await loadKey(readFileSync(join(PKI, "keys", "root-ca.key.pem"), "utf8"), "rsa4096") };
  const caExt = (crl: string): ExtensionsSpec => ({
    basicConstraints: { ca: true, pathLen: 0, critical: true },
    keyUsage: ["keyCertSign", "cRLSign"],
    certificatePolicies: ["2.5.29.32.0"],
    crlDistributionPoints: [crl],
  });
  const operatorExt: ExtensionsSpec = { keyUsage: ["digitalSignature", "nonRepudiation"], extKeyUsage: { oids: ["0.4.0.2231.3.0"] } };

  // scheme operators (self-signed, as list signers are pinned, not chained)
  const opKey = await key("scheme-operator");
  const op = await issueCertificate({ subject: operator("podpis TEST BG Trusted List Operator"), subjectKey: opKey, serial: "7E5710000000000001", notBefore: TL_DATES.granted, notAfter: new Date("2040-01-01T00:00:00Z"), extensions: operatorExt });
  write("scheme-operator", op);
  const lotlKey = await key("lotl-operator");
  const lotlOp = await issueCertificate({ subject: operator("podpis TEST EU LOTL Operator"), subjectKey: lotlKey, serial: "7E5710000000000002", notBefore: TL_DATES.granted, notAfter: new Date("2040-01-01T00:00:00Z"), extensions: operatorExt });
  write("lotl-operator", lotlOp);

  // a CA whose service was withdrawn, and a CA whose certificates carry no QcStatements
  const wKey = await key("withdrawn-ca");
  const wCa = await issueCertificate({ subject: ca("podpis Test Withdrawn CA"), issuer: root, subjectKey: wKey, serial: "7E5701000000000000A1", notBefore: TL_DATES.granted, notAfter: new Date("2039-01-01T00:00:00Z"), extensions: caExt("http://crl.podpis.test/root.crl") });
  write("withdrawn-ca", wCa);
  const nKey = await key("noqc-ca");
  const nCa = await issueCertificate({ subject: ca("podpis Test CA without QcStatements"), issuer: root, subjectKey: nKey, serial: "7E5701000000000000A2", notBefore: TL_DATES.granted, notAfter: new Date("2039-01-01T00:00:00Z"), extensions: caExt("http://crl.podpis.test/root.crl") });
  write("noqc-ca", nCa);

  const leafNotBefore = new Date("2025-01-01T00:00:00Z");
  const leafNotAfter = new Date("2037-01-01T00:00:00Z");
  const wLeafKey = await key("withdrawn-leaf");
  const wLeaf = await issueCertificate({
    subject: person("Петя", "Оттеглена", makeEgn(new Date("1985-04-12T00:00:00Z"), 31)),
    issuer: { cert: wCa, key: wKey },
    subjectKey: wLeafKey,
    serial: "7E5703000000000000A1",
    notBefore: leafNotBefore,
    notAfter: leafNotAfter,
    extensions: {
      keyUsage: ["digitalSignature", "nonRepudiation"],
      certificatePolicies: [TL_POLICY.withdrawn],
      crlDistributionPoints: ["http://crl.podpis.test/tl-withdrawn-ca.crl"],
      // qualified, but with no QSCD statement: the list says the QSCD status is as in the certificate
      qcStatements: { semantics: "natural", compliance: true, type: "esign" },
    },
  });
  write("withdrawn-leaf", wLeaf);
  const nLeafKey = await key("noqc-leaf");
  const nLeaf = await issueCertificate({
    subject: person("Никола", "Безстатусов", makeEgn(new Date("1979-11-03T00:00:00Z"), 42)),
    issuer: { cert: nCa, key: nKey },
    subjectKey: nLeafKey,
    serial: "7E5703000000000000A2",
    notBefore: leafNotBefore,
    notAfter: leafNotAfter,
    extensions: { keyUsage: ["digitalSignature", "nonRepudiation"], certificatePolicies: [TL_POLICY.noQc], crlDistributionPoints: ["http://crl.podpis.test/tl-noqc-ca.crl"] },
  });
  write("noqc-leaf", nLeaf);
  for (const [n, k, c, chain] of [["withdrawn-leaf", wLeafKey, wLeaf, wCa], ["noqc-leaf", nLeafKey, nLeaf, nCa]] as const) {
    // (PKCS#12 salts are random: written once, like the keys)
    if (!existsSync(join(TL, "keys", `${n}.p12`))) writeFileSync(join(TL, "keys", `${n}.p12`), exportPkcs12({ key: k, cert: c, chain: [chain, pemToDer(root.cert)], password: BUNDLE_PASSWORDS.pkcs12, friendlyName: `${n} (TEST)` }));
  }
  for (const [n, c, k] of [["tl-withdrawn-ca", wCa, wKey], ["tl-noqc-ca", nCa, nKey]] as const) {
    const crl = await issueCrl({ issuer: { cert: c, key: k }, thisUpdate: new Date("2025-01-15T00:00:00Z"), nextUpdate: new Date("2037-01-01T00:00:00Z"), crlNumber: 1 });
    writeFileSync(join(TL, "crl", `${n}.crl`), crl.der);
  }

  const der = (n: string) => pemToDer(pem(n));
  const forESig = SIE_URI("ForeSignatures");
  const bg = buildList({
    territory: "BG",
    sequenceNumber: 45,
    operator: "podpis TEST Communications Regulation Commission",
    issueDate: TL_DATES.issue,
    nextUpdate: TL_DATES.nextUpdate,
    providers: [
      {
        name: "Подпис Тест ООД",
        services: [
          {
            certificates: [der("qualified-ca")],
            versions: [
              {
                type: SVCTYPE("CA/QC"),
                name: "podpis Test Qualified CA",
                status: STATUS("granted"),
                from: TL_DATES.granted,
                additionalInformation: [forESig],
                qualifications: [{ policies: [TL_POLICY.citizen], qualifiers: [SIE_URI("QCWithSSCD"), SIE_URI("QCForESig")] }],
              },
            ],
          },
          {
            certificates: [der("seal-ca")],
            versions: [
              {
                type: SVCTYPE("CA/QC"),
                name: "podpis Test Qualified Seal CA",
                status: STATUS("granted"),
                from: TL_DATES.granted,
                additionalInformation: [SIE_URI("ForeSeals")],
                qualifications: [{ policies: [TL_POLICY.seal], qualifiers: [SIE_URI("QCForESeal"), SIE_URI("QCQSCDStatusAsInCert")] }],
              },
            ],
          },
          { certificates: [der("tsa")], versions: [{ type: SVCTYPE("TSA/QTST"), name: "podpis Test Qualified TSA", status: STATUS("granted"), from: TL_DATES.qtstGranted }] },
          {
            certificates: [nCa.der],
            versions: [
              {
                type: SVCTYPE("CA/QC"),
                name: "podpis Test CA without QcStatements",
                status: STATUS("granted"),
                from: TL_DATES.granted,
                additionalInformation: [forESig],
                // the certificates say nothing: the list makes them qualified, for e-signatures, on a QSCD
                qualifications: [{ keyUsage: { nonRepudiation: true }, qualifiers: [SIE_URI("QCStatement"), SIE_URI("QCWithQSCD"), SIE_URI("QCForESig")] }],
              },
            ],
          },
        ],
      },
      {
        name: "Оттеглен Тест АД",
        services: [
          {
            certificates: [wCa.der],
            versions: [
              { type: SVCTYPE("CA/QC"), name: "podpis Test Withdrawn CA", status: STATUS("withdrawn"), from: TL_DATES.withdrawn, additionalInformation: [forESig] },
              {
                type: SVCTYPE("CA/QC"),
                name: "podpis Test Withdrawn CA",
                status: STATUS("granted"),
                from: TL_DATES.granted,
                additionalInformation: [forESig],
                qualifications: [{ policies: [TL_POLICY.withdrawn], qualifiers: [SIE_URI("QCQSCDStatusAsInCert")] }],
              },
            ],
          },
        ],
      },
    ],
  });
  const bgSigned = await signList(bg, opKey.privateKeyObject, op.der, TL_DATES.issue);
  writeFileSync(join(TL, "TSL-BG.xml"), bgSigned);

  const lotl = buildList({
    territory: "EU",
    sequenceNumber: 7,
    lotl: true,
    operator: "podpis TEST European Commission",
    issueDate: TL_DATES.issue,
    nextUpdate: TL_DATES.nextUpdate,
    pointers: [
      { territory: "EU", location: TL_LOCATIONS.lotl, mimeType: "application/vnd.etsi.tsl+xml", type: "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists", operator: "podpis TEST European Commission", signers: [lotlOp.der] },
      { territory: "BG", location: TL_LOCATIONS.bg, mimeType: "application/vnd.etsi.tsl+xml", type: "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric", operator: "podpis TEST Communications Regulation Commission", signers: [op.der] },
    ],
  });
  writeFileSync(join(TL, "LOTL.xml"), await signList(lotl, lotlKey.privateKeyObject, lotlOp.der, TL_DATES.issue));
  console.log(`test trusted lists written to ${TL}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await generateTestLists();
