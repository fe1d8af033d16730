import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Tag } from "../src/asn1/der.js";
import { boolean, explicit, integer, octetString, oid, sequence, tlv } from "../src/asn1/writer.js";
import { nameToString } from "../src/pki/name.js";
import { CrlError, entryIssuedBy, parseCrl, parseCrls } from "../src/revocation/crl.js";
import type { Crl, RevokedEntry } from "../src/revocation/crl-types.js";
import { DEFAULT_ISSUER, directoryNames, extension, makeBigCrl, makeCrl, makeName, randomSerials, testKey } from "./helpers/make-crl.js";
import { opensslCrl } from "./helpers/openssl-crl.js";
import { requireData, requirePeer } from "./helpers/peers.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkitsCrls = path.resolve(repoRoot, "../shared/pkits/crls");
const havePkits = existsSync(pkitsCrls);
const openssl = requirePeer("openssl");


const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex").replace(/^(00)+(?=..)/, "");
const expectCrlError = (f: () => unknown, message?: RegExp): void => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a CrlError").toBeInstanceOf(CrlError);
  expect((err as CrlError).code).toBe("CRL_MALFORMED");
  if (message) expect((err as Error).message).toMatch(message);
};

describe("PKITS CRLs", () => {
  requireData("the PKITS CRLs", pkitsCrls).describe("parse", () => {
    const files = havePkits ? readdirSync(pkitsCrls).filter((f) => f.endsWith(".crl")).sort() : [];

    it("parses all 173", () => {
      expect(files).toHaveLength(173);
      for (const f of files) {
        const crl = parseCrl(readFileSync(path.join(pkitsCrls, f)));
        expect(crl.sha256, f).toMatch(/^[0-9a-f]{64}$/);
        expect(crl.version, f).toBe(2);
      }
    });

    it("reads the cases the checker depends on", () => {
      const load = (f: string): Crl => parseCrl(readFileSync(path.join(pkitsCrls, f)));
      expect(load("UnknownCRLExtensionCACRL.crl").unknownCriticalExtensions).toEqual(["2.16.840.1.101.2.1.12.2"]);
      expect(load("UnknownCRLEntryExtensionCACRL.crl").lookup("01")[0]!.unknownCriticalExtension).toBe("2.16.840.1.101.2.1.12.2");
      const delta = load("deltaCRLCA1deltaCRL.crl");
      expect([delta.crlNumber, delta.deltaCrlIndicator]).toEqual([5n, 1n]);
      expect(load("onlySomeReasonsCA1compromiseCRL.crl").issuingDistributionPoint!.onlySomeReasons).toBe(0b110); // keyCompromise, cACompromise
      const dp2 = load("distributionPoint2CACRL.crl").issuingDistributionPoint!.distributionPoint;
      expect(dp2 && "relativeName" in dp2 && dp2.relativeName[0]!.value).toBe("CRL1 of distributionPoint2 CA");
      expect(load("NegativeSerialNumberCACRL.crl").lookup("ff")).toHaveLength(1);
      expect(load("LongSerialNumberCACRL.crl").lookup("7f0102030405060708090a0b0c0d0e0f10111213")).toHaveLength(1);
      expect(load("GeneralizedTimeCRLnextUpdateCACRL.crl").nextUpdate!.toISOString()).toBe("2050-01-01T12:01:00.000Z");
      expect(load("TrustAnchorRootCRL.crl").authorityKeyIdentifier!.keyIdentifier).toMatch(/^[0-9a-f]{40}$/);

      // RFC 5280 §5.3.3: certificateIssuer carries over to the following entries
      const ind = load("indirectCRLCA5CRL.crl");
      expect(ind.issuingDistributionPoint!.indirectCRL).toBe(true);
      const issuerOf = (s: string): string | null => {
        const g = ind.lookup(s)[0]!.certificateIssuer;
        return g ? g.map((n) => (n.type === "directoryName" ? nameToString(n.name) : n.type)).join(";") : null;
      };
      expect(issuerOf("01")).toBeNull();
      expect(issuerOf("02")).toMatch(/^CN=indirectCRL CA6/);
      expect(issuerOf("04")).toMatch(/^CN=indirectCRL CA6/);
      expect(issuerOf("05")).toMatch(/^CN=indirectCRL CA7/);
      expect(issuerOf("08")).toMatch(/^CN=indirectCRL CA6/);
      expect(issuerOf("0b")).toMatch(/^OU=indirectCRL CA5/);
    });

    openssl.it("agrees with openssl crl -text on every PKITS CRL", () => {
      expect(files).toHaveLength(173);
      for (const f of files) {
        const file = path.join(pkitsCrls, f);
        const crl = parseCrl(readFileSync(file));
        const o = opensslCrl(file);
        // openssl spells serialNumber and title, we SERIALNUMBER and T
        expect(nameToString(crl.issuer).toLowerCase(), f).toBe(o.issuer.toLowerCase().replace(/(^|,)title=/g, "$1t="));
        expect(crl.thisUpdate, f).toEqual(o.lastUpdate);
        expect(crl.nextUpdate, f).toEqual(o.nextUpdate);
        expect(crl.crlNumber, f).toBe(o.crlNumber);
        expect(crl.deltaCrlIndicator, f).toBe(o.deltaCrlIndicator);
        const idp = crl.issuingDistributionPoint;
        expect(idp !== null, f).toBe(o.idp.present);
        if (idp) {
          expect(idp.onlyContainsUserCerts, f).toBe(o.idp.onlyUser);
          expect(idp.onlyContainsCACerts, f).toBe(o.idp.onlyCA);
          expect(idp.onlyContainsAttributeCerts, f).toBe(o.idp.onlyAttribute);
          expect(idp.indirectCRL, f).toBe(o.idp.indirect);
          expect(idp.onlySomeReasons !== null, f).toBe(o.idp.someReasons);
        }
        expect(crl.entryCount, f).toBe(o.entries.length);
        for (const e of o.entries) {
          const hits = crl.lookup(e.serialHex);
          expect(hits.length, `${f} ${e.serialHex}`).toBeGreaterThan(0);
          expect(hits.some((h) => h.revocationDate.getTime() === e.revocationDate.getTime() && h.reason === e.reason), `${f} ${e.serialHex}`).toBe(true);
        }
      }
    });
  });
});

