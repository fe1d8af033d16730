/**
 * Test PKI library for podpis: generate keys, issue X.509 certificates and CRLs,
 * export PKCS#12 files. TEST KEYS ONLY — nothing made here may ever be trusted.
 *
 * Certificates and CRLs are built with pkijs (structure, names, times, TBS encoding)
 * and signed with Node's WebCrypto. Extension values are encoded with asn1js.
 * See README.md in this directory for the bundled PKI that generate.ts writes.
 */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, webcrypto, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

type WebCryptoKey = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;

pkijs.setEngine(
  "node",
  new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as pkijs.CryptoEngineParameters["crypto"] }),
);

// ---------------------------------------------------------------------------
// OIDs
// ---------------------------------------------------------------------------

export const OID = {
  // attribute types
  commonName: "2.5.4.3",
  surname: "2.5.4.4",
  serialNumber: "2.5.4.5",
  countryName: "2.5.4.6",
  localityName: "2.5.4.7",
  stateOrProvinceName: "2.5.4.8",
  organizationName: "2.5.4.10",
  organizationalUnitName: "2.5.4.11",
  title: "2.5.4.12",
  givenName: "2.5.4.42",
  organizationIdentifier: "2.5.4.97",
  emailAddress: "1.2.840.113549.1.9.1",
  // extensions
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  crlNumber: "2.5.29.20",
  crlReason: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  anyPolicy: "2.5.29.32.0",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  qcStatements: "1.3.6.1.5.5.7.1.3",
  // access methods, policy qualifiers
  adOcsp: "1.3.6.1.5.5.7.48.1",
  adCaIssuers: "1.3.6.1.5.5.7.48.2",
  qtCps: "1.3.6.1.5.5.7.2.1",
  // extended key usages
  ekuServerAuth: "1.3.6.1.5.5.7.3.1",
  ekuClientAuth: "1.3.6.1.5.5.7.3.2",
  ekuCodeSigning: "1.3.6.1.5.5.7.3.3",
  ekuEmailProtection: "1.3.6.1.5.5.7.3.4",
  ekuTimeStamping: "1.3.6.1.5.5.7.3.8",
  ekuOcspSigning: "1.3.6.1.5.5.7.3.9",
  // ETSI EN 319 412-5 QC statements
  qcsQcCompliance: "0.4.0.1862.1.1",
  qcsQcRetentionPeriod: "0.4.0.1862.1.3",
  qcsQcSSCD: "0.4.0.1862.1.4",
  qcsQcPDS: "0.4.0.1862.1.5",
  qcsQcType: "0.4.0.1862.1.6",
  qcTypeEsign: "0.4.0.1862.1.6.1",
  qcTypeEseal: "0.4.0.1862.1.6.2",
  qcTypeWeb: "0.4.0.1862.1.6.3",
  // RFC 3739 / EN 319 412-1 semantics identifiers
  qcsPkixQCSyntaxV2: "1.3.6.1.5.5.7.11.2",
  semanticsIdNatural: "0.4.0.194121.1.1",
  semanticsIdLegal: "0.4.0.194121.1.2",
  // ETSI EN 319 411-2 certificate policies
  qcpNatural: "0.4.0.194112.1.0",
  qcpLegal: "0.4.0.194112.1.1",
  qcpNaturalQscd: "0.4.0.194112.1.2",
  qcpLegalQscd: "0.4.0.194112.1.3",
  qcpWeb: "0.4.0.194112.1.4",
  // algorithms
  rsaEncryption: "1.2.840.113549.1.1.1",
  mgf1: "1.2.840.113549.1.1.8",
  rsassaPss: "1.2.840.113549.1.1.10",
  sha1WithRSA: "1.2.840.113549.1.1.5",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  sha384WithRSA: "1.2.840.113549.1.1.12",
  sha512WithRSA: "1.2.840.113549.1.1.13",
  ecdsaWithSHA1: "1.2.840.10045.4.1",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
} as const;

/** Short names accepted in subject specs (besides dotted OIDs). */
export const ATTRIBUTE_NAMES: Record<string, string> = {
  CN: OID.commonName,
  SN: OID.surname,
  surname: OID.surname,
  serialNumber: OID.serialNumber,
  C: OID.countryName,
  L: OID.localityName,
  ST: OID.stateOrProvinceName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  title: OID.title,
  GN: OID.givenName,
  givenName: OID.givenName,
  organizationIdentifier: OID.organizationIdentifier,
  emailAddress: OID.emailAddress,
};

const SHORT_NAME_BY_OID: Record<string, string> = {
  [OID.commonName]: "CN",
  [OID.surname]: "SN",
  [OID.serialNumber]: "serialNumber",
  [OID.countryName]: "C",
  [OID.localityName]: "L",
  [OID.stateOrProvinceName]: "ST",
  [OID.organizationName]: "O",
  [OID.organizationalUnitName]: "OU",
  [OID.title]: "title",
  [OID.givenName]: "GN",
  [OID.organizationIdentifier]: "organizationIdentifier",
  [OID.emailAddress]: "emailAddress",
};

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

export type KeySpec = "rsa2048" | "rsa3072" | "rsa4096" | "rsa-pss2048" | "p256" | "p384";
export type HashName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
/** How a key signs: RSA PKCS#1 v1.5, RSASSA-PSS, or ECDSA. */
export type SignatureScheme = "pkcs1" | "pss" | "ecdsa";

