/**
 * A second XMLDSig core validation (W3C XMLDSig 1.1 §3.2), written from the standard for the
 * tests and sharing nothing with src/xades: libxml2 (xmllint) parses, selects with XPath and
 * canonicalizes; node:crypto hashes and verifies. It checks what xmlsec1 cannot (RSA-PSS,
 * RFC 6931 §2.3.10) and gives every XAdES fixture a verdict podpis did not compute.
 *
 * Scope, enough for the fixtures and the signer's output: same-document references by ID
 * (`#id`, an element or ds:Object) and `""` (the whole document), detached files by name, the
 * enveloped-signature transform, the XPath filter `not(ancestor-or-self::ds:Signature)`, and
 * C14N 1.0 / 1.1 / exclusive without comments. Anything else throws, so it cannot pass by
 * ignoring what it does not understand.
 */
import { spawnSync } from "node:child_process";
import { createHash, verify as cryptoVerify, constants, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DS = "http://www.w3.org/2000/09/xmldsig#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";
const C14N: Record<string, "--c14n" | "--c14n11" | "--exc-c14n"> = {
  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": "--c14n",
  "http://www.w3.org/2006/12/xml-c14n11": "--c14n11",
  "http://www.w3.org/2001/10/xml-exc-c14n#": "--exc-c14n",
};
const DIGESTS: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};
const ENVELOPED = DS + "enveloped-signature";
const XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116";
const ALL_SIGNATURES_OUT = "not(ancestor-or-self::ds:Signature)";

export type ReferenceOutcome = "match" | "mismatch" | "unresolved" | "ambiguous";

export interface IndependentSignature {
  id: string;
  references: ReferenceOutcome[];
  /** SignatureValue over the canonical SignedInfo, with the key of the first X509Certificate */
  signatureValid: boolean;
  /** XAdES SigningCertificate(V2): its first CertDigest is that certificate's digest; null without XAdES */
  signingCertificateMatches: boolean | null;
}

const el = (local: string, ns = DS): string => `*[local-name()='${local}' and namespace-uri()='${ns}']`;
const byId = (id: string): string => `//*[@Id='${id}' or @ID='${id}' or @id='${id}']`;

class Doc {
  private readonly dir = mkdtempSync(join(tmpdir(), "podpis-xmldsig-"));
  private readonly file = join(this.dir, "doc.xml");
  constructor(readonly text: string) {
    writeFileSync(this.file, text);
  }
  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
  /** XPath 1.0 over the document (libxml2): the string value, or the serialised node set */
  xpath(expr: string): string {
    const r = spawnSync("xmllint", ["--xpath", expr, this.file], { maxBuffer: 1 << 28 });
    if (r.status === 10) return ""; // an empty node set
    if (r.status !== 0) throw new Error(`xmllint --xpath ${expr}: ${r.stderr}`);
    return r.stdout.toString("utf8").replace(/\n$/, "");
  }
  /** string values, 40 to a run (XPath concat), separated by a character the fixtures never hold (U+241E) */
  strings(exprs: string[]): string[] {
    if (exprs.length > 40) return [...this.strings(exprs.slice(0, 40)), ...this.strings(exprs.slice(40))];
    if (exprs.length === 1) return [this.xpath(`string(${exprs[0]})`)];
    return this.xpath(`concat(${exprs.map((e) => `string(${e})`).join(", '\u241e', ")})`).split("\u241e");
  }
  count(expr: string): number {
    return Number(this.xpath(`count(${expr})`));
  }
}

/** libxml2's canonical form of a standalone document; comments removed first (the "without comments" variants) */
function canonicalize(xml: string, method: string): Buffer {
  const flag = C14N[method];
  if (!flag) throw new Error(`unsupported canonicalization ${method}`);
  const dir = mkdtempSync(join(tmpdir(), "podpis-c14n-"));
  try {
    writeFileSync(join(dir, "in.xml"), withoutComments(xml));
    const r = spawnSync("xmllint", [flag, join(dir, "in.xml")], { maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`xmllint ${flag}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const withoutComments = (xml: string): string => xml.replace(/<!--[\s\S]*?-->/g, "");

/**
 * The element at `path` as a document of its own that canonicalizes as the document subset of
 * the element would (C14N 1.0 §2.4): the namespaces in scope and, for the inclusive methods,
 * the inherited xml:lang / xml:space are written onto it.
 */
function subtree(doc: Doc, path: string, method: string, drop: (xml: string) => string = (x) => x): string {
  const dump = drop(withoutComments(doc.xpath(path)));
  const start = /^<[^\s/>]+(?:\s+[^\s=]+\s*=\s*"[^"]*")*\s*/.exec(dump);
  if (!start) throw new Error(`cannot read the start tag of ${path}`);
  const tag = start[0];
  const decls = doc
    .xpath(`${path}/namespace::*`)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("xmlns:xml="));
  const extra = decls.filter((d) => !tag.includes(` ${d.split("=")[0]}=`));
  if (C14N[method] !== "--exc-c14n") {
    const inherited = doc.strings(["lang", "space"].map((a) => `(${path}/ancestor-or-self::*[@xml:${a}])[last()]/@xml:${a}`));
    ["lang", "space"].forEach((a, k) => {
      if (inherited[k] && !tag.includes(` xml:${a}=`)) extra.push(`xml:${a}="${inherited[k]!.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`);
    });
  }
  return tag.trimEnd() + (extra.length ? " " + extra.join(" ") : "") + dump.slice(tag.trimEnd().length);
}

