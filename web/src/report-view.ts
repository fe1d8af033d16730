/**
 * A validation report in plain words: the verdict first (valid / not valid / cannot be decided
 * yet), who signed (name, masked EGN or EIK), when, qualified or not and by which trusted list,
 * what was signed, and why not — then the chain, time-stamps and level folded in <details>.
 */
import { el } from "./dom.js";
import { formatTime, has, t } from "./i18n.js";

export interface Report {
  indication: string;
  subIndication?: string | null;
  validationTime: string;
  errors?: Array<{ code: string; message: string }>;
  signatures: Signature[];
}
interface Signature {
  id: string;
  indication: string;
  subIndication: string | null;
  level: string;
  qualification: string;
  signer: { subject: string; commonName: string | null; identifier: { type: string; country: string; value: string } | null } | null;
  claimedSigningTime: string | null;
  bestSignatureTime?: string | null;
  signedData: Array<{ kind: string; ref: string }>;
  chain: Array<{ subject: string; revocation?: { status: string } }>;
  timestamps: Array<{ type?: string; kind?: string; genTime: string; indication?: string; valid?: boolean }>;
  qualificationDetails?: { source: string; list: { territory: string; sequenceNumber: number } | null } | null;
  errors: Array<{ code: string; message: string }>;
  warnings: Array<{ code: string; message: string }>;
}

/** EN 319 412-1 natural person numbers are personal data: only the first five digits are shown. */
const mask = (v: string): string => (v.length > 5 ? v.slice(0, 5) + "*".repeat(v.length - 5) : v);

function who(s: Signature): string {
  if (!s.signer) return t("sig.unknownSigner");
  const name = s.signer.commonName ?? s.signer.subject;
  const id = s.signer.identifier;
  if (!id) return name;
  if (id.type === "PNO" && id.country === "BG") return `${name} (${t("sig.egn")} ${mask(id.value)})`;
  if (id.type === "NTR" && id.country === "BG") return `${name} (${t("sig.eik")} ${id.value})`;
  return `${name} (${id.type}${id.country} ${id.type === "PNO" ? mask(id.value) : id.value})`;
}

function when(s: Signature): string {
  if (s.bestSignatureTime) return t("sig.timestamped", { time: formatTime(s.bestSignatureTime) });
  if (s.claimedSigningTime) return t("sig.claimed", { time: formatTime(s.claimedSigningTime) });
  return t("sig.noTime");
}

function qualification(s: Signature): string {
  const k = `qual.${s.qualification}`;
  const name = has(k) ? t(k) : s.qualification;
  const d = s.qualificationDetails;
  if (!d) return name;
  if (d.list) return `${name}, ${t("qual.list", { territory: d.list.territory, seq: d.list.sequenceNumber })}`;
  return d.source === "certificate" ? `${name}, ${t("qual.fromCertificate")}` : name;
}

export function reason(sub: string | null | undefined, fallback?: string): string {
  if (sub) {
    const k = `sub.${sub}`;
    return has(k) ? t(k) : sub;
  }
  return fallback ?? "";
}

const row = (label: string, value: Node | string): HTMLElement => el("div", { class: "row" }, el("dt", {}, label), el("dd", {}, value));

function signatureView(s: Signature): HTMLElement {
  const verdictKey = `indication.${s.indication}`;
  const rows = [
    row(t("sig.signer"), who(s)),
    row(t("sig.when"), when(s)),
    row(t("sig.kind"), qualification(s)),
    row(t("sig.what"), el("ul", {}, ...s.signedData.map((d) => el("li", {}, has(`signed.${d.kind}`) ? t(`signed.${d.kind}` as "signed.element", { ref: d.ref }) : d.kind)))),
  ];
  if (s.indication !== "TOTAL_PASSED") rows.push(row(t("sig.why"), reason(s.subIndication, s.errors[0]?.message)));
  const details = el(
    "details",
    {},
    el("summary", {}, t("verify.details")),
    el("dl", {},
      row(t("sig.level"), s.level),
      row(t("sig.chain"), el("ol", {}, ...s.chain.map((c) => el("li", {}, `${c.subject}${c.revocation ? ` — ${has(`rev.${c.revocation.status}`) ? t(`rev.${c.revocation.status}` as "rev.good") : c.revocation.status}` : ""}`)))),
      row(t("sig.timestamps"), s.timestamps.length ? el("ul", {}, ...s.timestamps.map((x) => el("li", {}, `${x.type ?? x.kind ?? ""}: ${formatTime(x.genTime)}`))) : t("sig.noTimestamps")),
      ...(s.warnings.length ? [row(t("sig.warnings"), el("ul", {}, ...s.warnings.map((w) => el("li", {}, w.message))))] : []),
    ),
  );
  return el("article", { class: `signature ${s.indication}`, "data-indication": s.indication }, el("h4", {}, `${has(verdictKey) ? t(verdictKey) : s.indication}`), el("dl", {}, ...rows), details);
}

/** The report into `target` (its children replaced); `data-indication` set on it once it is there. */
export function showReport(target: HTMLElement, r: Report): void {
  const k = `indication.${r.indication}.long`;
  const head = el("p", { class: `verdict ${r.indication}` }, has(k) ? t(k) : r.indication);
  const notSig = r.signatures.length === 0 && r.errors?.some((e) => e.code === "NOT_A_SIGNATURE");
  target.replaceChildren(head, ...(notSig ? [el("p", {}, t("verify.notSignature"))] : []), ...r.signatures.map(signatureView));
  target.dataset.indication = r.indication;
  target.hidden = false;
}
