/**
 * Collapsed subtrees (src/xades/xml/collapse.ts): content the parser only scans must come out
 * exactly as parsing it whole builds it — the same nodes, offsets, document order, c14n facts
 * and canonical forms — and anything outside the scan's plain form, or over a cap, must be read
 * (and refused) by the full parser as before.
 */
import { describe, expect, it } from "vitest";
import { canonicalBinary, type C14nOptions } from "../src/xades/c14n.js";
import { XmlElement, type XmlDocument, type XmlNode, parseXml } from "../src/xades/xml.js";
import { findSignatures } from "../src/xades/xmldsig.js";

function rows(n: number, p = "n:"): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `<${p}Ред вид="а" номер="${i}"><${p}Име>Иван ${i}</${p}Име><${p}Дял>1/${n}</${p}Дял></${p}Ред>`;
  return s;
}

/** Every fact of a node that parsing decides, its children read through `children` (building a collapsed one's). */
function dump(n: XmlNode): unknown {
  if (n.type === 1) {
    return {
      qn: n.qn, ns: n.ns, start: n.start, end: n.end, tagEnd: n.tagEnd, order: n.order, c14n: n.c14n, excNeeds: [...n.excNeeds],
      attrs: n.attrs.map((a) => [a.qn, a.ns, a.raw]), decls: n.nsDecls?.map((d) => [d.bp, d.bu]) ?? null,
      parent: n.parent?.start ?? null, children: n.children.map(dump),
    };
  }
  if (n.type === 3) return { text: n.raw, start: n.start, special: n.special, parent: n.parent?.start };
  return { type: n.type, raw: n.raw, start: n.start };
}

function collapsedCount(d: XmlDocument): number {
  let c = 0;
  const walk = (e: XmlElement): void => {
    if (e.collapsed !== null) c++;
    for (const k of e.kids) if (k.type === 1) walk(k);
  };
  walk(d.root);
  return c;
}

const METHODS: C14nOptions[] = [
  { method: "c14n10", comments: false },
  { method: "c14n10", comments: true },
  { method: "c14n11", comments: false },
  { method: "exc-c14n", comments: false },
  { method: "exc-c14n", comments: false, inclusivePrefixes: ["n"] },
];

