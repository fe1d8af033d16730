/**
 * CMS tools for CAdES tests and fixtures: signing with `openssl cms` (the independent peer),
 * RFC 3161 tokens from `openssl ts` or made here at a chosen time, unsigned attributes and
 * countersignatures added with the DER writer, and hand-made SignerInfos for malformed cases.
 * TEST KEYS ONLY.
 */
import { spawnSync } from "node:child_process";
import { hasFaketime, peer } from "./peer.js";
import { createHash, createPrivateKey, constants, sign as nodeSign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tag, bytesOf, children, readRoot, type Node } from "../../src/asn1/der.js";
import { explicit, generalizedTime, integer, nullValue, octetString, oid, sequence, setOf, tlv, unsignedInteger, utcTime } from "../../src/asn1/writer.js";
import { parseCertificate, parseCertificates, type Certificate } from "../../src/pki/certificate.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PKI = join(ROOT, "certs-test");

export const OIDS = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  counterSignature: "1.2.840.113549.1.9.6",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  signatureTimeStampToken: "1.2.840.113549.1.9.16.2.14",
  sigPolicyId: "1.2.840.113549.1.9.16.2.15",
  contentHint: "1.2.840.113549.1.9.16.2.4",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  sha1: "1.3.14.3.2.26",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
};

// ---------------------------------------------------------------------------------------------
// openssl availability (the tests declare it with requirePeer, helpers/peers.ts; bench/ asks here)

export { PEER_DATE, PEER_TIME, peer } from "./peer.js";

export const hasOpenssl = (): boolean =>
  spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0 && hasFaketime();


// ---------------------------------------------------------------------------------------------
// test PKI access

export const pem = (name: string): string => join(PKI, `${name}.pem`);
export const keyFile = (name: string): string => join(PKI, "keys", `${name}.key.pem`);
export const cert = (name: string): Certificate => parseCertificate(readFileSync(join(PKI, `${name}.der`)));
export const privateKey = (name: string): KeyObject => createPrivateKey(readFileSync(keyFile(name)));
export const trustAnchors = (): Certificate[] => parseCertificates(readFileSync(join(PKI, "trust", "root-ca.pem")));

/** Issuing CA of each test leaf (the manifest's issuedBy). */
export function issuerOf(name: string): string {
  const m = JSON.parse(readFileSync(join(PKI, "manifest.json"), "utf8")) as { certificates: Record<string, { issuedBy: string }> };
  const e = m.certificates[name];
  if (!e) throw new Error(`no test certificate ${name}`);
  return e.issuedBy;
}

// ---------------------------------------------------------------------------------------------
// openssl cms -sign

