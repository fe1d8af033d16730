/** --trust / --crl / --untrusted / --ocsp / --offline → a validator, naming the file when one is unusable. */
import { InputError, type Validator, createValidator } from "../validator.js";
import { TrustStore } from "../pki/trust-store.js";
import { type ParsedArgs, all, has } from "./args.js";
import { readFileOrDir, readInput } from "../io/files.js";
import type { ValidationPolicy } from "../validation/policy.js";

export interface TrustFiles {
  trust: string[];
  crls: string[];
  untrusted: string[];
  /** OCSP responses (DER) to use before asking any responder (`--ocsp` of verify, chain, extend) */
  ocsp?: string[];
  offline: boolean;
  policy?: ValidationPolicy;
}

export async function validatorFromFlags(a: ParsedArgs, defaults: { trust?: string[]; policy?: ValidationPolicy } = {}): Promise<Validator> {
  const trust = all(a, "trust").length ? all(a, "trust") : (defaults.trust ?? []);
  return validatorFromFiles({ trust, crls: all(a, "crl"), untrusted: all(a, "untrusted"), offline: has(a, "offline"), policy: defaults.policy, ocsp: all(a, "ocsp") });
}

/** The validator of `verify`, `chain` and `serve`: errors name the file (and flag) at fault. */
export async function validatorFromFiles(f: TrustFiles): Promise<Validator> {
  const trust = f.trust.flatMap((p) => readFileOrDir(p, "trust anchor (--trust)"));
  const crls = f.crls.flatMap((p) => readFileOrDir(p, "CRL (--crl)"));
  const untrusted = f.untrusted.map((p) => ({ path: p, bytes: readInput(p, "untrusted certificate (--untrusted)") }));
  const ocsp = (f.ocsp ?? []).map((p) => ({ path: p, bytes: readInput(p, "OCSP response (--ocsp)") }));
  try {
    return await createValidator({
      trust: trust.map((x) => x.bytes),
      crls: crls.map((x) => x.bytes),
      untrusted: untrusted.map((x) => x.bytes),
      offline: f.offline,
      policy: f.policy,
      ...(ocsp.length ? { ocspResponses: ocsp.map((x) => x.bytes) } : {}),
    });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    if (e.code === "BAD_CRL" && e.index !== undefined) {
      throw new InputError(e.code, `${crls[e.index]!.path} is not a usable CRL: ${e.message.replace(/^CRL input \d+ is not a CRL: /, "")}`);
    }
    if (e.code === "BAD_OCSP_RESPONSE" && e.index !== undefined) {
      throw new InputError(e.code, `${ocsp[e.index]!.path} (--ocsp) is not an OCSP response: ${e.message.replace(/^OCSP response input \d+ is not an OCSP response: /, "")}`);
    }
    if (e.code === "BAD_TRUST_ANCHOR") {
      // find the file at fault: each is tried alone (only on this error path)
      const bad = trust.find((x) => {
        try {
          TrustStore.fromBytes([x.bytes]);
          return false;
        } catch {
          return true;
        }
      });
      if (bad) throw new InputError(e.code, `${bad.path} (--trust) is not a certificate: ${e.message.replace(/^a trust anchor is not a certificate: /, "")}`);
    }
    throw e;
  }
}
