/**
 * Writes the bundled test PKI into certs-test/ (run: `npm run certs`).
 * TEST KEYS ONLY — never real. Existing keys under certs-test/keys/ are kept (so fixtures
 * signed with them stay verifiable and re-issuing to move dates disturbs little); `--new-keys`
 * makes fresh ones. All dates are fixed (see BUNDLE_DATES in pki.ts). Ends with an `openssl verify` sanity table and
 * exits non-zero when a result differs from the expected one.
 */
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BUNDLE_DATES as D,
  BUNDLE_PASSWORDS,
  exportPkcs12,
  generateKey,
  isValidEgn,
  loadKey,
  isValidEik,
  issueCertificate,
  issueCrl,
  makeEgn,
  makeEik,
  nameToString,
  OID,
  serialHex,
  signatureAlgorithmName,
  toPem,
  type CrlReason,
  type ExtensionsSpec,
  type HashName,
  type IssuedCertificate,
  type KeySpec,
  type RdnSpec,
  type TestKey,
} from "./pki.js";

import { generateTestLists } from "./tl/generate-tl.js";

const OUT = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// Identities and constants
// ---------------------------------------------------------------------------

const TEST_OU = "TEST KEY — НЕ Е ИСТИНСКИ";
const ARC = "1.3.6.1.4.1.99999"; // test arc used by the bundled PKI only
const POLICY = {
  citizen: `${ARC}.1.1`,
  seal: `${ARC}.1.2`,
  tsa: `${ARC}.1.3`,
} as const;
const UNKNOWN_CRITICAL_EXT = `${ARC}.9.9`;
const CPS = "http://podpis.test/cps";
const PDS = [
  { url: "https://podpis.test/pds/pds_en.pdf", lang: "en" },
  { url: "https://podpis.test/pds/pds_bg.pdf", lang: "bg" },
];

const PROVIDER_EIK = makeEik("20412345"); // Подпис Тест ООД (the test QTSP)
const MUNICIPALITY_EIK = makeEik("00099987"); // Община Тестово
const EVIL_EIK = makeEik("20666666");
for (const eik of [PROVIDER_EIK, MUNICIPALITY_EIK, EVIL_EIK]) if (!isValidEik(eik)) throw new Error(`bad EIK ${eik}`);

/** CRL file/URL name of a CA (the root's CRL is "root"; the others use the CA's name). */
const crlName = (ca: string) => (ca === "root-ca" ? "root" : ca);
const crlUrl = (ca: string) => `http://crl.podpis.test/${crlName(ca)}.crl`;
const caUrl = (ca: string) => (ca === "evil-root-ca" ? "http://ca.evil.test/evil-root-ca.cer" : `http://ca.podpis.test/${ca}.cer`);
const UNREACHABLE_CRL = "http://127.0.0.1:9/unreachable.crl";
const EVIL_CRL = "http://crl.evil.test/evil-root-ca.crl";

function caSubject(cn: string): RdnSpec[] {
  return [
    ["C", "BG"],
    ["O", "Подпис Тест ООД"],
    ["OU", TEST_OU],
    ["organizationIdentifier", `NTRBG-${PROVIDER_EIK}`],
    ["CN", cn],
  ];
}

interface Person {
  given: string;
  middle: string;
  surname: string;
  birth: string; // YYYY-MM-DD
  seq: number; // EGN digits 7-9 (9th even = male, odd = female)
}

function personSubject(p: Person, egn: string): RdnSpec[] {
  return [
    ["C", "BG"],
    ["OU", TEST_OU],
    ["serialNumber", `PNOBG-${egn}`],
    ["GN", p.given],
    ["SN", p.surname],
    ["CN", `${p.given} ${p.middle} ${p.surname}`],
  ];
}

function sealSubject(cn: string): RdnSpec[] {
  return [
    ["C", "BG"],
    ["L", "Тестово"],
    ["O", "Община Тестово"],
    ["OU", TEST_OU],
    ["organizationIdentifier", `NTRBG-${MUNICIPALITY_EIK}`],
    ["CN", cn],
  ];
}

const citizenExtensions = (crl: string, ca: string): ExtensionsSpec => ({
  keyUsage: ["digitalSignature", "nonRepudiation"],
  certificatePolicies: [{ oid: POLICY.citizen, cps: CPS }, OID.qcpNaturalQscd],
  crlDistributionPoints: [crl],
  authorityInfoAccess: { caIssuers: [caUrl(ca)] },
  qcStatements: { semantics: "natural", compliance: true, sscd: true, type: "esign", pds: PDS },
});

const sealExtensions: ExtensionsSpec = {
  keyUsage: ["digitalSignature", "nonRepudiation"],
  certificatePolicies: [{ oid: POLICY.seal, cps: CPS }, OID.qcpLegalQscd],
  crlDistributionPoints: [crlUrl("seal-ca")],
  authorityInfoAccess: { caIssuers: [caUrl("seal-ca")] },
  qcStatements: { semantics: "legal", compliance: true, sscd: true, type: "eseal", pds: PDS },
};