/**
 * `xml` with elements cut out: those whose start tag is the n-th (1-based, document order) of
 * the tags with local name Signature, for each n in `ordinals`. Ordinals come from XPath (see
 * `ordinal`), so a same-named element in another namespace (a receipt's own <Signature>) is
 * counted but never cut.
 */
function cutSignatures(xml: string, ordinals: number[]): string {
  const open = /<([A-Za-z_][\w.-]*:)?Signature(?=[\s/>])/g;
  let out = "";
  let last = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((m = open.exec(xml))) {
    n++;
    if (!ordinals.includes(n) || m.index < last) continue;
    out += xml.slice(last, m.index);
    last = elementEnd(xml, m.index, m[1] ?? "");
  }
  if (ordinals.some((o) => o > n)) throw new Error(`no Signature tag number ${Math.max(...ordinals)} in the text`);
  return out + xml.slice(last);
}

function elementEnd(xml: string, at: number, prefix: string): number {
  const tag = new RegExp(`<(/?)${prefix.replace(/[.]/g, "\\.")}Signature(?=[\\s/>])[^>]*?(/?)>`, "g");
  tag.lastIndex = at;
  let depth = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(xml))) {
    if (m[1]) depth--;
    else if (!m[2]) depth++;
    if (depth === 0) return m.index + m[0].length;
  }
  throw new Error("unterminated Signature element");
}

const NAMED_SIGNATURE = "*[local-name()='Signature']";

/** How many tags named Signature the text of the document shows before `path`'s start tag. */
function tagsBefore(doc: Doc, path: string): number {
  return Number(doc.strings([`count(${path}/preceding::${NAMED_SIGNATURE}) + count(${path}/ancestor::${NAMED_SIGNATURE})`])[0]);
}

interface Transform {
  alg: string;
  xpath: string;
}

