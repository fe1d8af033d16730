/** DataCollector (evidence/extend-evidence.ts): each item once by its octets, whatever object holds them, in the order first met. */
import { describe, expect, it } from "vitest";
import { DataCollector } from "../src/evidence/extend-evidence.js";

describe("DataCollector", () => {
  it("keeps each octet string once, across objects and kinds, in first-met order; already() keeps one out", () => {
    const c = new DataCollector();
    const a = Buffer.from("certificate A");
    const b = Buffer.from("certificate B"); // same length as A, other octets
    c.already(Buffer.from("present in the file"));
    c.certificate(a);
    c.certificate(Buffer.from(a)); // a copy
    c.certificate(b);
    c.crl(Buffer.from("certificate A")); // the same octets under another kind: already there
    c.crl(Buffer.from("a CRL"));
    c.ocsp(Buffer.from("present in the file"));
    c.ocsp(new Uint8Array(Buffer.from("an OCSP response")));
    expect(c.data.certificates.map(String)).toEqual(["certificate A", "certificate B"]);
    expect(c.data.crls.map((x) => Buffer.from(x).toString())).toEqual(["a CRL"]);
    expect(c.data.ocsp.map((x) => Buffer.from(x).toString())).toEqual(["an OCSP response"]);
    expect(c.empty).toBe(false);
    expect(new DataCollector().empty).toBe(true);
  });
});