const caExtensions = (opts: { pathLen?: number; policies: string[]; parent: string }): ExtensionsSpec => ({
  basicConstraints: { ca: true, ...(opts.pathLen !== undefined ? { pathLen: opts.pathLen } : {}), critical: true },
  keyUsage: ["keyCertSign", "cRLSign"],
  certificatePolicies: opts.policies,
  crlDistributionPoints: [crlUrl(opts.parent)],
  authorityInfoAccess: { caIssuers: [caUrl(opts.parent)] },
});

// ---------------------------------------------------------------------------
// What to issue
// ---------------------------------------------------------------------------

/** What `openssl verify -attime <validationTime>` says, without and with -x509_strict. */
interface OpensslExpectation {
  default: string;
  strict: string;
}

interface CertDef {
  name: string;
  role: "root-ca" | "intermediate-ca" | "sub-ca" | "tsa" | "citizen" | "seal" | "problem-leaf" | "problem-ca" | "untrusted-root" | "untrusted-leaf";
  keySpec: KeySpec;
  issuer: string | null;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  subject: RdnSpec[];
  extensions: ExtensionsSpec;
  hash?: HashName;
  signatureScheme?: "pkcs1" | "pss";
  /** Short scenario id for tests. */
  scenario: string;
  description: string;
  openssl: OpensslExpectation;
  p12?: boolean;
  legacyP12?: boolean;
  egn?: string;
  eik?: string;
}

const OK: OpensslExpectation = { default: "OK", strict: "OK" };
const both = (msg: string): OpensslExpectation => ({ default: msg, strict: msg });
const defs: CertDef[] = [];

// --- CAs ---
defs.push({
  name: "root-ca",
  role: "root-ca",
  keySpec: "rsa4096",
  issuer: null,
  serial: "7E570100000000000001",
  notBefore: D.caNotBefore,
  notAfter: D.rootNotAfter,
  subject: caSubject("podpis Test Root CA"),
  extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ["keyCertSign", "cRLSign"] },
  scenario: "trust-anchor",
  description: "The only trust anchor of the bundled PKI (certs-test/trust/).",
  openssl: OK,
  eik: PROVIDER_EIK,
});
defs.push({
  name: "qualified-ca",
  role: "intermediate-ca",
  keySpec: "rsa3072",
  issuer: "root-ca",
  serial: "7E570100000000000002",
  notBefore: D.caNotBefore,
  notAfter: D.intermediateNotAfter,
  subject: caSubject("podpis Test Qualified CA"),
  extensions: caExtensions({ pathLen: 0, policies: [POLICY.citizen, OID.qcpNaturalQscd], parent: "root-ca" }),
  scenario: "valid",
  description: "Issuing CA for natural persons (qualified certificates for e-signatures).",
  openssl: OK,
  eik: PROVIDER_EIK,
});
defs.push({
  name: "seal-ca",
  role: "intermediate-ca",
  keySpec: "p384",
  issuer: "root-ca",
  serial: "7E570100000000000003",
  notBefore: D.caNotBefore,
  notAfter: D.intermediateNotAfter,
  subject: caSubject("podpis Test Qualified Seal CA"),
  extensions: caExtensions({ pathLen: 0, policies: [POLICY.seal, OID.qcpLegalQscd], parent: "root-ca" }),
  scenario: "valid",
  description: "Issuing CA for legal persons (qualified certificates for e-seals); ECDSA P-384, signs with SHA-384.",
  openssl: OK,
  eik: PROVIDER_EIK,
});
defs.push({
  name: "revoked-sub-ca",
  role: "problem-ca",
  keySpec: "rsa2048",
  issuer: "root-ca",
  serial: "7E570100000000000004",
  notBefore: D.caNotBefore,
  notAfter: D.subCaNotAfter,
  subject: caSubject("podpis Test Revoked Sub CA"),
  extensions: caExtensions({ pathLen: 0, policies: [POLICY.citizen, OID.qcpNaturalQscd], parent: "root-ca" }),
  scenario: "revoked-ca",
  description: `Sub-CA revoked on the root's CRL at ${D.subCaRevocation.toISOString()} (cACompromise).`,
  openssl: both("certificate revoked"),
  eik: PROVIDER_EIK,
});
defs.push({
  name: "nobc-ca",
  role: "problem-ca",
  keySpec: "rsa2048",
  issuer: "root-ca",
  serial: "7E570100000000000005",
  notBefore: D.caNotBefore,
  notAfter: D.subCaNotAfter,
  subject: caSubject("podpis Test CA without BasicConstraints"),
  extensions: {
    keyUsage: ["keyCertSign", "cRLSign"],
    certificatePolicies: [POLICY.citizen, OID.qcpNaturalQscd],
    crlDistributionPoints: [crlUrl("root-ca")],
    authorityInfoAccess: { caIssuers: [caUrl("root-ca")] },
  },
  scenario: "valid-as-end-entity",
  description:
    "Has keyUsage keyCertSign but NO basicConstraints: not a CA under RFC 5280 6.1.4(k), yet it issues nobc-leaf. As an end entity its path is valid (OpenSSL -x509_strict objects to keyCertSign on a non-CA).",
  openssl: { default: "OK", strict: "invalid CA certificate" },
  eik: PROVIDER_EIK,
});
defs.push({
  name: "evil-root-ca",
  role: "untrusted-root",
  keySpec: "rsa2048",
  issuer: null,
  serial: "0BAD0000000000000001",
  notBefore: D.caNotBefore,
  notAfter: D.rootNotAfter,
  subject: [
    ["C", "BG"],
    ["O", "Зъл Тест ЕООД"],
    ["OU", TEST_OU],
    ["organizationIdentifier", `NTRBG-${EVIL_EIK}`],
    ["CN", "Evil Root CA"],
  ],
  extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ["keyCertSign", "cRLSign"] },
  scenario: "untrusted-root",
  description: "Self-signed root that is NOT in the trust store.",
  openssl: both("self-signed certificate"),
  eik: EVIL_EIK,
});

