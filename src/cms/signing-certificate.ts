/**
 * The signing-certificate reference shared by CMS and XAdES: RFC 5035 IssuerSerial (also the
 * content of XAdES `IssuerSerialV2`, EN 319 132-1 §5.2.2.2) and the ESSCertID(v2) / CertIDv2
 * digest, matched against a candidate certificate (EN 319 102-1 §5.2.3.4).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Asn1Error, Tag, children, readIntegerHex, readRoot, seq } from "../asn1/der.js";
import type { Certificate } from "../pki/certificate.js";
import { type GeneralName, parseGeneralNames } from "../pki/general-name.js";
import { sameRdnsInAnyOrder } from "../pki/name.js";

/** IssuerSerial: the issuer GeneralNames' encoding (parsed only when compared by name) and the serial (hex, as Certificate.serialNumber). */
export interface IssuerSerial {
  issuerDer: Uint8Array;
  serialNumber: string;
}

/** IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber, … } from its node in `buf`. */
export function readIssuerSerial(buf: Uint8Array, node = readRoot(buf)): IssuerSerial {
  const [gns, serial] = seq(buf, node, "IssuerSerial");
  if (!gns || gns.tag !== Tag.SEQUENCE || !serial || serial.tag !== Tag.INTEGER) throw new Asn1Error("IssuerSerial malformed");
  return { issuerDer: buf.subarray(gns.start, gns.end), serialNumber: readIntegerHex(buf, serial) };
}

/** The directoryName entries of an IssuerSerial's GeneralNames, as Name encodings. */
export function issuerDirectoryNames(issuerDer: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const g of children(issuerDer, readRoot(issuerDer))) {
    if (g.tag !== 0xa4) continue;
    const [inner] = children(issuerDer, g);
    if (inner) out.push(issuerDer.subarray(inner.start, inner.end));
  }
  return out;
}

/** The issuer GeneralNames, fully parsed. */
export function issuerGeneralNames(issuerDer: Uint8Array): GeneralName[] {
  return parseGeneralNames(issuerDer, readRoot(issuerDer));
}

function equalEncoding(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The digest of the certificate under `hash` (a Node digest name) equals `certHash`. */
export function certHashMatches(cert: Certificate, hash: string, certHash: Uint8Array): boolean {
  if (hash === "sha256") return Buffer.from(certHash).toString("hex") === cert.sha256;
  const d = createHash(hash).update(cert.der).digest();
  return d.length === certHash.length && timingSafeEqual(d, certHash);
}

/**
 * The IssuerSerial has `cert`'s serial and names its issuer with the same RDNs in another order
 * (seen in a Dutch QTSP's XAdES, DSS's xades-extended-xl.xml, which DSS takes as matching). Not a
 * match under RFC 5280 §7.1; the caller decides, with the certificate already found by its digest.
 */
export function issuerSerialReordered(cert: Certificate, is: IssuerSerial): boolean {
  if (is.serialNumber !== cert.serialNumber) return false;
  try {
    return issuerGeneralNames(is.issuerDer).some((g) => g.type === "directoryName" && sameRdnsInAnyOrder(g.name, cert.issuer));
  } catch (e) {
    if (e instanceof Asn1Error) return false;
    throw e;
  }
}

/** Whether the IssuerSerial names `cert`; null when there is none. A malformed issuer names no certificate. */
export function issuerSerialMatches(cert: Certificate, is: IssuerSerial | null): boolean | null {
  if (!is) return null;
  if (is.serialNumber !== cert.serialNumber) return false;
  try {
    // The same encoding is the common case; otherwise RFC 5280 §7.1 name comparison.
    if (issuerDirectoryNames(is.issuerDer).some((n) => equalEncoding(n, cert.issuer.der))) return true;
    return issuerGeneralNames(is.issuerDer).some((g) => g.type === "directoryName" && g.name.key === cert.issuer.key);
  } catch (e) {
    if (e instanceof Asn1Error) return false;
    throw e;
  }
}
