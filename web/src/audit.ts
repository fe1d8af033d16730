/**
 * The auditor's console (GET /audit). Everything here needs an API key of scope "audit", typed
 * in and kept in sessionStorage (this tab only, gone when it closes); without one nothing but the
 * key form is shown and no API call is made.
 */
import { ApiError, call, callJson } from "./api.js";
import { $, blobOf, el, say } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { languageSwitchInit } from "./page.js";
import { type Report, showReport } from "./report-view.js";
import { problemText } from "./verify.js";

const STORE = "podpis.auditKey";

interface Item {
  id: string;
  registrationNumber: string;
  receivedAt: string;
  applicant: string;
  service: string;
  accepted: boolean;
  indication: string;
}
interface Revalidation {
  mode: string;
  validationTime: string;
  indication: string;
  reproduced?: boolean;
  differences?: Array<{ path: string }>;
  changes: Array<{ id: string; from: string; to: string }>;
  report: Report;
}

const key = (): string | null => sessionStorage.getItem(STORE);
const auth = (): HeadersInit => ({ Authorization: `Bearer ${key() ?? ""}` });
const get = <T>(path: string, init: RequestInit = {}): Promise<T> => callJson<T>(path, { ...init, headers: { ...auth(), ...(init.headers ?? {}) } });

function locked(message = ""): void {
  $("#audit-console").hidden = true;
  $("#audit-sign-out").hidden = true;
  $("#audit-key-status").textContent = message || t("audit.needKey");
}

async function unlock(): Promise<void> {
  if (!key()) return locked();
  try {
    await get("/api/v1/submissions?limit=1");
  } catch (e) {
    sessionStorage.removeItem(STORE);
    return locked(e instanceof ApiError && (e.status === 401 || e.status === 403) ? t("audit.badKey") : problemText(e));
  }
  $("#audit-key-status").textContent = "";
  $("#audit-sign-out").hidden = false;
  $("#audit-console").hidden = false;
}

async function find(): Promise<void> {
  const status = $("#audit-find-status");
  const q = new URLSearchParams({ limit: "50" });
  const v = (id: string): string => $<HTMLInputElement>(id).value.trim();
  if (v("#audit-number")) q.set("registrationNumber", v("#audit-number"));
  if (v("#audit-applicant")) q.set("applicant", v("#audit-applicant"));
  if (v("#audit-from")) q.set("from", v("#audit-from"));
  if (v("#audit-to")) q.set("to", v("#audit-to"));
  say(status, t("busy"));
  try {
    const page = await get<{ items: Item[] }>(`/api/v1/submissions?${q}`);
    say(status, "");
    const target = $("#audit-results");
    if (page.items.length === 0) return void target.replaceChildren(el("p", {}, t("audit.none")));
    const head = el("tr", {}, ...["audit.col.number", "audit.col.received", "audit.col.applicant", "audit.col.accepted"].map((k) => el("th", { scope: "col" }, t(k as "audit.col.number"))));
    const rows = page.items.map((it) => {
      const open = el("button", { type: "button", class: "secondary", "data-testid": "audit-open", "aria-label": t("audit.open", { number: it.registrationNumber }) }, it.registrationNumber);
      open.addEventListener("click", () => void show(it).catch((e: unknown) => say(status, problemText(e), "error")));
      return el("tr", {}, el("td", {}, open), el("td", {}, formatTime(it.receivedAt)), el("td", {}, it.applicant), el("td", {}, it.accepted ? t("audit.yes") : t("audit.no")));
    });
    target.replaceChildren(el("table", {}, el("caption", {}, t("audit.results")), el("thead", {}, head), el("tbody", {}, ...rows)));
  } catch (e) {
    say(status, problemText(e), "error");
  }
}

let current: Item | null = null;
let evidenceUrl: string | null = null;

async function hasEvidenceRoute(): Promise<boolean> {
  // the evidence route is newer than the console: ask the API description rather than call a 404
  const doc = await callJson<{ paths: Record<string, unknown> }>("/openapi.json");
  return "/api/v1/submissions/{id}/evidence" in doc.paths;
}