// --- TSA ---
const tsaDef = {
  name: "tsa",
  role: "tsa",
  keySpec: "rsa2048",
  issuer: "root-ca",
  serial: "7E570200000000000001",
  notBefore: D.tsaNotBefore,
  notAfter: D.tsaNotAfter,
  subject: caSubject("podpis Test TSA 1"),
  extensions: {
    keyUsage: ["digitalSignature", "nonRepudiation"],
    extKeyUsage: { oids: [OID.ekuTimeStamping], critical: true },
    certificatePolicies: [{ oid: POLICY.tsa, cps: CPS }],
    crlDistributionPoints: [crlUrl("root-ca")],
    authorityInfoAccess: { caIssuers: [caUrl("root-ca")] },
  },
  scenario: "valid",
  description: "Time-stamping unit: extKeyUsage timeStamping (critical), issued directly by the root.",
  openssl: OK,
  p12: true,
} satisfies (typeof defs)[number];
defs.push(tsaDef);
// a second time-stamping unit with an ECDSA key: a deployment whose TSA signs with P-256 (issue 15: what a submission costs with ECDSA keys)
defs.push({
  ...tsaDef,
  name: "tsa-p256",
  keySpec: "p256",
  serial: "7E570200000000000002",
  subject: caSubject("podpis Test TSA 2 (P-256)"),
  description: "Time-stamping unit with an ECDSA P-256 key, issued directly by the root (otherwise as tsa).",
});

// --- citizens (natural persons), from the Qualified CA ---
interface LeafDef {
  name: string;
  person: Person;
  keySpec: KeySpec;
  serial: string;
  hash?: HashName;
  signatureScheme?: "pkcs1" | "pss";
  description: string;
}
const citizens: LeafDef[] = [
  {
    name: "citizen-rsa2048",
    person: { given: "Иван", middle: "Петров", surname: "Иванов", birth: "1985-03-15", seq: 402 },
    keySpec: "rsa2048",
    serial: "7E570300000000000001",
    description: "Main citizen: RSA-2048, sha256WithRSAEncryption. Has a modern and a legacy PKCS#12.",
  },
  {
    name: "citizen-p256",
    person: { given: "Мария", middle: "Георгиева", surname: "Димитрова", birth: "1992-11-02", seq: 137 },
    keySpec: "p256",
    serial: "7E570300000000000002",
    description: "Citizen with an ECDSA P-256 key (certificate signed by the RSA-3072 CA).",
  },
  {
    name: "citizen-rsa-pss",
    person: { given: "Георги", middle: "Стоянов", surname: "Николов", birth: "2001-07-21", seq: 124 },
    keySpec: "rsa-pss2048",
    serial: "7E570300000000000003",
    signatureScheme: "pss",
    description:
      "Citizen whose RSA-2048 key is meant for RSASSA-PSS signatures (SPKI is rsaEncryption); the certificate itself is signed with RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32). Born 2001: EGN month +40.",
  },
  {
    name: "citizen-rsa3072",
    person: { given: "Елена", middle: "Христова", surname: "Тодорова", birth: "1978-05-30", seq: 511 },
    keySpec: "rsa3072",
    serial: "7E570300000000000004",
    hash: "SHA-384",
    description: "Citizen with an RSA-3072 key; certificate signed with sha384WithRSAEncryption.",
  },
];

function egnFor(p: Person): string {
  const egn = makeEgn(new Date(`${p.birth}T00:00:00Z`), p.seq);
  if (!isValidEgn(egn)) throw new Error(`EGN ${egn} fails the checksum`);
  return egn;
}

