/**
 * The canonicalizer copies source the parser found already canonical (XmlElement.c14n, text
 * nodes without special characters). That must never change a byte of the output: every
 * element of every XML fixture, and of documents written to defeat the shortcut, canonicalizes
 * the same with the shortcut and with every node rendered from the tree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalize, type C14nOptions } from "../src/xades/c14n.js";
import { parseXml, type XmlDocument, type XmlElement } from "../src/xades/xml.js";

const METHODS = ["c14n10", "c14n11", "exc-c14n"] as const;

function elementsOf(doc: XmlDocument): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    out.push(e);
    for (const c of e.children) if (c.type === 1) walk(c);
  };
  walk(doc.root);
  return out;
}

/** The same document with every shortcut switched off. */
function rendered(bytes: Uint8Array | string): XmlDocument {
  const doc = parseXml(bytes);
  const walk = (e: XmlElement): void => {
    e.c14n = 0;
    for (const c of e.children) {
      if (c.type === 1) walk(c);
      else if (c.type === 3) (c as unknown as { special: boolean }).special = true;
    }
  };
  walk(doc.root);
  return doc;
}

function compare(name: string, bytes: Uint8Array | string): void {
  const fast = parseXml(bytes);
  const slow = rendered(bytes);
  const fe = elementsOf(fast);
  const se = elementsOf(slow);
  for (const method of METHODS) {
    for (const comments of [false, true]) {
      const opts: C14nOptions = { method, comments };
      expect(canonicalize(fast, opts), `${name} ${method} ${comments} document`).toBe(canonicalize(slow, opts));
      for (let i = 0; i < fe.length; i++) {
        expect(canonicalize(fe[i]!, opts), `${name} ${method} ${comments} element ${i}`).toBe(canonicalize(se[i]!, opts));
        // leave out one element (as the enveloped-signature transform does) below every apex
        const j = (i * 7 + 3) % fe.length;
        const a = canonicalize(fast, { ...opts, exclude: new Set([fe[j]!]) });
        expect(a, `${name} ${method} ${comments} without ${j}`).toBe(canonicalize(slow, { ...opts, exclude: new Set([se[j]!]) }));
        const b = canonicalize(fe[i]!, { ...opts, exclude: new Set([fe[j]!]) });
        expect(b, `${name} ${method} ${comments} element ${i} without ${j}`).toBe(canonicalize(se[i]!, { ...opts, exclude: new Set([se[j]!]) }));
      }
    }
  }
}