async function show(it: Item): Promise<void> {
  current = it;
  const section = $("#audit-one");
  $("#audit-one-title").textContent = t("audit.submission", { number: it.registrationNumber });
  $("#audit-replay-received").replaceChildren();
  $("#audit-replay-now").replaceChildren();
  $("#audit-changes").replaceChildren();
  const [record, report, receipt, entries] = await Promise.all([
    get<{ integrity: { ok: boolean; mismatches: Array<{ object: string; message: string }> } }>(`/api/v1/submissions/${it.id}`),
    get<Report>(`/api/v1/submissions/${it.id}/report`),
    call(`/api/v1/submissions/${it.id}/receipt`, { headers: auth() }).then((r) => r.text()),
    get<{ entries: Array<{ seq: number; at: string; kind: string; hash: string; data: string }> }>(`/api/v1/submissions/${it.id}/audit`),
  ]);
  const integrity = $("#audit-integrity");
  integrity.textContent = record.integrity.ok ? t("audit.integrity.ok") : `${t("audit.integrity.bad")} ${record.integrity.mismatches.map((m) => `${m.object}: ${m.message}`).join("; ")}`;
  integrity.dataset.ok = String(record.integrity.ok);
  showReport($("#audit-report"), report);
  $("#audit-receipt").textContent = receipt;
  $("#audit-entries").replaceChildren(
    el("table", {}, el("thead", {}, el("tr", {}, ...(["audit.col.seq", "audit.col.at", "audit.col.kind", "audit.col.hash"] as const).map((h) => el("th", { scope: "col" }, t(h))))), el("tbody", {}, ...entries.entries.map((e) => el("tr", {}, el("td", {}, String(e.seq)), el("td", {}, formatTime(e.at)), el("td", {}, e.kind), el("td", {}, el("code", {}, e.hash.slice(0, 16) + "…")))))),
  );
  const evidence = $("#audit-evidence");
  evidence.textContent = t("audit.evidence.none");
  if (await hasEvidenceRoute()) {
    try {
      const r = await call(`/api/v1/submissions/${it.id}/evidence`, { headers: auth() });
      if (evidenceUrl) URL.revokeObjectURL(evidenceUrl);
      evidenceUrl = URL.createObjectURL(blobOf(new Uint8Array(await r.arrayBuffer()), r.headers.get("Content-Type") ?? "application/octet-stream"));
      evidence.replaceChildren(el("a", { href: evidenceUrl, download: `evidence-${it.registrationNumber.replace(/[^\w.-]+/g, "_")}` }, t("audit.evidence.download")));
    } catch {
      /* none kept: the text above stays */
    }
  }
  section.hidden = false;
  section.focus();
}

function replayView(target: HTMLElement, title: string, r: Revalidation): void {
  const box = el("div", { class: "result" });
  showReport(box, r.report);
  const extra = r.mode === "received" ? el("p", { "data-testid": "audit-reproduced", "data-reproduced": String(r.reproduced) }, r.reproduced ? t("audit.replay.reproduced") : `${t("audit.replay.differs")} ${(r.differences ?? []).map((d) => d.path).join(", ")}`) : null;
  target.replaceChildren(el("h4", {}, title), el("p", {}, formatTime(r.validationTime)), box, ...(extra ? [extra] : []));
  target.dataset.indication = r.indication;
}

async function replay(): Promise<void> {
  if (!current) return;
  const status = $("#audit-replay-status");
  say(status, t("busy"));
  try {
    const [received, now] = await Promise.all([
      get<Revalidation>(`/api/v1/submissions/${current.id}/revalidate?at=received`, { method: "POST" }),
      get<Revalidation>(`/api/v1/submissions/${current.id}/revalidate?at=now`, { method: "POST" }),
    ]);
    replayView($("#audit-replay-received"), t("audit.replay.received"), received);
    replayView($("#audit-replay-now"), t("audit.replay.now"), now);
    // what changed between the day it arrived and now, signature by signature
    const before = new Map(received.report.signatures.map((s) => [s.id, s.indication + (s.subIndication ? "/" + s.subIndication : "")]));
    const changed = now.report.signatures
      .map((s) => ({ id: s.id, from: before.get(s.id) ?? "—", to: s.indication + (s.subIndication ? "/" + s.subIndication : "") }))
      .filter((c) => c.from !== c.to);
    $("#audit-changes").replaceChildren(el("h4", {}, t("audit.changes")), changed.length ? el("ul", {}, ...changed.map((c) => el("li", {}, `${c.id}: ${c.from} → ${c.to}`))) : el("p", {}, t("audit.changes.none")));
    $("#audit-changes").dataset.changes = String(changed.length);
    say(status, "");
  } catch (e) {
    say(status, problemText(e), "error");
  }
}

async function verifyLog(): Promise<void> {
  const target = $("#audit-verify-result");
  try {
    const v = await get<{ ok: boolean; entries: number; submissions: number; head: { seq: number; hash: string } | null; mismatches: Array<{ subject: string; object: string; message: string }> }>("/api/v1/audit/verify", { method: "POST" });
    const head = v.head ? `${v.head.seq}:${v.head.hash}` : "—";
    target.replaceChildren(
      el("p", { class: `verdict ${v.ok ? "TOTAL_PASSED" : "TOTAL_FAILED"}` }, v.ok ? t("audit.verify.ok", { entries: v.entries, submissions: v.submissions, head }) : t("audit.verify.bad")),
      ...(v.mismatches.length ? [el("ul", {}, ...v.mismatches.map((m) => el("li", {}, `${m.subject}: ${m.object}: ${m.message}`)))] : []),
    );
    target.dataset.valid = String(v.ok);
  } catch (e) {
    target.replaceChildren(el("p", {}, problemText(e)));
  }
  target.hidden = false;
}

languageSwitchInit();
$<HTMLFormElement>("#audit-key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>("#audit-key");
  const k = input.value.trim();
  input.value = "";
  if (!k) return locked();
  sessionStorage.setItem(STORE, k);
  void unlock();
});
$("#audit-sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(STORE);
  locked();
});
$<HTMLFormElement>("#audit-find").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void find();
});
$("#audit-replay").addEventListener("click", () => void replay());
$("#audit-verify").addEventListener("click", () => void verifyLog());
void unlock();