function referenceOctets(doc: Doc, sig: string, uri: string, transforms: Transform[], files: Record<string, Uint8Array>): Buffer | ReferenceOutcome {
  const c14n = transforms.filter((t) => C14N[t.alg]);
  const others = transforms.filter((t) => !C14N[t.alg]);
  const method = c14n.at(-1)?.alg ?? "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"; // XMLDSig §4.4.3.2: node set → octets
  // the ds:Signature elements the transforms leave out, as XPath expressions
  let drop: string[] = [];
  for (const t of others) {
    if (t.alg === ENVELOPED) drop = [sig];
    else if (t.alg === XPATH && t.xpath.trim() === ALL_SIGNATURES_OUT) drop = Array.from({ length: doc.count(`//${el("Signature")}`) }, (_, i) => `(//${el("Signature")})[${i + 1}]`);
    else throw new Error(`unsupported transform ${t.alg} ${t.xpath}`);
  }
  const ordinals = (base: number) => drop.map((d) => tagsBefore(doc, d) + 1 - base);
  if (uri === "") return canonicalize(cutSignatures(withoutComments(doc.text), ordinals(0)), method);
  if (uri.startsWith("#")) {
    const id = uri.slice(1);
    const n = doc.count(byId(id));
    if (n === 0) return "unresolved";
    if (n > 1) return "ambiguous";
    // only signatures inside the referenced element are in its text
    drop = drop.filter((d) => doc.count(`${d}/ancestor::*[@Id='${id}' or @ID='${id}' or @id='${id}']`) > 0);
    const inside = ordinals(tagsBefore(doc, byId(id)));
    return canonicalize(subtree(doc, byId(id), method, (x) => cutSignatures(x, inside)), method);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return "unresolved"; // remote: never fetched
  if (transforms.length) throw new Error(`unsupported transforms on a detached reference ${uri}`);
  const bytes = files[decodeURIComponent(uri)];
  return bytes ? Buffer.from(bytes) : "unresolved";
}

function verifySignatureValue(alg: string, data: Buffer, value: Buffer, cert: X509Certificate): boolean {
  const key = cert.publicKey;
  let m = /^http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#(rsa|ecdsa)-(sha256|sha384|sha512)$/.exec(alg);
  if (m) return m[1] === "rsa" ? cryptoVerify(m[2]!, data, key, value) : cryptoVerify(m[2]!, data, { key, dsaEncoding: "ieee-p1363" }, value);
  if (alg === DS + "rsa-sha1") return cryptoVerify("sha1", data, key, value);
  // RFC 6931 §2.3.10: MGF1 with the same hash, salt as long as the hash, trailer 1
  m = /^http:\/\/www\.w3\.org\/2007\/05\/xmldsig-more#(sha256|sha384|sha512)-rsa-MGF1$/.exec(alg);
  if (m) {
    const saltLength = createHash(m[1]!).digest().length;
    return cryptoVerify(m[1]!, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, value);
  }
  throw new Error(`unsupported SignatureMethod ${alg}`);
}

/** Core validation of every ds:Signature in `xml`; `files` are the detached contents by name. */
export function independentXmldsigCheck(xml: Uint8Array | string, files: Record<string, Uint8Array> = {}): IndependentSignature[] {
  const doc = new Doc(typeof xml === "string" ? xml : Buffer.from(xml).toString("utf8"));
  try {
    const sigs = doc.count(`//${el("Signature")}`);
    const out: IndependentSignature[] = [];
    for (let i = 1; i <= sigs; i++) {
      const S = `(//${el("Signature")})[${i}]`;
      const SI = `${S}/${el("SignedInfo")}`;
      const CD = `(${S}//${el("SigningCertificateV2", XADES)} | ${S}//${el("SigningCertificate", XADES)})[1]/${el("Cert", XADES)}[1]/${el("CertDigest", XADES)}`;
      const [id, c14n, sigAlg, value, certB64, cdAlg, cdValue, nInclusive, nRefsText] = doc.strings([
        `${S}/@Id`,
        `${SI}/${el("CanonicalizationMethod")}/@Algorithm`,
        `${SI}/${el("SignatureMethod")}/@Algorithm`,
        `${S}/${el("SignatureValue")}`,
        `${S}/${el("KeyInfo")}/${el("X509Data")}/${el("X509Certificate")}`,
        `${CD}/${el("DigestMethod")}/@Algorithm`,
        `${CD}/${el("DigestValue")}`,
        `count(${SI}//*[local-name()='InclusiveNamespaces'])`,
        `count(${SI}/${el("Reference")})`,
      ]) as [string, string, string, string, string, string, string, string, string];
      if (nInclusive !== "0") throw new Error("InclusiveNamespaces PrefixList is not supported");
      const R = (j: number) => `${SI}/${el("Reference")}[${j}]`;
      const T = (j: number) => `${R(j)}/${el("Transforms")}/${el("Transform")}`;
      const refs = Array.from({ length: Number(nRefsText) }, (_, i) => i + 1);
      const nT = refs.length ? doc.strings(refs.map((j) => `count(${T(j)})`)).map(Number) : [];
      const fields = refs.flatMap((j) => [
        `${R(j)}/@URI`,
        `${R(j)}/${el("DigestMethod")}/@Algorithm`,
        `${R(j)}/${el("DigestValue")}`,
        ...Array.from({ length: nT[j - 1]! }, (_, k) => [`${T(j)}[${k + 1}]/@Algorithm`, `${T(j)}[${k + 1}]/${el("XPath")}`]).flat(),
      ]);
      const values = refs.length ? doc.strings(fields) : [];
      const references: ReferenceOutcome[] = [];
      for (const j of refs) {
        const [uri, digestAlg, digestValue, ...t] = values.splice(0, 3 + 2 * nT[j - 1]!);
        const transforms = Array.from({ length: nT[j - 1]! }, (_, k) => ({ alg: t[2 * k]!, xpath: t[2 * k + 1]! }));
        const hash = DIGESTS[digestAlg!];
        if (!hash) throw new Error(`unsupported DigestMethod ${digestAlg}`);
        const octets = referenceOctets(doc, S, uri!, transforms, files);
        if (typeof octets === "string") references.push(octets);
        else references.push(createHash(hash).update(octets).digest().equals(Buffer.from(digestValue!, "base64")) ? "match" : "mismatch");
      }
      const cert = new X509Certificate(Buffer.from(certB64.replace(/\s+/g, ""), "base64"));
      const signedInfo = canonicalize(subtree(doc, SI, c14n), c14n);
      const signatureValid = verifySignatureValue(sigAlg, signedInfo, Buffer.from(value.replace(/\s+/g, ""), "base64"), cert);
      // ETSI EN 319 132-1 §5.2.2: the first Cert names the signing certificate by its digest
      const signingCertificateMatches = cdAlg ? createHash(DIGESTS[cdAlg]!).update(cert.raw).digest().equals(Buffer.from(cdValue, "base64")) : null;
      out.push({ id, references, signatureValid, signingCertificateMatches });
    }
    return out;
  } finally {
    doc.close();
  }
}