const HOSTILE: Record<string, string> = {
  redundant: `<r xmlns="urn:a" xmlns:p="urn:p"><c xmlns="urn:a"><d xmlns:p="urn:p" p:x="1">t</d></c><e xmlns:p="urn:q"><f/></e></r>`,
  undeclareDefault: `<r><c xmlns=""><d xmlns="urn:a"><e xmlns=""><f xmlns="">x</f></e></d></c></r>`,
  order: `<r xmlns:b="urn:b" xmlns:a="urn:a"><c b:x="1" a:x="2" x="3"/><d x="1" a:y="2"></d><e z="1" y="2">t</e><f xmlns:a="urn:z" xmlns="urn:d" a:q="1" q="2"></f></r>`,
  nsAfterAttr: `<r><c x="1" xmlns="urn:a"></c><d xmlns:z="urn:z" xmlns:a="urn:a" z:x="1"></d></r>`,
  quoting: `<r><c x='1'></c><d x="a&amp;b"></d><e x="&lt;&quot;&#9;&#10;&#13;"></e><f x="tab\tnl\nsp"></f><g x='"q"'></g></r>`,
  text: `<r><a>x &gt; y</a><b>x > y</b><c>&#13;&#xD;</c><d>&amp;&lt;</d><e><![CDATA[<&>]]></e><f>a]]&gt;b</f></r>`,
  spacing: `<r  ><a x="1" ></a><b  x="1"></b><c x ="1"></c><d x= "1"></d><e x="1"\ty="2"></e><f\nx="1"></f><g></g ><h/><i />text</r >`,
  misc: `<?pi before?><!--c0--><r><!--c1--><a><?p  data?><?q?><!--c2--></a><b>x<!--c3-->y</b></r><!--c4--><?pi after ?>`,
  xmlAttrs: `<r xml:lang="bg" xml:space="preserve" xml:base="http://a/b/"><a xml:base="c/"><b xml:id="i" xml:lang="en">t</b></a><c xmlns:xml="http://www.w3.org/XML/1998/namespace"></c></r>`,
  unicode: `<р xmlns:п="urn:п" а="1" б="2"><п:д п:я="x" п:а="y">текст „кавички“ — ＞</п:д><е ж="з"/></р>`,
  nested: `<r xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><a><ds:Signature Id="s1"><ds:SignedInfo><x/></ds:SignedInfo></ds:Signature><b>t</b></a><ds:Signature Id="s2"><c>u</c></ds:Signature></r>`,
  crlf: "<r>\r\n<a x=\"1\">line\r\nnext\rlast</a>\r\n</r>",
  // exc-c14n: which declarations a copied subtree may carry depends on what its ancestors rendered
  excUsed: `<r xmlns:a="urn:a" xmlns:b="urn:b"><a:c><a:d b:x="1">t</a:d><a:e xmlns:a="urn:a2"><a:f>u</a:f></a:e></a:c><g xmlns:a="urn:a"><a:h></a:h></g></r>`,
  excUnused: `<r><c xmlns:u="urn:u"><d>t</d></c><e xmlns:u="urn:u" u:x="1"><f xmlns:v="urn:v"><v:g></v:g></f></e></r>`,
  excDefault: `<r xmlns="urn:d"><c xmlns=""><d>t</d></c><e><f xmlns="urn:e"><g></g></f></e><s><c xmlns=""><d></d></c></s></r>`,
  excDefaultUnder: `<a:r xmlns:a="urn:a" xmlns="urn:d"><c></c><a:d><e>x</e><a:f><g xmlns="urn:d"></g></a:f></a:d></a:r>`,
  excRebind: `<r xmlns:p="urn:1"><p:a><p:b xmlns:p="urn:2"><p:c><p:d xmlns:p="urn:1"></p:d></p:c></p:b></p:a><q><p:e></p:e></q></r>`,
  excSameTwice: `<r><a xmlns:p="urn:1" p:x="1"><b><p:c xmlns:p="urn:1"></p:c></b><p:d></p:d></a><p:e xmlns:p="urn:1"><p:f xmlns:p="urn:1"></p:f></p:e></r>`,
  excAttrOnly: `<r xmlns:p="urn:p" xmlns:q="urn:q"><a p:x="1"><b q:y="2"><c p:z="3" q:z="4"></c></b></a><p:d p:w="1"></p:d></r>`,
  excXml: `<r xmlns:x="urn:x"><a xml:lang="bg"><x:b xml:space="preserve"><c></c></x:b></a></r>`,
  // a declaration that repeats what an output ancestor rendered, with another binding in scope between
  excRenderedAbove: `<r xmlns="urn:x" xmlns:p="urn:x" p:z="1"><p:a xmlns="urn:y" xmlns:p="urn:p"><c xmlns="urn:x"><p:d xmlns:p="urn:x"></p:d></c></p:a><e xmlns:p="urn:y"><p:f xmlns:p="urn:x">t</p:f></e></r>`,
  excComments: `<r xmlns:p="urn:p"><p:a><!--c--><p:b>t</p:b></p:a><c><!--d--><p:e xmlns:p="urn:q"></p:e></c></r>`,
};

describe("c14n copying canonical source equals c14n rendering every node", () => {
  const dirs = ["fixtures/xades", "fixtures/xades/c14n"];
  it("has the 26 XAdES and 6 c14n fixtures to go through", () => {
    expect(dirs.map((d) => readdirSync(d).filter((n) => n.endsWith(".xml")).length)).toEqual([26, 6]);
  });
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".xml"))) {
      it(`${dir}/${f}`, () => compare(f, readFileSync(join(dir, f))));
    }
  }
  for (const [name, xml] of Object.entries(HOSTILE)) it(name, () => compare(name, xml));

  it("exc-c14n with an InclusiveNamespaces PrefixList", () => {
    for (const [name, xml] of Object.entries(HOSTILE)) {
      const fast = parseXml(xml);
      const slow = rendered(xml);
      const fe = elementsOf(fast);
      const se = elementsOf(slow);
      for (const inclusivePrefixes of [["#default"], ["p", "a"], ["x", "#default", "u"]]) {
        for (const comments of [false, true]) {
          const opts: C14nOptions = { method: "exc-c14n", comments, inclusivePrefixes };
          expect(canonicalize(fast, opts), `${name} ${inclusivePrefixes} document`).toBe(canonicalize(slow, opts));
          for (let i = 0; i < fe.length; i++) expect(canonicalize(fe[i]!, opts), `${name} ${inclusivePrefixes} element ${i}`).toBe(canonicalize(se[i]!, opts));
        }
      }
    }
  });
});