describe("generated CRLs", () => {
  it("indexes 100,000 entries: first, middle, last, missing and duplicate serials", () => {
    const n = 100_000;
    const serials = randomSerials(n, 7);
    const at = (i: number): Buffer => serials.subarray(i * 16, i * 16 + 16);
    const date = new Date("2025-06-01T10:00:00Z");
    function* entries() {
      for (let i = 0; i < n; i++) {
        yield { serial: at(i), date, reason: i % 2 ? 1 : 4 };
        // indirect CRLs may list one serial several times (for different certificate issuers)
        if (i % 10_000 === 5) yield { serial: at(i), date: new Date("2025-07-01T00:00:00Z"), reason: 6 };
      }
    }
    const der = makeCrl({ entries: entries() });
    const t = performance.now();
    const crl = parseCrl(der);
    const ms = performance.now() - t;
    expect(crl.entryCount).toBe(n + 10);
    // a guard against quadratic indexing, not a speed claim (bench/crl-load.ts measures it)
    expect(ms).toBeLessThan(20_000);

    for (const i of [0, n >> 1, n - 1]) {
      const hits = crl.lookup(hexOf(at(i)));
      expect(hits).toHaveLength(1);
      expect(hits[0]!.serialNumber).toBe(hexOf(at(i)));
      expect(hits[0]!.revocationDate).toEqual(date);
      expect(hits[0]!.reason).toBe(i % 2 ? "keyCompromise" : "superseded");
      expect(hits[0]!.certificateIssuer).toBeNull();
    }
    expect(crl.lookup(hexOf(at(0)).toUpperCase())).toHaveLength(1);
    expect(crl.lookup("00" + hexOf(at(0)))).toHaveLength(1);
    const missing = Buffer.from(at(3));
    missing[15]! ^= 0xff;
    expect(crl.lookup(hexOf(missing))).toEqual([]);
    expect(crl.lookup("")).toEqual([]);
    expect(crl.lookup("not hex")).toEqual([]);

    const dup = crl.lookup(hexOf(at(50_005)));
    expect(dup.map((e) => e.reason)).toEqual(["keyCompromise", "certificateHold"]); // CRL order
    for (let i = 0; i < n; i += 997) expect(crl.lookup(hexOf(at(i))), String(i)).toHaveLength(i % 10_000 === 5 ? 2 : 1);
  });

  it("finds sequential small serials, high-bit serials and negative ones", () => {
    function* entries() {
      for (let i = 1; i <= 5000; i++) yield { serial: BigInt(i), date: new Date("2026-01-01T00:00:00Z") };
      yield { serial: 0x80n, date: new Date("2026-01-02T00:00:00Z") }; // DER 02 02 00 80, a duplicate of 128
      yield { serial: -1n, date: new Date("2026-01-03T00:00:00Z") };
    }
    const crl = parseCrl(makeCrl({ entries: entries() }));
    expect(crl.entryCount).toBe(5002);
    // lookup keys are the INTEGER's minimal two's-complement octets: 255 is "00ff", -1 is "ff"
    const key = (i: number) => {
      let h = i.toString(16);
      if (h.length % 2) h = "0" + h;
      return parseInt(h.slice(0, 2), 16) >= 0x80 ? "00" + h : h;
    };
    for (let i = 1; i <= 5000; i++) expect(crl.lookup(key(i)), key(i)).toHaveLength(i === 0x80 ? 2 : 1);
    expect(crl.lookup("0080").map((e) => e.serialNumber)).toEqual(["0080", "0080"]);
    expect(crl.lookup("00ff").map((e) => e.revocationDate.toISOString())).toEqual(["2026-01-01T00:00:00.000Z"]);
    expect(crl.lookup("ff").map((e) => e.revocationDate.toISOString())).toEqual(["2026-01-03T00:00:00.000Z"]);
    expect(crl.lookup("1388")).toHaveLength(1); // 5000
    expect(crl.lookup("1389")).toHaveLength(0);
  });

  it("applies certificateIssuer to following entries of an indirect CRL", () => {
    const caA = makeName(["C", "BG"], ["O", "A"], ["CN", "CA A"]);
    const caB = makeName(["C", "BG"], ["O", "B"], ["CN", "CA B"]);
    const d = new Date("2026-01-01T00:00:00Z");
    const idp = sequence(tlv(0x84, Buffer.from([0xff])));
    const crl = parseCrl(
      makeCrl({
        issuingDistributionPoint: idp,
        entries: [
          { serial: 1n, date: d },
          { serial: 2n, date: d, certificateIssuer: caA },
          { serial: 3n, date: d },
          { serial: 4n, date: d, certificateIssuer: caB, reason: 1 },
          { serial: 2n, date: d },
          { serial: 5n, date: d, certificateIssuer: DEFAULT_ISSUER },
          { serial: 6n, date: d },
        ],
      }),
    );
    expect(crl.issuingDistributionPoint!.indirectCRL).toBe(true);
    const issuer = (e: RevokedEntry): string | null =>
      e.certificateIssuer?.map((g) => (g.type === "directoryName" ? nameToString(g.name) : "?")).join() ?? null;
    expect(issuer(crl.lookup("01")[0]!)).toBeNull();
    expect(crl.lookup("02").map(issuer)).toEqual(["CN=CA A,O=A,C=BG", "CN=CA B,O=B,C=BG"]);
    expect(issuer(crl.lookup("03")[0]!)).toBe("CN=CA A,O=A,C=BG");
    expect(issuer(crl.lookup("04")[0]!)).toBe("CN=CA B,O=B,C=BG");
    expect(issuer(crl.lookup("06")[0]!)).toBe("CN=Test CRL Issuer,O=podpis test,C=BG");
    expect(crl.lookup("04")[0]!.unknownCriticalExtension).toBeNull();
    const keyA = parseCrl(makeCrl({ issuer: caA })).issuer.key;
    expect(crl.lookup("02").map((e) => entryIssuedBy(crl, e, keyA))).toEqual([true, false]);
    expect(entryIssuedBy(crl, crl.lookup("01")[0]!, crl.issuer.key)).toBe(true);
    expect(entryIssuedBy(crl, crl.lookup("06")[0]!, crl.issuer.key)).toBe(true);
    expect(entryIssuedBy(crl, crl.lookup("03")[0]!, crl.issuer.key)).toBe(false);
  });

  it("reads the header extensions and entry extensions", () => {
    const fresh = sequence(sequence(explicit(0, explicit(0, tlv(0x86, Buffer.from("http://example.test/delta.crl"))))));
    const aki = sequence(tlv(0x80, Buffer.from("0102030405", "hex")));
    const unknownEntry = extension("1.2.3.4.5", true, Buffer.from([0x05, 0x00]));
    const crl = parseCrl(
      makeCrl({
        thisUpdate: new Date("2051-03-04T05:06:07Z"), // GeneralizedTime from 2050 on
        nextUpdate: null,
        crlNumber: 0x0102030405060708090an,
        deltaCrlIndicator: 41n,
        issuingDistributionPoint: sequence(
          explicit(0, explicit(0, tlv(0x86, Buffer.from("http://example.test/ca.crl")))),
          tlv(0x81, Buffer.from([0xff])),
          tlv(0x83, Buffer.from([0x06, 0x40])), // ReasonFlags: keyCompromise only
        ),
        extensions: [
          extension("2.5.29.46", false, fresh),
          extension("2.5.29.35", false, aki),
          extension("1.2.3.4", true, Buffer.from([0x05, 0x00])),
          extension("1.2.3.5", false, Buffer.from([0x05, 0x00])),
        ],
        entries: [
          { serial: 10n, date: new Date("2051-01-01T00:00:00Z"), reason: 10, invalidityDate: new Date("2050-12-24T00:00:00Z") },
          { serial: 11n, date: new Date("2049-12-31T23:59:59Z"), extraExtensions: [unknownEntry] },
        ],
      }),
    );
    expect(crl.thisUpdate.toISOString()).toBe("2051-03-04T05:06:07.000Z");
    expect(crl.nextUpdate).toBeNull();
    expect(crl.crlNumber).toBe(0x0102030405060708090an);
    expect(crl.deltaCrlIndicator).toBe(41n);
    expect(crl.issuingDistributionPoint).toMatchObject({ onlyContainsUserCerts: true, onlyContainsCACerts: false, indirectCRL: false, onlySomeReasons: 0b10 });
    expect(crl.freshestCRL![0]!.name).toEqual({ fullName: [{ type: "uniformResourceIdentifier", value: "http://example.test/delta.crl" }] });
    expect(crl.authorityKeyIdentifier!.keyIdentifier).toBe("0102030405");
    expect(crl.unknownCriticalExtensions).toEqual(["1.2.3.4"]);
    expect(crl.signatureAlgorithm.oid).toBe("1.2.840.113549.1.1.11");
    expect(crl.tbsSignatureAlgorithm.oid).toBe("1.2.840.113549.1.1.11");
    expect(crl.signatureValue.length).toBe(256);
    const [e10] = crl.lookup("0a");
    expect(e10).toMatchObject({ reason: "aACompromise", unknownCriticalExtension: null });
    expect(e10!.revocationDate.toISOString()).toBe("2051-01-01T00:00:00.000Z");
    expect(e10!.invalidityDate!.toISOString()).toBe("2050-12-24T00:00:00.000Z");
    const [e11] = crl.lookup("0b");
    expect(e11).toMatchObject({ reason: null, invalidityDate: null, unknownCriticalExtension: "1.2.3.4.5" });
    expect(e11!.revocationDate.toISOString()).toBe("2049-12-31T23:59:59.000Z");
  });

  it("reads a v1 CRL, an empty revokedCertificates, and PEM with several blocks", () => {
    const v1 = makeCrl({ crlNumber: null, version1: true });
    const crl = parseCrl(v1);
    expect(crl.version).toBe(1);
    expect(crl.entryCount).toBe(0);
    expect(crl.lookup("01")).toEqual([]);
    expect(crl.crlNumber).toBeNull();
    const empty = parseCrl(makeCrl({ crlNumber: 2n, omitEmptyList: false }));
    expect([empty.entryCount, empty.crlNumber]).toEqual([0, 2n]);
    const pem = [v1, empty.der]
      .map((d) => `-----BEGIN X509 CRL-----\n${Buffer.from(d).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END X509 CRL-----\n`)
      .join("");
    const both = parseCrls(Buffer.from("junk before\n" + pem));
    expect(both.map((c) => c.crlNumber)).toEqual([null, 2n]);
    expect(both[0]!.sha256).toBe(crl.sha256);
    expectCrlError(() => parseCrls(Buffer.from("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), /no X509 CRL block/);
    expectCrlError(() => parseCrls(Buffer.from("-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n")));
  });

  openssl.it("makes CRLs openssl reads and verifies", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "podpis-crl-"));
    const { der, serials } = makeBigCrl(2000, 3);
    const file = path.join(dir, "x.crl");
    writeFileSync(file, der);
    const o = opensslCrl(file);
    expect(o.entries).toHaveLength(2000);
    const crl = parseCrl(der);
    for (const e of o.entries) expect(crl.lookup(e.serialHex)[0]!.reason).toBe(e.reason);
    expect(o.entries[0]!.serialHex).toBe(hexOf(serials.subarray(0, 16)));

    // the signature: openssl checks it against a certificate for the signing key, named as the CRL's issuer
    writeFileSync(path.join(dir, "key.pem"), testKey().privateKey.export({ format: "pem", type: "pkcs8" }));
    const req = spawnSync("openssl", ["req", "-x509", "-new", "-key", path.join(dir, "key.pem"), "-subj", "/C=BG/O=podpis test/CN=Test CRL Issuer", "-days", "1", "-out", path.join(dir, "ca.pem")]);
    expect(req.status, req.stderr.toString()).toBe(0);
    const verify = (f: string) => spawnSync("openssl", ["crl", "-inform", "DER", "-in", f, "-CAfile", path.join(dir, "ca.pem"), "-noout"], { encoding: "utf8" });
    const good = verify(file);
    expect([good.status, good.stderr.trim()]).toEqual([0, "verify OK"]);
    const bad = Buffer.from(der);
    bad[bad.length - 5]! ^= 1;
    writeFileSync(path.join(dir, "bad.crl"), bad);
    expect(verify(path.join(dir, "bad.crl")).stderr).toContain("verify failure");
  });
});

