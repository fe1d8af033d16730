/** The page's language (from `<html lang>`, which the server sets from ?lang=) and its texts. */
import { BG } from "./text-bg.js";
import { EN, type TextKey } from "./text-en.js";

export const lang: "bg" | "en" = document.documentElement.lang === "en" ? "en" : "bg";
const TEXTS = lang === "en" ? EN : BG;

/** A text with its {placeholders} filled. */
export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  return TEXTS[key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ""));
}

export const has = (key: string): key is TextKey => key in TEXTS;

/** Fills every `data-t` element's text and every `data-t-label` element's aria-label. */
export function translate(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-t]")) {
    const k = el.dataset.t!;
    if (has(k)) el.textContent = t(k);
  }
  for (const el of root.querySelectorAll<HTMLElement>("[data-t-label]")) {
    const k = el.dataset.tLabel!;
    if (has(k)) el.setAttribute("aria-label", t(k));
  }
  document.title = t(document.body.dataset.page === "audit" ? "page.audit.title" : "page.title");
}

/** The language switch: the same page and query in the other language. */
export function languageSwitch(a: HTMLAnchorElement): void {
  const u = new URL(location.href);
  u.searchParams.set("lang", lang === "en" ? "bg" : "en");
  a.href = u.pathname + u.search;
  a.hreflang = lang === "en" ? "bg" : "en";
  a.lang = lang === "en" ? "bg" : "en";
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === "en" ? "en-GB" : "bg-BG", { timeZone: "Europe/Sofia", dateStyle: "long", timeStyle: "medium" });
}