export interface TestKey {
  spec: KeySpec;
  /** WebCrypto private key as generated (RSA keys are bound to SHA-256 here; see signingKey). */
  privateKey: WebCryptoKey;
  publicKey: WebCryptoKey;
  /** Node KeyObjects for the same key pair, for crypto.sign / crypto.verify. */
  privateKeyObject: KeyObject;
  publicKeyObject: KeyObject;
  /** PKCS#8 PrivateKeyInfo, DER (unencrypted). RSA-PSS keys use rsaEncryption here. */
  pkcs8Der: Buffer;
  /** SubjectPublicKeyInfo, DER. RSA-PSS keys use rsaEncryption (WebCrypto's export form). */
  spkiDer: Buffer;
}

const RSA_BITS: Partial<Record<KeySpec, number>> = { rsa2048: 2048, rsa3072: 3072, rsa4096: 4096, "rsa-pss2048": 2048 };
const EC_CURVE: Partial<Record<KeySpec, "P-256" | "P-384">> = { p256: "P-256", p384: "P-384" };

export function isRsaSpec(spec: KeySpec): boolean {
  return RSA_BITS[spec] !== undefined;
}

/** The signature scheme a key of this spec uses by default. */
export function defaultScheme(spec: KeySpec): SignatureScheme {
  if (spec === "rsa-pss2048") return "pss";
  return isRsaSpec(spec) ? "pkcs1" : "ecdsa";
}

/** The hash a key of this spec signs with by default (SHA-384 for P-384, SHA-256 otherwise). */
export function defaultHash(spec: KeySpec): HashName {
  return spec === "p384" ? "SHA-384" : "SHA-256";
}

export async function generateKey(spec: KeySpec): Promise<TestKey> {
  let pair: webcrypto.CryptoKeyPair;
  const bits = RSA_BITS[spec];
  const curve = EC_CURVE[spec];
  if (bits !== undefined) {
    pair = (await subtle.generateKey(
      {
        name: spec === "rsa-pss2048" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5",
        modulusLength: bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )) as webcrypto.CryptoKeyPair;
  } else if (curve !== undefined) {
    pair = (await subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  } else {
    throw new Error(`unknown key spec ${spec}`);
  }
  const pkcs8Der = Buffer.from(await subtle.exportKey("pkcs8", pair.privateKey));
  const spkiDer = Buffer.from(await subtle.exportKey("spki", pair.publicKey));
  return {
    spec,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    privateKeyObject: createPrivateKey({ key: pkcs8Der, format: "der", type: "pkcs8" }),
    publicKeyObject: createPublicKey({ key: spkiDer, format: "der", type: "spki" }),
    pkcs8Der,
    spkiDer,
  };
}

/** Rebuild a TestKey from an unencrypted PKCS#8 (PEM or DER), e.g. certs-test/keys/<name>.key.pem. */
export async function loadKey(pkcs8: string | Buffer, spec: KeySpec): Promise<TestKey> {
  const der = typeof pkcs8 === "string" ? pemToDer(pkcs8) : pkcs8;
  const privateKeyObject = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const publicKeyObject = createPublicKey(privateKeyObject);
  const spkiDer = publicKeyObject.export({ format: "der", type: "spki" });
  const algorithm = isRsaSpec(spec)
    ? { name: spec === "rsa-pss2048" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
    : { name: "ECDSA", namedCurve: EC_CURVE[spec] };
  const privateKey = await subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
  const publicKey = await subtle.importKey("spki", spkiDer, algorithm, true, ["verify"]);
  return { spec, privateKey, publicKey, privateKeyObject, publicKeyObject, pkcs8Der: der, spkiDer };
}

/**
 * A WebCrypto key for signing with the given scheme and hash. WebCrypto binds RSA keys
 * to one hash and one padding, so RSA keys are re-imported from PKCS#8 as needed.
 */
export async function signingKey(key: TestKey, scheme: SignatureScheme, hash: HashName): Promise<WebCryptoKey> {
  if (scheme === "ecdsa") {
    if (isRsaSpec(key.spec)) throw new Error("ECDSA scheme with an RSA key");
    return key.privateKey;
  }
  if (!isRsaSpec(key.spec)) throw new Error(`${scheme} scheme with an EC key`);
  const name = scheme === "pss" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5";
  return subtle.importKey("pkcs8", key.pkcs8Der, { name, hash }, false, ["sign"]);
}

const HASH_LEN: Record<HashName, number> = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };
const HASH_OID: Record<HashName, string> = { "SHA-1": OID.sha1, "SHA-256": OID.sha256, "SHA-384": OID.sha384, "SHA-512": OID.sha512 };

/**
 * The signature AlgorithmIdentifier for scheme+hash, encoded as the standards want:
 * RSA PKCS#1 v1.5 with NULL parameters (RFC 4055 §5), ECDSA with absent parameters
 * (RFC 5758 §3.2), RSASSA-PSS with explicit RSASSA-PSS-params (hash, MGF1 with the
 * same hash, saltLength = hash length; trailerField default). Hash AlgorithmIdentifiers
 * inside PSS params omit their parameters (RFC 4055 §2.1 "the correct encoding").
 */
export function signatureAlgorithmIdentifier(scheme: SignatureScheme, hash: HashName): pkijs.AlgorithmIdentifier {
  if (scheme === "pkcs1") {
    const oid = { "SHA-1": OID.sha1WithRSA, "SHA-256": OID.sha256WithRSA, "SHA-384": OID.sha384WithRSA, "SHA-512": OID.sha512WithRSA }[hash];
    return new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
  }
  if (scheme === "ecdsa") {
    const oid = { "SHA-1": OID.ecdsaWithSHA1, "SHA-256": OID.ecdsaWithSHA256, "SHA-384": OID.ecdsaWithSHA384, "SHA-512": OID.ecdsaWithSHA512 }[hash];
    return new pkijs.AlgorithmIdentifier({ algorithmId: oid });
  }
  return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: pssParams(hash) });
}

