/**
 * XAdES-B-B forms shaped as other producers make them (issue 12 speed), signed at bench time by
 * xmlsec1 with podpis's test PKI keys:
 * - xmlsec1-made: exclusive c14n everywhere, `ds:` prefixes, ~100 repeated form rows,
 *   SigningCertificateV2, the signature appended to the form;
 * - DSS/xadesjs-like: c14n 1.1 for SignedInfo and references, Transforms enveloped-signature
 *   then c14n, Ids on the References and a DataObjectFormat pointing at the data one, xmlns
 *   declarations repeated on ds:Signature and xades:QualifyingProperties, a default namespace on
 *   the form and a `ds:` prefix on the signature.
 */
import { DS_DECL, RSA_CERT, SHA256_DIGEST, XADES_NS, certDigest, xmlsecSign } from "../../test/helpers/xmlsec-template.js";

const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
const EXC = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N11 = "http://www.w3.org/2006/12/xml-c14n11";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SP_TYPE = "http://uri.etsi.org/01903#SignedProperties";

function rows(n: number, ns: string): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    s += `<${ns}Ред номер="${i + 1}"><${ns}Наследник>Иван Петров Иванов ${i}</${ns}Наследник><${ns}ЕГН>850101${String(1000 + i).slice(-4)}</${ns}ЕГН><${ns}Адрес>гр. София, ул. Витоша ${i}</${ns}Адрес><${ns}Дял>1/${n}</${ns}Дял></${ns}Ред>`;
  }
  return s;
}

function signingCertificateV2(): string {
  return `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${certDigest(RSA_CERT)}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2>`;
}

/** The enveloped xmlsec1 shape: exclusive c14n, ds: prefixes, the form's own prefix. */
export function xmlsecMadeForm(n = 100): Buffer {
  const qp = `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#S1"><xades:SignedProperties Id="SP1"><xades:SignedSignatureProperties><xades:SigningTime>2026-05-30T10:00:00Z</xades:SigningTime>${signingCertificateV2()}</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>`;
  const si =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC}"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
    `<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"/><ds:Transform Algorithm="${EXC}"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference>` +
    `<ds:Reference Type="${SP_TYPE}" URI="#SP1"><ds:Transforms><ds:Transform Algorithm="${EXC}"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>`;
  const form = `<n:Заявление xmlns:n="http://egov.bg/schemas/obshtina/nasledstvo/v1"><n:Наследници>${rows(n, "n:")}</n:Наследници><ds:Signature ${DS_DECL} Id="S1">${si}<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>${qp}</ds:Signature></n:Заявление>`;
  return Buffer.from(xmlsecSign(form));
}

/** The DSS / xadesjs shape: c14n 1.1, enveloped then c14n, Ids and a DataObjectFormat, a default-namespace form. */
export function dssLikeForm(n = 100): Buffer {
  const id = "id-5f1c0a2b9e7d4c3f8a6b1e2d3c4f5a6b";
  const qp =
    `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Target="#${id}"><xades:SignedProperties Id="xades-${id}">` +
    `<xades:SignedSignatureProperties><xades:SigningTime>2026-05-30T10:00:00Z</xades:SigningTime>${signingCertificateV2()}</xades:SignedSignatureProperties>` +
    `<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#r-${id}-1"><xades:MimeType>text/xml</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties>` +
    `</xades:SignedProperties></xades:QualifyingProperties></ds:Object>`;
  const si =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${C14N11}"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
    `<ds:Reference Id="r-${id}-1" URI=""><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"/><ds:Transform Algorithm="${C14N11}"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference>` +
    `<ds:Reference Type="${SP_TYPE}" URI="#xades-${id}"><ds:Transforms><ds:Transform Algorithm="${C14N11}"/></ds:Transforms>${SHA256_DIGEST}</ds:Reference></ds:SignedInfo>`;
  const form =
    `<Заявление xmlns="http://egov.bg/schemas/obshtina/nasledstvo/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Версия="1.0"><Наследници>${rows(n, "")}</Наследници>` +
    `<ds:Signature ${DS_DECL} Id="${id}">${si}<ds:SignatureValue Id="value-${id}"/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>${qp}</ds:Signature></Заявление>`;
  return Buffer.from(xmlsecSign(form, { idAttrs: [["Id", `${XADES_NS}:SignedProperties`]] }));
}
