/**
 * A key on a PKCS#11 token (smart card, HSM; SoftHSM2 in tests), through pkcs11js. The private key
 * never leaves the token: only data (or a digest) goes in and a signature comes out.
 *
 * pkcs11js's C_Sign with a callback runs on libuv's thread pool, so a signature does not block the
 * event loop; the rest (login, object search) is synchronous and happens once, at open.
 */
import { createHash } from "node:crypto";
import type * as Pkcs11Types from "pkcs11js";
import { type Certificate, parseCertificate } from "../pki/certificate.js";
import { RSASSA_PSS } from "../pki/algorithms.js";
import { importPublicKey } from "../pki/algorithms.js";
import { orderChain } from "./chain.js";
import { parsePkcs11Uri } from "./pkcs11-uri.js";
import { HASH_LENGTH, KeyError, type KeyProvider, type SignInput, type SigningAlgorithm, type SigningHash, type SigningScheme, ecdsaRawToDer } from "./provider.js";

type Lib = typeof Pkcs11Types;
type Module = Pkcs11Types.PKCS11;

export interface Pkcs11Options {
  /** RFC 7512 URI naming the token and the key */
  uri: string;
  /** the PKCS#11 module (.so); else the URI's module-path */
  modulePath?: string;
  /** the user PIN (from an environment variable — never a command-line argument) */
  pin?: string;
  /** issuer certificates to add to the chain when the token holds only the signer's (DER or parsed) */
  extraCertificates?: Certificate[];
}

/** One loaded, initialised module per path, shared by every provider of the process. */
const modules = new Map<string, { lib: Lib; mod: Module; users: number }>();

