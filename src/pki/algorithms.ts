/**
 * Signature algorithms: AlgorithmIdentifier → how Node's crypto verifies it.
 *
 * Node's `crypto.verify` is native (OpenSSL) and some three times faster than awaiting
 * WebCrypto one call at a time; public keys are imported once per certificate and kept.
 */
import { createPublicKey, constants, verify as nodeVerify, type KeyObject } from "node:crypto";
import { Asn1Error, type Node, Tag, bytesOf, children, readOid, readRoot, readSmallInt, seq } from "../asn1/der.js";

export interface AlgorithmIdentifier {
  oid: string;
  /** DER of the parameters, or null when absent */
  params: Uint8Array | null;
}

export function parseAlgorithmIdentifier(buf: Uint8Array, node: Node): AlgorithmIdentifier {
  const [o, p, extra] = seq(buf, node, "AlgorithmIdentifier");
  if (!o || extra) throw new Asn1Error("AlgorithmIdentifier must hold an OID and at most one parameter");
  return { oid: readOid(buf, o), params: p ? bytesOf(buf, p) : null };
}

export type SignatureScheme = "rsa-pkcs1" | "rsa-pss" | "ecdsa" | "dsa" | "eddsa";

export interface SignatureAlgorithm {
  scheme: SignatureScheme;
  /** Node digest name, or null for EdDSA */
  hash: string | null;
  saltLength?: number;
  name: string;
}

export const HASH_OIDS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.7": "sha3-224",
  "2.16.840.1.101.3.4.2.8": "sha3-256",
  "2.16.840.1.101.3.4.2.9": "sha3-384",
  "2.16.840.1.101.3.4.2.10": "sha3-512",
  "1.2.840.113549.2.5": "md5",
};

const FIXED: Record<string, SignatureAlgorithm> = {
  "1.2.840.113549.1.1.4": { scheme: "rsa-pkcs1", hash: "md5", name: "md5WithRSAEncryption" },
  "1.2.840.113549.1.1.5": { scheme: "rsa-pkcs1", hash: "sha1", name: "sha1WithRSAEncryption" },
  "1.2.840.113549.1.1.14": { scheme: "rsa-pkcs1", hash: "sha224", name: "sha224WithRSAEncryption" },
  "1.2.840.113549.1.1.11": { scheme: "rsa-pkcs1", hash: "sha256", name: "sha256WithRSAEncryption" },
  "1.2.840.113549.1.1.12": { scheme: "rsa-pkcs1", hash: "sha384", name: "sha384WithRSAEncryption" },
  "1.2.840.113549.1.1.13": { scheme: "rsa-pkcs1", hash: "sha512", name: "sha512WithRSAEncryption" },
  "2.16.840.1.101.3.4.3.13": { scheme: "rsa-pkcs1", hash: "sha3-224", name: "id-rsassa-pkcs1-v1_5-with-sha3-224" },
  "2.16.840.1.101.3.4.3.14": { scheme: "rsa-pkcs1", hash: "sha3-256", name: "id-rsassa-pkcs1-v1_5-with-sha3-256" },
  "2.16.840.1.101.3.4.3.15": { scheme: "rsa-pkcs1", hash: "sha3-384", name: "id-rsassa-pkcs1-v1_5-with-sha3-384" },
  "2.16.840.1.101.3.4.3.16": { scheme: "rsa-pkcs1", hash: "sha3-512", name: "id-rsassa-pkcs1-v1_5-with-sha3-512" },
  "1.2.840.10045.4.1": { scheme: "ecdsa", hash: "sha1", name: "ecdsa-with-SHA1" },
  "1.2.840.10045.4.3.1": { scheme: "ecdsa", hash: "sha224", name: "ecdsa-with-SHA224" },
  "1.2.840.10045.4.3.2": { scheme: "ecdsa", hash: "sha256", name: "ecdsa-with-SHA256" },
  "1.2.840.10045.4.3.3": { scheme: "ecdsa", hash: "sha384", name: "ecdsa-with-SHA384" },
  "1.2.840.10045.4.3.4": { scheme: "ecdsa", hash: "sha512", name: "ecdsa-with-SHA512" },
  "2.16.840.1.101.3.4.3.10": { scheme: "ecdsa", hash: "sha3-256", name: "id-ecdsa-with-sha3-256" },
  "2.16.840.1.101.3.4.3.11": { scheme: "ecdsa", hash: "sha3-384", name: "id-ecdsa-with-sha3-384" },
  "2.16.840.1.101.3.4.3.12": { scheme: "ecdsa", hash: "sha3-512", name: "id-ecdsa-with-sha3-512" },
  "1.2.840.10040.4.3": { scheme: "dsa", hash: "sha1", name: "id-dsa-with-sha1" },
  "2.16.840.1.101.3.4.3.2": { scheme: "dsa", hash: "sha256", name: "id-dsa-with-sha256" },
  "1.3.101.112": { scheme: "eddsa", hash: null, name: "Ed25519" },
  "1.3.101.113": { scheme: "eddsa", hash: null, name: "Ed448" },
};