for (const c of citizens) {
  const egn = egnFor(c.person);
  defs.push({
    name: c.name,
    role: "citizen",
    keySpec: c.keySpec,
    issuer: "qualified-ca",
    serial: c.serial,
    notBefore: D.leafNotBefore,
    notAfter: D.leafNotAfter,
    subject: personSubject(c.person, egn),
    extensions: citizenExtensions(crlUrl("qualified-ca"), "qualified-ca"),
    ...(c.hash ? { hash: c.hash } : {}),
    ...(c.signatureScheme ? { signatureScheme: c.signatureScheme } : {}),
    scenario: "valid",
    description: c.description,
    openssl: OK,
    p12: true,
    legacyP12: c.name === "citizen-rsa2048",
    egn,
  });
}

// --- seals (legal person: the municipality), from the Seal CA ---
defs.push({
  name: "seal-p256",
  role: "seal",
  keySpec: "p256",
  issuer: "seal-ca",
  serial: "7E570400000000000001",
  notBefore: D.leafNotBefore,
  notAfter: D.leafNotAfter,
  subject: sealSubject("Община Тестово"),
  extensions: sealExtensions,
  scenario: "valid",
  description: "Qualified e-seal of Община Тестово, ECDSA P-256 (certificate signed ecdsa-with-SHA384).",
  openssl: OK,
  p12: true,
  eik: MUNICIPALITY_EIK,
});
defs.push({
  name: "seal-rsa2048",
  role: "seal",
  keySpec: "rsa2048",
  issuer: "seal-ca",
  serial: "7E570400000000000002",
  notBefore: D.leafNotBefore,
  notAfter: D.leafNotAfter,
  subject: sealSubject("Община Тестово — печат за потвърждения"),
  extensions: sealExtensions,
  scenario: "valid",
  description: "The municipality's receipt seal (signs ReceiptAcknowledgedMessage), RSA-2048.",
  openssl: OK,
  p12: true,
  eik: MUNICIPALITY_EIK,
});

// --- problem leaves ---
interface ProblemDef {
  name: string;
  person: Person;
  serial: string;
  issuer?: string;
  keySpec?: KeySpec;
  notBefore?: Date;
  notAfter?: Date;
  extensions?: (base: ExtensionsSpec) => ExtensionsSpec;
  scenario: string;
  description: string;
  openssl: OpensslExpectation;
  role?: CertDef["role"];
}
const problems: ProblemDef[] = [
  {
    name: "revoked",
    person: { given: "Стоян", middle: "Колев", surname: "Маринов", birth: "1969-09-09", seq: 226 },
    serial: "7E570500000000000001",
    keySpec: "rsa2048",
    scenario: "revoked",
    description: `On the Qualified CA's current CRL: revoked ${D.leafRevocation.toISOString()}, keyCompromise. Valid before that instant.`,
    openssl: both("certificate revoked"),
  },
  {
    name: "expired",
    person: { given: "Десислава", middle: "Ангелова", surname: "Петкова", birth: "1990-01-20", seq: 33 },
    serial: "7E570500000000000002",
    notBefore: D.expiredNotBefore,
    notAfter: D.expiredNotAfter,
    scenario: "expired",
    description: "Valid 2024-02-01 to 2025-02-01 only.",
    openssl: both("certificate has expired"),
  },
  {
    name: "not-yet-valid",
    person: { given: "Николай", middle: "Василев", surname: "Атанасов", birth: "1980-12-12", seq: 648 },
    serial: "7E570500000000000003",
    notBefore: D.notYetValidNotBefore,
    notAfter: D.notYetValidNotAfter,
    scenario: "not-yet-valid",
    description: "Valid 2030-01-01 to 2032-01-01.",
    openssl: both("certificate is not yet valid"),
  },
  {
    name: "ku-keycertsign",
    person: { given: "Калина", middle: "Йорданова", surname: "Илиева", birth: "1995-04-04", seq: 771 },
    serial: "7E570500000000000004",
    extensions: (b) => ({ ...b, keyUsage: ["keyCertSign"] }),
    scenario: "wrong-key-usage",
    description:
      "keyUsage keyCertSign only (no digitalSignature/nonRepudiation), no basicConstraints. Path validation passes; signature validation must reject. (OpenSSL -x509_strict objects to keyCertSign on a non-CA.)",
    openssl: { default: "OK", strict: "invalid CA certificate" },
  },
  {
    name: "ku-keyencipherment",
    person: { given: "Димитър", middle: "Русев", surname: "Костов", birth: "1973-08-18", seq: 580 },
    serial: "7E570500000000000005",
    extensions: (b) => ({ ...b, keyUsage: ["keyEncipherment"] }),
    scenario: "wrong-key-usage",
    description: "keyUsage keyEncipherment only. Path validation passes; signature validation must reject.",
    openssl: OK,
  },
  {
    name: "nobc-leaf",
    person: { given: "Веселин", middle: "Пенчев", surname: "Стоев", birth: "1988-02-29", seq: 312 },
    serial: "7E570600000000000001",
    issuer: "nobc-ca",
    extensions: () => citizenExtensions(crlUrl("nobc-ca"), "nobc-ca"),
    scenario: "ca-without-basic-constraints",
    description:
      "Issued by nobc-ca, which lacks basicConstraints: path validation must fail (RFC 5280 6.1.4(k)).",
    openssl: both("invalid CA certificate"),
  },
  {
    name: "unknown-critical-ext",
    person: { given: "Радостина", middle: "Методиева", surname: "Симеонова", birth: "1999-10-10", seq: 905 },
    serial: "7E570500000000000006",
    extensions: (b) => ({
      ...b,
      extra: [
        {
          oid: UNKNOWN_CRITICAL_EXT,
          critical: true,
          valueDer: Buffer.from([0x0c, 0x0b, ...Buffer.from("podpis test")]), // UTF8String
        },
      ],
    }),
    scenario: "unknown-critical-extension",
    description: `Carries the unknown extension ${UNKNOWN_CRITICAL_EXT} marked critical: must be rejected.`,
    openssl: both("unhandled critical extension"),
  },
  {
    name: "evil-leaf",
    person: { given: "Иван", middle: "Петров", surname: "Иванов", birth: "1985-03-15", seq: 402 },
    serial: "0BAD0000000000000002",
    issuer: "evil-root-ca",
    extensions: () => citizenExtensions(EVIL_CRL, "evil-root-ca"),
    role: "untrusted-leaf",
    scenario: "untrusted-root",
    description: "Chains to evil-root-ca (not trusted). Same subject DN and EGN as citizen-rsa2048 (impersonation).",
    openssl: both("self-signed certificate in certificate chain"),
  },
  {
    name: "revoked-sub-ca-leaf",
    person: { given: "Пламен", middle: "Огнянов", surname: "Христов", birth: "1983-06-06", seq: 44 },
    serial: "7E570700000000000001",
    issuer: "revoked-sub-ca",
    extensions: () => citizenExtensions(crlUrl("revoked-sub-ca"), "revoked-sub-ca"),
    scenario: "revoked-ca-in-path",
    description: `Issued by revoked-sub-ca, revoked ${D.subCaRevocation.toISOString()} (cACompromise) on the root's CRL; the leaf itself is not revoked.`,
    openssl: both("certificate revoked"),
  },
  {
    name: "unreachable-crl",
    person: { given: "Светла", middle: "Кирилова", surname: "Митева", birth: "1976-03-03", seq: 219 },
    serial: "7E570500000000000007",
    extensions: (b) => ({ ...b, crlDistributionPoints: [UNREACHABLE_CRL] }),
    scenario: "crl-unreachable",
    description: `Only CRL DP is ${UNREACHABLE_CRL} (nothing listens there): revocation status unknown unless the Qualified CA's CRL is supplied (it is in scope: no IDP). OpenSSL gets that CRL here, so OK.`,
    openssl: OK,
  },
];

