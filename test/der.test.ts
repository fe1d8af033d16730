import { describe, expect, it } from "vitest";
import { Asn1Error, Tag, children, readBigInt, readNode, readOid, readRoot, readString, readTime } from "../src/asn1/der.js";
import * as w from "../src/asn1/writer.js";
import { CertificateError, parseCertificate } from "../src/pki/certificate.js";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { peer } from "./helpers/peer.js";
import { requireData, requirePeer } from "./helpers/peers.js";

describe("DER reader", () => {
  it("round-trips what the writer encodes", () => {
    const der = w.sequence(w.oid("1.2.840.113549.1.1.11"), w.integer(-129n), w.integer(65537), w.utf8String("Иван Петров"), w.generalizedTime(new Date("2026-06-01T12:34:56.789Z")));
    const root = readRoot(der);
    const [o, neg, pos, s, t] = children(der, root);
    expect(readOid(der, o!)).toBe("1.2.840.113549.1.1.11");
    expect(readBigInt(der, neg!)).toBe(-129n);
    expect(readBigInt(der, pos!)).toBe(65537n);
    expect(readString(der, s!)).toBe("Иван Петров");
    expect(readTime(der, t!).toISOString()).toBe("2026-06-01T12:34:56.789Z");
  });

  it("reads UTCTime with the RFC 5280 century rule", () => {
    const a = w.utcTime(new Date("2049-12-31T23:59:59Z"));
    const b = Buffer.from([Tag.UTC_TIME, 13, ...Buffer.from("500101000000Z")]);
    expect(readTime(a, readRoot(a)).getUTCFullYear()).toBe(2049);
    expect(readTime(b, readRoot(b)).getUTCFullYear()).toBe(1950);
  });

  it("refuses lengths past the end, truncated headers and trailing data", () => {
    expect(() => readRoot(Buffer.from([0x30, 0x05, 0x02, 0x01]))).toThrow(Asn1Error);
    expect(() => readRoot(Buffer.from([0x30, 0x84, 0xff]))).toThrow(Asn1Error);
    expect(() => readRoot(Buffer.from([0x05, 0x00, 0x00]))).toThrow(/trailing/);
    expect(() => readRoot(Buffer.from([0x30]))).toThrow(Asn1Error);
  });

  it("accepts indefinite lengths only in BER mode, and bounds their nesting", () => {
    const ber = Buffer.from([0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]);
    expect(() => readRoot(ber)).toThrow(/indefinite/);
    const n = readRoot(ber, { ber: true });
    expect(n.ce).toBe(5);
    const deep = Buffer.concat([Buffer.alloc(0)].concat(Array.from({ length: 200 }, () => Buffer.from([0x30, 0x80])), Array.from({ length: 200 }, () => Buffer.from([0, 0]))));
    expect(() => readRoot(deep, { ber: true, maxDepth: 64 })).toThrow(/nesting/);
  });

  it("decodes high tag numbers and large OID arcs", () => {
    const der = Buffer.from([0x9f, 0x81, 0x00, 0x00]);
    expect(readNode(der, 0).tag).toBe(0x1000000 + (0x80 << 16) + 128);
    const o = w.oid("2.999.1234567");
    expect(readOid(o, readRoot(o))).toBe("2.999.1234567");
  });

  it("rejects malformed times", () => {
    for (const s of ["2601011200Z", "260101120000", "261301000000Z", "260231000000Z", "26010112000aZ"]) {
      const d = Buffer.from([Tag.UTC_TIME, s.length, ...Buffer.from(s)]);
      expect(() => readTime(d, readRoot(d)), s).toThrow(Asn1Error);
    }
  });
});

requirePeer("openssl", "faketime").describe("what the writer encodes, read by OpenSSL (openssl asn1parse)", () => {
  it("a SEQUENCE of OID, negative and positive INTEGER, UTF8String and GeneralizedTime with fraction", () => {
    const der = w.sequence(w.oid("1.2.840.113549.1.1.11"), w.integer(-129n), w.integer(65537), w.integer(0), w.utf8String("Иван Петров"), w.generalizedTime(new Date("2026-06-01T12:34:56.789Z")), w.utcTime(new Date("2049-12-31T23:59:59Z")), w.nullValue(), w.boolean(true), w.explicit(0, w.octetString(Buffer.from("ab"))), w.bitString(Buffer.from([0xa0]), 5));
    const r = peer("openssl", ["asn1parse", "-inform", "DER"], { input: der });
    expect(r.status, r.stderr.toString()).toBe(0);
    const lines = r.stdout.toString("utf8").trim().split("\n").map((l) => l.replace(/^\s*\d+:d=(\d+)\s+hl=\d+ l=\s*\d+ (prim|cons):\s*/, "$1 ").replace(/\s+$/, ""));
    expect(lines).toEqual([
      "0 SEQUENCE",
      "1 OBJECT            :sha256WithRSAEncryption",
      "1 INTEGER           :-81",
      "1 INTEGER           :010001",
      "1 INTEGER           :00",
      "1 UTF8STRING        :Иван Петров",
      "1 GENERALIZEDTIME   :20260601123456.789Z",
      "1 UTCTIME           :491231235959Z",
      "1 NULL",
      "1 BOOLEAN           :255",
      "1 cont [ 0 ]",
      "2 OCTET STRING      :ab",
      "1 BIT STRING",
    ]);
  });
});

describe("certificate parser under mutation", () => {
  const pkits = resolve(__dirname, "../../shared/pkits/certs");
  const files = existsSync(pkits) ? readdirSync(pkits).slice(0, 40) : [];
  requireData("the PKITS certificates", pkits).it("every mutated certificate parses or fails with CertificateError", () => {
    expect(files).toHaveLength(40);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let failures = 0;
    for (const f of files) {
      const orig = readFileSync(resolve(pkits, f));
      for (let i = 0; i < 100; i++) {
        const m = Buffer.from(orig);
        const kind = Math.floor(rnd() * 3);
        if (kind === 0) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        const input = kind === 1 ? m.subarray(0, Math.floor(rnd() * m.length)) : kind === 2 ? Buffer.concat([m, Buffer.from([0])]) : m;
        try {
          parseCertificate(input);
        } catch (e) {
          expect(e).toBeInstanceOf(CertificateError);
          failures++;
        }
      }
    }
    expect(failures).toBeGreaterThan(1000);
  });
});