export const RSASSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";

// (defined in the layer's errors module; re-exported for the modules that import it from here)
import { UnsupportedAlgorithmError } from "./errors.js";
export { UnsupportedAlgorithmError };

/** RFC 4055 §3.1 RSASSA-PSS-params; absent fields take SHA-1 / MGF1-SHA-1 / 20 defaults. */
function pssParams(params: Uint8Array | null): SignatureAlgorithm {
  let hash = "sha1";
  let mgfHash = "sha1";
  let saltLength = 20;
  if (params && !(params.length === 2 && params[0] === Tag.NULL)) {
    const seqNode = readRoot(params);
    for (const f of children(params, seqNode)) {
      const [inner] = children(params, f);
      if (!inner) throw new Asn1Error("RSASSA-PSS-params: empty field");
      if (f.tag === 0xa0) hash = hashName(parseAlgorithmIdentifier(params, inner).oid);
      else if (f.tag === 0xa1) {
        const mgf = parseAlgorithmIdentifier(params, inner);
        if (mgf.oid !== MGF1 || !mgf.params) throw new UnsupportedAlgorithmError(`unsupported mask generation function ${mgf.oid}`);
        mgfHash = hashName(parseAlgorithmIdentifier(mgf.params, readRoot(mgf.params)).oid);
      } else if (f.tag === 0xa2) saltLength = readSmallInt(params, inner);
      else if (f.tag === 0xa3) {
        if (readSmallInt(params, inner) !== 1) throw new UnsupportedAlgorithmError("RSASSA-PSS trailerField other than 1");
      }
    }
  }
  // OpenSSL (and so Node) uses the same hash for MGF1 as for the message; a mismatch is rare and refused.
  if (mgfHash !== hash) throw new UnsupportedAlgorithmError(`RSASSA-PSS with MGF1-${mgfHash} and ${hash} differing`);
  return { scheme: "rsa-pss", hash, saltLength, name: `RSASSA-PSS-${hash}` };
}

export function hashName(oid: string): string {
  const h = HASH_OIDS[oid];
  if (!h) throw new UnsupportedAlgorithmError(`unknown digest algorithm ${oid}`);
  return h;
}

const pssCache = new Map<string, SignatureAlgorithm>();

export function signatureAlgorithm(alg: AlgorithmIdentifier): SignatureAlgorithm {
  const fixed = FIXED[alg.oid];
  if (fixed) return fixed;
  if (alg.oid === RSASSA_PSS) {
    const key = alg.params ? Buffer.from(alg.params).toString("latin1") : "";
    let hit = pssCache.get(key);
    if (!hit) {
      hit = pssParams(alg.params);
      if (pssCache.size < 256) pssCache.set(key, hit);
    }
    return hit;
  }
  throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${alg.oid}`);
}

export function importPublicKey(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: "der", type: "spki" });
}

/** Verifies `signature` over `data`; false for a wrong signature, throws for unusable keys/algorithms. */
export function verifySignature(alg: SignatureAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  switch (alg.scheme) {
    case "rsa-pkcs1":
      if (key.asymmetricKeyType !== "rsa") return false;
      return nodeVerify(alg.hash, data, key, signature);
    case "rsa-pss":
      if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "rsa-pss") return false;
      return nodeVerify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength }, signature);
    case "ecdsa":
      if (key.asymmetricKeyType !== "ec") return false;
      return nodeVerify(alg.hash, data, { key, dsaEncoding: "der" }, signature);
    case "dsa":
      if (key.asymmetricKeyType !== "dsa") return false;
      return nodeVerify(alg.hash, data, { key, dsaEncoding: "der" }, signature);
    case "eddsa":
      if (key.asymmetricKeyType !== "ed25519" && key.asymmetricKeyType !== "ed448") return false;
      return nodeVerify(null, data, key, signature);
  }
}

/** Key size in bits, for the algorithm policy (RSA modulus, EC field size). */
export function publicKeyBits(key: KeyObject): number {
  const d = key.asymmetricKeyDetails;
  if (!d) return 0;
  if (d.modulusLength) return d.modulusLength;
  switch (d.namedCurve) {
    case "prime256v1":
    case "P-256":
      return 256;
    case "secp384r1":
    case "P-384":
      return 384;
    case "secp521r1":
    case "P-521":
      return 521;
  }
  if (d.divisorLength) return d.divisorLength;
  return 0;
}
