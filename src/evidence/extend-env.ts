/**
 * An ExtendEnv over a validator (src/validator.ts, described here by the few members used, since
 * evidence/ sits below it): validation at the caller's clock, and the validation data recorded
 * by a wrapper around the validator's revocation checker, installed once per validator.
 */
import type { Certificate } from "../pki/certificate.js";
import type { RevocationChecker } from "../revocation/types.js";
import type { Timestamper } from "../cms/write.js";
import { type DataCollector, EvidenceRecorder } from "./extend-evidence.js";
import type { ExtendEnv, Verdict } from "./extend.js";
import type { NamedContent } from "./extend-archive.js";

export interface ExtendingValidator {
  verify(bytes: Uint8Array, opts: { contents?: readonly NamedContent[]; at?: Date }): Promise<Verdict>;
  readonly context: { revocation: RevocationChecker };
  readonly crlStore: { bySha256(sha256: string): { der: Uint8Array } | undefined };
  readonly trustStore: { certificates(): readonly Certificate[] };
  readonly untrusted: readonly Certificate[];
}

const recorders = new WeakMap<object, EvidenceRecorder>();

/** The validator's recorder; the first call wraps its revocation checker. */
export function recorderOf(v: ExtendingValidator): EvidenceRecorder {
  let r = recorders.get(v.context);
  if (!r) {
    r = new EvidenceRecorder();
    const ctx = v.context as { revocation: RevocationChecker };
    ctx.revocation = r.wrap(ctx.revocation);
    recorders.set(v.context, r);
  }
  return r;
}

/** The validation data of the path from `leafSha256`, as `v`'s recorder has it. */
export function pathDataOf(v: ExtendingValidator, leafSha256: string, into: DataCollector): void {
  const known = (sha: string): Uint8Array | undefined =>
    v.trustStore.certificates().find((c) => c.sha256 === sha)?.der ?? v.untrusted.find((c) => c.sha256 === sha)?.der;
  recorderOf(v).pathData(leafSha256, { crl: (s) => v.crlStore.bySha256(s)?.der, certificate: known }, into);
}

export function extendEnvFor(v: ExtendingValidator, opts: { timestamper: Timestamper; contents?: readonly NamedContent[]; now: () => Date }): ExtendEnv {
  recorderOf(v);
  return {
    validate: (bytes) => v.verify(bytes, { contents: opts.contents ?? [], at: opts.now() }),
    pathData: (leaf, into) => pathDataOf(v, leaf, into),
    timestamper: opts.timestamper,
    ...(opts.contents ? { contents: opts.contents } : {}),
  };
}
