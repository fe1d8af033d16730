import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalize, joinUri, type C14nMethod } from "../src/xades/c14n.js";
import { parseXml } from "../src/xades/xml.js";
import { requirePeer } from "./helpers/peers.js";
import { runOk } from "./helpers/xml-tools.js";

const dir = "fixtures/xades/c14n";
const files = readdirSync(dir).filter((f) => f.endsWith(".xml"));
const FLAG: Record<C14nMethod, string> = { c14n10: "--c14n", c14n11: "--c14n11", "exc-c14n": "--exc-c14n" };

requirePeer("xmllint").describe("whole-document c14n equals libxml2's (xmllint)", () => {
  it("has the 6 c14n fixtures", () => expect(files.sort()).toEqual(["chars.xml", "cyrillic.xml", "elements.xml", "ns-exc.xml", "pi-comments.xml", "whitespace.xml"]));
  for (const f of files) {
    for (const method of ["c14n10", "c14n11", "exc-c14n"] as const) {
      it(`${f} ${method}`, () => {
        const bytes = readFileSync(join(dir, f));
        const expected = runOk("xmllint", [FLAG[method], join(dir, f)]).toString("utf8");
        expect(canonicalize(parseXml(bytes), { method, comments: true })).toBe(expected);
      });
    }
  }
});

describe("subtree c14n (spec cases)", () => {
  it("c14n 1.0 brings in-scope namespaces and xml:* attributes to the apex; exc-c14n does not", () => {
    const doc = parseXml(
      '<a xmlns="urn:d" xmlns:p="urn:p" xml:lang="bg" xml:space="preserve" xml:id="x" xml:base="http://e.org/a/"><b xmlns:q="urn:q" xml:base="c/d"><p:c q:z="1"/></b></a>',
    );
    const b = doc.root.elements()[0]!;
    expect(canonicalize(b, { method: "c14n10", comments: false })).toBe(
      '<b xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xml:base="c/d" xml:id="x" xml:lang="bg" xml:space="preserve"><p:c q:z="1"></p:c></b>',
    );
    expect(canonicalize(b, { method: "c14n11", comments: false })).toBe(
      '<b xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xml:base="http://e.org/a/c/d" xml:lang="bg" xml:space="preserve"><p:c q:z="1"></p:c></b>',
    );
    expect(canonicalize(b, { method: "exc-c14n", comments: false })).toBe(
      '<b xmlns="urn:d" xml:base="c/d"><p:c xmlns:p="urn:p" xmlns:q="urn:q" q:z="1"></p:c></b>',
    );
    expect(canonicalize(b, { method: "exc-c14n", comments: false, inclusivePrefixes: ["p", "#default"] })).toBe(
      '<b xmlns="urn:d" xmlns:p="urn:p" xml:base="c/d"><p:c xmlns:q="urn:q" q:z="1"></p:c></b>',
    );
  });

  it("exc-c14n spec §2.2 example: the two subtrees canonicalize identically", () => {
    const d1 = parseXml('<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>');
    const d2 = parseXml('<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:foo="bar"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n2:pdu>');
    const e1 = canonicalize(d1.root.elements()[0]!, { method: "exc-c14n", comments: false });
    const e2 = canonicalize(d2.root.elements()[0]!, { method: "exc-c14n", comments: false });
    expect(e1).toBe('<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>');
    expect(e2).toBe(e1);
    // inclusive c14n differs (spec: that is the problem exc-c14n solves)
    expect(canonicalize(d1.root.elements()[0]!, { method: "c14n10", comments: false })).toBe(
      '<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>',
    );
  });

  it("xmlns=\"\" is emitted only where a default namespace was rendered above", () => {
    const doc = parseXml('<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:a"/></b></a>');
    const b = doc.root.elements()[0]!;
    expect(canonicalize(b, { method: "c14n10", comments: false })).toBe('<b><c xmlns="urn:a"></c></b>');
    expect(canonicalize(doc, { method: "c14n10", comments: false })).toBe('<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:a"></c></b></a>');
    expect(canonicalize(doc, { method: "exc-c14n", comments: false })).toBe('<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:a"></c></b></a>');
  });

  it("the enveloped-signature filter removes a subtree", () => {
    const doc = parseXml("<a><x>1</x><s><y/></s><!--c--><z/></a>");
    const s = doc.root.elements()[1]!;
    expect(canonicalize(doc, { method: "c14n10", comments: false, exclude: new Set([s]) })).toBe("<a><x>1</x><z></z></a>");
    expect(canonicalize(doc, { method: "c14n10", comments: true, exclude: new Set([s]) })).toBe("<a><x>1</x><!--c--><z></z></a>");
  });

  it("orders attributes by namespace URI then local name, by code point", () => {
    const doc = parseXml('<a xmlns:z="urn:a" xmlns:b="urn:b" b:x="1" z:y="2" c="3" \u{10000}="4" \uE000="5"/>');
    expect(canonicalize(doc, { method: "c14n10", comments: false })).toBe(
      '<a xmlns:b="urn:b" xmlns:z="urn:a" c="3" \uE000="5" \u{10000}="4" z:y="2" b:x="1"></a>',
    );
  });

  it("joins xml:base values (RFC 3986 §5.2 with relative bases kept relative)", () => {
    expect(joinUri("http://e.org/a/b", "c")).toBe("http://e.org/a/c");
    expect(joinUri("http://e.org/a/b", "../c")).toBe("http://e.org/c");
    expect(joinUri("a/b/", "../../../c")).toBe("../c");
    expect(joinUri("http://e.org/a/", "/x?q")).toBe("http://e.org/x?q");
    expect(joinUri("x/", "urn:y")).toBe("urn:y");
  });
});
