/**
 * Who a certificate names: the ETSI EN 319 412-1 §5.1.3 / §5.1.4 semantics identifiers
 * (`PNOBG-<EGN>` in serialNumber, `NTRBG-<EIK>` in organizationIdentifier) and the older
 * Bulgarian text forms (`EGN:…`, `PID:…`, `BULSTAT:…`) that archived certificates carry.
 *
 * egn — ЕГН, the Bulgarian personal number; eik — ЕИК/BULSTAT, the company register number.
 */
import type { Certificate } from "./certificate.js";
import { type Name, nameAttribute } from "./name.js";

export interface Identifier {
  /** EN 319 412-1 type: PNO, IDC, PAS, TIN, TAX (natural persons), NTR, VAT, PSD, LEI (legal persons) */
  type: string;
  /** ISO 3166 country code ("BG"), or "" when the legacy form does not say */
  country: string;
  value: string;
  /** where it was found: the ETSI semantics form, or an older Bulgarian text form */
  form: "etsi" | "legacy";
}

export interface IdentifierWarning {
  code: "EGN_CHECKSUM" | "EIK_CHECKSUM";
  message: string;
}

export interface SubjectIdentity {
  /** the natural person's identifier, or the legal person's one for a seal */
  identifier: Identifier | null;
  /** organizationIdentifier when a natural person's certificate also names an organization */
  organizationIdentifier: Identifier | null;
  warnings: IdentifierWarning[];
}

const OID_SERIAL_NUMBER = "2.5.4.5";
const OID_ORGANIZATION_IDENTIFIER = "2.5.4.97";
const OID_ST = "2.5.4.8";
const OID_OU = "2.5.4.11";
/** InfoNotary's subjectAltName directory attribute carrying the EGN */
const OID_INFONOTARY_EGN = "2.5.4.3.100.1.1";

const NATURAL = new Set(["PAS", "IDC", "PNO", "TAX", "TIN"]);
const LEGAL = new Set(["VAT", "NTR", "PSD", "LEI"]);

/** EN 319 412-1 §5.1.3/§5.1.4: 3 letters type, 2 letters country, hyphen, value. */
const SEMANTICS = /^([A-Z]{3})([A-Z]{2}|:[A-Za-z]{2})-(.+)$/;

export function parseSemanticsIdentifier(text: string, legal: boolean): Identifier | null {
  const m = SEMANTICS.exec(text.trim());
  if (!m) return null;
  const type = m[1]!;
  if (!(legal ? LEGAL : NATURAL).has(type)) return null;
  return { type, country: m[2]!.replace(":", "").toUpperCase(), value: m[3]!, form: "etsi" };
}

/** EGN check digit: Σ dᵢ·wᵢ (w = 2,4,8,5,10,9,7,3,6) mod 11, 10 → 0. */
export function egnValid(egn: string): boolean {
  if (!/^\d{10}$/.test(egn)) return false;
  const w = [2, 4, 8, 5, 10, 9, 7, 3, 6];
  let s = 0;
  for (let i = 0; i < 9; i++) s += Number(egn[i]) * w[i]!;
  return (s % 11) % 10 === Number(egn[9]);
}

function weighted(d: string, from: number, weights: number[]): number {
  let s = 0;
  for (let i = 0; i < weights.length; i++) s += Number(d[from + i]) * weights[i]!;
  return s % 11;
}

/**
 * EIK/BULSTAT: 9 digits with check digit Σ dᵢ·i (i = 1..8) mod 11, on 10 weights 3..10, on 10
 * again 0; the 13-digit branch form adds digits 10–12 and a check digit over digits 9–12 with
 * weights 2,7,3,5 (fallback 4,9,5,7, then 0).
 */
export function eikValid(eik: string): boolean {
  if (!/^(\d{9}|\d{13})$/.test(eik)) return false;
  let c = weighted(eik, 0, [1, 2, 3, 4, 5, 6, 7, 8]);
  if (c === 10) c = weighted(eik, 0, [3, 4, 5, 6, 7, 8, 9, 10]) % 10;
  if (c !== Number(eik[8])) return false;
  if (eik.length === 9) return true;
  let c2 = weighted(eik, 8, [2, 7, 3, 5]);
  if (c2 === 10) c2 = weighted(eik, 8, [4, 9, 5, 7]) % 10;
  return c2 === Number(eik[12]);
}