function pssParams(hash: HashName): asn1js.Sequence {
  const hashAlg = () => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: HASH_OID[hash] })] });
  const fields: asn1js.AsnType[] = [];
  if (hash !== "SHA-1") {
    fields.push(ctx(0, [hashAlg()]));
    fields.push(ctx(1, [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.mgf1 }), hashAlg()] })]));
  }
  if (HASH_LEN[hash] !== 20) fields.push(ctx(2, [new asn1js.Integer({ value: HASH_LEN[hash] })]));
  return new asn1js.Sequence({ value: fields });
}

/** Sign bytes with WebCrypto; ECDSA signatures are returned DER-encoded (Ecdsa-Sig-Value). */
export async function signBytes(key: TestKey, data: Uint8Array, scheme: SignatureScheme, hash: HashName): Promise<Buffer> {
  const k = await signingKey(key, scheme, hash);
  let algorithm: webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams;
  if (scheme === "pss") algorithm = { name: "RSA-PSS", saltLength: HASH_LEN[hash] };
  else if (scheme === "ecdsa") algorithm = { name: "ECDSA", hash };
  else algorithm = { name: "RSASSA-PKCS1-v1_5" };
  const sig = await subtle.sign(algorithm, k, data);
  if (scheme === "ecdsa") return Buffer.from(pkijs.createCMSECDSASignature(sig));
  return Buffer.from(sig);
}

// ---------------------------------------------------------------------------
// Small ASN.1 helpers
// ---------------------------------------------------------------------------

/** Context-specific constructed tag [n] (EXPLICIT, or IMPLICIT for constructed types). */
function ctx(n: number, value: asn1js.AsnType[]): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: n }, value });
}

/** Context-specific primitive tag [n] IMPLICIT with raw content bytes. */
function ctxPrim(n: number, content: Uint8Array): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: n }, valueHex: toArrayBuffer(content) });
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function der(obj: asn1js.AsnType): Buffer {
  return Buffer.from(obj.toBER(false));
}

function parseDer(bytes: Uint8Array): asn1js.AsnType {
  const r = asn1js.fromBER(toArrayBuffer(bytes));
  if (r.offset === -1) throw new Error(`bad DER: ${r.result.error}`);
  return r.result;
}

/** Positive INTEGER from a bigint, a hex string ("0x" optional) or a Buffer. */
export function serialToInteger(serial: bigint | string | Uint8Array): asn1js.Integer {
  const bytes = serialBytes(serial);
  return new asn1js.Integer({ valueHex: toArrayBuffer(bytes) });
}

function serialBytes(serial: bigint | string | Uint8Array): Buffer {
  let hex: string;
  if (typeof serial === "bigint") {
    if (serial < 0n) throw new Error("negative serial");
    hex = serial.toString(16);
  } else if (typeof serial === "string") {
    hex = serial.replace(/^0x/i, "").replace(/[:\s]/g, "");
    if (!/^[0-9a-f]+$/i.test(hex)) throw new Error(`bad hex serial ${serial}`);
  } else {
    hex = Buffer.from(serial).toString("hex");
  }
  if (hex.length % 2) hex = "0" + hex;
  let b = Buffer.from(hex, "hex");
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1); // minimal
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]); // keep positive
  if (b.length > 21 || (b.length === 21 && b[0] !== 0)) throw new Error("serial longer than 20 octets");
  return b;
}

/** Canonical upper-case hex of a serial, no leading zero octet (as OpenSSL prints it). */
export function serialHex(serial: bigint | string | Uint8Array): string {
  let b = serialBytes(serial);
  if (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b.toString("hex").toUpperCase();
}

/** RFC 5280: UTCTime up to 2049, GeneralizedTime from 2050. */
function time(d: Date): pkijs.Time {
  if (Number.isNaN(d.getTime())) throw new Error("invalid date");
  if (d.getUTCMilliseconds() !== 0) throw new Error("dates must be whole seconds");
  return new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: d });
}

export function toPem(derBytes: Uint8Array, label: string): string {
  const b64 = Buffer.from(derBytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m) throw new Error("no PEM block");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

export type StringType = "utf8" | "printable" | "ia5" | "bmp" | "teletex";
/** One single-valued RDN: [short name or dotted OID, value, string type?]. */
export type RdnSpec = readonly [string, string, StringType?];

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function attributeOid(name: string): string {
  if (/^\d+(\.\d+)+$/.test(name)) return name;
  const oid = ATTRIBUTE_NAMES[name];
  if (!oid) throw new Error(`unknown attribute type ${name}`);
  return oid;
}

function defaultStringType(oid: string): StringType {
  // X.520: countryName and serialNumber are PrintableString; emailAddress is IA5String.
  if (oid === OID.countryName || oid === OID.serialNumber) return "printable";
  if (oid === OID.emailAddress) return "ia5";
  return "utf8";
}

function encodeString(value: string, type: StringType): asn1js.AsnType {
  switch (type) {
    case "utf8":
      return new asn1js.Utf8String({ value });
    case "printable":
      if (!PRINTABLE.test(value)) throw new Error(`not a PrintableString: ${value}`);
      return new asn1js.PrintableString({ value });
    case "ia5":
      if (!/^[\x00-\x7f]*$/.test(value)) throw new Error(`not an IA5String: ${value}`);
      return new asn1js.IA5String({ value });
    case "bmp":
      return new asn1js.BmpString({ value });
    case "teletex":
      return new asn1js.TeletexString({ value });
  }
}

/**
 * Build a Name with one attribute per RDN, in the given order (the DER order; OpenSSL
 * prints it in this order). pkijs would put all attributes into ONE multi-valued RDN when
 * building a name from typesAndValues, so the Name is encoded with asn1js and parsed back.
 */
export function buildName(rdns: readonly RdnSpec[]): pkijs.RelativeDistinguishedNames {
  const seq = new asn1js.Sequence({
    value: rdns.map(([type, value, st]) => {
      const oid = attributeOid(type);
      return new asn1js.Set({
        value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), encodeString(value, st ?? defaultStringType(oid))] })],
      });
    }),
  });
  return new pkijs.RelativeDistinguishedNames({ schema: parseDer(der(seq)) });
}