for (const p of problems) {
  const egn = egnFor(p.person);
  const issuer = p.issuer ?? "qualified-ca";
  const base = citizenExtensions(crlUrl("qualified-ca"), "qualified-ca");
  defs.push({
    name: p.name,
    role: p.role ?? "problem-leaf",
    keySpec: p.keySpec ?? "p256",
    issuer,
    serial: p.serial,
    notBefore: p.notBefore ?? D.leafNotBefore,
    notAfter: p.notAfter ?? D.leafNotAfter,
    subject: personSubject(p.person, egn),
    extensions: p.extensions ? p.extensions(base) : base,
    scenario: p.scenario,
    description: p.description,
    openssl: p.openssl,
    p12: false,
    egn,
  });
}

// --- CRLs ---
interface CrlDef {
  name: string;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  revoked: { cert: string; date: Date; reason: CrlReason }[];
  scenario: "current" | "stale";
  url: string | null;
  description: string;
}
const crlDefs: CrlDef[] = [
  {
    name: "root",
    issuer: "root-ca",
    thisUpdate: D.crlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [{ cert: "revoked-sub-ca", date: D.subCaRevocation, reason: "cACompromise" }],
    scenario: "current",
    url: crlUrl("root-ca"),
    description: "The root's CRL: revokes revoked-sub-ca.",
  },
  {
    name: "qualified-ca",
    issuer: "qualified-ca",
    thisUpdate: D.qualifiedCrlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [{ cert: "revoked", date: D.leafRevocation, reason: "keyCompromise" }],
    scenario: "current",
    url: crlUrl("qualified-ca"),
    description: "The Qualified CA's current CRL: revokes 'revoked'.",
  },
  {
    name: "qualified-ca-stale",
    issuer: "qualified-ca",
    thisUpdate: D.staleCrlThisUpdate,
    nextUpdate: D.staleCrlNextUpdate,
    crlNumber: 1,
    revoked: [],
    scenario: "stale",
    url: null,
    description: "An old Qualified CA CRL, past its nextUpdate at the validation time (and before the revocation of 'revoked').",
  },
  {
    name: "seal-ca",
    issuer: "seal-ca",
    thisUpdate: D.crlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [],
    scenario: "current",
    url: crlUrl("seal-ca"),
    description: "The Seal CA's CRL (ecdsa-with-SHA384), empty.",
  },
  {
    name: "revoked-sub-ca",
    issuer: "revoked-sub-ca",
    thisUpdate: D.crlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [],
    scenario: "current",
    url: crlUrl("revoked-sub-ca"),
    description: "CRL of the revoked sub-CA (empty; signed by a revoked key).",
  },
  {
    name: "nobc-ca",
    issuer: "nobc-ca",
    thisUpdate: D.crlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [],
    scenario: "current",
    url: crlUrl("nobc-ca"),
    description: "CRL of the CA without basicConstraints (empty).",
  },
  {
    name: "evil-root-ca",
    issuer: "evil-root-ca",
    thisUpdate: D.crlThisUpdate,
    nextUpdate: D.crlNextUpdate,
    crlNumber: 2,
    revoked: [],
    scenario: "current",
    url: EVIL_CRL,
    description: "CRL of the untrusted Evil Root CA (empty).",
  },
];