async function loadModule(path: string): Promise<{ lib: Lib; mod: Module }> {
  const hit = modules.get(path);
  if (hit) {
    hit.users++;
    return hit;
  }
  let lib: Lib;
  try {
    lib = ((await import("pkcs11js")) as unknown as { default: Lib }).default;
  } catch (e) {
    throw new KeyError("PKCS11_MODULE", `the pkcs11js binding is not available: ${(e as Error).message}`);
  }
  const mod = new lib.PKCS11();
  try {
    mod.load(path);
  } catch (e) {
    throw new KeyError("PKCS11_MODULE", `cannot load PKCS#11 module ${path}: ${oneLine(e)}`);
  }
  try {
    // C_Sign runs on libuv's thread pool, so two sessions may call into the module at once: ask
    // it to use OS locking (PKCS#11 §5.4), without which concurrent calls may crash the process.
    mod.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (!(e instanceof lib.Pkcs11Error && e.code === lib.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
      throw new KeyError("PKCS11_MODULE", `PKCS#11 module ${path} failed to initialise: ${oneLine(e)}`);
    }
  }
  const entry = { lib, mod, users: 1 };
  modules.set(path, entry);
  return entry;
}

function releaseModule(path: string): void {
  const e = modules.get(path);
  if (!e) return;
  if (--e.users > 0) return;
  modules.delete(path);
  try {
    e.mod.C_Finalize();
    e.mod.close();
  } catch {
    // finalising is best effort
  }
}

const oneLine = (e: unknown): string => String((e as Error)?.message ?? e).split("\n")[0]!;
const trim = (s: string): string => s.replace(/[\s\0]+$/, "");

export async function openPkcs11(opts: Pkcs11Options): Promise<Pkcs11KeyProvider> {
  const uri = parsePkcs11Uri(opts.uri);
  if (uri.pinValue !== undefined) throw new KeyError("BAD_PKCS11_URI", "the PKCS#11 URI carries pin-value: give the PIN in an environment variable instead");
  const modulePath = opts.modulePath ?? uri.modulePath;
  if (!modulePath) throw new KeyError("PKCS11_MODULE", "no PKCS#11 module: give --pkcs11-module or set PODPIS_PKCS11_MODULE");
  const { lib, mod } = await loadModule(modulePath);
  let session: Buffer | null = null;
  try {
    // --- the token
    const slots = mod.C_GetSlotList(true);
    const matches = slots.filter((slot) => {
      if (uri.slotId !== undefined && slot.readUIntLE(0, Math.min(slot.length, 6)) !== uri.slotId) return false;
      const t = mod.C_GetTokenInfo(slot);
      if (uri.token !== undefined && trim(t.label) !== uri.token) return false;
      if (uri.manufacturer !== undefined && trim(t.manufacturerID) !== uri.manufacturer) return false;
      if (uri.serial !== undefined && trim(t.serialNumber) !== uri.serial) return false;
      if (uri.model !== undefined && trim(t.model) !== uri.model) return false;
      return true;
    });
    if (matches.length === 0) throw new KeyError("TOKEN_NOT_FOUND", `no token${uri.token ? ` "${uri.token}"` : ""} is present (${slots.length} token(s) seen in ${modulePath})`);
    if (matches.length > 1) throw new KeyError("TOKEN_NOT_FOUND", `${matches.length} tokens match the URI; name one with token= or serial=`);
    const slot = matches[0]!;
    const info = mod.C_GetTokenInfo(slot);
    if (info.flags & lib.CKF_USER_PIN_LOCKED) throw new KeyError("TOKEN_LOCKED", `token "${trim(info.label)}" is locked (too many wrong PINs)`);

    // --- the session
    session = mod.C_OpenSession(slot, lib.CKF_SERIAL_SESSION);
    if (opts.pin === undefined) throw new KeyError("BAD_PIN", "no PIN given for the token (set the PIN environment variable)");
    try {
      mod.C_Login(session, lib.CKU_USER, opts.pin);
    } catch (e) {
      if (e instanceof lib.Pkcs11Error) {
        if (e.code === lib.CKR_USER_ALREADY_LOGGED_IN) {
          // another provider of this process logged the token in already
        } else if (e.code === lib.CKR_PIN_INCORRECT || e.code === lib.CKR_PIN_LEN_RANGE) throw new KeyError("BAD_PIN", `wrong PIN for token "${trim(info.label)}"`);
        else if (e.code === lib.CKR_PIN_LOCKED) throw new KeyError("TOKEN_LOCKED", `token "${trim(info.label)}" is locked (too many wrong PINs)`);
        else if (e.code === lib.CKR_USER_PIN_NOT_INITIALIZED) throw new KeyError("TOKEN_LOCKED", `token "${trim(info.label)}" has no user PIN set`);
        else throw new KeyError("PKCS11_ERROR", `login failed: ${oneLine(e)}`);
      } else throw e;
    }

    // --- the key and its certificate
    const find = (template: Pkcs11Types.Template): Buffer[] => {
      mod.C_FindObjectsInit(session!, template);
      try {
        return mod.C_FindObjects(session!, 64);
      } finally {
        mod.C_FindObjectsFinal(session!);
      }
    };
    const selector: Pkcs11Types.Template = [];
    if (uri.object !== undefined) selector.push({ type: lib.CKA_LABEL, value: uri.object });
    if (uri.id !== undefined) selector.push({ type: lib.CKA_ID, value: uri.id });
    const keys = find([{ type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY }, ...selector]);
    if (keys.length === 0) throw new KeyError("KEY_NOT_FOUND", `no private key${uri.object ? ` "${uri.object}"` : ""} on token "${trim(info.label)}"`);
    if (keys.length > 1) throw new KeyError("KEY_NOT_FOUND", `${keys.length} private keys match on token "${trim(info.label)}"; name one with object= or id=`);
    const key = keys[0]!;
    const [idAttr] = mod.C_GetAttributeValue(session, key, [{ type: lib.CKA_ID }]);
    const keyId = idAttr?.value as Buffer | undefined;
    let certHandles = keyId && keyId.length ? find([{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }, { type: lib.CKA_ID, value: keyId }]) : [];
    if (certHandles.length === 0 && uri.object !== undefined) certHandles = find([{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }, { type: lib.CKA_LABEL, value: uri.object }]);
    if (certHandles.length === 0) throw new KeyError("NO_CERTIFICATE", `the key on token "${trim(info.label)}" has no certificate beside it (same CKA_ID)`);
    const certValue = (h: Buffer): Certificate => parseCertificate(mod.C_GetAttributeValue(session!, h, [{ type: lib.CKA_VALUE }])[0]!.value as Buffer);
    const certificate = certValue(certHandles[0]!);
    const all = find([{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }]).map(certValue);
    const others = [...all.filter((c) => c.sha256 !== certificate.sha256), ...(opts.extraCertificates ?? [])];
    return new Pkcs11KeyProvider(lib, mod, modulePath, session, key, certificate, orderChain(certificate, others).map((c) => c.der));
  } catch (e) {
    if (session) {
      try {
        mod.C_CloseSession(session);
      } catch {
        // closing after a failure is best effort
      }
    }
    releaseModule(modulePath);
    if (e instanceof KeyError) throw e;
    throw new KeyError("PKCS11_ERROR", `PKCS#11: ${oneLine(e)}`);
  }
}

const DIGEST_INFO_PREFIX: Record<SigningHash, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

export class Pkcs11KeyProvider implements KeyProvider {
  readonly certificate: Uint8Array;
  readonly keyType: "rsa" | "ec";
  readonly keyBits: number;
  readonly schemes: readonly SigningScheme[];
  /** one operation at a time per session (PKCS#11 §5.6: a session has one active signing operation) */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly lib: Lib,
    private readonly mod: Module,
    private readonly modulePath: string,
    private readonly session: Buffer,
    private readonly key: Buffer,
    cert: Certificate,
    readonly chain: readonly Uint8Array[],
  ) {
    this.certificate = cert.der;
    const pub = importPublicKey(cert.spki);
    const t = pub.asymmetricKeyType;
    if (t === "rsa" || t === "rsa-pss") {
      this.keyType = "rsa";
      this.keyBits = pub.asymmetricKeyDetails?.modulusLength ?? 2048;
      this.schemes = cert.publicKeyAlgorithm.oid === RSASSA_PSS ? ["rsa-pss"] : ["rsa-pkcs1", "rsa-pss"];
    } else if (t === "ec") {
      this.keyType = "ec";
      const c = pub.asymmetricKeyDetails?.namedCurve;
      this.keyBits = c === "secp384r1" ? 384 : c === "secp521r1" ? 521 : 256;
      this.schemes = ["ecdsa"];
    } else throw new KeyError("UNSUPPORTED_ALGORITHM", `token keys of type ${t} cannot sign here (RSA and ECDSA only)`);
  }

  sign(input: SignInput, alg: SigningAlgorithm): Promise<Uint8Array> {
    const run = this.queue.then(() => this.signNow(input, alg));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private mechanism(alg: SigningAlgorithm, preHashed: boolean): Pkcs11Types.Mechanism {
    const L = this.lib;
    const h = alg.hash;
    const pssParams = () => ({
      type: L.CK_PARAMS_RSA_PSS,
      hashAlg: { sha256: L.CKM_SHA256, sha384: L.CKM_SHA384, sha512: L.CKM_SHA512 }[h],
      mgf: { sha256: L.CKG_MGF1_SHA256, sha384: L.CKG_MGF1_SHA384, sha512: L.CKG_MGF1_SHA512 }[h],
      saltLen: HASH_LENGTH[h],
    });
    switch (alg.scheme) {
      case "rsa-pkcs1":
        return { mechanism: preHashed ? L.CKM_RSA_PKCS : { sha256: L.CKM_SHA256_RSA_PKCS, sha384: L.CKM_SHA384_RSA_PKCS, sha512: L.CKM_SHA512_RSA_PKCS }[h] };
      case "rsa-pss":
        return { mechanism: preHashed ? L.CKM_RSA_PKCS_PSS : { sha256: L.CKM_SHA256_RSA_PKCS_PSS, sha384: L.CKM_SHA384_RSA_PKCS_PSS, sha512: L.CKM_SHA512_RSA_PKCS_PSS }[h], parameter: pssParams() };
      case "ecdsa":
        // SoftHSM2 (and many cards) have no CKM_ECDSA_SHA256: the digest is always made here
        return { mechanism: L.CKM_ECDSA };
    }
  }

  private async signNow(input: SignInput, alg: SigningAlgorithm): Promise<Uint8Array> {
    if (this.closed) throw new KeyError("PKCS11_ERROR", "key provider is closed");
    if (!this.schemes.includes(alg.scheme)) throw new KeyError("UNSUPPORTED_ALGORITHM", `this ${this.keyType.toUpperCase()} key cannot sign with ${alg.scheme}`);
    let digest: Buffer | null = null;
    if ("digest" in input) {
      if (input.digest.length !== HASH_LENGTH[alg.hash]) throw new KeyError("UNSUPPORTED_ALGORITHM", `a ${alg.hash} digest is ${HASH_LENGTH[alg.hash]} octets`);
      digest = Buffer.from(input.digest);
    } else if (alg.scheme === "ecdsa") digest = createHash(alg.hash).update(input.data).digest();
    let tbs: Buffer;
    if (digest) tbs = alg.scheme === "rsa-pkcs1" ? Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[alg.hash], "hex"), digest]) : digest;
    else tbs = Buffer.from((input as { data: Uint8Array }).data);
    const mech = this.mechanism(alg, digest !== null);
    const out = Buffer.alloc(this.keyType === "rsa" ? Math.ceil(this.keyBits / 8) : 2 * Math.ceil(this.keyBits / 8));
    let sig: Buffer;
    try {
      this.mod.C_SignInit(this.session, mech, this.key);
      sig = await new Promise<Buffer>((resolve, reject) => this.mod.C_Sign(this.session, tbs, out, (err, data) => (err ? reject(err) : resolve(data))));
    } catch (e) {
      throw new KeyError("PKCS11_ERROR", `the token refused to sign: ${oneLine(e)}`);
    }
    if (alg.scheme === "ecdsa" && alg.ecdsaEncoding !== "raw") {
      const der = ecdsaRawToDer(sig);
      if (!der) throw new KeyError("PKCS11_ERROR", `the token returned ${sig.length} octets, which is no ECDSA r||s`);
      return der;
    }
    return sig;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    try {
      this.mod.C_CloseSession(this.session);
    } catch {
      // the token may be gone already
    }
    releaseModule(this.modulePath);
  }
}