/** "C=BG, O=..., CN=..." in DER order, for humans and the manifest. */
export function nameToString(rdns: readonly RdnSpec[]): string {
  return rdns.map(([t, v]) => `${SHORT_NAME_BY_OID[attributeOid(t)] ?? attributeOid(t)}=${v}`).join(", ");
}

// ---------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------

export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

const KU_BITS: Record<KeyUsageName, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

export interface RawExtension {
  oid: string;
  critical: boolean;
  /** The DER of the extension value (the content of extnValue's OCTET STRING). */
  valueDer: Uint8Array;
}

export interface QcStatementsSpec {
  /** QcCompliance (0.4.0.1862.1.1). */
  compliance?: boolean;
  /** QcSSCD (0.4.0.1862.1.4): private key in a qualified signature creation device. */
  sscd?: boolean;
  /** QcType (0.4.0.1862.1.6). */
  type?: "esign" | "eseal" | "eweb";
  /** id-qcs-pkixQCSyntax-v2 with semanticsId-Natural / -Legal (EN 319 412-1). */
  semantics?: "natural" | "legal";
  /** QcPDS (0.4.0.1862.1.5) locations. */
  pds?: { url: string; lang: string }[];
  /** QcRetentionPeriod (0.4.0.1862.1.3) in years. */
  retentionPeriod?: number;
}

export interface ExtensionsSpec {
  /** null/undefined = omit. Critical by default. */
  basicConstraints?: { ca: boolean; pathLen?: number; critical?: boolean } | null;
  /** Critical by default. */
  keyUsage?: KeyUsageName[] | { usages: KeyUsageName[]; critical?: boolean } | null;
  /** Non-critical by default. */
  extKeyUsage?: { oids: string[]; critical?: boolean } | null;
  /** Default true: SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 §4.2.1.2 method 1). Or explicit bytes. */
  subjectKeyIdentifier?: boolean | Uint8Array;
  /** Default true: the issuer's SKI (self-signed: own SKI). Or explicit bytes. */
  authorityKeyIdentifier?: boolean | Uint8Array;
  /** Policy OIDs (optionally with a CPS URI). */
  certificatePolicies?: (string | { oid: string; cps?: string })[];
  /** Full-name URIs, one DistributionPoint each. */
  crlDistributionPoints?: string[];
  authorityInfoAccess?: { caIssuers?: string[]; ocsp?: string[] };
  qcStatements?: QcStatementsSpec;
  subjectAltName?: { email?: string[]; dns?: string[]; uri?: string[] };
  /** Appended as given (e.g. an unknown critical extension). */
  extra?: RawExtension[];
}

function keyUsageValue(usages: KeyUsageName[]): asn1js.BitString {
  let bits = 0;
  for (const u of usages) bits |= 1 << KU_BITS[u];
  if (bits === 0) throw new Error("empty keyUsage");
  let highest = 0;
  for (let i = 0; i < 9; i++) if (bits & (1 << i)) highest = i;
  const nBytes = highest >= 8 ? 2 : 1;
  const bytes = new Uint8Array(nBytes);
  for (let i = 0; i <= highest; i++) if (bits & (1 << i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  // DER NamedBitList: trailing zero bits removed
  const unusedBits = nBytes * 8 - (highest + 1);
  return new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits });
}

function uriGeneralName(uri: string): asn1js.Primitive {
  return ctxPrim(6, Buffer.from(uri, "ascii"));
}

/** SHA-1 over the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2 method 1). */
export function keyIdentifier(spkiDer: Uint8Array): Buffer {
  const spki = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spkiDer));
  return createHash("sha1").update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
}

function qcStatementsValue(q: QcStatementsSpec): asn1js.Sequence {
  const st = (oid: string, info?: asn1js.AsnType) =>
    new asn1js.Sequence({ value: info ? [new asn1js.ObjectIdentifier({ value: oid }), info] : [new asn1js.ObjectIdentifier({ value: oid })] });
  const out: asn1js.Sequence[] = [];
  if (q.semantics) {
    const id = q.semantics === "natural" ? OID.semanticsIdNatural : OID.semanticsIdLegal;
    out.push(st(OID.qcsPkixQCSyntaxV2, new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: id })] })));
  }
  if (q.compliance) out.push(st(OID.qcsQcCompliance));
  if (q.retentionPeriod !== undefined) out.push(st(OID.qcsQcRetentionPeriod, new asn1js.Integer({ value: q.retentionPeriod })));
  if (q.sscd) out.push(st(OID.qcsQcSSCD));
  if (q.pds?.length) {
    out.push(
      st(
        OID.qcsQcPDS,
        new asn1js.Sequence({
          value: q.pds.map((p) => new asn1js.Sequence({ value: [new asn1js.IA5String({ value: p.url }), new asn1js.PrintableString({ value: p.lang })] })),
        }),
      ),
    );
  }
  if (q.type) {
    const t = { esign: OID.qcTypeEsign, eseal: OID.qcTypeEseal, eweb: OID.qcTypeWeb }[q.type];
    out.push(st(OID.qcsQcType, new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: t })] })));
  }
  return new asn1js.Sequence({ value: out });
}

