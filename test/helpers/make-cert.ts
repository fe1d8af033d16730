/**
 * Certificates made at run time for tests (TEST DATA ONLY): the DER writer and node:crypto, RSA,
 * ECDSA or Ed25519 by the signing key's type. Names are one CN each, as in make-crl.ts.
 */
import { type KeyObject, sign } from "node:crypto";
import { bitString, boolean, explicit, integer, nullValue, octetString, oid, sequence, tlv, x509Time } from "../../src/asn1/writer.js";
import { Tag } from "../../src/asn1/der.js";
import { extension, makeName } from "./make-crl.js";

export interface CertSpec {
  subject: string;
  issuer: string;
  /** the subject's public key */
  publicKey: KeyObject;
  /** the issuer's private key, which signs */
  signer: KeyObject;
  serial?: bigint;
  ca?: boolean;
  ski?: string;
  aki?: string;
  /** one cRLDistributionPoints entry per URL */
  crlUrls?: string[];
  /** a non-critical extension of this OID holding these bytes (large certificates) */
  filler?: { oid: string; bytes: Uint8Array };
  notBefore?: Date;
  notAfter?: Date;
}

let serials = 5000n;

function algorithm(key: KeyObject): { alg: Buffer; digest: string | null } {
  if (key.asymmetricKeyType === "rsa") return { alg: sequence(oid("1.2.840.113549.1.1.11"), nullValue()), digest: "sha256" };
  if (key.asymmetricKeyType === "ec") return { alg: sequence(oid("1.2.840.10045.4.3.2")), digest: "sha256" };
  if (key.asymmetricKeyType === "ed25519") return { alg: sequence(oid("1.3.101.112")), digest: null };
  throw new Error(`no signature algorithm for ${key.asymmetricKeyType}`);
}

export function makeCert(s: CertSpec): Buffer {
  const { alg, digest } = algorithm(s.signer);
  const exts: Buffer[] = [];
  if (s.ca !== undefined) exts.push(extension("2.5.29.19", true, sequence(...(s.ca ? [boolean(true)] : []))));
  if (s.ca) exts.push(extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)));
  if (s.ski) exts.push(extension("2.5.29.14", false, octetString(Buffer.from(s.ski, "hex"))));
  if (s.aki) exts.push(extension("2.5.29.35", false, sequence(tlv(0x80, Buffer.from(s.aki, "hex")))));
  if (s.crlUrls?.length) {
    const dps = s.crlUrls.map((u) => sequence(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(u))))));
    exts.push(extension("2.5.29.31", false, sequence(...dps)));
  }
  if (s.filler) exts.push(extension(s.filler.oid, false, octetString(s.filler.bytes)));
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(s.serial ?? serials++),
    alg,
    makeName(["CN", s.issuer]),
    sequence(x509Time(s.notBefore ?? new Date("2020-01-01T00:00:00Z")), x509Time(s.notAfter ?? new Date("2040-01-01T00:00:00Z"))),
    makeName(["CN", s.subject]),
    s.publicKey.export({ type: "spki", format: "der" }),
    ...(exts.length ? [explicit(3, sequence(...exts))] : []),
  );
  const sig = sign(digest, tbs, s.signer);
  return sequence(tbs, alg, tlv(Tag.BIT_STRING, Buffer.from([0]), sig));
}
