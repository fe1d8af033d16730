/**
 * Builds test trusted lists (ETSI TS 119 612 v5 XML) and signs them with podpis's own XAdES
 * signer (enveloped, exc-c14n, whole list), for generate-tl.ts and for tests that need a stale,
 * re-signed or tampered list at run time. TEST ONLY: every key here is published.
 */
import { sign as nodeSign, type KeyObject } from "node:crypto";
import { assembleXades, prepareXades } from "../../src/xades/sign.js";

const TSL = "http://uri.etsi.org/02231/v2#";
const SIE = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
const ADD = "http://uri.etsi.org/02231/v2/additionaltypes#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";
export const STATUS = (s: string) => `http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/${s}`;
export const SVCTYPE = (s: string) => `http://uri.etsi.org/TrstSvc/Svctype/${s}`;
export const SIE_URI = (s: string) => `http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/${s}`;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

export interface QualificationSpec {
  qualifiers: string[];
  /** policy OIDs (one PolicySet) and/or key usage bits; assert "atLeastOne" of them */
  policies?: string[];
  keyUsage?: Record<string, boolean>;
}

export interface ServiceVersionSpec {
  type: string;
  name: string;
  status: string;
  from: Date;
  qualifications?: QualificationSpec[];
  additionalInformation?: string[];
}

export interface ServiceSpec {
  /** DER certificates of the service's digital identity */
  certificates: Uint8Array[];
  /** current first, then history (any order) */
  versions: ServiceVersionSpec[];
}

export interface ProviderSpec {
  name: string;
  services: ServiceSpec[];
}

export interface PointerSpec {
  territory: string;
  location: string;
  mimeType: string;
  type: string;
  operator: string;
  signers: Uint8Array[];
}

export interface ListSpec {
  territory: string;
  sequenceNumber: number;
  operator: string;
  issueDate: Date;
  nextUpdate: Date;
  lotl?: boolean;
  schemeInformationUris?: string[];
  pointers?: PointerSpec[];
  providers?: ProviderSpec[];
}

const names = (n: string) => `<Name xml:lang="en">${esc(n)}</Name>`;

function qualifications(qs: QualificationSpec[]): string {
  const el = qs
    .map((q) => {
      const ku = q.keyUsage ? `<sie:KeyUsage>${Object.entries(q.keyUsage).map(([k, v]) => `<sie:KeyUsageBit name="${k}">${v}</sie:KeyUsageBit>`).join("")}</sie:KeyUsage>` : "";
      const ps = q.policies?.length ? `<sie:PolicySet>${q.policies.map((p) => `<sie:PolicyIdentifier><xades:Identifier>${p}</xades:Identifier></sie:PolicyIdentifier>`).join("")}</sie:PolicySet>` : "";
      return `<sie:QualificationElement><sie:Qualifiers>${q.qualifiers.map((u) => `<sie:Qualifier uri="${u}"/>`).join("")}</sie:Qualifiers><sie:CriteriaList assert="atLeastOne">${ku}${ps}</sie:CriteriaList></sie:QualificationElement>`;
    })
    .join("");
  return `<Extension Critical="true"><sie:Qualifications xmlns:sie="${SIE}" xmlns:xades="${XADES}">${el}</sie:Qualifications></Extension>`;
}

function versionBody(v: ServiceVersionSpec, identity: string): string {
  const ext = [
    ...(v.additionalInformation ?? []).map((u) => `<Extension Critical="true"><AdditionalServiceInformation><URI xml:lang="en">${u}</URI></AdditionalServiceInformation></Extension>`),
    ...(v.qualifications?.length ? [qualifications(v.qualifications)] : []),
  ];
  return (
    `<ServiceTypeIdentifier>${v.type}</ServiceTypeIdentifier><ServiceName>${names(v.name)}</ServiceName>${identity}` +
    `<ServiceStatus>${v.status}</ServiceStatus><StatusStartingTime>${iso(v.from)}</StatusStartingTime>` +
    (ext.length ? `<ServiceInformationExtensions>${ext.join("")}</ServiceInformationExtensions>` : "")
  );
}

