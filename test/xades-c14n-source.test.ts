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
};

describe("c14n copying canonical source equals c14n rendering every node", () => {
  const dirs = ["fixtures/xades", "fixtures/xades/c14n"];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".xml"))) {
      it(`${dir}/${f}`, () => compare(f, readFileSync(join(dir, f))));
    }
  }
  for (const [name, xml] of Object.entries(HOSTILE)) it(name, () => compare(name, xml));
});
