/** --trust / --crl / --untrusted / --offline → a validator, naming the file when one is unusable. */
import { InputError, type Validator, createValidator } from "../validator.js";
import { type ParsedArgs, all, has } from "./args.js";
import { readFileOrDir, readInput } from "../io/files.js";
import type { ValidationPolicy } from "../validation/policy.js";

export async function validatorFromFlags(a: ParsedArgs, defaults: { trust?: string[]; policy?: ValidationPolicy } = {}): Promise<Validator> {
  const trustPaths = all(a, "trust").length ? all(a, "trust") : (defaults.trust ?? []);
  const trust = trustPaths.flatMap((p) => readFileOrDir(p, "trust anchor"));
  const crls = all(a, "crl").flatMap((p) => readFileOrDir(p, "CRL"));
  const untrusted = all(a, "untrusted").map((p) => ({ path: p, bytes: readInput(p, "untrusted certificate") }));
  try {
    return await createValidator({
      trust: trust.map((f) => f.bytes),
      crls: crls.map((f) => f.bytes),
      untrusted: untrusted.map((f) => f.bytes),
      offline: has(a, "offline"),
      policy: defaults.policy,
    });
  } catch (e) {
    if (e instanceof InputError && e.code === "BAD_CRL" && e.index !== undefined) {
      throw new InputError(e.code, `${crls[e.index]!.path} is not a usable CRL: ${e.message.replace(/^CRL input \d+ is not a CRL: /, "")}`);
    }
    throw e;
  }
}
