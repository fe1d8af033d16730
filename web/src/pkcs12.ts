/**
 * PKCS#12 (RFC 7292) opened in the browser: the password MAC, the bags (PBES2 with PBKDF2 and
 * AES-CBC through WebCrypto; the legacy pbeWithSHAAnd3-KeyTripleDES-CBC and RC2 schemes in
 * TypeScript, WebCrypto having neither), and out come the PKCS#8 private key and the
 * certificates. Nothing here talks to the network: the key file and its password stay in the tab.
 */
import { children, concat, content, octets, oid, root, smallInt, whole, type Node, Asn1Error, INTEGER, SEQUENCE } from "./der.js";
import { tripleDesCbcDecrypt } from "./des.js";
import { Pkcs12Error } from "./pkcs12-errors.js";
import { rc2CbcDecrypt } from "./rc2.js";
import { syncDigest } from "./sha.js";

const DATA = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
const BAG = "1.2.840.113549.1.12.10.1.";
const X509 = "1.2.840.113549.1.9.22.1";
const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const PBE = "1.2.840.113549.1.12.1.";

/** RFC 7292 Appendix C: the legacy schemes read here (the RC4 ones are refused) */
const LEGACY: Record<string, { cipher: "3des" | "rc2"; keyLen: number; bits?: number }> = {
  [PBE + "3"]: { cipher: "3des", keyLen: 24 },
  [PBE + "4"]: { cipher: "3des", keyLen: 16 },
  [PBE + "5"]: { cipher: "rc2", keyLen: 16, bits: 128 },
  [PBE + "6"]: { cipher: "rc2", keyLen: 5, bits: 40 },
};
const HASHES: Record<string, { name: string; block: number; len: number }> = {
  "1.3.14.3.2.26": { name: "SHA-1", block: 64, len: 20 },
  "2.16.840.1.101.3.4.2.1": { name: "SHA-256", block: 64, len: 32 },
  "2.16.840.1.101.3.4.2.2": { name: "SHA-384", block: 128, len: 48 },
  "2.16.840.1.101.3.4.2.3": { name: "SHA-512", block: 128, len: 64 },
};
const PRF: Record<string, string> = { "1.2.840.113549.2.7": "SHA-1", "1.2.840.113549.2.9": "SHA-256", "1.2.840.113549.2.10": "SHA-384", "1.2.840.113549.2.11": "SHA-512" };
const AES: Record<string, number> = { "2.16.840.1.101.3.4.1.2": 16, "2.16.840.1.101.3.4.1.22": 24, "2.16.840.1.101.3.4.1.42": 32 };
const DES_EDE3_CBC = "1.2.840.113549.3.7";
/** a hostile file could otherwise keep the tab busy for hours */
const MAX_ITERATIONS = 10_000_000;

export interface Pkcs12Contents {
  /** PKCS#8 PrivateKeyInfo DER */
  privateKey: Uint8Array;
  /** every certificate of the file, DER */
  certificates: Uint8Array[];
}

// no annotation: the type is the DOM's in the browser build and node's webcrypto one when tests import this file
const subtle = () => globalThis.crypto.subtle;
const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

