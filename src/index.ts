/**
 * podpis as a library (contract, "Library"): build a validator once, validate many times.
 */
import type { PathReport } from "./pki/path-types.js";
import { type PathOptions, type ValidatorOptions, createValidator } from "./validator.js";

export { createValidator, Validator, InputError, type ValidatorOptions, type PathOptions } from "./validator.js";
export type { PathReport, PathResult, PolicyInputs } from "./pki/path-types.js";
export type { Indication, SubIndication } from "./validation/indication.js";

/** One-off path validation; for many, build a validator with createValidator and reuse it. */
export async function validatePath(certBytes: Uint8Array, opts: ValidatorOptions & PathOptions): Promise<PathReport> {
  const v = await createValidator(opts);
  return v.validatePath(certBytes, opts);
}
