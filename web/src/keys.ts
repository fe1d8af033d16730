/**
 * A PKCS#12 key in WebCrypto: the PKCS#8 key imported non-extractable, the file's certificate
 * whose public key it is found by a test signature, and the signature values the two-step routes
 * ask for. The key never leaves this module except as a CryptoKey that cannot be exported.
 */
import { children, content, oid, root, whole, BIT_STRING } from "./der.js";
import { Pkcs12Error } from "./pkcs12-errors.js";

const RSA = "1.2.840.113549.1.1.1";
const EC = "1.2.840.10045.2.1";
const CURVES: Record<string, string> = { "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521" };

export interface BrowserKey {
  key: CryptoKey;
  /** the signer's certificate, then the file's other certificates (DER) */
  chain: Uint8Array[];
  algorithm: RsaHashedImportParams | EcKeyImportParams;
  sign: (data: Uint8Array) => Promise<Uint8Array>;
}

const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

function algorithmOf(pkcs8: Uint8Array): RsaHashedImportParams | EcKeyImportParams {
  // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier { algorithm, parameters }, privateKey }
  const [, alg] = children(pkcs8, root(pkcs8));
  const [a, params] = children(pkcs8, alg!);
  const kind = oid(pkcs8, a!);
  if (kind === RSA) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  if (kind === EC && params) {
    const curve = CURVES[oid(pkcs8, params)];
    if (curve) return { name: "ECDSA", namedCurve: curve };
  }
  throw new Pkcs12Error("UNSUPPORTED", `keys of type ${kind} are not supported in the browser`);
}

/** subjectPublicKeyInfo of a certificate (RFC 5280 §4.1: the 7th field of tbsCertificate, or 6th without version). */
export function spkiOf(cert: Uint8Array): Uint8Array {
  const tbs = children(cert, root(cert))[0]!;
  const f = children(cert, tbs);
  const spki = f[0]!.tag === 0xa0 ? f[6] : f[5];
  if (!spki || children(cert, spki)[1]?.tag !== BIT_STRING) throw new Error("not a certificate");
  return whole(cert, spki);
}

/** The subject's commonName (2.5.4.3), for showing and as the applicant's default. */
export function commonNameOf(cert: Uint8Array): string | null {
  try {
    const tbs = children(cert, root(cert))[0]!;
    const f = children(cert, tbs);
    const subject = f[0]!.tag === 0xa0 ? f[5]! : f[4]!;
    for (const rdn of children(cert, subject)) {
      for (const atv of children(cert, rdn)) {
        const [t, v] = children(cert, atv);
        if (oid(cert, t!) === "2.5.4.3") {
          const bytes = content(cert, v!);
          // BMPString is UTF-16BE; the rest read as UTF-8 (PrintableString and UTF8String alike)
          return v!.tag === 0x1e ? new TextDecoder("utf-16be").decode(bytes) : new TextDecoder().decode(bytes);
        }
      }
    }
  } catch {
    /* below */
  }
  return null;
}

const signParams = (a: RsaHashedImportParams | EcKeyImportParams): AlgorithmIdentifier | EcdsaParams =>
  a.name === "ECDSA" ? { name: "ECDSA", hash: (a as EcKeyImportParams).namedCurve === "P-256" ? "SHA-256" : (a as EcKeyImportParams).namedCurve === "P-384" ? "SHA-384" : "SHA-512" } : a.name;

export async function browserKey(pkcs8: Uint8Array, certificates: Uint8Array[]): Promise<BrowserKey> {
  const algorithm = algorithmOf(pkcs8);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", buf(pkcs8), algorithm, false, ["sign"]);
  } catch {
    throw new Pkcs12Error("UNSUPPORTED", "the private key cannot be used by this browser");
  }
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(signParams(algorithm), key, buf(probe));
  let mine: Uint8Array | undefined;
  for (const c of certificates) {
    try {
      const pub = await crypto.subtle.importKey("spki", buf(spkiOf(c)), algorithm, false, ["verify"]);
      if (await crypto.subtle.verify(signParams(algorithm), pub, sig, buf(probe))) {
        mine = c;
        break;
      }
    } catch {
      /* another kind of key: not this one */
    }
  }
  if (!mine) throw new Pkcs12Error("NO_CERTIFICATE", "no certificate in the file matches its private key");
  return {
    key,
    algorithm,
    chain: [mine, ...certificates.filter((c) => c !== mine)],
    sign: async (data) => new Uint8Array(await crypto.subtle.sign(signParams(algorithm), key, buf(data))),
  };
}