const NS = `xmlns:n="urn:x:form"`;
const DS = `xmlns:ds="http://www.w3.org/2000/09/xmldsig#"`;
const CASES: Record<string, string> = {
  rows: `<n:Ф ${NS}><n:Редове>${rows(30)}</n:Редове></n:Ф>`,
  "default namespace": `<Ф xmlns="urn:x:form" a="1"><Редове>${rows(10, "")}</Редове><Край/></Ф>`,
  "no namespace, nested": `<a><b><c><d x="1" y="2">t</d><d>u</d></c></b><b><c>v</c></b></a>`,
  "signature beside the rows": `<n:Ф ${NS}><n:Р>${rows(3)}</n:Р><ds:Signature ${DS} Id="S"><ds:SignedInfo/></ds:Signature></n:Ф>`,
  "a comment deep inside": `<n:Ф ${NS}><n:Р>${rows(3)}<n:Р><n:Q><!-- c --></n:Q></n:Р>${rows(2)}</n:Р></n:Ф>`,
  "references in text and values": `<n:Ф ${NS}><n:Р>${rows(2)}<n:Q a="&amp;">x &lt; y</n:Q>${rows(2)}</n:Р></n:Ф>`,
  "an Id inside": `<n:Ф ${NS}><n:Р>${rows(2)}<n:Q Id="q1">x</n:Q><n:Q id="q2">y</n:Q></n:Р></n:Ф>`,
  "a declaration inside": `<n:Ф ${NS}><n:Р>${rows(2)}<n:Q xmlns:m="urn:m"><m:Z>1</m:Z></n:Q><n:Q xmlns="urn:d"><Z/></n:Q></n:Р></n:Ф>`,
  "another prefix inside": `<n:Ф ${NS} xmlns:m="urn:m"><n:Р>${rows(2)}<m:Q><m:Z>1</m:Z></m:Q></n:Р></n:Ф>`,
  "prefixed attribute inside": `<n:Ф ${NS}><n:Р><n:Q n:a="1"><n:Z>1</n:Z></n:Q></n:Р></n:Ф>`,
  "empty-element tags inside": `<n:Ф ${NS}><n:Р><n:Q><n:Z/></n:Q>${rows(2)}</n:Р></n:Ф>`,
  "attributes out of order, single quotes, tabs": `<n:Ф ${NS}><n:Р><n:Q b="1" a="2"><n:Z>1</n:Z></n:Q><n:Q a='1'><n:Z>1</n:Z></n:Q><n:Q a="1\t2"><n:Z/></n:Q></n:Р></n:Ф>`,
  "> in text, CDATA, PI, whitespace in tags": `<n:Ф ${NS}><n:Р><n:Q><n:Z>a > b</n:Z></n:Q><n:Q><n:Z><![CDATA[x]]></n:Z></n:Q><n:Q><?p d?><n:Z>1</n:Z></n:Q><n:Q ><n:Z>1</n:Z ></n:Q></n:Р></n:Ф>`,
  "xml:lang and indentation": `<n:Ф ${NS} xml:lang="bg">\n  <n:Р>\n    <n:Q>\n      <n:Z>1</n:Z>\n    </n:Q>\n  </n:Р>\n</n:Ф>\n`,
  "the xmlns attribute name and Xmlns": `<a><b><c xmlnsx="1"><d>1</d></c><c Xmlns="1"><d>1</d></c></b></a>`,
  // a scan that stops deep inside has closed subtrees at every level on its way (ScanResult.done)
  "stopped three levels down, subtrees closed at each level": `<n:Ф ${NS}><n:A>${rows(2)}<n:B>${rows(2)}<n:C x="1">${rows(2)}<n:D><!-- c --></n:D>${rows(1)}</n:C>${rows(1)}<n:C>${rows(1)}</n:C></n:B>${rows(2)}</n:A>${rows(1)}<n:E Id="e"/></n:Ф>`,
  "stopped inside a subtree that follows a deeper one": `<a><b><c><d><e>1</e></d></c><f>2</f></b><g><h>3</h><i><j/></i></g></a>`,
  "many subtrees, then a comment beside them": `<n:Ф ${NS}>${rows(200)}<!-- c -->${rows(3)}<n:Q><n:Z>1</n:Z><!-- d --></n:Q>${rows(2)}</n:Ф>`,
  "stopped at the last end tag's neighbour": `<a><b><c>1</c></b><b><c>2</c></b>x<?p?></a>`,
};

