/**
 * Anchors from trusted lists hold only for the periods their services' history gives them a
 * trusted status (TS 119 615 §4.1): a path that ends at such an anchor at a time its service was
 * withdrawn does not pass then. It fails as out of bounds — the anchor is outside its trusted
 * period — so that past signature validation (EN 319 102-1 §5.6.2.4) retries it at the signature's
 * proof of existence: a service withdrawn in 2020 still anchors a signature time-stamped before.
 */
import type { PathResult } from "../pki/path-types.js";
import type { TrustedListIndex } from "../trust/list-index.js";
import type { TrustState } from "../trust/load.js";
import type { Message } from "./signature-model.js";

export function withListAnchorPeriod(result: PathResult, lists: TrustedListIndex, explicit: ReadonlySet<string> | undefined, at: Date): PathResult {
  if (result.report.indication !== "TOTAL_PASSED") return result;
  const anchor = result.certificates.at(-1);
  if (!anchor || explicit?.has(anchor.sha256)) return result;
  // (undefined for an anchor that is not explicit: it came from an earlier version of the lists)
  if (lists.anchorTrustedAt(anchor, at) === true) return result;
  return {
    ...result,
    report: {
      ...result.report,
      indication: "INDETERMINATE",
      subIndication: "OUT_OF_BOUNDS_NO_POE",
      errors: [
        ...result.report.errors,
        { code: "TL_SERVICE_NOT_TRUSTED", message: `the trust anchor ${anchor.sha256.slice(0, 16)}… comes from a trusted list whose service was not in a trusted status at ${at.toISOString()} (withdrawn or not yet granted)`, certificate: anchor.sha256 },
      ],
    },
  };
}

/** The warnings every report of a validation with lists carries: lists past NextUpdate at `at`, lists refused. */
export function listWarnings(state: TrustState, at: Date): Message[] {
  const out: Message[] = [];
  for (const a of state.accepted) {
    const nu = a.list.nextUpdate;
    if (nu && nu.getTime() < at.getTime()) {
      const days = Math.floor((at.getTime() - nu.getTime()) / 86_400_000);
      out.push({
        code: "TL_STALE",
        message: `the trusted list ${a.list.schemeTerritory} sequence ${a.list.sequenceNumber} (sha256 ${a.list.sha256.slice(0, 16)}…) is past its NextUpdate ${nu.toISOString()} by ${days} day(s): a newer list may say otherwise`,
      });
    }
  }
  if (state.accepted.length === 0) out.push({ code: "TL_NONE_ACCEPTED", message: "no trusted list was accepted: nothing on a list anchors or qualifies this validation" });
  for (const p of state.problems) {
    out.push({ code: "TL_REFUSED", message: `the trusted list ${p.territory ? `${p.territory}${p.sequenceNumber !== null ? ` sequence ${p.sequenceNumber}` : ""} ` : ""}at ${p.location} was not used: ${p.reason}` });
  }
  return out;
}
