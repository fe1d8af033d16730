/**
 * A key held in memory as a Node KeyObject: what a PKCS#12 file (or a PEM key, in tests) becomes.
 */
import { constants, createPrivateKey, createPublicKey, privateEncrypt, sign as nodeSign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Certificate, parseCertificates } from "../pki/certificate.js";
import { RSASSA_PSS } from "../pki/algorithms.js";
import { orderChain } from "./chain.js";
import { HASH_LENGTH, KeyError, type KeyProvider, type SignInput, type SigningAlgorithm, type SigningScheme } from "./provider.js";
import { readPkcs12 } from "./pkcs12.js";

const DIGEST_INFO_PREFIX: Record<string, string> = {
  // RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

export class SoftwareKeyProvider implements KeyProvider {
  readonly certificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly keyType: "rsa" | "ec";
  readonly keyBits: number;
  readonly schemes: readonly SigningScheme[];
  private key: KeyObject | null;

  constructor(key: KeyObject, certificate: Certificate, others: Certificate[] = []) {
    this.key = key;
    this.certificate = certificate.der;
    this.chain = orderChain(certificate, others).map((c) => c.der);
    const t = key.asymmetricKeyType;
    if (t === "rsa" || t === "rsa-pss") {
      this.keyType = "rsa";
      this.keyBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      // RFC 4055 §1.2: a certificate with id-RSASSA-PSS limits the key to PSS
      this.schemes = t === "rsa-pss" || certificate.publicKeyAlgorithm.oid === RSASSA_PSS ? ["rsa-pss"] : ["rsa-pkcs1", "rsa-pss"];
    } else if (t === "ec") {
      this.keyType = "ec";
      const curve = key.asymmetricKeyDetails?.namedCurve;
      this.keyBits = curve === "prime256v1" ? 256 : curve === "secp384r1" ? 384 : curve === "secp521r1" ? 521 : 0;
      this.schemes = ["ecdsa"];
    } else throw new KeyError("UNSUPPORTED_ALGORITHM", `keys of type ${t} cannot sign here (RSA and ECDSA only)`);
  }

  async sign(input: SignInput, alg: SigningAlgorithm): Promise<Uint8Array> {
    return this.signSync(input, alg);
  }

  /** Node's signing is synchronous and fast (~0.3 ms for RSA-2048); the async wrapper is the interface's. */
  signSync(input: SignInput, alg: SigningAlgorithm): Buffer {
    const key = this.key;
    if (!key) throw new KeyError("PKCS11_ERROR", "key provider is closed");
    if (!this.schemes.includes(alg.scheme)) throw new KeyError("UNSUPPORTED_ALGORITHM", `this ${this.keyType.toUpperCase()} key cannot sign with ${alg.scheme}`);
    if ("digest" in input) return this.signDigest(key, input.digest, alg);
    switch (alg.scheme) {
      case "rsa-pkcs1":
        return nodeSign(alg.hash, input.data, { key, padding: constants.RSA_PKCS1_PADDING });
      case "rsa-pss":
        return nodeSign(alg.hash, input.data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[alg.hash] });
      case "ecdsa":
        return nodeSign(alg.hash, input.data, { key, dsaEncoding: alg.ecdsaEncoding === "raw" ? "ieee-p1363" : "der" });
    }
  }

  private signDigest(key: KeyObject, digest: Uint8Array, alg: SigningAlgorithm): Buffer {
    if (digest.length !== HASH_LENGTH[alg.hash]) throw new KeyError("UNSUPPORTED_ALGORITHM", `a ${alg.hash} digest is ${HASH_LENGTH[alg.hash]} octets, got ${digest.length}`);
    if (alg.scheme === "rsa-pkcs1") {
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[alg.hash]!, "hex"), digest]));
    }
    // Node cannot sign a precomputed digest with PSS or ECDSA; callers with a software key pass the data
    throw new KeyError("UNSUPPORTED_ALGORITHM", `a software key signs ${alg.scheme} over the data, not over a digest`);
  }

  async close(): Promise<void> {
    this.key = null;
  }
}

/** A PKCS#12 file with its password. */
export function openPkcs12(file: Uint8Array, password: string): SoftwareKeyProvider {
  const p = readPkcs12(file, password);
  return new SoftwareKeyProvider(p.privateKey, p.certificate, p.others);
}

/** A PEM/DER private key file with a certificate file (PEM may hold the chain, signer first). */
export function openKeyFiles(keyPath: string, certPath: string): SoftwareKeyProvider {
  const key = createPrivateKey(readFileSync(keyPath));
  const certs = parseCertificates(readFileSync(certPath));
  const spki = createPublicKey(key);
  const mine = certs.find((c) => createPublicKey({ key: Buffer.from(c.spki), format: "der", type: "spki" }).equals(spki)) ?? certs[0]!;
  return new SoftwareKeyProvider(key, mine, certs.filter((c) => c !== mine));
}
