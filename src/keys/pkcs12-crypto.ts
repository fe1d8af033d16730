/**
 * The password-based cryptography of PKCS#12 (RFC 7292): the PKCS#12 key derivation function
 * (Appendix B) for the MAC and the legacy PBE schemes, and PBES2 (RFC 8018 §6.2) for modern files.
 */
import { createDecipheriv, createHash, pbkdf2Sync } from "node:crypto";
import { type Node, Tag, children, contentOf, readOid, readSmallInt } from "../asn1/der.js";
import { KeyError } from "./provider.js";
import { rc2CbcDecrypt } from "./rc2.js";

export const PKCS12_KDF_KEY = 1;
export const PKCS12_KDF_IV = 2;
export const PKCS12_KDF_MAC = 3;

const BLOCK: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

/** RFC 7292 Appendix B.1: the password as a BMPString with a two-octet NUL terminator. */
export function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), 2 * i);
  return out;
}

/** RFC 7292 Appendix B.2. */
export function pkcs12Kdf(hash: string, password: Buffer, salt: Uint8Array, iterations: number, id: number, n: number): Buffer {
  const v = BLOCK[hash];
  if (!v) throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", `PKCS#12 KDF with ${hash} is not supported`);
  const u = createHash(hash).digest().length;
  const D = Buffer.alloc(v, id);
  const fill = (src: Uint8Array): Buffer => {
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), password.length ? fill(password) : Buffer.alloc(0)]);
  const parts: Buffer[] = [];
  for (let got = 0; got < n; got += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    parts.push(A);
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u]!;
    // I_j = (I_j + B + 1) mod 2^(8v), big-endian, for every v-octet block of I
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return Buffer.concat(parts).subarray(0, n);
}

const PBE_SHA1 = "1.2.840.113549.1.12.1.";
/** RFC 7292 Appendix C: the PKCS#12 PBE schemes podpis reads (the RC4 ones are refused). */
const LEGACY: Record<string, { cipher: "des-ede3-cbc" | "des-ede-cbc" | "rc2"; keyLen: number; rc2Bits?: number; name: string }> = {
  [PBE_SHA1 + "3"]: { cipher: "des-ede3-cbc", keyLen: 24, name: "pbeWithSHAAnd3-KeyTripleDES-CBC" },
  [PBE_SHA1 + "4"]: { cipher: "des-ede-cbc", keyLen: 16, name: "pbeWithSHAAnd2-KeyTripleDES-CBC" },
  [PBE_SHA1 + "5"]: { cipher: "rc2", keyLen: 16, rc2Bits: 128, name: "pbeWithSHAAnd128BitRC2-CBC" },
  [PBE_SHA1 + "6"]: { cipher: "rc2", keyLen: 5, rc2Bits: 40, name: "pbeWithSHAAnd40BitRC2-CBC" },
};

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const PRF: Record<string, string> = {
  "1.2.840.113549.2.7": "sha1",
  "1.2.840.113549.2.8": "sha224",
  "1.2.840.113549.2.9": "sha256",
  "1.2.840.113549.2.10": "sha384",
  "1.2.840.113549.2.11": "sha512",
};
const CIPHERS: Record<string, { name: string; keyLen: number }> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLen: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLen: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLen: 32 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLen: 24 },
};

/** Iteration counts above this are refused: a hostile file could otherwise hang the signer. */
const MAX_ITERATIONS = 10_000_000;

function iterations(buf: Uint8Array, node: Node): number {
  const n = readSmallInt(buf, node);
  if (n < 1 || n > MAX_ITERATIONS) throw new KeyError("BAD_KEY_FILE", `PKCS#12 iteration count ${n} out of range`);
  return n;
}

class BadDecrypt extends Error {}

/**
 * Decrypts `data` with the scheme of an AlgorithmIdentifier (given as its buffer and node). Throws
 * KeyError BAD_PASSWORD when the padding comes out wrong — almost always a wrong password.
 */
export function pbeDecrypt(buf: Uint8Array, alg: Node, password: string, data: Uint8Array): Buffer {
  const [oidNode, params] = children(buf, alg);
  const oid = readOid(buf, oidNode!);
  try {
    const legacy = LEGACY[oid];
    if (legacy) {
      const [saltNode, iterNode] = children(buf, params!);
      const salt = contentOf(buf, saltNode!);
      const iter = iterations(buf, iterNode!);
      const pw = bmpPassword(password);
      const key = pkcs12Kdf("sha1", pw, salt, iter, PKCS12_KDF_KEY, legacy.keyLen);
      const iv = pkcs12Kdf("sha1", pw, salt, iter, PKCS12_KDF_IV, 8);
      if (legacy.cipher === "rc2") return rc2CbcDecrypt(key, legacy.rc2Bits!, iv, data);
      return decipher(legacy.cipher, key, iv, data);
    }
    if (oid === PBES2) {
      const [kdf, enc] = children(buf, params!);
      const [kdfOid, kdfParams] = children(buf, kdf!);
      if (readOid(buf, kdfOid!) !== PBKDF2) throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", "PBES2 with a key derivation other than PBKDF2");
      const kp = children(buf, kdfParams!);
      const salt = contentOf(buf, kp[0]!);
      const iter = iterations(buf, kp[1]!);
      let prf = "sha1";
      let keyLen: number | undefined;
      for (const f of kp.slice(2)) {
        if (f.tag === Tag.INTEGER) keyLen = readSmallInt(buf, f);
        else if (f.tag === Tag.SEQUENCE) {
          const p = PRF[readOid(buf, children(buf, f)[0]!)];
          if (!p) throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", "PBKDF2 with an unknown PRF");
          prf = p;
        }
      }
      const [encOid, ivNode] = children(buf, enc!);
      const cipher = CIPHERS[readOid(buf, encOid!)];
      if (!cipher) throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", "PBES2 with an unsupported cipher");
      const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iter, keyLen ?? cipher.keyLen, prf);
      return decipher(cipher.name, key, contentOf(buf, ivNode!), data);
    }
  } catch (e) {
    if (e instanceof BadDecrypt) throw new KeyError("BAD_PASSWORD", "wrong password for the PKCS#12 file (decryption failed)");
    if (e instanceof KeyError) throw e;
    if (e instanceof Error && /bad decrypt/i.test(e.message)) throw new KeyError("BAD_PASSWORD", "wrong password for the PKCS#12 file (decryption failed)");
    throw new KeyError("BAD_KEY_FILE", `PKCS#12 encryption parameters unreadable: ${(e as Error).message}`);
  }
  throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", `PKCS#12 encryption ${oid} is not supported`);
}

function decipher(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  try {
    const d = createDecipheriv(name, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new BadDecrypt();
  }
}