function service(s: ServiceSpec): string {
  const identity = `<ServiceDigitalIdentity>${s.certificates.map((c) => `<DigitalId><X509Certificate>${b64(c)}</X509Certificate></DigitalId>`).join("")}</ServiceDigitalIdentity>`;
  const [current, ...history] = s.versions;
  const hist = history.length
    ? `<ServiceHistory>${history.map((h) => `<ServiceHistoryInstance>${versionBody(h, identity)}</ServiceHistoryInstance>`).join("")}</ServiceHistory>`
    : "";
  return `<TSPService><ServiceInformation>${versionBody(current!, identity)}</ServiceInformation>${hist}</TSPService>`;
}

function pointer(p: PointerSpec): string {
  return (
    `<OtherTSLPointer><ServiceDigitalIdentities>${p.signers.map((c) => `<ServiceDigitalIdentity><DigitalId><X509Certificate>${b64(c)}</X509Certificate></DigitalId></ServiceDigitalIdentity>`).join("")}</ServiceDigitalIdentities>` +
    `<TSLLocation>${esc(p.location)}</TSLLocation><AdditionalInformation>` +
    `<OtherInformation><TSLType>${p.type}</TSLType></OtherInformation>` +
    `<OtherInformation><SchemeOperatorName>${names(p.operator)}</SchemeOperatorName></OtherInformation>` +
    `<OtherInformation><SchemeTerritory>${p.territory}</SchemeTerritory></OtherInformation>` +
    `<OtherInformation><ns3:MimeType xmlns:ns3="${ADD}">${p.mimeType}</ns3:MimeType></OtherInformation>` +
    `</AdditionalInformation></OtherTSLPointer>`
  );
}

/** The unsigned list (UTF-8 XML without a declaration). */
export function buildList(l: ListSpec): string {
  const type = l.lotl ? "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists" : "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric";
  const tsps = (l.providers ?? [])
    .map((p) => `<TrustServiceProvider><TSPInformation><TSPName>${names(p.name)}</TSPName><TSPTradeName>${names(p.name)}</TSPTradeName></TSPInformation><TSPServices>${p.services.map(service).join("")}</TSPServices></TrustServiceProvider>`)
    .join("");
  return (
    `<TrustServiceStatusList xmlns="${TSL}" Id="TSL-${l.territory}" TSLTag="http://uri.etsi.org/19612/TSLTag"><SchemeInformation>` +
    `<TSLVersionIdentifier>5</TSLVersionIdentifier><TSLSequenceNumber>${l.sequenceNumber}</TSLSequenceNumber><TSLType>${type}</TSLType>` +
    `<SchemeOperatorName>${names(l.operator)}</SchemeOperatorName>` +
    `<SchemeName>${names(`${l.territory}: TEST trusted list — not real`)}</SchemeName>` +
    (l.schemeInformationUris?.length ? `<SchemeInformationURI>${l.schemeInformationUris.map((u) => `<URI xml:lang="en">${esc(u)}</URI>`).join("")}</SchemeInformationURI>` : "") +
    `<SchemeTerritory>${l.territory}</SchemeTerritory>` +
    (l.pointers?.length ? `<PointersToOtherTSL>${l.pointers.map(pointer).join("")}</PointersToOtherTSL>` : "") +
    `<ListIssueDateTime>${iso(l.issueDate)}</ListIssueDateTime><NextUpdate><dateTime>${iso(l.nextUpdate)}</dateTime></NextUpdate>` +
    `</SchemeInformation>${tsps ? `<TrustServiceProviderList>${tsps}</TrustServiceProviderList>` : ""}</TrustServiceStatusList>`
  );
}

/** Signs a list as TS 119 612 §5.7 wants: enveloped XAdES-B-B over the whole document (podpis's signer). */
export async function signList(xml: string, key: KeyObject, certificate: Uint8Array, signingTime: Date): Promise<Buffer> {
  const scheme = key.asymmetricKeyType === "ec" ? "ecdsa" : "rsa-pkcs1";
  const prepared = prepareXades({
    certificate,
    chain: [certificate],
    packaging: "enveloped",
    content: Buffer.from(xml, "utf8"),
    mimeType: "text/xml",
    hash: "sha256",
    scheme,
    signingTime,
    idTag: "tl",
  });
  const sig = nodeSign("sha256", prepared.toBeSigned, scheme === "ecdsa" ? { key, dsaEncoding: "ieee-p1363" } : key);
  return assembleXades(prepared, sig);
}