describe("collapsed subtrees", () => {
  for (const [name, xml] of Object.entries(CASES)) {
    it(`${name}: the same tree, ids and canonical forms as parsing it whole`, () => {
      const whole = parseXml(xml, { collapse: false });
      const lazy = parseXml(xml);
      expect(collapsedCount(whole)).toBe(0);
      // c14n first, before anything builds the collapsed content
      for (const m of METHODS) expect(canonicalBinary(lazy, m), JSON.stringify(m)).toBe(canonicalBinary(whole, m));
      expect(findSignatures(lazy).map((e) => e.start)).toEqual(findSignatures(whole).map((e) => e.start));
      expect([...lazy.ids.keys()]).toEqual([...whole.ids.keys()]);
      expect([lazy.elementCount, lazy.nodeCount]).toEqual([whole.elementCount, whole.nodeCount]);
      expect(dump(lazy.root)).toEqual(dump(whole.root));
    });
  }

  it("collapses the rows of a form, and not what holds a signature, a comment, a reference or an Id", () => {
    expect(collapsedCount(parseXml(CASES.rows!))).toBe(1);
    const sig = parseXml(CASES["signature beside the rows"]!);
    expect(sig.root.collapsed).toBeNull();
    expect((sig.root.kids[0] as XmlElement).collapsed).not.toBeNull();
    for (const name of ["a comment deep inside", "references in text and values", "an Id inside", "a declaration inside"]) {
      const d = parseXml(CASES[name]!);
      const r = d.root.kids[0] as XmlElement;
      expect(r.collapsed, name).toBeNull();
      // rows before the unusual part are collapsed on their own
      expect((r.kids[0] as XmlElement).collapsed, name).not.toBeNull();
    }
  });

  it("a subtree read through an XPath-like walk (children) is built once, in document order", () => {
    const d = parseXml(CASES["signature beside the rows"]!);
    const list = d.root.kids[0] as XmlElement;
    expect(list.collapsed).not.toBeNull();
    const first = list.children;
    expect(list.collapsed).toBeNull();
    expect(list.children).toBe(first);
    const orders: number[] = [];
    const walk = (e: XmlElement): void => {
      orders.push(e.order);
      for (const c of e.children) if (c.type === 1) walk(c);
    };
    walk(d.root);
    expect(orders).toEqual(orders.map((_, i) => i));
    expect(orders.length).toBe(d.elementCount);
  });

  const MALFORMED: Record<string, string> = {
    "mismatched end tag": `<a><b><c><d>1</e></c></b></a>`,
    "end tag of another prefix": `<n:a ${NS} xmlns:m="urn:x:form"><n:b><n:c>1</m:c></n:b></n:a>`,
    "duplicate attribute": `<a><b><c x="1" x="2">1</c></b></a>`,
    "bad name character": `<a><b><c\u00d7>1</c\u00d7></b></a>`,
    "name starting with a digit": `<a><b><1c>1</1c></b></a>`,
    "unterminated": `<a><b><c>1</c>`,
    "']]>' in text": `<a><b><c>x]]>y</c></b></a>`,
    "'<' in a value": `<a><b><c x="<">1</c></b></a>`,
    "undeclared entity": `<a><b><c>&nope;</c></b></a>`,
    "double colon": `<n:a ${NS}><n:b><n:c:d>1</n:c:d></n:b></n:a>`,
    "undeclared prefix": `<n:a ${NS}><n:b><m:c>1</m:c></n:b></n:a>`,
  };
  for (const [name, xml] of Object.entries(MALFORMED)) {
    it(`${name}: refused with the same error as the full parser`, () => {
      let whole: unknown = null;
      try {
        parseXml(xml, { collapse: false });
      } catch (e) {
        whole = e;
      }
      expect(whole).not.toBeNull();
      expect(() => parseXml(xml)).toThrow((whole as Error).message);
    });
  }

  it("random forms: a scan stopped anywhere leaves the same tree as parsing it whole", () => {
    // deterministic (LCG), so a failure names its case
    let seed = 12345;
    const rnd = (k: number): number => ((seed = (seed * 48271) % 2147483647) % k);
    const breakers = [`<n:Z/>`, `<!-- c -->`, `<n:Z Id="i${"$"}">1</n:Z>`, `<n:Z>a &amp; b</n:Z>`, `<?p?>`, `<n:Z xmlns:m="urn:m">1</n:Z>`, `<ds:Signature ${DS}><ds:SignedInfo/></ds:Signature>`];
    let ids = 0;
    const tree = (depth: number): string => {
      let out = "";
      const k = 1 + rnd(4);
      for (let i = 0; i < k; i++) {
        const r = rnd(10);
        if (r < 2 && depth < 5) out += `<n:E a="${i}">${tree(depth + 1)}</n:E>`;
        else if (r < 4 && depth < 5) out += `<n:E>${rnd(2) ? "t" : ""}${tree(depth + 1)}</n:E>`;
        else if (r < 5) out += breakers[rnd(breakers.length)]!.replace("$", String(ids++));
        else out += rows(1 + rnd(2));
      }
      return out;
    };
    let prescanned = 0;
    for (let c = 0; c < 300; c++) {
      const xml = `<n:Ф ${NS}>${tree(0)}</n:Ф>`;
      const whole = parseXml(xml, { collapse: false });
      const lazy = parseXml(xml);
      for (const m of METHODS.slice(0, 4)) expect(canonicalBinary(lazy, m), `${c}: ${xml}`).toBe(canonicalBinary(whole, m));
      expect([lazy.elementCount, lazy.nodeCount], xml).toEqual([whole.elementCount, whole.nodeCount]);
      expect(dump(lazy.root), xml).toEqual(dump(whole.root));
      if (collapsedCount(parseXml(xml)) > 1) prescanned++;
    }
    // (the generator does make forms whose scans stop after closing subtrees)
    expect(prescanned).toBeGreaterThan(50);
  });

  it("caps hold in subtrees a stopped scan has read: nodes and depth are refused as before", () => {
    // the root's scan stops at the comment after reading the 50 subtrees; the parser meets them one by one
    const doc = `<a><b>${"<c><d>x</d></c>".repeat(50)}<!--x--></b></a>`;
    for (const maxNodes of [150, 151, 152, 153]) {
      let whole: unknown = null;
      try {
        parseXml(doc, { maxNodes, collapse: false });
      } catch (e) {
        whole = e;
      }
      if (whole === null) expect(parseXml(doc, { maxNodes }).nodeCount).toBe(parseXml(doc, { collapse: false }).nodeCount);
      else expect(() => parseXml(doc, { maxNodes }), String(maxNodes)).toThrow((whole as Error).message);
    }
    const deep = `<a><b>${"<c>".repeat(18)}x${"</c>".repeat(18)}<!--x--></b></a>`;
    expect(() => parseXml(deep, { maxDepth: 19 })).toThrow(/deeper than 19/);
    expect(parseXml(deep, { maxDepth: 20 }).elementCount).toBe(20);
  });

  it("caps hold in collapsible content: nodes, depth and attributes are refused as before", () => {
    const doc = `<a><b>${"<c>x</c>".repeat(50)}</b></a>`;
    expect(() => parseXml(doc, { maxNodes: 101, collapse: false })).toThrow(/more than the limit of 101/);
    expect(() => parseXml(doc, { maxNodes: 101 })).toThrow(/more than the limit of 101/);
    expect(parseXml(doc, { maxNodes: 102 }).nodeCount).toBe(102);
    const deep = `<a>${"<b>".repeat(20)}x${"</b>".repeat(20)}</a>`;
    expect(() => parseXml(deep, { maxDepth: 20 })).toThrow(/deeper than 20/);
    expect(parseXml(deep, { maxDepth: 21 }).elementCount).toBe(21);
    const attrs = Array.from({ length: 9 }, (_, i) => ` a${i}="1"`).join("");
    expect(() => parseXml(`<a><b><c${attrs}>1</c></b></a>`, { maxAttributes: 8 })).toThrow(/more than 8 attributes/);
  });

  it("what one document's stopped scan recorded is never taken for another's (the scan's arrays are shared by every parse)", () => {
    // the roots' start tags have the same length, so both documents' q:b starts at the same offset;
    // the first root's scan stops at the comment having recorded q:b, the second root is not scanned
    // (the space in its start tag is not canonical) and its q:b is
    const first = `<q:a xmlns:q="urn:xy"><q:b><q:c>1</q:c></q:b><!--x--></q:a>`;
    const second = `<q:a xmlns:q="urn:x" ><q:b><q:c>1</q:c><q:c>2</q:c></q:b></q:a>`;
    const a = parseXml(first);
    expect((a.root.kids[0] as XmlElement).collapsed).not.toBeNull();
    const b = parseXml(second);
    expect((b.root.kids[0] as XmlElement).start).toBe((a.root.kids[0] as XmlElement).start);
    expect(dump(b.root)).toEqual(dump(parseXml(second, { collapse: false }).root));
    // built after the other document's parse: still its own content
    expect(dump(a.root)).toEqual(dump(parseXml(first, { collapse: false }).root));
    // a document larger than the arrays keep between parses, then a small one
    const big = `<n:Ф ${NS}>${"<n:A><n:B>1</n:B></n:A>".repeat(20_000)}<!--x-->${rows(2)}</n:Ф>`;
    expect(parseXml(big, { maxNodes: 100_000 }).nodeCount).toBe(parseXml(big, { maxNodes: 100_000, collapse: false }).nodeCount);
    expect(dump(parseXml(CASES.rows!).root)).toEqual(dump(parseXml(CASES.rows!, { collapse: false }).root));
  });

  it("text, names and end tags read four octets at a time: whatever octet of a word holds the stop, the same tree or error", () => {
    /** the whole parse's error message, or null */
    const refusal = (xml: string, collapse: boolean): string | null => {
      try {
        parseXml(xml, { collapse });
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    };
    const same = (xml: string): void => {
      const err = refusal(xml, false);
      expect(refusal(xml, true), xml).toBe(err);
      if (err !== null) return;
      const whole = parseXml(xml, { collapse: false });
      const lazy = parseXml(xml);
      for (const m of METHODS.slice(0, 4)) expect(canonicalBinary(lazy, m), xml).toBe(canonicalBinary(whole, m));
      expect(dump(lazy.root), xml).toEqual(dump(whole.root));
    };
    // pads of one- and two-octet characters shift the stop through every octet of a word
    const pads: string[] = [];
    for (let a = 0; a < 4; a++) for (let c = 0; c < 3; c++) pads.push("a".repeat(a) + "б".repeat(c));
    // in text: what ends it (markup, a reference, `>`), and what does not (tab, line end, wider characters)
    const inText = ["&amp;", ">", "<n:W>1</n:W>", "<n:W/>", "\t", "\n", "名", "😀", "×", "&#x41;", "]]>"];
    // in names: U+00D7 and U+00F7 (octets C3 97, C3 B7) are not name characters, U+00B7 and U+00C0 are
    const inName = ["×", "÷", "·", "À", "名", "-", ".", "1", "б", ":", "\u2000", "\u203f"];
    let cases = 0;
    for (const p of pads) {
      for (const q of ["", "бб", "aбa"]) {
        for (const x of inText) {
          same(`<n:Ф ${NS}><n:Р>${rows(1)}<n:Z>${p}${x}${q}</n:Z>${rows(1)}</n:Р></n:Ф>`);
          cases++;
        }
        for (const x of inName) {
          const name = `Z${p}${x}${q}`;
          same(`<n:Ф ${NS}><n:Р>${rows(1)}<n:${name}>1</n:${name}>${rows(1)}</n:Р></n:Ф>`);
          same(`<n:Ф ${NS}><n:Р>${rows(1)}<n:Q ${name}="1">1</n:Q>${rows(1)}</n:Р></n:Ф>`);
          cases += 2;
        }
        // an end tag that differs from its start tag in one octet, at every place of the name
        const name = `Z${p}Дял${q}`;
        const octets = Buffer.from(name, "utf8");
        for (let i = 0; i < octets.length; i++) {
          const other = Buffer.from(octets);
          other[i] = other[i]! ^ 1;
          const xml = Buffer.concat([Buffer.from(`<n:Ф ${NS}><n:Р>${rows(1)}<n:${name}>1</n:`), other, Buffer.from(`>${rows(1)}</n:Р></n:Ф>`)]);
          if (!Buffer.from(xml.toString("utf8"), "utf8").equals(xml)) continue; // (not UTF-8 any more)
          same(xml.toString("utf8"));
          cases++;
        }
      }
    }
    // the document ending inside a word: unterminated text, name or end tag
    for (const p of pads) for (const tail of ["", "<", "</", "</n:", "</n:Z", "<n:Z", "<n:Z a=\"1"]) same(`<n:Ф ${NS}><n:Р>${rows(1)}<n:Z>${p}${tail}`);
    expect(cases).toBeGreaterThan(1000);
  });
});