function extension(oid: string, critical: boolean, value: asn1js.AsnType | Uint8Array): pkijs.Extension {
  const bytes = value instanceof Uint8Array ? value : der(value);
  return new pkijs.Extension({ extnID: oid, critical, extnValue: toArrayBuffer(bytes) });
}

function buildExtensions(spec: ExtensionsSpec, subjectSpki: Uint8Array, issuerSki: Buffer | undefined): pkijs.Extension[] {
  const exts: pkijs.Extension[] = [];
  if (spec.basicConstraints) {
    const bc = spec.basicConstraints;
    const v: asn1js.AsnType[] = [];
    if (bc.ca) v.push(new asn1js.Boolean({ value: true })); // DER: DEFAULT FALSE omitted
    if (bc.pathLen !== undefined) {
      if (!bc.ca) throw new Error("pathLen without cA");
      v.push(new asn1js.Integer({ value: bc.pathLen }));
    }
    exts.push(extension(OID.basicConstraints, bc.critical ?? true, new asn1js.Sequence({ value: v })));
  }
  if (spec.keyUsage) {
    const ku = Array.isArray(spec.keyUsage) ? { usages: spec.keyUsage, critical: true } : spec.keyUsage;
    exts.push(extension(OID.keyUsage, ku.critical ?? true, keyUsageValue(ku.usages)));
  }
  if (spec.extKeyUsage) {
    exts.push(
      extension(
        OID.extKeyUsage,
        spec.extKeyUsage.critical ?? false,
        new asn1js.Sequence({ value: spec.extKeyUsage.oids.map((o) => new asn1js.ObjectIdentifier({ value: o })) }),
      ),
    );
  }
  if (spec.subjectKeyIdentifier !== false) {
    const ski = spec.subjectKeyIdentifier instanceof Uint8Array ? spec.subjectKeyIdentifier : keyIdentifier(subjectSpki);
    exts.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: toArrayBuffer(ski) })));
  }
  if (spec.authorityKeyIdentifier !== false) {
    const aki = spec.authorityKeyIdentifier instanceof Uint8Array ? spec.authorityKeyIdentifier : issuerSki;
    if (aki) exts.push(extension(OID.authorityKeyIdentifier, false, new asn1js.Sequence({ value: [ctxPrim(0, aki)] })));
  }
  if (spec.certificatePolicies?.length) {
    exts.push(
      extension(
        OID.certificatePolicies,
        false,
        new asn1js.Sequence({
          value: spec.certificatePolicies.map((p) => {
            const { oid, cps } = typeof p === "string" ? { oid: p, cps: undefined } : p;
            const v: asn1js.AsnType[] = [new asn1js.ObjectIdentifier({ value: oid })];
            if (cps) {
              v.push(
                new asn1js.Sequence({
                  value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.qtCps }), new asn1js.IA5String({ value: cps })] })],
                }),
              );
            }
            return new asn1js.Sequence({ value: v });
          }),
        }),
      ),
    );
  }
  if (spec.crlDistributionPoints?.length) {
    // DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName { fullName [0] GeneralNames } }
    exts.push(
      extension(
        OID.crlDistributionPoints,
        false,
        new asn1js.Sequence({ value: spec.crlDistributionPoints.map((u) => new asn1js.Sequence({ value: [ctx(0, [ctx(0, [uriGeneralName(u)])])] })) }),
      ),
    );
  }
  if (spec.authorityInfoAccess) {
    const ads: asn1js.Sequence[] = [];
    for (const u of spec.authorityInfoAccess.ocsp ?? []) ads.push(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.adOcsp }), uriGeneralName(u)] }));
    for (const u of spec.authorityInfoAccess.caIssuers ?? [])
      ads.push(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.adCaIssuers }), uriGeneralName(u)] }));
    if (ads.length) exts.push(extension(OID.authorityInfoAccess, false, new asn1js.Sequence({ value: ads })));
  }
  if (spec.subjectAltName) {
    const names: asn1js.AsnType[] = [];
    for (const e of spec.subjectAltName.email ?? []) names.push(ctxPrim(1, Buffer.from(e, "ascii")));
    for (const d of spec.subjectAltName.dns ?? []) names.push(ctxPrim(2, Buffer.from(d, "ascii")));
    for (const u of spec.subjectAltName.uri ?? []) names.push(uriGeneralName(u));
    if (names.length) exts.push(extension(OID.subjectAltName, false, new asn1js.Sequence({ value: names })));
  }
  if (spec.qcStatements) exts.push(extension(OID.qcStatements, false, qcStatementsValue(spec.qcStatements)));
  for (const e of spec.extra ?? []) exts.push(extension(e.oid, e.critical, e.valueDer));
  return exts;
}

// ---------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  /** Node's view of the certificate. */
  x509: X509Certificate;
  /** Upper-case hex serial without a leading zero octet. */
  serial: string;
}

export interface Issuer {
  /** The issuer's certificate (DER, PEM or IssuedCertificate). */
  cert: Uint8Array | string | IssuedCertificate;
  key: TestKey;
}

export interface CertificateOptions {
  subject: readonly RdnSpec[];
  /** Omit for a self-signed certificate (signed by subjectKey). */
  issuer?: Issuer;
  /** The subject's key pair (or just its SPKI DER when someone else holds the private key). */
  subjectKey: TestKey | { spkiDer: Uint8Array };
  serial: bigint | string | Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Default: SHA-384 for P-384 issuers, SHA-256 otherwise. */
  hash?: HashName;
  /** Default: the issuer key's scheme; set "pss" to sign with an RSA key using RSASSA-PSS. */
  signatureScheme?: "pkcs1" | "pss";
  extensions?: ExtensionsSpec;
}

