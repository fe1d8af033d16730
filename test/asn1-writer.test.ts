/**
 * The DER writer (asn1/writer.ts) writes each TLV into one buffer: lengths in the short form
 * below 128 and in the fewest octets above (X.690 §8.1.3, §10.1), read back by podpis's strict
 * DER reader; several content parts in order; SET OF sorted; OIDs encoded once and equal.
 */
import { describe, expect, it } from "vitest";
import { readRoot } from "../src/asn1/der.js";
import { oid, sequence, setOf, tlv } from "../src/asn1/writer.js";

describe("asn1 writer", () => {
  it("length octets at every boundary, as the strict reader takes them", () => {
    for (const len of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
      const der = tlv(0x04, Buffer.alloc(len, 7));
      const head = len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6;
      expect(der.length, String(len)).toBe(head + len);
      const n = readRoot(der);
      expect([n.tag, n.cs, n.end]).toEqual([0x04, head, head + len]);
    }
  });

  it("content parts in order, SET OF in DER order, OIDs as X.690 §8.19 gives them", () => {
    expect(sequence(Buffer.from([1, 2]), Buffer.from([]), Buffer.from([3])).toString("hex")).toBe("3003010203");
    expect(setOf(Buffer.from("0401ff", "hex"), Buffer.from("020100", "hex")).toString("hex")).toBe("3106020100" + "0401ff");
    expect(oid("1.2.840.113549.1.7.2").toString("hex")).toBe("06092a864886f70d010702");
    expect(oid("2.999.3").toString("hex")).toBe("0603883703");
    expect(oid("1.2.840.113549.1.7.2")).toEqual(oid("1.2.840.113549.1.7.2"));
    expect(() => oid("1.x")).toThrow(/bad OID/);
  });
});
