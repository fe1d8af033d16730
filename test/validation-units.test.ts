/**
 * The format-neutral pieces: identifiers (EGN/EIK checksums), the algorithm policy with its
 * sunset dates, qualification from QcStatements, and the human report line.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eikValid, egnValid, maskEgn, parseSemanticsIdentifier, subjectIdentity } from "../src/pki/identifier.js";
import { type AlgorithmUse, PolicyError, checkAlgorithms, parsePolicy } from "../src/validation/policy.js";
import { defaultValidationPolicy } from "../src/validator.js";
import { certificateFacts, qualificationOf } from "../src/validation/qualification.js";
import { type SignatureReport, type ValidationReport } from "../src/validation/report.js";
import { renderText, verdictLine } from "../src/validation/report-text.js";
import { ROOT, cert } from "./helpers/cms-tools.js";

describe("identifiers (EN 319 412-1, Bulgarian forms)", () => {
  it("EGN check digit", () => {
    expect(egnValid("7501010010")).toBe(true);
    expect(egnValid("8503154023")).toBe(true);
    expect(egnValid("0147211245")).toBe(true); // born 2001: month + 40
    expect(egnValid("8503154024")).toBe(false);
    expect(egnValid("850315402")).toBe(false);
    expect(egnValid("85031540ab")).toBe(false);
  });
  it("EIK check digits, 9 and 13 digits", () => {
    expect(eikValid("204123454")).toBe(true);
    expect(eikValid("000999875")).toBe(true);
    expect(eikValid("020469788")).toBe(true);
    expect(eikValid("1213961230342")).toBe(true);
    expect(eikValid("123456789")).toBe(false);
    expect(eikValid("1213961230343")).toBe(false);
  });
  it("semantics identifiers", () => {
    expect(parseSemanticsIdentifier("PNOBG-7501010010", false)).toEqual({ type: "PNO", country: "BG", value: "7501010010", form: "etsi" });
    expect(parseSemanticsIdentifier("NTRBG-204123454", true)).toEqual({ type: "NTR", country: "BG", value: "204123454", form: "etsi" });
    expect(parseSemanticsIdentifier("VATBG-204123454", true)?.type).toBe("VAT");
    expect(parseSemanticsIdentifier("IDCBG-123456789", false)?.type).toBe("IDC");
    expect(parseSemanticsIdentifier("NTRBG-204123454", false)).toBeNull();
    expect(parseSemanticsIdentifier("7501010010", false)).toBeNull();
  });
  it("from the test certificates: citizen, seal, Cyrillic kept", () => {
    const c = subjectIdentity(cert("citizen-rsa2048"));
    expect(c.identifier).toEqual({ type: "PNO", country: "BG", value: "8503154023", form: "etsi" });
    expect(c.warnings).toEqual([]);
    const s = subjectIdentity(cert("seal-p256"));
    expect(s.identifier).toEqual({ type: "NTR", country: "BG", value: "000999875", form: "etsi" });
  });
  it("a wrong EGN is a warning, and the value is masked in it", () => {
    const c = cert("citizen-rsa2048");
    const fake = { ...c, subject: { ...c.subject, rdns: [[{ type: "2.5.4.5", value: "PNOBG-8503154024", valueDer: new Uint8Array(0) }]] } };
    const id = subjectIdentity(fake);
    expect(id.warnings.map((w) => w.code)).toEqual(["EGN_CHECKSUM"]);
    expect(id.warnings[0]!.message).toContain("85031*****");
    expect(id.warnings[0]!.message).not.toContain("8503154024");
  });
  it("legacy forms: EGN: in ST, BULSTAT: in OU", () => {
    const c = cert("citizen-rsa2048");
    const legacy = {
      ...c,
      subject: {
        ...c.subject,
        rdns: [
          [{ type: "2.5.4.3", value: "Иван Иванов", valueDer: new Uint8Array(0) }],
          [{ type: "2.5.4.8", value: "EGN:7501010010", valueDer: new Uint8Array(0) }],
          [{ type: "2.5.4.11", value: "BULSTAT:204123454", valueDer: new Uint8Array(0) }],
        ],
      },
      subjectAltName: null,
    };
    const id = subjectIdentity(legacy);
    expect(id.identifier).toEqual({ type: "PNO", country: "BG", value: "7501010010", form: "legacy" });
    expect(id.organizationIdentifier).toEqual({ type: "NTR", country: "BG", value: "204123454", form: "legacy" });
  });
  it("masks EGNs", () => expect(maskEgn("7501010010")).toBe("75010*****"));
});

describe("algorithm policy (ETSI TS 119 312 sunset dates)", () => {
  const p = defaultValidationPolicy().algorithms;
  const rsa = (bits: number, digest = "sha256"): AlgorithmUse => ({ kind: "signature", scheme: "rsa-pkcs1", digest, key: { type: "rsa", bits, curve: null }, what: "signature" });
  const at = (d: string) => new Date(d);
  it("SHA-1 signatures only before 2012-08-01", () => {
    expect(checkAlgorithms(p, [rsa(2048, "sha1")], at("2012-07-31T23:59:59Z"))).toEqual([]);
    expect(checkAlgorithms(p, [rsa(2048, "sha1")], at("2012-08-01T00:00:00Z"))).toHaveLength(1);
  });
  it("MD5 not after 2004-08-01", () => {
    expect(checkAlgorithms(p, [{ kind: "digest", digest: "md5", what: "d" }], at("2004-01-01T00:00:00Z"))).toEqual([]);
    expect(checkAlgorithms(p, [{ kind: "digest", digest: "md5", what: "d" }], at("2010-01-01T00:00:00Z"))).toHaveLength(1);
  });
  it("RSA below 1900 bits not after 2019-10-01; 1900+ until 2029", () => {
    expect(checkAlgorithms(p, [rsa(1024)], at("2019-09-30T00:00:00Z"))).toEqual([]);
    expect(checkAlgorithms(p, [rsa(1024)], at("2020-01-01T00:00:00Z"))).toHaveLength(1);
    expect(checkAlgorithms(p, [rsa(2048)], at("2026-06-01T00:00:00Z"))).toEqual([]);
    expect(checkAlgorithms(p, [rsa(2048)], at("2029-01-01T00:00:00Z"))).toHaveLength(1);
    expect(checkAlgorithms(p, [rsa(512)], at("2000-01-01T00:00:00Z"))).toHaveLength(1);
  });
  it("ECDSA: P-256 and up without end, 224-bit curves until 2021-10, unknown curves never", () => {
    const ec = (bits: number, curve: string): AlgorithmUse => ({ kind: "signature", scheme: "ecdsa", digest: "sha256", key: { type: "ec", bits, curve }, what: "s" });
    expect(checkAlgorithms(p, [ec(256, "P-256"), ec(384, "P-384"), ec(521, "P-521")], at("2040-01-01T00:00:00Z"))).toEqual([]);
    expect(checkAlgorithms(p, [ec(256, "secp256k1")], at("2026-01-01T00:00:00Z"))).toHaveLength(1);
  });
  it("loads from JSON and rejects malformed policies", () => {
    const json = JSON.parse(readFileSync(join(ROOT, "policy", "default.json"), "utf8"));
    expect(parsePolicy(json).algorithms.digests.get("sha1")?.toISOString()).toBe("2012-08-01T00:00:00.000Z");
    expect(() => parsePolicy({ digestAlgorithms: {}, signatureAlgorithms: { foo: [] } })).toThrow(PolicyError);
    expect(() => parsePolicy({ digestAlgorithms: { sha256: "tomorrow" }, signatureAlgorithms: {} })).toThrow(PolicyError);
    const strict = parsePolicy({ digestAlgorithms: { sha256: "2020-01-01" }, signatureAlgorithms: { "rsa-pkcs1": [{ minBits: 2048, until: null }] } });
    expect(checkAlgorithms(strict.algorithms, [rsa(2048)], at("2026-01-01T00:00:00Z"))).toHaveLength(1);
  });
});

describe("qualification", () => {
  it("QcCompliance + QcSSCD + esign → QESig; eseal → QESeal", () => {
    expect(qualificationOf(certificateFacts(cert("citizen-rsa2048"), undefined), true)).toBe("QESig");
    expect(qualificationOf(certificateFacts(cert("seal-p256"), undefined), true)).toBe("QESeal");
  });
  it("an anchor configured as not qualified downgrades to AdES", () => {
    expect(qualificationOf(certificateFacts(cert("citizen-rsa2048"), false), true)).toBe("AdESig");
    expect(qualificationOf(certificateFacts(cert("seal-p256"), false), true)).toBe("AdESeal");
  });
  it("a certificate without QcStatements is AdES; any signature that did not pass is N/A", () => {
    // no QcStatements and no QC policy: kind from the subject. The TSA's names an organization
    // (O, organizationIdentifier) and no person: a legal person's, so AdESeal, not AdESig
    expect(qualificationOf(certificateFacts(cert("tsa"), undefined), true)).toBe("AdESeal");
    expect(qualificationOf(certificateFacts(cert("citizen-rsa2048"), undefined), false)).toBe("N/A");
  });
});

describe("human report", () => {
  const base: SignatureReport = {
    id: "S1",
    format: "CAdES",
    indication: "TOTAL_PASSED",
    subIndication: null,
    intact: true,
    level: "B-T",
    signer: {
      subject: "CN=Иван Петров Иванов",
      commonName: "Иван Петров Иванов",
      serialNumber: "01",
      sha256: "00",
      identifier: { type: "PNO", country: "BG", value: "7501010010" },
      organizationIdentifier: null,
      issuer: "CN=CA",
      notBefore: "2025-01-01T00:00:00.000Z",
      notAfter: "2028-01-01T00:00:00.000Z",
    },
    qualification: "QESig",
    qualificationDetails: null,
    claimedSigningTime: "2026-02-01T10:00:00.000Z",
    bestSignatureTime: "2026-02-01T10:00:05.000Z",
    counterSignatureOf: null,
    signedData: [],
    chain: [],
    timestamps: [],
    signaturePolicy: null,
    commitmentTypes: [],
    errors: [],
    warnings: [],
    hints: [],
  };
  it("who, when, verdict; Cyrillic kept, EGN masked", () => {
    const line = verdictLine(base);
    expect(line).toContain("Иван Петров Иванов (EGN 75010*****)");
    expect(line).not.toContain("7501010010");
    expect(line).toContain("time-stamped 2026-02-01T10:00:05Z");
    expect(line).toContain("VALID: qualified electronic signature (B-T)");
  });
  it("a failure says why in plain words", () => {
    const line = verdictLine({ ...base, indication: "TOTAL_FAILED", subIndication: "HASH_FAILURE", bestSignatureTime: null });
    expect(line).toContain("INVALID: the signed content was changed after signing (HASH_FAILURE)");
    expect(line).toContain("signed 2026-02-01T10:00:00Z (claimed)");
    const r: ValidationReport = { validationTime: "2026-06-01T00:00:00.000Z", indication: "TOTAL_FAILED", document: { sha256: "00", format: "CAdES", packaging: "detached" }, signatures: [base] };
    expect(renderText(r).split("\n")).toHaveLength(3);
  });
});