function certDer(c: Uint8Array | string | IssuedCertificate): Buffer {
  if (typeof c === "string") return pemToDer(c);
  if (c instanceof Uint8Array) return Buffer.from(c);
  return c.der;
}

/** The SubjectKeyIdentifier of a certificate, if it has one. */
export function certificateSki(certificate: Uint8Array | string | IssuedCertificate): Buffer | undefined {
  const cert = pkijs.Certificate.fromBER(toArrayBuffer(certDer(certificate)));
  const ext = cert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  if (!ext) return undefined;
  const inner = parseDer(ext.extnValue.valueBlock.valueHexView);
  if (!(inner instanceof asn1js.OctetString)) throw new Error("bad SKI");
  return Buffer.from(inner.valueBlock.valueHexView);
}

const SIG_ALG_NAMES: Record<string, string> = {
  [OID.sha1WithRSA]: "sha1WithRSAEncryption",
  [OID.sha256WithRSA]: "sha256WithRSAEncryption",
  [OID.sha384WithRSA]: "sha384WithRSAEncryption",
  [OID.sha512WithRSA]: "sha512WithRSAEncryption",
  [OID.ecdsaWithSHA1]: "ecdsa-with-SHA1",
  [OID.ecdsaWithSHA256]: "ecdsa-with-SHA256",
  [OID.ecdsaWithSHA384]: "ecdsa-with-SHA384",
  [OID.ecdsaWithSHA512]: "ecdsa-with-SHA512",
};

/** A readable name of a certificate's signature algorithm, e.g. "RSASSA-PSS(SHA-256,MGF1-SHA-256,salt 32)". */
export function signatureAlgorithmName(certificate: Uint8Array | string | IssuedCertificate): string {
  const cert = pkijs.Certificate.fromBER(toArrayBuffer(certDer(certificate)));
  const id = cert.signatureAlgorithm.algorithmId;
  if (id !== OID.rsassaPss) return SIG_ALG_NAMES[id] ?? id;
  const p = new pkijs.RSASSAPSSParams({ schema: cert.signatureAlgorithm.algorithmParams });
  const hashName = (oid: string) => (Object.entries(HASH_OID).find(([, o]) => o === oid)?.[0] ?? oid);
  const mgfHash = new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams });
  return `RSASSA-PSS(${hashName(p.hashAlgorithm.algorithmId)},MGF1-${hashName(mgfHash.algorithmId)},salt ${p.saltLength})`;
}

export async function issueCertificate(opts: CertificateOptions): Promise<IssuedCertificate> {
  if (opts.notAfter.getTime() <= opts.notBefore.getTime()) throw new Error("notAfter must be after notBefore");
  const subjectSpki = Buffer.from(opts.subjectKey.spkiDer);
  const subjectName = buildName(opts.subject);
  let issuerName: pkijs.RelativeDistinguishedNames;
  let signer: TestKey;
  let issuerSki: Buffer | undefined;
  let issuerPublicKey: KeyObject;
  if (opts.issuer) {
    const issuerCert = pkijs.Certificate.fromBER(toArrayBuffer(certDer(opts.issuer.cert)));
    issuerName = issuerCert.subject; // keeps the issuer's exact subject bytes
    signer = opts.issuer.key;
    issuerSki = certificateSki(opts.issuer.cert);
    issuerPublicKey = new X509Certificate(certDer(opts.issuer.cert)).publicKey;
  } else {
    if (!("privateKeyObject" in opts.subjectKey)) throw new Error("self-signed certificate needs the subject's private key");
    issuerName = buildName(opts.subject);
    signer = opts.subjectKey;
    issuerSki = opts.extensions?.subjectKeyIdentifier instanceof Uint8Array ? Buffer.from(opts.extensions.subjectKeyIdentifier) : keyIdentifier(subjectSpki);
    issuerPublicKey = signer.publicKeyObject;
  }
  const scheme: SignatureScheme = opts.signatureScheme ?? defaultScheme(signer.spec);
  if (scheme !== "ecdsa" && !isRsaSpec(signer.spec)) throw new Error("RSA signature scheme with an EC issuer key");
  const hash = opts.hash ?? defaultHash(signer.spec);
  const sigAlg = signatureAlgorithmIdentifier(scheme, hash);

  const cert = new pkijs.Certificate();
  cert.version = 2; // v3
  cert.serialNumber = serialToInteger(opts.serial);
  cert.signature = sigAlg;
  cert.signatureAlgorithm = sigAlg;
  cert.issuer = issuerName;
  cert.subject = subjectName;
  cert.notBefore = time(opts.notBefore);
  cert.notAfter = time(opts.notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(subjectSpki));
  const exts = buildExtensions(opts.extensions ?? {}, subjectSpki, issuerSki);
  if (exts.length) cert.extensions = exts;

  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.tbsView = tbs;
  const sig = await signBytes(signer, tbs, scheme, hash);
  cert.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(sig) });
  const out = Buffer.from(cert.toSchema(false).toBER(false));

  const x509 = new X509Certificate(out);
  if (!x509.verify(issuerPublicKey)) throw new Error(`freshly issued certificate does not verify: ${nameToString(opts.subject)}`);
  return { der: out, pem: toPem(out, "CERTIFICATE"), x509, serial: serialHex(opts.serial) };
}

// ---------------------------------------------------------------------------
// CRLs
// ---------------------------------------------------------------------------

export type CrlReason =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";

export const CRL_REASON_CODES: Record<CrlReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export interface RevokedEntry {
  serial: bigint | string | Uint8Array;
  date: Date;
  /** Omit for no reasonCode entry extension. */
  reason?: CrlReason;
  invalidityDate?: Date;
}