describe("malformed CRLs", () => {
  const d = new Date("2026-01-01T00:00:00Z");
  const small = makeCrl({ entries: [{ serial: 1n, date: d, reason: 1 }, { serial: 2n, date: d, invalidityDate: d }], deltaCrlIndicator: 1n });

  it("rejects every truncation with a CrlError", () => {
    for (let len = 0; len < small.length; len++) expectCrlError(() => parseCrl(small.subarray(0, len)));
  });

  it("never crashes on single-byte corruption", () => {
    const others: unknown[] = [];
    for (let i = 0; i < small.length; i++) {
      for (const v of [0x00, 0xff, small[i]! ^ 0x01, 0x80, 0x30]) {
        const b = Buffer.from(small);
        b[i] = v;
        try {
          const crl = parseCrl(b);
          for (const s of ["01", "02"]) crl.lookup(s);
        } catch (e) {
          if (!(e instanceof CrlError)) others.push(e);
        }
      }
    }
    expect(others).toEqual([]);
  });

  /** A CRL around hand-made revokedCertificates content (the signature is not checked by the parser). */
  const withEntries = (...entries: Buffer[]): Buffer => {
    const good = parseCrl(makeCrl());
    const tbsParts = [integer(1), sequence(oid("1.2.840.113549.1.1.11")), DEFAULT_ISSUER, tlv(Tag.UTC_TIME, Buffer.from("260101000000Z")), sequence(...entries)];
    return sequence(sequence(...tbsParts), sequence(oid("1.2.840.113549.1.1.11")), tlv(Tag.BIT_STRING, Buffer.from([0]), good.signatureValue));
  };
  const utc = (s: string): Buffer => tlv(Tag.UTC_TIME, Buffer.from(s));
  const entry = (...parts: Buffer[]): Buffer => sequence(...parts);

  it("names what is wrong in an entry", () => {
    expect(parseCrl(withEntries(entry(integer(5), utc("260101000000Z")))).entryCount).toBe(1);
    expectCrlError(() => parseCrl(withEntries(entry(octetString(Buffer.from([5])), utc("260101000000Z")))), /entry 1 .*userCertificate: expected tag 0x2/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z")), entry(integer(6), octetString(Buffer.from("x"))))), /entry 2 .*revocationDate/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("261301000000Z")))), /revocationDate.*out of range/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260230000000Z")))), /revocationDate/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("2601010000000")))), /revocationDate/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), tlv(Tag.GENERALIZED_TIME, Buffer.from("20260101000000+0100"))))), /revocationDate/);
    expectCrlError(() => parseCrl(withEntries(entry(tlv(Tag.INTEGER, Buffer.alloc(0)), utc("260101000000Z")))), /empty serial/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), integer(1)))), /crlEntryExtensions/);
    expectCrlError(() => parseCrl(withEntries(tlv(Tag.SET, integer(5), utc("260101000000Z")))), /expected tag 0x30/);
    const reason = (v: number): Buffer => sequence(extension("2.5.29.21", false, tlv(Tag.ENUMERATED, Buffer.from([v]))));
    expect(parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), reason(9)))).lookup("05")[0]!.reason).toBe("privilegeWithdrawn");
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), reason(7)))), /reasonCode/);
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), reason(11)))), /reasonCode/);
    const twice = sequence(extension("2.5.29.21", false, tlv(Tag.ENUMERATED, Buffer.from([1]))), extension("2.5.29.21", false, tlv(Tag.ENUMERATED, Buffer.from([1]))));
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), twice))), /appears twice/);
    const badIssuer = sequence(extension("2.5.29.29", true, octetString(Buffer.from("x"))));
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), badIssuer))), /certificateIssuer/);
    const badCritical = sequence(sequence(oid("1.2.3"), tlv(Tag.BOOLEAN, Buffer.from([1, 1])), octetString(Buffer.from([5, 0]))));
    expectCrlError(() => parseCrl(withEntries(entry(integer(5), utc("260101000000Z"), badCritical))), /critical/);
  });

  it("rejects lengths that run past the end", () => {
    const good = withEntries(entry(integer(5), utc("260101000000Z")), entry(integer(6), utc("260101000000Z")));
    // the last entry's length octet claims more than is left in revokedCertificates
    const lastEntry = good.lastIndexOf(Buffer.from([0x30, 0x12, 0x02, 0x01, 0x06]));
    expect(lastEntry).toBeGreaterThan(0);
    const b = Buffer.from(good);
    b[lastEntry + 1] = 0x7f;
    expectCrlError(() => parseCrl(b), /runs past the end/);
    const c = Buffer.from(good);
    c[lastEntry + 1] = 0x84; // four length octets, 0x02010601…
    expectCrlError(() => parseCrl(c));
    const trailing = Buffer.concat([good, Buffer.from([0])]);
    expectCrlError(() => parseCrl(trailing), /trailing/);
    expectCrlError(() => parseCrl(new Uint8Array(0)), /empty/);
  });

  it("rejects header and extension damage", () => {
    expectCrlError(() => parseCrl(sequence(sequence(integer(1)), sequence(), tlv(Tag.BIT_STRING, Buffer.from([0])))));
    expectCrlError(() => parseCrl(makeCrl({ extensions: [extension("2.5.29.20", false, integer(3))] })), /appears twice/);
    expectCrlError(() => parseCrl(makeCrl({ crlNumber: null, extensions: [extension("2.5.29.20", false, integer(-3))] })), /CRLNumber/);
    expectCrlError(() => parseCrl(makeCrl({ issuingDistributionPoint: sequence(tlv(0x84, Buffer.from([0xff])), tlv(0x81, Buffer.from([0xff]))) })), /IssuingDistributionPoint/);
    expectCrlError(() => parseCrl(makeCrl({ issuingDistributionPoint: sequence(tlv(0x81, Buffer.from([0xff, 0]))) })), /2\.5\.29\.28/);
    expectCrlError(() => parseCrl(makeCrl({ extensions: [sequence(oid("1.2.3"), boolean(true))] })), /malformed Extension/);
  });

  it("fails fast on 50 MB of random bytes", () => {
    const junk = randomBytes(50 * 1024 * 1024);
    for (const first of [junk[0]!, 0x30]) {
      junk[0] = first;
      const t = performance.now();
      expectCrlError(() => parseCrl(junk));
      // a hang guard (many seconds), not a speed claim: speed is measured in bench/
      expect(performance.now() - t).toBeLessThan(20_000);
    }
    // a plausible outer structure around a huge garbage revokedCertificates
    const body = randomBytes(50 * 1024 * 1024);
    body[0] = 0x31;
    const wrapped = withEntries(body);
    const t = performance.now();
    expectCrlError(() => parseCrl(wrapped), /entry 1/);
    expect(performance.now() - t).toBeLessThan(20_000);
  });

  it("reports the entry that is broken after many good ones", () => {
    const { der } = makeBigCrl(20_000, 5);
    // the month of the last entry's revocationDate (the last UTCTime before the CRL extensions and signature) → 13
    const b = Buffer.from(der);
    const last = b.lastIndexOf(Buffer.from([Tag.UTC_TIME, 13]), b.length - 300);
    b[last + 4] = 0x31;
    b[last + 5] = 0x33;
    expectCrlError(() => parseCrl(b), /entry 20000 \(offset \d+\): revocationDate/);
  });
});

describe("parseCrl keeps one buffer", () => {
  it("points tbs, signature and names into the DER", () => {
    const der = makeCrl({ entries: [{ serial: 1n, date: new Date("2026-01-01T00:00:00Z"), certificateIssuer: makeName(["CN", "X"]) }] });
    const crl = parseCrl(der);
    expect(crl.der.buffer).toBe(der.buffer);
    expect(crl.tbs.buffer).toBe(der.buffer);
    expect(crl.signatureValue.buffer).toBe(der.buffer);
    expect(crl.issuer.der.buffer).toBe(der.buffer);
    const g = crl.lookup("01")[0]!.certificateIssuer![0]!;
    expect(g.type === "directoryName" && g.name.der.buffer).toBe(der.buffer);
    expect(directoryNames(makeName(["CN", "X"]))[0]).toBe(0x30);
  });
});
