/**
 * What `openssl crl -text` says about a CRL, as an independent peer for the parser tests.
 */
import { spawnSync } from "node:child_process";

export const hasOpenssl = (): boolean => spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;

export interface OpensslEntry {
  serialHex: string;
  revocationDate: Date;
  reason: string | null;
}

export interface OpensslCrl {
  issuer: string;
  lastUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: bigint | null;
  deltaCrlIndicator: bigint | null;
  idp: { present: boolean; onlyUser: boolean; onlyCA: boolean; onlyAttribute: boolean; indirect: boolean; someReasons: boolean };
  entries: OpensslEntry[];
}

const REASON_TEXT: Record<string, string> = {
  Unspecified: "unspecified",
  "Key Compromise": "keyCompromise",
  "CA Compromise": "cACompromise",
  "Affiliation Changed": "affiliationChanged",
  Superseded: "superseded",
  "Cessation Of Operation": "cessationOfOperation",
  "Certificate Hold": "certificateHold",
  "Remove From CRL": "removeFromCRL",
  "Privilege Withdrawn": "privilegeWithdrawn",
  "AA Compromise": "aACompromise",
};

/** openssl prints "Jan  1 08:30:00 2010 GMT" */
const date = (s: string): Date => new Date(s.trim().replace(/ GMT$/, " UTC"));

/** "-01" → the two's complement octets an INTEGER holds, as our serial hex shows them. */
function serialHex(s: string): string {
  if (!s.startsWith("-")) return s.toLowerCase().replace(/^(00)+(?=..)/, "");
  const mag = BigInt("0x" + s.slice(1));
  let bytes = 1;
  while (mag > 1n << BigInt(bytes * 8 - 1)) bytes++;
  return ((1n << BigInt(bytes * 8)) - mag).toString(16).padStart(bytes * 2, "0");
}

export function opensslCrl(file: string): OpensslCrl {
  const r = spawnSync("openssl", ["crl", "-inform", "DER", "-noout", "-text", "-nameopt", "RFC2253", "-in", file], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`openssl failed on ${file}: ${r.stderr}`);
  const text = r.stdout.split(/\n\s*Signature Algorithm: [^\n]*\n\s*Signature Value:/)[0]!;
  const [head, revoked = ""] = text.split(/\n(?:Revoked Certificates:|No Revoked Certificates\.)/);
  const field = (re: RegExp): string | null => re.exec(head!)?.[1] ?? null;
  const idpText = /Issuing Distribution Point:[^\n]*\n([\s\S]*?)\n\s*X509v3|Issuing Distribution Point:[^\n]*\n([\s\S]*)$/.exec(head!);
  const idpBody = idpText ? (idpText[1] ?? idpText[2] ?? "") : "";
  const entries: OpensslEntry[] = [];
  for (const block of revoked.split(/\n\s*Serial Number: /).slice(1)) {
    const serial = block.split("\n")[0]!.trim();
    const rd = /Revocation Date: ([^\n]+)/.exec(block)![1]!;
    const reason = /CRL Reason Code:\s*\n\s*([^\n]+)/.exec(block)?.[1]?.trim() ?? null;
    entries.push({ serialHex: serialHex(serial), revocationDate: date(rd), reason: reason ? (REASON_TEXT[reason] ?? reason) : null });
  }
  const num = field(/CRL Number:\s*\n\s*([0-9A-Fa-f:]+)/);
  const delta = field(/Delta CRL Indicator:[^\n]*\n\s*([0-9A-Fa-f:]+)/);
  const next = field(/Next Update: ([^\n]+)/);
  return {
    issuer: field(/Issuer: ([^\n]+)/)!.trim(),
    lastUpdate: date(field(/Last Update: ([^\n]+)/)!),
    nextUpdate: next && next.trim() !== "NONE" ? date(next) : null,
    crlNumber: num === null ? null : toBigInt(num),
    deltaCrlIndicator: delta === null ? null : toBigInt(delta),
    idp: {
      present: idpText !== null,
      onlyUser: idpBody.includes("Only User Certificates"),
      onlyCA: idpBody.includes("Only CA Certificates"),
      onlyAttribute: idpBody.includes("Only Attribute Certificates"),
      indirect: idpBody.includes("Indirect CRL"),
      someReasons: idpBody.includes("Only Some Reasons"),
    },
    entries,
  };
}

/** openssl prints small numbers in decimal and big ones as colon-separated hex */
function toBigInt(s: string): bigint {
  return s.includes(":") ? BigInt("0x" + s.replace(/:/g, "")) : BigInt(s);
}