export interface CrlOptions {
  issuer: Issuer;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: bigint | number;
  revoked?: RevokedEntry[];
  /** Default true: AKI from the issuer certificate's SKI. */
  authorityKeyIdentifier?: boolean;
  hash?: HashName;
  signatureScheme?: "pkcs1" | "pss";
  /** Extra CRL extensions (e.g. an IssuingDistributionPoint or an unknown critical one). */
  extra?: RawExtension[];
}

export interface IssuedCrl {
  der: Buffer;
  pem: string;
}

export async function issueCrl(opts: CrlOptions): Promise<IssuedCrl> {
  const issuerDer = certDer(opts.issuer.cert);
  const issuerCert = pkijs.Certificate.fromBER(toArrayBuffer(issuerDer));
  const signer = opts.issuer.key;
  const scheme: SignatureScheme = opts.signatureScheme ?? defaultScheme(signer.spec);
  const hash = opts.hash ?? defaultHash(signer.spec);
  const sigAlg = signatureAlgorithmIdentifier(scheme, hash);

  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1; // v2
  crl.signature = sigAlg;
  crl.signatureAlgorithm = sigAlg;
  crl.issuer = issuerCert.subject;
  crl.thisUpdate = time(opts.thisUpdate);
  if (opts.nextUpdate) crl.nextUpdate = time(opts.nextUpdate);
  if (opts.revoked?.length) {
    crl.revokedCertificates = opts.revoked.map((r) => {
      const entryExts: pkijs.Extension[] = [];
      if (r.reason !== undefined) {
        entryExts.push(extension(OID.crlReason, false, new asn1js.Enumerated({ value: CRL_REASON_CODES[r.reason] })));
      }
      if (r.invalidityDate) entryExts.push(extension(OID.invalidityDate, false, new asn1js.GeneralizedTime({ valueDate: r.invalidityDate })));
      return new pkijs.RevokedCertificate({
        userCertificate: serialToInteger(r.serial),
        revocationDate: time(r.date),
        ...(entryExts.length ? { crlEntryExtensions: new pkijs.Extensions({ extensions: entryExts }) } : {}),
      });
    });
  }
  const exts: pkijs.Extension[] = [];
  if (opts.authorityKeyIdentifier !== false) {
    const ski = certificateSki(issuerDer);
    if (ski) exts.push(extension(OID.authorityKeyIdentifier, false, new asn1js.Sequence({ value: [ctxPrim(0, ski)] })));
  }
  if (opts.crlNumber !== undefined) {
    exts.push(extension(OID.crlNumber, false, serialToInteger(BigInt(opts.crlNumber))));
  }
  for (const e of opts.extra ?? []) exts.push(extension(e.oid, e.critical, e.valueDer));
  if (exts.length) crl.crlExtensions = new pkijs.Extensions({ extensions: exts });

  // encodeTBS() is protected on CertificateRevocationList in pkijs' typings; toSchema(true) encodes it.
  const tbs = new Uint8Array(crl.toSchema(true).valueBlock.value[0]!.toBER(false));
  crl.tbsView = tbs;
  const sig = await signBytes(signer, tbs, scheme, hash);
  crl.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(sig) });
  const out = Buffer.from(crl.toSchema(false).toBER(false));

  // Self-check with pkijs (Node has no CRL class).
  const parsed = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(out));
  if (!(await parsed.verify({ issuerCertificate: issuerCert }))) throw new Error("freshly issued CRL does not verify");
  return { der: out, pem: toPem(out, "X509 CRL") };
}

// ---------------------------------------------------------------------------
// PKCS#12 (via the openssl command line)
// ---------------------------------------------------------------------------

export interface Pkcs12Options {
  key: TestKey;
  cert: Uint8Array | string | IssuedCertificate;
  /** CA certificates to include (issuer first). */
  chain?: (Uint8Array | string | IssuedCertificate)[];
  password: string;
  friendlyName?: string;
  /**
   * "modern" (default): AES-256-CBC PBES2 for key and certs, HMAC-SHA256 MAC.
   * "legacy": PBE-SHA1-3DES key, PBE-SHA1-RC2-40 certs, SHA-1 MAC (OpenSSL 3 legacy provider).
   */
  profile?: "modern" | "legacy";
}

/** Build a PKCS#12 (PFX) with `openssl pkcs12 -export`. Returns the DER. */
export function exportPkcs12(opts: Pkcs12Options): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "podpis-p12-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    const chainFile = join(dir, "chain.pem");
    const outFile = join(dir, "out.p12");
    writeFileSync(keyFile, toPem(opts.key.pkcs8Der, "PRIVATE KEY"), { mode: 0o600 });
    writeFileSync(certFile, toPem(certDer(opts.cert), "CERTIFICATE"));
    const args = ["pkcs12", "-export", "-inkey", keyFile, "-in", certFile, "-out", outFile, "-passout", "env:PODPIS_P12_PASS"];
    if (opts.chain?.length) {
      writeFileSync(chainFile, opts.chain.map((c) => toPem(certDer(c), "CERTIFICATE")).join(""));
      args.push("-certfile", chainFile);
    }
    if (opts.friendlyName) args.push("-name", opts.friendlyName);
    if ((opts.profile ?? "modern") === "modern") {
      args.push("-keypbe", "AES-256-CBC", "-certpbe", "AES-256-CBC", "-macalg", "sha256");
    } else {
      args.push("-legacy", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-RC2-40", "-macalg", "sha1");
    }
    execFileSync("openssl", args, { env: { ...process.env, PODPIS_P12_PASS: opts.password }, stdio: ["ignore", "pipe", "pipe"] });
    return readFileSync(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Bulgarian identifiers (test data helpers; see /work/shared/domain.md)
// ---------------------------------------------------------------------------

const EGN_WEIGHTS = [2, 4, 8, 5, 10, 9, 7, 3, 6];

/** Check digit of an EGN from its first nine digits. */
export function egnCheckDigit(first9: string): number {
  if (!/^\d{9}$/.test(first9)) throw new Error("EGN prefix must be 9 digits");
  const s = EGN_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first9[i]), 0) % 11;
  return s === 10 ? 0 : s;
}