/** RFC 7292 Appendix B.1: the password as a BMPString with a two-octet NUL terminator. */
function bmp(password: string): Uint8Array {
  const out = new Uint8Array((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) {
    out[2 * i] = password.charCodeAt(i) >> 8;
    out[2 * i + 1] = password.charCodeAt(i) & 0xff;
  }
  return out;
}

/** RFC 7292 Appendix B.2, with WebCrypto's digests. */
async function kdf(hash: { name: string; block: number; len: number }, pw: Uint8Array, salt: Uint8Array, iterations: number, id: number, n: number): Promise<Uint8Array> {
  const v = hash.block;
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = new Uint8Array(v).fill(id);
  const I = concat([fill(salt), pw.length ? fill(pw) : new Uint8Array(0)]);
  const parts: Uint8Array[] = [];
  const sync = syncDigest(hash.name);
  const digest = async (m: Uint8Array): Promise<Uint8Array> => (sync ? sync(m) : new Uint8Array(await subtle().digest(hash.name, buf(m))));
  for (let got = 0; got < n; got += hash.len) {
    let A = await digest(concat([D, I]));
    if (sync) for (let r = 1; r < iterations; r++) A = sync(A);
    else for (let r = 1; r < iterations; r++) A = await digest(A);
    parts.push(A);
    const B = new Uint8Array(v);
    for (let i = 0; i < v; i++) B[i] = A[i % hash.len]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return concat(parts).subarray(0, n);
}

function iterations(b: Uint8Array, n: Node | undefined): number {
  const i = n ? smallInt(b, n) : 1;
  if (i < 1 || i > MAX_ITERATIONS) throw new Pkcs12Error("BAD_FILE", `iteration count ${i} out of range`);
  return i;
}

/** Decrypts with the scheme of an AlgorithmIdentifier. */
async function decrypt(b: Uint8Array, alg: Node, password: string, data: Uint8Array): Promise<Uint8Array> {
  const [oidNode, params] = children(b, alg);
  const scheme = oid(b, oidNode!);
  const legacy = LEGACY[scheme];
  if (legacy) {
    const [saltNode, iterNode] = children(b, params!);
    const salt = content(b, saltNode!);
    const iter = iterations(b, iterNode);
    const sha1 = HASHES["1.3.14.3.2.26"]!;
    const key = await kdf(sha1, bmp(password), salt, iter, 1, legacy.keyLen);
    const iv = await kdf(sha1, bmp(password), salt, iter, 2, 8);
    return legacy.cipher === "rc2" ? rc2CbcDecrypt(key, legacy.bits!, iv, data) : tripleDesCbcDecrypt(key, iv, data);
  }
  if (scheme !== PBES2) throw new Pkcs12Error("UNSUPPORTED", `encryption ${scheme} is not supported`);
  const [kdfAlg, enc] = children(b, params!);
  const [kdfOid, kdfParams] = children(b, kdfAlg!);
  if (oid(b, kdfOid!) !== PBKDF2) throw new Pkcs12Error("UNSUPPORTED", "PBES2 with a key derivation other than PBKDF2");
  const kp = children(b, kdfParams!);
  const salt = content(b, kp[0]!);
  const iter = iterations(b, kp[1]);
  let prf = "SHA-1";
  let keyLen: number | undefined;
  for (const f of kp.slice(2)) {
    if (f.tag === INTEGER) keyLen = smallInt(b, f);
    else if (f.tag === SEQUENCE) {
      const p = PRF[oid(b, children(b, f)[0]!)];
      if (!p) throw new Pkcs12Error("UNSUPPORTED", "PBKDF2 with an unknown PRF");
      prf = p;
    }
  }
  const [encOid, ivNode] = children(b, enc!);
  const cipher = oid(b, encOid!);
  const iv = content(b, ivNode!);
  // PBKDF2 takes the password as UTF-8 octets (RFC 8018 §6.2; OpenSSL writes it so)
  const base = await subtle().importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const len = keyLen ?? AES[cipher] ?? (cipher === DES_EDE3_CBC ? 24 : 0);
  if (!len) throw new Pkcs12Error("UNSUPPORTED", `PBES2 with the cipher ${cipher}`);
  const key = new Uint8Array(await subtle().deriveBits({ name: "PBKDF2", salt: buf(salt), iterations: iter, hash: prf }, base, len * 8));
  if (cipher === DES_EDE3_CBC) return tripleDesCbcDecrypt(key, iv, data);
  try {
    const k = await subtle().importKey("raw", buf(key), "AES-CBC", false, ["decrypt"]);
    return new Uint8Array(await subtle().decrypt({ name: "AES-CBC", iv: buf(iv) }, k, buf(data)));
  } catch {
    throw new Pkcs12Error("BAD_PASSWORD", "wrong password (decryption failed)");
  }
}

/** RFC 7292 §5 MacData: HMAC keyed by the KDF (ID 3) over the authSafe octets. */
async function checkMac(b: Uint8Array, macData: Node, safe: Uint8Array, password: string): Promise<void> {
  const [digestInfo, saltNode, iterNode] = children(b, macData);
  const [alg, digestNode] = children(b, digestInfo!);
  const hash = HASHES[oid(b, children(b, alg!)[0]!)];
  if (!hash) throw new Pkcs12Error("UNSUPPORTED", "the file's integrity MAC uses an unsupported digest");
  const salt = content(b, saltNode!);
  const iter = iterations(b, iterNode);
  const expected = content(b, digestNode!);
  const check = async (pw: Uint8Array): Promise<boolean> => {
    const raw = await kdf(hash, pw, salt, iter, 3, hash.len);
    const key = await subtle().importKey("raw", buf(raw), { name: "HMAC", hash: hash.name }, false, ["verify"]);
    return subtle().verify("HMAC", key, buf(expected), buf(safe));
  };
  // some writers encode an empty password as no octets at all (RFC 7292 B.1 note)
  if ((await check(bmp(password))) || (password === "" && (await check(new Uint8Array(0))))) return;
  throw new Pkcs12Error("BAD_PASSWORD", "wrong password (integrity check failed)");
}

function dataOf(b: Uint8Array, ci: Node): Uint8Array {
  const [t, c] = children(b, ci);
  if (oid(b, t!) !== DATA) throw new Pkcs12Error("UNSUPPORTED", "public-key integrity mode is not supported");
  return octets(b, children(b, c!)[0]!);
}

export async function openPkcs12(file: Uint8Array, password: string): Promise<Pkcs12Contents> {
  try {
    return await open(file, password);
  } catch (e) {
    if (e instanceof Pkcs12Error) throw e;
    throw new Pkcs12Error("BAD_FILE", `not a readable PKCS#12 file: ${(e as Error).message}`);
  }
}

async function open(file: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const [ver, authSafe, macData] = children(file, root(file));
  if (!ver || smallInt(file, ver) !== 3) throw new Asn1Error("PFX version is not 3");
  const safe = dataOf(file, authSafe!);
  if (macData) await checkMac(file, macData, safe, password);
  const keys: Uint8Array[] = [];
  const certs: Uint8Array[] = [];
  const walk = async (sc: Uint8Array, depth: number): Promise<void> => {
    if (depth > 4) throw new Asn1Error("SafeContents nested too deep");
    for (const bag of children(sc, root(sc))) {
      const [idNode, wrap] = children(sc, bag);
      const id = oid(sc, idNode!);
      const value = children(sc, wrap!)[0]!;
      if (id === BAG + "1") keys.push(whole(sc, value).slice());
      else if (id === BAG + "2") {
        const [alg, enc] = children(sc, value);
        keys.push(await decrypt(sc, alg!, password, octets(sc, enc!)));
      } else if (id === BAG + "3") {
        const [type, v] = children(sc, value);
        if (oid(sc, type!) === X509) certs.push(octets(sc, children(sc, v!)[0]!).slice());
      } else if (id === BAG + "6") await walk(whole(sc, value).slice(), depth + 1);
    }
  };
  for (const ci of children(safe, root(safe))) {
    const [t, c] = children(safe, ci);
    const type = oid(safe, t!);
    if (type === DATA) await walk(octets(safe, children(safe, c!)[0]!).slice(), 0);
    else if (type === ENCRYPTED_DATA) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, alg, [0] IMPLICIT octets } }
      const [, eci] = children(safe, children(safe, c!)[0]!);
      const [, alg, enc] = children(safe, eci!);
      if (enc) await walk(await decrypt(safe, alg!, password, octets(safe, enc)), 0);
    }
  }
  if (keys.length === 0) throw new Pkcs12Error("NO_KEY", "the file holds no private key");
  if (certs.length === 0) throw new Pkcs12Error("NO_CERTIFICATE", "the file holds no certificate");
  return { privateKey: keys[0]!, certificates: certs };
}
