/**
 * PKCS#12 (RFC 7292) reader: verifies the password MAC, decrypts the bags (PBES2/AES as OpenSSL 3
 * writes them, and the legacy 3DES/RC2 schemes QTSPs and Windows still use), and returns the
 * private key with its certificate and chain. Own code on the DER reader rather than Node's loader,
 * which (OpenSSL 3 without the legacy provider) cannot open the RC2 files.
 */
import { createHmac, createPrivateKey, createPublicKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { Asn1Error, type Node, Tag, children, contentOf, readOid, readRoot, readSmallInt, bytesOf } from "../asn1/der.js";
import { HASH_OIDS } from "../pki/algorithms.js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { KeyError } from "./provider.js";
import { PKCS12_KDF_MAC, bmpPassword, pbeDecrypt, pkcs12Kdf } from "./pkcs12-crypto.js";

const DATA = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
const BAG = "1.2.840.113549.1.12.10.1.";
const KEY_BAG = BAG + "1";
const SHROUDED_KEY_BAG = BAG + "2";
const CERT_BAG = BAG + "3";
const SAFE_CONTENTS_BAG = BAG + "6";
const X509_CERTIFICATE = "1.2.840.113549.1.9.22.1";

const BER = { ber: true, maxDepth: 32 };

export interface Pkcs12Contents {
  privateKey: KeyObject;
  /** the certificate whose public key is the private key's */
  certificate: Certificate;
  /** every other certificate of the file */
  others: Certificate[];
}

/** OCTET STRING content, concatenating the segments of a BER constructed encoding. */
function octets(buf: Uint8Array, node: Node): Buffer {
  if (node.tag === Tag.OCTET_STRING || node.tag === 0x80) return Buffer.from(contentOf(buf, node));
  if (node.tag === 0x24 || node.tag === 0xa0) return Buffer.concat(children(buf, node, BER).map((c) => octets(buf, c)));
  throw new Asn1Error(`expected OCTET STRING, found tag 0x${node.tag.toString(16)}`);
}

/** ContentInfo of type data → its octets. */
function dataContent(buf: Uint8Array, ci: Node): Buffer {
  const [t, c] = children(buf, ci, BER);
  if (readOid(buf, t!) !== DATA) throw new Asn1Error("authSafe is not of type data (public-key integrity mode is not supported)");
  return octets(buf, children(buf, c!, BER)[0]!);
}

export function readPkcs12(file: Uint8Array, password: string): Pkcs12Contents {
  try {
    return read(file, password);
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw new KeyError("BAD_KEY_FILE", `not a readable PKCS#12 file: ${(e as Error).message}`);
  }
}

function read(file: Uint8Array, password: string): Pkcs12Contents {
  const root = readRoot(file, BER);
  const [ver, authSafe, macData] = children(file, root, BER);
  if (!ver || ver.tag !== Tag.INTEGER || readSmallInt(file, ver) !== 3) throw new Asn1Error("PFX version is not 3");
  const safe = dataContent(file, authSafe!);
  if (macData) verifyMac(file, macData, safe, password);

  const keys: Buffer[] = [];
  const certs: Buffer[] = [];
  const walkBags = (sc: Buffer, depth: number) => {
    if (depth > 4) throw new Asn1Error("SafeContents nested too deep");
    for (const bag of children(sc, readRoot(sc, BER), BER)) {
      const [idNode, valueWrap] = children(sc, bag, BER);
      const id = readOid(sc, idNode!);
      const value = children(sc, valueWrap!, BER)[0]!;
      if (id === KEY_BAG) keys.push(Buffer.from(bytesOf(sc, value)));
      else if (id === SHROUDED_KEY_BAG) {
        const [alg, enc] = children(sc, value, BER);
        keys.push(pbeDecrypt(sc, alg!, password, octets(sc, enc!)));
      } else if (id === CERT_BAG) {
        const [type, v] = children(sc, value, BER);
        if (readOid(sc, type!) === X509_CERTIFICATE) certs.push(octets(sc, children(sc, v!, BER)[0]!));
      } else if (id === SAFE_CONTENTS_BAG) walkBags(Buffer.from(bytesOf(sc, value)), depth + 1);
    }
  };
  for (const ci of children(safe, readRoot(safe, BER), BER)) {
    const [t, c] = children(safe, ci, BER);
    const type = readOid(safe, t!);
    if (type === DATA) walkBags(octets(safe, children(safe, c!, BER)[0]!), 0);
    else if (type === ENCRYPTED_DATA) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, alg, [0] IMPLICIT octets } }
      const [, eci] = children(safe, children(safe, c!, BER)[0]!, BER);
      const [, alg, enc] = children(safe, eci!, BER);
      if (!enc) continue;
      walkBags(pbeDecrypt(safe, alg!, password, octets(safe, enc)), 0);
    }
    // enveloped (public-key privacy mode) content is not supported and skipped
  }

  if (keys.length === 0) throw new KeyError("NO_PRIVATE_KEY", "the PKCS#12 file holds no private key (only certificates?)");
  const parsed = certs.map((c) => parseCertificate(c));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: keys[0]!, format: "der", type: "pkcs8" });
  } catch (e) {
    throw new KeyError("BAD_KEY_FILE", `the private key in the PKCS#12 file is unreadable: ${(e as Error).message}`);
  }
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const mine = parsed.find((c) => samePublicKey(c, spki));
  if (!mine) {
    if (parsed.length === 0) throw new KeyError("NO_CERTIFICATE", "the PKCS#12 file holds a private key but no certificate");
    throw new KeyError("KEY_CERTIFICATE_MISMATCH", "no certificate in the PKCS#12 file matches its private key");
  }
  return { privateKey, certificate: mine, others: parsed.filter((c) => c !== mine) };
}