export function isValidEgn(egn: string): boolean {
  if (!/^\d{10}$/.test(egn)) return false;
  let mm = Number(egn.slice(2, 4));
  const yy = Number(egn.slice(0, 2));
  const dd = Number(egn.slice(4, 6));
  let year = 1900 + yy;
  if (mm > 40) {
    mm -= 40;
    year = 2000 + yy;
  } else if (mm > 20) {
    mm -= 20;
    year = 1800 + yy;
  }
  const d = new Date(Date.UTC(year, mm - 1, dd));
  if (mm < 1 || mm > 12 || d.getUTCMonth() !== mm - 1 || d.getUTCDate() !== dd) return false;
  return egnCheckDigit(egn.slice(0, 9)) === Number(egn[9]);
}

/** An EGN for a birth date (UTC) and a 3-digit sequence (9th digit even = male, odd = female). */
export function makeEgn(birth: Date, seq: number): string {
  const y = birth.getUTCFullYear();
  let mm = birth.getUTCMonth() + 1;
  if (y >= 2000) mm += 40;
  else if (y < 1900) mm += 20;
  const first9 = `${String(y % 100).padStart(2, "0")}${String(mm).padStart(2, "0")}${String(birth.getUTCDate()).padStart(2, "0")}${String(seq).padStart(3, "0")}`;
  const egn = first9 + egnCheckDigit(first9);
  if (!isValidEgn(egn)) throw new Error(`generated EGN ${egn} is not valid`);
  return egn;
}

/** Check digit of a 9-digit EIK/BULSTAT from its first eight digits. */
export function eikCheckDigit(first8: string): number {
  if (!/^\d{8}$/.test(first8)) throw new Error("EIK prefix must be 8 digits");
  const d = [...first8].map(Number);
  let s = d.reduce((acc, x, i) => acc + x * (i + 1), 0) % 11;
  if (s === 10) {
    s = d.reduce((acc, x, i) => acc + x * (i + 3), 0) % 11;
    if (s === 10) s = 0;
  }
  return s;
}

export function isValidEik(eik: string): boolean {
  return /^\d{9}$/.test(eik) && eikCheckDigit(eik.slice(0, 8)) === Number(eik[8]);
}

export function makeEik(first8: string): string {
  return first8 + eikCheckDigit(first8);
}

// ---------------------------------------------------------------------------
// Fixed dates of the bundled PKI (certs-test/generate.ts); also in manifest.json
// ---------------------------------------------------------------------------

/** All bundled certificates and CRLs use these fixed instants (UTC), so nothing expires with the calendar. */
export const BUNDLE_DATES = {
  /** The instant tests validate at: every "valid" certificate is valid then and every current CRL is fresh. */
  validationTime: new Date("2026-06-01T00:00:00Z"),
  caNotBefore: new Date("2024-01-01T00:00:00Z"),
  rootNotAfter: new Date("2044-01-01T00:00:00Z"),
  intermediateNotAfter: new Date("2039-01-01T00:00:00Z"),
  subCaNotAfter: new Date("2038-01-01T00:00:00Z"),
  tsaNotBefore: new Date("2024-06-01T00:00:00Z"),
  tsaNotAfter: new Date("2038-01-01T00:00:00Z"),
  leafNotBefore: new Date("2025-01-01T00:00:00Z"),
  /** Long enough for the README's demo at today's date (issue 10 item 17); tests use validationTime. */
  leafNotAfter: new Date("2037-01-01T00:00:00Z"),
  expiredNotBefore: new Date("2024-02-01T00:00:00Z"),
  expiredNotAfter: new Date("2025-02-01T00:00:00Z"),
  notYetValidNotBefore: new Date("2030-01-01T00:00:00Z"),
  notYetValidNotAfter: new Date("2032-01-01T00:00:00Z"),
  /** Revocation of the "revoked" leaf (keyCompromise) on the Qualified CA's CRL. */
  leafRevocation: new Date("2026-03-01T00:00:00Z"),
  /** Revocation of the "Revoked Sub CA" (cACompromise) on the root's CRL. */
  subCaRevocation: new Date("2025-06-01T00:00:00Z"),
  /** thisUpdate of the current CRLs (root, Seal CA, sub-CAs, evil root). */
  crlThisUpdate: new Date("2026-01-01T00:00:00Z"),
  /**
   * thisUpdate of the Qualified CA's current CRL: after leafRevocation, so the CRL does not
   * announce a revocation dated after its own issuance.
   */
  qualifiedCrlThisUpdate: new Date("2026-04-01T00:00:00Z"),
  /** Far ahead so `npm start` and `podpis verify` without --at keep working for years (item 17). */
  crlNextUpdate: new Date("2037-01-01T00:00:00Z"),
  staleCrlThisUpdate: new Date("2025-01-01T00:00:00Z"),
  staleCrlNextUpdate: new Date("2025-02-01T00:00:00Z"),
} as const;

/** PKCS#12 passwords of the bundled files. TEST ONLY. */
export const BUNDLE_PASSWORDS = {
  pkcs12: "podpis-test",
  pkcs12Legacy: "podpis-legacy",
} as const;