// ---------------------------------------------------------------------------
// Generate
// ---------------------------------------------------------------------------

function clean(): void {
  for (const d of ["crl", "keys", "trust"]) rmSync(join(OUT, d), { recursive: true, force: true });
  for (const f of readdirSync(OUT)) {
    if (/\.(pem|der)$/.test(f) || f === "manifest.json") rmSync(join(OUT, f));
  }
  for (const d of ["crl", "keys", "trust"]) mkdirSync(join(OUT, d), { recursive: true });
}

const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, "Z");

async function main(): Promise<void> {
  const t0 = Date.now();
  const keep = !process.argv.includes("--new-keys");
  const kept = new Map<string, Buffer>();
  for (const d of keep ? defs : []) {
    try {
      kept.set(d.name, readFileSync(join(OUT, "keys", `${d.name}.key.pem`)));
    } catch {
      // no key yet for this name: a fresh one is made below
    }
  }
  clean();

  const keys = new Map<string, TestKey>();
  await Promise.all(
    defs.map(async (d) => {
      const old = kept.get(d.name);
      keys.set(d.name, old ? await loadKey(old.toString("utf8"), d.keySpec) : await generateKey(d.keySpec));
    }),
  );
  if (kept.size) console.log(`kept ${kept.size} existing key(s); --new-keys makes fresh ones`);

  const certs = new Map<string, IssuedCertificate>();
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const d of defs) {
    const issuerDef = d.issuer ? byName.get(d.issuer) : undefined;
    if (d.issuer && !issuerDef) throw new Error(`unknown issuer ${d.issuer}`);
    const issued = await issueCertificate({
      subject: d.subject,
      ...(d.issuer ? { issuer: { cert: certs.get(d.issuer)!, key: keys.get(d.issuer)! } } : {}),
      subjectKey: keys.get(d.name)!,
      serial: d.serial,
      notBefore: d.notBefore,
      notAfter: d.notAfter,
      ...(d.hash ? { hash: d.hash } : {}),
      ...(d.signatureScheme ? { signatureScheme: d.signatureScheme } : {}),
      extensions: d.extensions,
    });
    certs.set(d.name, issued);
    writeFileSync(join(OUT, `${d.name}.pem`), issued.pem);
    writeFileSync(join(OUT, `${d.name}.der`), issued.der);
    writeFileSync(join(OUT, "keys", `${d.name}.key.pem`), toPem(keys.get(d.name)!.pkcs8Der, "PRIVATE KEY"));
  }
  writeFileSync(join(OUT, "trust", "root-ca.pem"), certs.get("root-ca")!.pem);

  const chainOf = (name: string): string[] => {
    const out: string[] = [];
    let cur = byName.get(name)!.issuer;
    while (cur) {
      out.push(cur);
      cur = byName.get(cur)!.issuer;
    }
    return out;
  };

  // PKCS#12
  const p12Files = new Map<string, { p12?: string; p12Legacy?: string }>();
  for (const d of defs) {
    if (!d.p12) continue;
    const chain = chainOf(d.name).map((n) => certs.get(n)!);
    const common = { key: keys.get(d.name)!, cert: certs.get(d.name)!, chain, friendlyName: `${d.name} (TEST)` };
    const files: { p12?: string; p12Legacy?: string } = { p12: `keys/${d.name}.p12` };
    writeFileSync(join(OUT, files.p12!), exportPkcs12({ ...common, password: BUNDLE_PASSWORDS.pkcs12 }));
    if (d.legacyP12) {
      files.p12Legacy = `keys/${d.name}.legacy.p12`;
      writeFileSync(join(OUT, files.p12Legacy), exportPkcs12({ ...common, password: BUNDLE_PASSWORDS.pkcs12Legacy, profile: "legacy" }));
    }
    p12Files.set(d.name, files);
  }

  // CRLs
  for (const c of crlDefs) {
    const crl = await issueCrl({
      issuer: { cert: certs.get(c.issuer)!, key: keys.get(c.issuer)! },
      thisUpdate: c.thisUpdate,
      nextUpdate: c.nextUpdate,
      crlNumber: c.crlNumber,
      revoked: c.revoked.map((r) => ({ serial: byName.get(r.cert)!.serial, date: r.date, reason: r.reason })),
    });
    writeFileSync(join(OUT, "crl", `${c.name}.crl`), crl.der);
  }

  // Manifest
  const endpoints: Record<string, string> = {};
  for (const c of crlDefs) if (c.url) endpoints[c.url] = `crl/${c.name}.crl`;
  for (const d of defs) if (d.role.endsWith("ca") || d.role === "untrusted-root") endpoints[caUrl(d.name)] = `${d.name}.der`;

  const manifest = {
    warning: "TEST KEYS ONLY — never real. Private keys are published in this directory.",
    generatedBy: "npm run certs (tsx certs-test/generate.ts)",
    note: "Keys, signatures and fingerprints change on every run; names, serials and dates do not.",
    dates: Object.fromEntries(Object.entries(D).map(([k, v]) => [k, iso(v)])),
    passwords: { ...BUNDLE_PASSWORDS },
    trustStore: ["trust/root-ca.pem"],
    policies: { ...POLICY, qcpNaturalQscd: OID.qcpNaturalQscd, qcpLegalQscd: OID.qcpLegalQscd, unknownCriticalExtension: UNKNOWN_CRITICAL_EXT },
    endpoints,
    certificates: Object.fromEntries(
      defs.map((d) => {
        const c = certs.get(d.name)!;
        const issuerDef = d.issuer ? byName.get(d.issuer)! : d;
        return [
          d.name,
          {
            role: d.role,
            scenario: d.scenario,
            description: d.description,
            subject: nameToString(d.subject),
            issuer: nameToString(issuerDef.subject),
            issuedBy: d.issuer ?? d.name,
            chain: chainOf(d.name),
            serial: serialHex(d.serial),
            notBefore: iso(d.notBefore),
            notAfter: iso(d.notAfter),
            keySpec: d.keySpec,
            signatureAlgorithm: signatureAlgorithmName(c),
            sha256: c.x509.fingerprint256.replace(/:/g, "").toLowerCase(),
            files: {
              pem: `${d.name}.pem`,
              der: `${d.name}.der`,
              key: `keys/${d.name}.key.pem`,
              ...(p12Files.get(d.name) ?? {}),
            },
            ...(p12Files.has(d.name) ? { p12Password: BUNDLE_PASSWORDS.pkcs12 } : {}),
            ...(p12Files.get(d.name)?.p12Legacy ? { p12LegacyPassword: BUNDLE_PASSWORDS.pkcs12Legacy } : {}),
            ...(d.egn ? { egn: d.egn, identifier: `PNOBG-${d.egn}` } : {}),
            ...(d.eik ? { eik: d.eik, identifier: `NTRBG-${d.eik}` } : {}),
            expected: { openssl: d.openssl },
          },
        ];
      }),
    ),
    crls: Object.fromEntries(
      crlDefs.map((c) => [
        c.name,
        {
          file: `crl/${c.name}.crl`,
          issuedBy: c.issuer,
          issuer: nameToString(byName.get(c.issuer)!.subject),
          scenario: c.scenario,
          description: c.description,
          url: c.url,
          thisUpdate: iso(c.thisUpdate),
          nextUpdate: iso(c.nextUpdate),
          crlNumber: c.crlNumber,
          revoked: c.revoked.map((r) => ({ cert: r.cert, serial: serialHex(byName.get(r.cert)!.serial), date: iso(r.date), reason: r.reason })),
        },
      ]),
    ),
  };
  writeFileSync(join(OUT, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

  const ok = sanityCheck(certs, chainOf);
  console.log(`\n${defs.length} certificates, ${crlDefs.length} CRLs written to ${OUT} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) {
    console.error("SANITY CHECK FAILED");
    process.exit(1);
  }
  // issue 14: the test trusted lists over this PKI (new files under tl/ only)
  await generateTestLists();
}

// ---------------------------------------------------------------------------
// openssl verify sanity table
// ---------------------------------------------------------------------------

interface Check {
  label: string;
  cert: string;
  attime: Date;
  crls: string[] | null;
  purpose?: string;
  expect: OpensslExpectation;
}

function sanityCheck(certs: Map<string, IssuedCertificate>, chainOf: (n: string) => string[]): boolean {
  const tmp = mkdtempSync(join(tmpdir(), "podpis-verify-"));
  try {
    const currentCrls = crlDefs.filter((c) => c.scenario === "current").map((c) => c.name);
    const checks: Check[] = defs.map((d) => ({ label: d.name, cert: d.name, attime: D.validationTime, crls: currentCrls, expect: d.openssl }));
    checks.push(
      {
        label: "citizen-rsa2048 +stale QCA CRL",
        cert: "citizen-rsa2048",
        attime: D.validationTime,
        crls: ["root", "qualified-ca-stale"],
        expect: both("CRL has expired"),
      },
      { label: "citizen-rsa2048 no CRLs", cert: "citizen-rsa2048", attime: D.validationTime, crls: null, expect: OK },
      { label: "citizen-rsa2048 smimesign", cert: "citizen-rsa2048", attime: D.validationTime, crls: currentCrls, purpose: "smimesign", expect: OK },
      { label: "seal-p256 smimesign", cert: "seal-p256", attime: D.validationTime, crls: currentCrls, purpose: "smimesign", expect: OK },
      {
        label: "ku-keyencipherment smimesign",
        cert: "ku-keyencipherment",
        attime: D.validationTime,
        crls: currentCrls,
        purpose: "smimesign",
        expect: both("unsuitable certificate purpose"),
      },
      {
        label: "ku-keycertsign smimesign",
        cert: "ku-keycertsign",
        attime: D.validationTime,
        crls: currentCrls,
        purpose: "smimesign",
        expect: { default: "unsuitable certificate purpose", strict: "invalid CA certificate" },
      },
      { label: "tsa timestampsign", cert: "tsa", attime: D.validationTime, crls: currentCrls, purpose: "timestampsign", expect: OK },
      { label: "expired @2024-06-01 no CRLs", cert: "expired", attime: new Date("2024-06-01T00:00:00Z"), crls: null, expect: OK },
      { label: "not-yet-valid @2031-01-01 no CRLs", cert: "not-yet-valid", attime: new Date("2031-01-01T00:00:00Z"), crls: null, expect: OK },
      { label: "revoked no CRLs", cert: "revoked", attime: D.validationTime, crls: null, expect: OK },
    );

    const rootFile = join(tmp, "root.pem");
    writeFileSync(rootFile, certs.get("root-ca")!.pem);
    let allOk = true;
    const rows: string[][] = [["check", "at", "CRLs", "expected (default / strict)", "openssl (default / strict)", ""]];
    for (const ch of checks) {
      const leafFile = join(tmp, `${ch.cert}.pem`);
      writeFileSync(leafFile, certs.get(ch.cert)!.pem);
      const chain = ch.cert === "root-ca" ? [] : chainOf(ch.cert).filter((n) => n !== "root-ca");
      if (ch.cert === "evil-root-ca") chain.length = 0;
      const args = ["verify", "-attime", String(Math.floor(ch.attime.getTime() / 1000)), "-CAfile", rootFile];
      if (chain.length) {
        const f = join(tmp, `untrusted-${ch.cert}.pem`);
        writeFileSync(f, chain.map((n) => certs.get(n)!.pem).join(""));
        args.push("-untrusted", f);
      }
      if (ch.crls) {
        const f = join(tmp, `crls-${ch.crls.join("+")}.pem`);
        writeFileSync(
          f,
          ch.crls
    .map((n) => toPem(readCrl(n), "X509 CRL"))
            .join(""),
        );
        args.push("-crl_check_all", "-CRLfile", f);
      }
      if (ch.purpose) args.push("-purpose", ch.purpose);
      const got = { default: runVerify([...args, leafFile]), strict: runVerify([...args, "-x509_strict", leafFile]) };
      const pass = got.default.msg === ch.expect.default && got.strict.msg === ch.expect.strict;
      if (!pass) allOk = false;
      const fmt = (e: OpensslExpectation) => (e.default === e.strict ? e.default : `${e.default} / ${e.strict}`);
      const gotFmt = (g: { msg: string; depth: string }) => (g.depth ? `${g.msg} (depth ${g.depth})` : g.msg);
      rows.push([
        ch.label,
        ch.attime.toISOString().slice(0, 10),
        ch.crls ? (ch.crls === currentCrls ? "current" : ch.crls.join("+")) : "-",
        fmt(ch.expect),
        got.default.msg === got.strict.msg && got.default.depth === got.strict.depth ? gotFmt(got.default) : `${gotFmt(got.default)} / ${gotFmt(got.strict)}`,
        pass ? "ok" : "MISMATCH",
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
    for (const [i, r] of rows.entries()) {
      console.log(r.map((c, j) => c + " ".repeat(widths[j]! - [...c].length)).join("  "));
      if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
    }
    return allOk;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function readCrl(name: string): Buffer {
  return readFileSync(join(OUT, "crl", `${name}.crl`));
}

function runVerify(args: string[]): { msg: string; depth: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status === 0 && /: OK\s*$/m.test(r.stdout)) return { msg: "OK", depth: "" };
  const m = /error (\d+) at (\d+) depth lookup: (.+)/.exec(out);
  if (m) return { msg: m[3]!.trim(), depth: m[2]! };
  return { msg: `openssl failed: ${out.trim().split("\n")[0]}`, depth: "" };
}

await main();
