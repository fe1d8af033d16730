/** The page's Verify part: the signed file (and detached content) to POST /api/v1/public/verify. */
import { ApiError, callJson, form } from "./api.js";
import { $, readFile, say } from "./dom.js";
import { t } from "./i18n.js";
import { type Report, showReport } from "./report-view.js";

export function problemText(e: unknown): string {
  if (e instanceof ApiError) return e.status === 0 ? t("error.network") : `${t("error.generic")}: ${e.detail}`;
  return `${t("error.generic")}: ${(e as Error).message}`;
}

export function initVerify(): void {
  const formEl = $<HTMLFormElement>("#verify-form");
  const status = $("#verify-status");
  const result = $("#verify-result");
  formEl.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // the previous answer goes at once, before the files are read: it must never stand for this one
    result.hidden = true;
    delete result.dataset.indication;
    const file = await readFile($<HTMLInputElement>("#verify-file"));
    const content = await readFile($<HTMLInputElement>("#verify-content"));
    if (!file) {
      say(status, t("verify.file") + "?", "error");
      $<HTMLInputElement>("#verify-file").focus();
      return;
    }
    say(status, t("busy"));
    try {
      const parts: Array<[string, Uint8Array, string]> = [["signature", file.bytes, file.name]];
      if (content) parts.push(["content", content.bytes, content.name]);
      const report = await callJson<Report>("/api/v1/public/verify", { method: "POST", body: form(parts) });
      say(status, "");
      showReport(result, report);
      result.focus();
    } catch (e) {
      if (e instanceof ApiError && e.code === "NOT_A_SIGNATURE") {
        say(status, "");
        showReport(result, { indication: "TOTAL_FAILED", subIndication: "FORMAT_FAILURE", validationTime: "", signatures: [], errors: [{ code: "NOT_A_SIGNATURE", message: e.detail }] });
        result.dataset.indication = "TOTAL_FAILED";
        result.focus();
        return;
      }
      say(status, problemText(e), "error");
    }
  });
}