/** Shown where the full EGN is not needed (human output, logs): 7501010010 → 75010***** */
export function maskEgn(value: string): string {
  return value.length > 5 ? value.slice(0, 5) + "*".repeat(value.length - 5) : value;
}

/** An identifier as found, with the legacy text prefix it came from (not reported). */
type Found = Identifier & { legacyKind?: "EGN" | "PID" | "BULSTAT" };

function checkIdentifier(id: Found, warnings: IdentifierWarning[]): void {
  if (id.country !== "BG" && id.country !== "") return;
  if (id.type === "PNO" && id.form === "etsi" && !egnValid(id.value)) {
    warnings.push({ code: "EGN_CHECKSUM", message: `the personal number ${maskEgn(id.value)} is not a well-formed EGN (check digit or length)` });
  }
  if (id.type === "PNO" && id.form === "legacy" && id.legacyKind === "EGN" && !egnValid(id.value)) {
    warnings.push({ code: "EGN_CHECKSUM", message: `the EGN ${maskEgn(id.value)} has a wrong check digit or length` });
  }
  if (id.type === "NTR" && !eikValid(id.value)) {
    warnings.push({ code: "EIK_CHECKSUM", message: `the EIK ${id.value} has a wrong check digit or length` });
  }
  if (id.type === "VAT") {
    // A Bulgarian VAT number is the EIK (companies) or the EGN (sole traders).
    const v = id.value.replace(/^BG/, "");
    if (v.length === 10 ? !egnValid(v) : !eikValid(v)) {
      warnings.push({ code: v.length === 10 ? "EGN_CHECKSUM" : "EIK_CHECKSUM", message: `the VAT number ${v.length === 10 ? maskEgn(v) : v} has a wrong check digit or length` });
    }
  }
}


/** `EGN:7501010010`, `PID:…`, `BULSTAT:201230426`, `SR:EIK 201230426` in ST, OU or serialNumber. */
function legacyFrom(text: string): Found | null {
  const m = /^\s*(EGN|PID|BULSTAT|EIK|SR:\s*EIK)\s*[:\s]\s*([0-9A-Za-z]+)\s*$/i.exec(text);
  if (!m) return null;
  const kind = m[1]!.toUpperCase().replace(/\s+/g, "");
  const value = m[2]!;
  if (kind === "EGN") return { type: "PNO", country: "BG", value, form: "legacy", legacyKind: "EGN" };
  // PID is the foreigner's personal number (ЛНЧ); it has another checksum, not checked here.
  if (kind === "PID") return { type: "PNO", country: "BG", value, form: "legacy", legacyKind: "PID" };
  return { type: "NTR", country: "BG", value, form: "legacy", legacyKind: "BULSTAT" };
}

function allValues(name: Name, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name.rdns) for (const a of rdn) if (a.type === type && a.value !== null) out.push(a.value);
  return out;
}

/** The identifiers a certificate's subject carries, with checksum warnings. */
export function subjectIdentity(cert: Certificate): SubjectIdentity {
  const warnings: IdentifierWarning[] = [];
  const subject = cert.subject;
  let person: Found | null = null;
  let organization: Found | null = null;

  const serial = nameAttribute(subject, OID_SERIAL_NUMBER);
  if (serial) person = parseSemanticsIdentifier(serial, false);
  const orgId = nameAttribute(subject, OID_ORGANIZATION_IDENTIFIER);
  if (orgId) organization = parseSemanticsIdentifier(orgId, true);

  if (!person || !organization) {
    const texts = [...allValues(subject, OID_SERIAL_NUMBER), ...allValues(subject, OID_ST), ...allValues(subject, OID_OU)];
    for (const gn of cert.subjectAltName ?? []) {
      if (gn.type !== "directoryName") continue;
      for (const v of allValues(gn.name, OID_INFONOTARY_EGN)) texts.push(`EGN:${v}`);
    }
    for (const t of texts) {
      const l = legacyFrom(t);
      if (!l) continue;
      if (l.type === "PNO" && !person) person = l;
      else if (l.type === "NTR" && !organization) organization = l;
    }
  }
  if (person) checkIdentifier(person, warnings);
  if (organization) checkIdentifier(organization, warnings);
  const strip = (i: Identifier | null): Identifier | null => (i ? { type: i.type, country: i.country, value: i.value, form: i.form } : null);
  return person
    ? { identifier: strip(person), organizationIdentifier: strip(organization), warnings }
    : { identifier: strip(organization), organizationIdentifier: null, warnings };
}
