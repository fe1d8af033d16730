/**
 * XMLDSig algorithm URIs → what Node's crypto does with them (XMLDSig 1.1 §6, RFC 9231).
 */
import type { SignatureAlgorithm } from "../pki/algorithms.js";

/**
 * DigestMethod URIs → Node digest names (XMLDSig 1.1 §6.2, RFC 9231 §2.1). A null-prototype
 * table: an Algorithm of "constructor" or "__proto__" names no digest (a plain object literal
 * answered Object's members, and createHash was handed a function). Look up with digestName().
 */
export const DIGEST_URIS: Readonly<Record<string, string>> = nullPrototype({
  "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
  "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
  "http://www.w3.org/2007/05/xmldsig-more#sha3-224": "sha3-224",
  "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3-256",
  "http://www.w3.org/2007/05/xmldsig-more#sha3-384": "sha3-384",
  "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3-512",
});

/** A frozen copy of a table with no prototype: only its own keys are found. */
export function nullPrototype<T>(table: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, table));
}

const DIGEST_BY_URI: ReadonlyMap<string, string> = new Map(Object.entries(DIGEST_URIS));

/** The Node digest name of a DigestMethod URI, or undefined (a Map: attribute values are fresh strings, and a Map looks them up for their hash alone). */
export function digestName(uri: string | null | undefined): string | undefined {
  return uri == null ? undefined : DIGEST_BY_URI.get(uri);
}

/** Node digest name → DigestMethod URI (for signing) */
export const DIGEST_URI_OF: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(DIGEST_URIS).map(([u, h]) => [h, u]));

export interface XmlSignatureAlgorithm extends SignatureAlgorithm {
  uri: string;
}

const RSA_PKCS1: Array<[string, string]> = [
  ["http://www.w3.org/2000/09/xmldsig#rsa-sha1", "sha1"],
  ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha224", "sha224"],
  ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "sha256"],
  ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "sha384"],
  ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "sha512"],
];
const ECDSA: Array<[string, string]> = [
  ["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", "sha1"],
  ["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224", "sha224"],
  ["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "sha256"],
  ["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "sha384"],
  ["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "sha512"],
  ["http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-224", "sha3-224"],
  ["http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256", "sha3-256"],
  ["http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384", "sha3-384"],
  ["http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512", "sha3-512"],
];
/** RFC 6931 §2.3.10: RSASSA-PSS with MGF1 of the same hash and a salt as long as the hash */
const PSS_MGF1: Array<[string, string, number]> = [
  ["http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1", "sha1", 20],
  ["http://www.w3.org/2007/05/xmldsig-more#sha224-rsa-MGF1", "sha224", 28],
  ["http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", "sha256", 32],
  ["http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", "sha384", 48],
  ["http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", "sha512", 64],
  ["http://www.w3.org/2007/05/xmldsig-more#sha3-224-rsa-MGF1", "sha3-224", 28],
  ["http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1", "sha3-256", 32],
  ["http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1", "sha3-384", 48],
  ["http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1", "sha3-512", 64],
];

/** RFC 9231 §2.3.10: RSASSA-PSS whose parameters are given in a pss:RSAPSSParams child */
export const RSA_PSS_PARAMS_URI = "http://www.w3.org/2007/05/xmldsig-more#rsa-pss";
export const PSS_NS = "http://www.w3.org/2007/05/xmldsig-more#";

export const SIGNATURE_URIS: ReadonlyMap<string, XmlSignatureAlgorithm> = new Map<string, XmlSignatureAlgorithm>([
  ...RSA_PKCS1.map(([uri, hash]): [string, XmlSignatureAlgorithm] => [uri, { uri, scheme: "rsa-pkcs1", hash, name: `RSA-${hash}` }]),
  ...ECDSA.map(([uri, hash]): [string, XmlSignatureAlgorithm] => [uri, { uri, scheme: "ecdsa", hash, name: `ECDSA-${hash}` }]),
  ...PSS_MGF1.map(([uri, hash, saltLength]): [string, XmlSignatureAlgorithm] => [
    uri,
    { uri, scheme: "rsa-pss", hash, saltLength, name: `RSASSA-PSS-${hash}` },
  ]),
]);

/** Signature algorithm URI for signing (fixtures, receipts) */
export function signatureUriFor(scheme: "rsa-pkcs1" | "ecdsa" | "rsa-pss", hash: string): string {
  for (const a of SIGNATURE_URIS.values()) if (a.scheme === scheme && a.hash === hash) return a.uri;
  throw new Error(`no XMLDSig URI for ${scheme} with ${hash}`);
}

/** XMLDSig 1.1 §6.4.3: an ECDSA SignatureValue is r || s, each as long as the group order; Node wants DER. */
export { ecdsaDerToRaw, ecdsaRawToDer } from "../pki/ecdsa.js";
