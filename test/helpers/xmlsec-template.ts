/**
 * Signs an XMLDSig template with xmlsec1 (an implementation that shares nothing with podpis):
 * the template carries empty ds:DigestValue and ds:SignatureValue elements, and xmlsec1 digests
 * every reference (ds:Manifest ones too, XPath Filter 2.0 transforms included) and signs. Tests
 * then hand-edit the result where a case needs it (wrapping: moving what was signed).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./xml-tools.js";

export const DS_NS = "http://www.w3.org/2000/09/xmldsig#";
export const XADES_NS = "http://uri.etsi.org/01903/v1.3.2#";
export const DS_DECL = `xmlns:ds="${DS_NS}"`;

export const RSA_KEY = "certs-test/keys/citizen-rsa2048.key.pem";
export const RSA_CERT = "certs-test/citizen-rsa2048.pem";
export const P256_KEY = "certs-test/keys/citizen-p256.key.pem";
export const P256_CERT = "certs-test/citizen-p256.pem";
export const CA_CERT = "certs-test/qualified-ca.pem";

export interface TemplateSignOptions {
  /** PEM key file and the certificates xmlsec1 puts in an empty X509Data (default: the RSA citizen and its CA) */
  key?: string;
  certs?: string[];
  /** `--id-attr` pairs: [attribute, "namespace:Local"] (default Id on ds:Object, ds:Manifest, xades:SignedProperties) */
  idAttrs?: Array<[string, string]>;
  /** files the template names by URI (detached content), as name → bytes */
  files?: Record<string, Uint8Array>;
}

const DEFAULT_IDS: Array<[string, string]> = [
  ["Id", `${DS_NS}:Object`],
  ["Id", `${DS_NS}:Manifest`],
  ["Id", `${DS_NS}:Reference`],
  ["Id", `${XADES_NS}:SignedProperties`],
];

export function xmlsecSign(template: string, opts: TemplateSignOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "podpis-xmlsec-"));
  try {
    const tpl = join(dir, "template.xml");
    // declared UTF-8, so xmlsec1 writes text as it is rather than as character references
    writeFileSync(tpl, template.startsWith("<?xml") ? template : `<?xml version="1.0" encoding="UTF-8"?>\n${template}`);
    const args = ["--sign", "--privkey-pem", [opts.key ?? RSA_KEY, ...(opts.certs ?? [RSA_CERT, CA_CERT])].join(",")];
    for (const [attr, node] of opts.idAttrs ?? DEFAULT_IDS) args.push(`--id-attr:${attr}`, node);
    for (const [name, bytes] of Object.entries(opts.files ?? {})) {
      const f = join(dir, `file-${Object.keys(opts.files!).indexOf(name)}`);
      writeFileSync(f, bytes);
      args.push(`--url-map:${name}`, f);
    }
    args.push("--output", join(dir, "signed.xml"), tpl);
    const r = run("xmlsec1", args);
    if (r.status !== 0) throw new Error(`xmlsec1 --sign failed: ${r.stderr}`);
    return readFileSync(join(dir, "signed.xml"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An empty SHA-256 reference body: DigestMethod and a DigestValue for xmlsec1 to fill. */
export const SHA256_DIGEST = `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>`;

/** SignedInfo's opening: exclusive c14n, RSA-SHA256 (or ECDSA-SHA256). */
export function signedInfoStart(ec = false): string {
  return (
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#${ec ? "ecdsa" : "rsa"}-sha256"/>`
  );
}

/** The certificate's SHA-256 as base64, for a hand-built SigningCertificate(V2). */
export function certDigest(pemFile: string): string {
  const pem = readFileSync(pemFile, "utf8");
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return createHash("sha256").update(der).digest("base64");
}