function samePublicKey(cert: Certificate, spki: Buffer): boolean {
  // RSA-PSS certificates carry id-RSASSA-PSS in the SPKI while the key exports rsaEncryption: compare the key itself
  try {
    const a = createPublicKey({ key: Buffer.from(cert.spki), format: "der", type: "spki" });
    const b = createPublicKey({ key: spki, format: "der", type: "spki" });
    return a.equals(b) || JSON.stringify(a.export({ format: "jwk" })) === JSON.stringify({ ...b.export({ format: "jwk" }) });
  } catch {
    return false;
  }
}

/** RFC 7292 §5 MacData: HMAC with a key from the PKCS#12 KDF (ID 3) over the authSafe octets. */
function verifyMac(buf: Uint8Array, macData: Node, content: Buffer, password: string): void {
  const [digestInfo, saltNode, iterNode] = children(buf, macData, BER);
  const [alg, digestNode] = children(buf, digestInfo!, BER);
  const hashOid = readOid(buf, children(buf, alg!, BER)[0]!);
  const hash = HASH_OIDS[hashOid];
  if (!hash || hash === "md5" || hash.startsWith("sha3")) throw new KeyError("UNSUPPORTED_KEY_ENCRYPTION", `PKCS#12 MAC with digest ${hashOid} is not supported`);
  const salt = contentOf(buf, saltNode!);
  const iter = iterNode ? readSmallInt(buf, iterNode) : 1;
  if (iter < 1 || iter > 10_000_000) throw new KeyError("BAD_KEY_FILE", `PKCS#12 MAC iteration count ${iter} out of range`);
  const expected = contentOf(buf, digestNode!);
  const check = (pw: Buffer) => {
    const key = pkcs12Kdf(hash, pw, salt, iter, PKCS12_KDF_MAC, createHmac(hash, "").digest().length);
    const mac = createHmac(hash, key).update(content).digest();
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  };
  // Some writers encode an empty password as no octets at all rather than a lone NUL (RFC 7292 B.1 note)
  if (check(bmpPassword(password)) || (password === "" && check(Buffer.alloc(0)))) return;
  throw new KeyError("BAD_PASSWORD", "wrong password for the PKCS#12 file (integrity check failed)");
}

