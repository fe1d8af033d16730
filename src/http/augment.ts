/**
 * The check extend asks for after it added signature time-stamps at receipt (issue 15): each new
 * token validated on its own (EN 319 102-1 §5.4: intact, a TSA fit for time-stamping whose path
 * validates now) with the service's validator — the signature it covers was judged a moment
 * before by the same validator, so it is not validated again. The TSA path's revocation data is
 * noted by the validator's evidence recorder as any validation's is. A token the built-in TSA
 * has just issued is read from what the TSA recorded of it (timestamp/issued.ts: the same token,
 * not parsed and its signature not verified again); its TSA's path is validated all the same.
 */
import type { TimestampCheck, NewTimestamp } from "../evidence/extend-evidence.js";
import { ownTimestampToken } from "../timestamp/issued.js";
import { readTimestampToken } from "../timestamp/token.js";
import { forVerification } from "../validation/context.js";
import { validateTimestamp } from "../validation/timestamp.js";
import type { Validator } from "../validator.js";

export function timestampChecker(validator: Validator, now: () => Date): (stamps: readonly NewTimestamp[]) => Promise<TimestampCheck[]> {
  return (stamps) =>
    Promise.all(
      stamps.map(async (s) => {
        const ctx = forVerification(validator.context);
        const read = { kind: "signature" as const, imprintedData: s.data, ctx };
        const token = ownTimestampToken(s.token, read) ?? readTimestampToken(s.token, read);
        const v = await validateTimestamp(token, ctx, now());
        return { indication: v.indication, subIndication: v.subIndication, tsa: token.tsaCertificate ? { sha256: token.tsaCertificate.sha256 } : null, errors: v.errors };
      }),
    );
}
