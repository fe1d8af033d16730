/**
 * podpis as a library (contract, "Library"): build a validator once, validate many times.
 */
import type { PathReport } from "./pki/path-types.js";
import { type PathOptions, type ValidatorOptions, createValidator } from "./validator.js";

export { createValidator, defaultValidationPolicy, Validator, InputError, type ValidatorOptions, type PathOptions } from "./validator.js";
export type { PathInputs, PathReport, PathResult } from "./pki/path-types.js";
export { parsePolicy, validationPolicy, withOverrides, type ValidationPolicy, type RevocationStrategy, type CryptoConstraints } from "./validation/policy.js";
/** @deprecated the RFC 5280 §6.1.1 inputs are PathInputs now ("policy" means the ValidationPolicy) */
export type PolicyInputs = import("./pki/path-types.js").PathInputs;
export type { Indication, SubIndication } from "./validation/indication.js";

/** One-off path validation; for many, build a validator with createValidator and reuse it. */
export async function validatePath(certBytes: Uint8Array, opts: ValidatorOptions & PathOptions): Promise<PathReport> {
  const v = await createValidator(opts);
  return v.validatePath(certBytes, opts);
}
