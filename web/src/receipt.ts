/** The page's receipt check: a receipt file or pasted XML to POST /api/v1/receipts/verify. */
import { callJson } from "./api.js";
import { $, el, readFile, say } from "./dom.js";
import { t } from "./i18n.js";
import { reason } from "./report-view.js";
import { problemText } from "./verify.js";

export interface ReceiptCheck {
  valid: boolean;
  registrationNumber: string | null;
  accepted?: boolean | null;
  problems?: Array<{ code: string; message: string }>;
  /** issue 16: proven to be this entry of the public transparency log (null: cannot be proven) */
  log?: { index: number; treeSize: number } | null;
}

export async function checkReceipt(xml: Uint8Array | string): Promise<ReceiptCheck> {
  const body = typeof xml === "string" ? xml : new Blob([xml.slice().buffer as ArrayBuffer]);
  return callJson<ReceiptCheck>("/api/v1/receipts/verify", { method: "POST", headers: { "Content-Type": "application/xml" }, body });
}

export function showReceiptCheck(target: HTMLElement, r: ReceiptCheck): void {
  const lines: HTMLElement[] = [el("p", { class: `verdict ${r.valid ? "TOTAL_PASSED" : "TOTAL_FAILED"}` }, r.valid ? t("receipt.valid", { number: r.registrationNumber ?? "" }) : t("receipt.invalid"))];
  if (r.valid && r.accepted !== undefined && r.accepted !== null) lines.push(el("p", {}, r.accepted ? t("receipt.accepted") : t("receipt.notAccepted")));
  if (r.valid && r.log) lines.push(el("p", { "data-testid": "receipt-log", "data-log-index": String(r.log.index) }, t("receipt.inLog", { index: String(r.log.index), size: String(r.log.treeSize) })));
  if (!r.valid && r.problems?.length) lines.push(el("ul", {}, ...r.problems.map((p) => el("li", {}, reason(null, p.message)))));
  target.replaceChildren(...lines);
  target.dataset.valid = String(r.valid);
  target.hidden = false;
}

export function initReceipt(): void {
  const status = $("#receipt-status");
  const result = $("#receipt-result");
  $<HTMLFormElement>("#receipt-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = await readFile($<HTMLInputElement>("#receipt-file"));
    // sent as pasted: the log holds the receipt's exact bytes, a trimmed newline would not match
    const pasted = $<HTMLTextAreaElement>("#receipt-text").value;
    const text = pasted.trim() ? pasted : "";
    if (!file && !text) {
      say(status, t("receipt.needInput"), "error");
      return;
    }
    say(status, t("busy"));
    result.hidden = true;
    delete result.dataset.valid;
    try {
      showReceiptCheck(result, await checkReceipt(file ? file.bytes : text));
      say(status, "");
      result.focus();
    } catch (e) {
      say(status, problemText(e), "error");
    }
  });
}
