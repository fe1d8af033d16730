/**
 * RC2-CBC decryption (RFC 2268) in the browser, for pbeWithSHAAnd40BitRC2-CBC — what many QTSPs'
 * and Windows' PKCS#12 exports still use for the certificate bags — which WebCrypto does not have.
 * The same algorithm as src/keys/rc2.ts, without Node's Buffer.
 */
import { Pkcs12Error } from "./pkcs12-errors.js";

// RFC 2268 §2: PITABLE, a permutation of 0..255 derived from the digits of pi
const PITABLE = hex(
  "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32" +
    "bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626" +
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a" +
    "961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e" +
    "c5f3db47e5a59c770aa62068fe7fc1ad",
);

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** §2 key expansion: key bytes and effective key bits (T1) → 64 16-bit subkeys. */
function expand(key: Uint8Array, bits: number): Uint16Array {
  const T = key.length;
  const L = new Uint8Array(128);
  L.set(key);
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1]! + L[i - T]!) & 0xff]!;
  const T8 = Math.ceil(bits / 8);
  const TM = 0xff >> (8 * T8 - bits);
  L[128 - T8] = PITABLE[L[128 - T8]! & TM]!;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1]! ^ L[i + T8]!]!;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8);
  return K;
}

const S = [1, 2, 3, 5];

/** §4: one block, decrypted in place. */
function decryptBlock(K: Uint16Array, b: Uint8Array, off: number): void {
  const R = [b[off]! | (b[off + 1]! << 8), b[off + 2]! | (b[off + 3]! << 8), b[off + 4]! | (b[off + 5]! << 8), b[off + 6]! | (b[off + 7]! << 8)];
  let j = 63;
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const r = R[i]!;
      const s = S[i]!;
      let v = ((r >>> s) | (r << (16 - s))) & 0xffff;
      const a = R[(i + 3) & 3]!;
      const c = R[(i + 2) & 3]!;
      const d = R[(i + 1) & 3]!;
      v = (v - K[j]! - (a & c) - (~a & d)) & 0xffff;
      R[i] = v;
      j--;
    }
  };
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--) R[i] = (R[i]! - K[R[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (let n = 0; n < 5; n++) rmix();
  rmash();
  for (let n = 0; n < 6; n++) rmix();
  rmash();
  for (let n = 0; n < 5; n++) rmix();
  for (let i = 0; i < 4; i++) {
    b[off + 2 * i] = R[i]! & 0xff;
    b[off + 2 * i + 1] = R[i]! >> 8;
  }
}

export function rc2CbcDecrypt(key: Uint8Array, bits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length % 8) throw new Pkcs12Error("BAD_FILE", "RC2: not a whole number of blocks");
  const K = expand(key, bits);
  const out = data.slice();
  let prev = iv.slice();
  for (let off = 0; off < out.length; off += 8) {
    const c = out.slice(off, off + 8);
    decryptBlock(K, out, off);
    for (let i = 0; i < 8; i++) out[off + i]! ^= prev[i]!;
    prev = c;
  }
  return unpad(out, 8);
}

/** PKCS#5 padding off; wrong padding is almost always a wrong password. */
export function unpad(out: Uint8Array, block: number): Uint8Array {
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > block) throw new Pkcs12Error("BAD_PASSWORD", "wrong password (decryption failed)");
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) throw new Pkcs12Error("BAD_PASSWORD", "wrong password (decryption failed)");
  return out.subarray(0, out.length - pad);
}