export interface OpensslSignOptions {
  signer: string;
  content: Uint8Array;
  detached?: boolean;
  cades?: boolean;
  md?: "sha256" | "sha384" | "sha512" | "sha1";
  pss?: boolean;
  /** include the issuing CA (default true) */
  chain?: boolean;
  nocerts?: boolean;
  noattr?: boolean;
  outform?: "DER" | "PEM";
  /** BER with indefinite lengths (openssl's streaming output) */
  ber?: boolean;
  /** more signers of the same content */
  extraSigners?: string[];
}

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = peer(cmd, args, { input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr?.toString() ?? r.error}`);
  return r.stdout;
}

export function withTmp<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "podpis-cms-"));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function opensslSign(o: OpensslSignOptions): Buffer {
  return withTmp((dir) => {
    const inFile = join(dir, "content.bin");
    writeFileSync(inFile, o.content);
    const args = ["cms", "-sign", "-binary", "-in", inFile, "-signer", pem(o.signer), "-inkey", keyFile(o.signer), "-md", o.md ?? "sha256", "-outform", o.outform ?? "DER"];
    if (o.pss) args.push("-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32");
    for (const s of o.extraSigners ?? []) args.push("-signer", pem(s), "-inkey", keyFile(s));
    if (!o.detached) args.push("-nodetach");
    if (o.cades) args.push("-cades");
    if (o.nocerts) args.push("-nocerts");
    if (o.noattr) args.push("-noattr");
    if (o.ber) args.push("-stream");
    else args.push("-noindef");
    if (o.chain !== false && !o.nocerts) {
      const cas = [...new Set([o.signer, ...(o.extraSigners ?? [])].map(issuerOf))].filter((c) => c !== "root-ca");
      if (cas.length > 0) {
        const f = join(dir, "chain.pem");
        writeFileSync(f, cas.map((c) => readFileSync(pem(c), "utf8")).join(""));
        args.push("-certfile", f);
      }
    }
    return run("openssl", args);
  });
}

/** openssl cms -verify as the peer's opinion (chain to the test root, no CRLs). */
export function opensslVerifies(p7: Uint8Array, content?: Uint8Array): boolean {
  return withTmp((dir) => {
    const f = join(dir, "sig.p7");
    writeFileSync(f, p7);
    const args = ["cms", "-verify", "-binary", "-inform", "DER", "-in", f, "-CAfile", join(PKI, "trust", "root-ca.pem"), "-purpose", "any", "-out", join(dir, "out")];
    if (content) {
      writeFileSync(join(dir, "c"), content);
      args.push("-content", join(dir, "c"));
    }
    return peer("openssl", args).status === 0;
  });
}

// ---------------------------------------------------------------------------------------------
// RFC 3161 tokens

/** A token from `openssl ts -reply` over `data` (genTime: PEER_TIME), signed with the test TSA. */
export function opensslTimestamp(data: Uint8Array, md: "sha256" | "sha384" | "sha512" = "sha256"): Buffer {
  return withTmp((dir) => {
    writeFileSync(join(dir, "data"), data);
    writeFileSync(join(dir, "serial"), "01\n");
    const cnf = join(dir, "ts.cnf");
    writeFileSync(
      cnf,
      [
        "[ tsa ]",
        "default_tsa = tsa_config",
        "[ tsa_config ]",
        `serial = ${join(dir, "serial")}`,
        "crypto_device = builtin",
        `signer_cert = ${pem("tsa")}`,
        `signer_key = ${keyFile("tsa")}`,
        "signer_digest = sha256",
        "default_policy = 1.3.6.1.4.1.99999.1.3",
        "digests = sha256, sha384, sha512",
        "accuracy = secs:1",
        "ordering = no",
        "tsa_name = no",
        "ess_cert_id_chain = no",
        "ess_cert_id_alg = sha256",
        "",
      ].join("\n"),
    );
    run("openssl", ["ts", "-query", "-data", join(dir, "data"), `-${md}`, "-cert", "-no_nonce", "-out", join(dir, "q.tsq")]);
    run("openssl", ["ts", "-reply", "-config", cnf, "-queryfile", join(dir, "q.tsq"), "-token_out", "-out", join(dir, "token.der")]);
    return readFileSync(join(dir, "token.der"));
  });
}

const HASH_OID: Record<string, string> = { sha256: OIDS.sha256, sha384: OIDS.sha384, sha512: OIDS.sha512, sha1: OIDS.sha1 };

const algId = (o: string, params: Buffer | null = nullValue()): Buffer => (params ? sequence(oid(o), params) : sequence(oid(o)));

export const attribute = (type: string, ...values: Uint8Array[]): Buffer => sequence(oid(type), setOf(...values));

/** The RelativeDistinguishedName SETs of `c`'s issuer, in the certificate's order (to write the name otherwise). */
export function issuerRdns(c: Certificate): Buffer[] {
  const der = Buffer.from(c.issuer.der);
  return children(der, readRoot(der)).map((n) => der.subarray(n.start, n.end));
}

/** RFC 5035 IssuerSerial { GeneralNames { [4] directoryName of these RDN SETs }, serialNumber (hex) }. */
export function issuerSerialOf(rdns: readonly Buffer[], serialHex: string): Buffer {
  return sequence(sequence(explicit(4, sequence(...rdns))), unsignedInteger(Buffer.from(serialHex, "hex")));
}

/** `c`'s serial plus one, in hex of the same length: a serial that names another certificate. */
export const nextSerial = (c: Certificate): string => (BigInt("0x" + c.serialNumber) + 1n).toString(16).padStart(c.serialNumber.length, "0");

/** ESS signing-certificate-v2 over `c` with SHA-256 (RFC 5035), issuerSerial included. */
export function signingCertificateV2(c: Certificate): Buffer {
  const issuerSerial = sequence(sequence(explicit(4, Buffer.from(c.issuer.der))), unsignedInteger(Buffer.from(c.serialNumber, "hex")));
  const certId = sequence(octetString(Buffer.from(c.sha256, "hex")), issuerSerial);
  return attribute(OIDS.signingCertificateV2, sequence(sequence(certId)));
}

function sigAlgFor(c: Certificate, md: string, pss: boolean): { alg: Buffer; sign(data: Uint8Array, key: KeyObject): Buffer } {
  const type = c.publicKeyAlgorithm.oid;
  if (type === "1.2.840.10045.2.1") {
    const o = { sha256: OIDS.ecdsaWithSha256, sha384: OIDS.ecdsaWithSha384, sha512: OIDS.ecdsaWithSha512 }[md as "sha256"]!;
    return { alg: sequence(oid(o)), sign: (d, k) => nodeSign(md, d, k) };
  }
  if (pss) {
    const h = algId(HASH_OID[md]!);
    const params = sequence(explicit(0, h), explicit(1, sequence(oid("1.2.840.113549.1.1.8"), h)), explicit(2, integer(32)));
    return { alg: sequence(oid("1.2.840.113549.1.1.10"), params), sign: (d, k) => nodeSign(md, d, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }) };
  }
  return { alg: algId(OIDS.rsaEncryption), sign: (d, k) => nodeSign(md, d, k) };
}

export interface SignerInfoOptions {
  cert: Certificate;
  key: KeyObject;
  md?: "sha256" | "sha384" | "sha512";
  pss?: boolean;
  /** signed attributes (each an Attribute DER); default: content-type, signing-time, message-digest, signing-certificate-v2 */
  signedAttrs?: Buffer[];
  /** digest of the content (for the default message-digest attribute) */
  contentDigest?: Uint8Array;
  signingTime?: Date;
  contentType?: string | null;
  unsignedAttrs?: Buffer[];
  /** keep signed attributes in the order given (not DER-sorted) */
  unsorted?: boolean;
}

/** A SignerInfo made here (RFC 5652 §5.3), for countersignatures, tokens and malformed cases. */
export function makeSignerInfo(o: SignerInfoOptions): Buffer {
  const md = o.md ?? "sha256";
  const attrs =
    o.signedAttrs ??
    [
      ...(o.contentType === null ? [] : [attribute(OIDS.contentType, oid(o.contentType ?? OIDS.data))]),
      attribute(OIDS.signingTime, utcTime(o.signingTime ?? new Date("2026-02-01T10:00:00Z"))),
      attribute(OIDS.messageDigest, octetString(o.contentDigest ?? Buffer.alloc(32))),
      signingCertificateV2(o.cert),
    ];
  const signedSet = o.unsorted ? tlv(Tag.SET, ...attrs) : setOf(...attrs);
  const s = sigAlgFor(o.cert, md, o.pss ?? false);
  const signature = s.sign(signedSet, o.key);
  const sid = sequence(Buffer.from(o.cert.issuer.der), unsignedInteger(Buffer.from(o.cert.serialNumber, "hex")));
  const signedTagged = Buffer.concat([Buffer.from([0xa0]), signedSet.subarray(1)]);
  const parts = [integer(1), sid, algId(HASH_OID[md]!), signedTagged, s.alg, octetString(signature)];
  if (o.unsignedAttrs && o.unsignedAttrs.length > 0) {
    const u = setOf(...o.unsignedAttrs);
    parts.push(Buffer.concat([Buffer.from([0xa1]), u.subarray(1)]));
  }
  return sequence(...parts);
}

export interface SignedDataOptions {
  signerInfos: Buffer[];
  certificates: Certificate[];
  content: Uint8Array | null;
  contentType?: string;
  digestOids?: string[];
}

export function makeSignedData(o: SignedDataOptions): Buffer {
  const eci = o.content ? sequence(oid(o.contentType ?? OIDS.data), explicit(0, octetString(o.content))) : sequence(oid(o.contentType ?? OIDS.data));
  const parts = [integer(o.contentType && o.contentType !== OIDS.data ? 3 : 1), setOf(...(o.digestOids ?? [OIDS.sha256]).map((d) => algId(d))), eci];
  if (o.certificates.length > 0) parts.push(tlv(0xa0, ...o.certificates.map((c) => Buffer.from(c.der))));
  parts.push(setOf(...o.signerInfos));
  return sequence(oid(OIDS.signedData), explicit(0, sequence(...parts)));
}

export interface TokenOptions {
  genTime: Date;
  md?: "sha256" | "sha384" | "sha512";
  tsaName?: string;
  serial?: number;
}

/** An RFC 3161 token over `data` made here at `genTime`, signed by the test TSA. */
export function makeTimestampToken(data: Uint8Array, o: TokenOptions): Buffer {
  const md = o.md ?? "sha256";
  const tsa = cert(o.tsaName ?? "tsa");
  const imprint = createHash(md).update(data).digest();
  const tst = sequence(integer(1), oid("1.3.6.1.4.1.99999.1.3"), sequence(algId(HASH_OID[md]!), octetString(imprint)), integer(o.serial ?? 42), generalizedTime(o.genTime));
  const si = makeSignerInfo({
    cert: tsa,
    key: privateKey(o.tsaName ?? "tsa"),
    signedAttrs: [
      attribute(OIDS.contentType, oid(OIDS.tstInfo)),
      attribute(OIDS.signingTime, utcTime(o.genTime)),
      attribute(OIDS.messageDigest, octetString(createHash("sha256").update(tst).digest())),
      signingCertificateV2(tsa),
    ],
  });
  return makeSignedData({ signerInfos: [si], certificates: [tsa], content: tst, contentType: OIDS.tstInfo });
}

// ---------------------------------------------------------------------------------------------
// editing CMS: where things are, adding unsigned attributes

const BER = { ber: true, maxDepth: 64 };

export interface CmsLayout {
  signedData: Node;
  fields: Node[];
  eContent: Node | null;
  signerInfos: Node[];
}

export function layout(cms: Uint8Array): CmsLayout {
  const root = readRoot(cms, BER);
  const [, wrap] = children(cms, root, BER);
  const [sdNode] = children(cms, wrap!, BER);
  const fields = children(cms, sdNode!, BER);
  const eci = children(cms, fields[2]!, BER);
  let eContent: Node | null = null;
  if (eci[1]) eContent = children(cms, eci[1], BER)[0]!;
  const signerInfos = children(cms, fields.at(-1)!, BER);
  return { signedData: sdNode!, fields, eContent, signerInfos };
}

export interface SignerLayout {
  fields: Node[];
  signedAttrs: Node | null;
  signature: Node;
  unsignedAttrs: Node | null;
}

export function signerLayout(cms: Uint8Array, si: Node): SignerLayout {
  const fields = children(cms, si, BER);
  const signedAttrs = fields.find((f) => f.tag === 0xa0) ?? null;
  const unsignedAttrs = fields.find((f) => f.tag === 0xa1) ?? null;
  const signature = fields.filter((f) => f.tag === Tag.OCTET_STRING).at(-1)!;
  return { fields, signedAttrs, signature, unsignedAttrs };
}

/** The signature value octets of signer `index`. */
export function signatureValue(cms: Uint8Array, index = 0): Buffer {
  const l = layout(cms);
  const s = signerLayout(cms, l.signerInfos[index]!);
  return Buffer.from(cms.subarray(s.signature.cs, s.signature.ce));
}

/** Re-encodes the SignedData with the SignerInfo at `index` replaced. */
export function replaceSignerInfo(cms: Uint8Array, index: number, signerInfo: Buffer): Buffer {
  const l = layout(cms);
  const fields: Buffer[] = l.fields.map((f) => Buffer.from(bytesOf(cms, f)));
  const infos: Buffer[] = l.signerInfos.map((n, i) => (i === index ? signerInfo : Buffer.from(bytesOf(cms, n))));
  fields[fields.length - 1] = tlv(Tag.SET, ...infos);
  return sequence(oid(OIDS.signedData), explicit(0, sequence(...fields)));
}

/** Adds unsigned attributes (each an Attribute DER) to signer `index`. */
export function addUnsignedAttributes(cms: Uint8Array, index: number, attrs: Buffer[]): Buffer {
  const l = layout(cms);
  const si = l.signerInfos[index]!;
  const s = signerLayout(cms, si);
  const kept: Buffer[] = s.fields.filter((f) => f.tag !== 0xa1).map((f) => Buffer.from(bytesOf(cms, f)));
  const existing: Buffer[] = s.unsignedAttrs ? children(cms, s.unsignedAttrs, BER).map((n) => Buffer.from(bytesOf(cms, n))) : [];
  const all = setOf(...existing, ...attrs);
  kept.push(Buffer.concat([Buffer.from([0xa1]), all.subarray(1)]));
  return replaceSignerInfo(cms, index, sequence(...kept));
}

/** B-T: a signature-time-stamp attribute holding `token`. */
export function addSignatureTimestamp(cms: Uint8Array, token: Uint8Array, index = 0): Buffer {
  return addUnsignedAttributes(cms, index, [attribute(OIDS.signatureTimeStampToken, token)]);
}

/** Adds certificates to the SignedData's certificate bag. */
export function addCertificates(cms: Uint8Array, certs: Certificate[]): Buffer {
  const l = layout(cms);
  const fields: Buffer[] = l.fields.map((f) => Buffer.from(bytesOf(cms, f)));
  const bagIndex = l.fields.findIndex((f) => f.tag === 0xa0);
  const added = certs.map((c) => Buffer.from(c.der));
  if (bagIndex >= 0) {
    const existing = children(cms, l.fields[bagIndex]!, BER).map((n) => Buffer.from(bytesOf(cms, n)));
    fields[bagIndex] = tlv(0xa0, ...existing, ...added);
  } else fields.splice(3, 0, tlv(0xa0, ...added));
  return sequence(oid(OIDS.signedData), explicit(0, sequence(...fields)));
}

/** Adds CRLs (RevocationInfoChoices, [1]) to the SignedData: the B-LT revocation values. */
export function addCrls(cms: Uint8Array, crls: Uint8Array[]): Buffer {
  const l = layout(cms);
  const fields: Buffer[] = l.fields.map((f) => Buffer.from(bytesOf(cms, f)));
  const at = l.fields.findIndex((f) => f.tag === 0xa1);
  const added = crls.map((c) => Buffer.from(c));
  if (at >= 0) fields[at] = tlv(0xa1, ...children(cms, l.fields[at]!, BER).map((n) => Buffer.from(bytesOf(cms, n))), ...added);
  else fields.splice(fields.length - 1, 0, tlv(0xa1, ...added));
  return sequence(oid(OIDS.signedData), explicit(0, sequence(...fields)));
}

/**
 * A countersignature by `signer` over the signature value of signer `index` (RFC 5652 §11.4);
 * the countersigner's certificate and issuing CA are added to the bag.
 */
export function addCountersignature(cms: Uint8Array, signer: string, index = 0, md: "sha256" | "sha384" | "sha512" = "sha256", signingTime?: Date): Buffer {
  const value = signatureValue(cms, index);
  const c = cert(signer);
  const si = makeSignerInfo({ cert: c, key: privateKey(signer), md, contentType: null, contentDigest: createHash(md).update(value).digest(), ...(signingTime ? { signingTime } : {}) });
  const withAttr = addUnsignedAttributes(cms, index, [attribute(OIDS.counterSignature, si)]);
  const ca = issuerOf(signer);
  return addCertificates(withAttr, ca === "root-ca" ? [c] : [c, cert(ca)]);
}

/** Offset of `needle` inside `hay` (first match), or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle), from);
}

export function flipByte(b: Uint8Array, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0x01;
  return c;
}
