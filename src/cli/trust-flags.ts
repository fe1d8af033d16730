/** --trust / --crl / --untrusted / --ocsp / --offline → a validator, naming the file when one is unusable. */
import { InputError, type Validator, createValidator } from "../validator.js";
import { TrustStore } from "../pki/trust-store.js";
import { type ParsedArgs, all, has } from "./args.js";
import { readFileOrDir, readInput } from "../io/files.js";
import type { ValidationPolicy } from "../validation/policy.js";
import { parseCertificates } from "../pki/certificate.js";
import { createListSource, isUrl } from "../io/tl-source.js";
import { type TrustState, loadTrustedLists } from "../trust/load.js";
import { UsageError } from "./args.js";

export interface TrustFiles {
  trust: string[];
  crls: string[];
  untrusted: string[];
  /** OCSP responses (DER) to use before asking any responder (`--ocsp` of verify, chain, extend) */
  ocsp?: string[];
  offline: boolean;
  policy?: ValidationPolicy;
  /** trusted lists already loaded (listsFromFlags / the service's refresher) */
  trustedLists?: TrustState;
}

/** The trusted-list flags of verify, chain and serve (issue 14). */
export const TL_FLAGS = {
  tl: { value: true, repeat: true },
  "tl-signer": { value: true, repeat: true },
  "tl-cache": { value: true },
} as const;

export interface ListFlags {
  tl: string[];
  signers: string[];
  cache?: string;
  offline: boolean;
}

export const listFlagsOf = (a: ParsedArgs): ListFlags => ({ tl: all(a, "tl"), signers: all(a, "tl-signer"), ...(a.flags.get("tl-cache") ? { cache: a.flags.get("tl-cache")![0]! } : {}), offline: has(a, "offline") });

/** --tl/--tl-signer/--tl-cache → the lists podpis trusts (each refused one named in the state's problems). */
export async function listsFromFlags(f: ListFlags, at: Date): Promise<TrustState> {
  if (f.signers.length && !f.tl.length) throw new UsageError("--tl-signer needs --tl (the list it signs)");
  const signers = f.signers.flatMap((p) => {
    try {
      return parseCertificates(readInput(p, "list signer certificate (--tl-signer)"));
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith("INPUT_")) throw e;
      throw new UsageError(`${p} (--tl-signer) is not a certificate: ${(e as Error).message}`);
    }
  });
  // a --tl file that is not there is a usage error, as a missing --trust file is
  for (const l of f.tl) if (!isUrl(l)) readInput(l, "trusted list (--tl)");
  const source = createListSource({ ...(f.cache ? { cacheDir: f.cache } : {}), offline: f.offline });
  return loadTrustedLists({ locations: f.tl, signers, source, at });
}

export async function validatorFromFlags(a: ParsedArgs, defaults: { trust?: string[]; policy?: ValidationPolicy; at?: Date } = {}): Promise<Validator> {
  const lists = all(a, "tl").length || all(a, "tl-signer").length ? await listsFromFlags(listFlagsOf(a), defaults.at ?? new Date()) : undefined;
  // with lists, the bundled test trust store is not added: the lists are the trust
  const trust = all(a, "trust").length ? all(a, "trust") : lists ? [] : (defaults.trust ?? []);
  return validatorFromFiles({ trust, crls: all(a, "crl"), untrusted: all(a, "untrusted"), offline: has(a, "offline"), policy: defaults.policy, ocsp: all(a, "ocsp"), ...(lists ? { trustedLists: lists } : {}) });
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
      ...(f.trustedLists ? { trustedLists: f.trustedLists } : {}),
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
