/**
 * Augmentation of every signature in a file to B-T, B-LT or B-LTA (EN 319 122-1 / EN 319 132-1
 * §5.3–§5.5; the levels are cumulative, EN 319 102-1 Annex). The steps:
 *
 * 1. the file is validated now; a signature that is not TOTAL_PASSED is refused — evidence is
 *    gathered only for what deserves it, so no output is made (ExtendError);
 * 2. B-T: a signature time-stamp where there is none;
 * 3. B-LT: validated again (so that the new time-stamps' paths are checked too — or, when the
 *    caller hands in the verdict it has just made and a time-stamp checker, only the new
 *    time-stamps are validated: the rest of the file is what that verdict judged), then the
 *    certificates and the revocation data that verdict rested on — for the signer's path and for
 *    every time-stamp's — are embedded, leaving out what the file already carries;
 * 4. B-LTA: an archive time-stamp over all of it. A file already B-LTA gets a new one covering
 *    the previous (renewal), after the previous one's validation data (step 3 sees it).
 *
 * Pure: the validation (and the evidence it recorded), the time-stamping authority and the clock
 * are the caller's (ExtendEnv).
 */
import type { Timestamper } from "../cms/write.js";
import { ExtendError } from "./extend-errors.js";
import { DataCollector, type NewTimestamp, type TimestampCheck, type ValidationData } from "./extend-evidence.js";
import { addCadesSignatureTimestamps, addCadesValidationData, joinSignedData, markPresent, splitSignedData } from "./extend-cades.js";
import { addXadesSignatureTimestamps, addXadesValidationData, markXadesPresent, parseForExtension } from "./extend-xades.js";
import { type NamedContent, addCadesArchiveTimestamps, addXadesArchiveTimestamp } from "./extend-archive.js";

export type ExtendLevel = "B-T" | "B-LT" | "B-LTA";
export const EXTEND_LEVELS: readonly ExtendLevel[] = ["B-T", "B-LT", "B-LTA"];

/** What extend reads of a validation report (validation/report.ts; declared here, one layer below). */
export interface Verdict {
  indication: string;
  signatures: ReadonlyArray<{
    id: string;
    indication: string;
    subIndication: string | null;
    counterSignatureOf?: string | null;
    level?: string;
    chain: ReadonlyArray<{ sha256: string }>;
    timestamps: ReadonlyArray<{ kind?: string; type?: string; tsa: { sha256: string } | null }>;
    errors: ReadonlyArray<{ code: string; message: string }>;
  }>;
}

export interface ExtendEnv {
  /** validates the file as it stands, at the time of the extension */
  validate(bytes: Uint8Array): Promise<Verdict>;
  /** the validation data of the path starting at this certificate (SHA-256 hex), as the last validations recorded it */
  pathData(leafSha256: string, into: DataCollector): void;
  timestamper: Timestamper;
  /**
   * validates time-stamps extend has just added (each against the data it covers, at the time of
   * the extension); with it and a caller's verdict, the file is not validated a second time
   */
  checkTimestamps?(stamps: readonly NewTimestamp[]): Promise<TimestampCheck[]>;
  /** detached content, in the order given (an archive time-stamp of a detached CAdES covers it, EN 319 122-1 §5.5.3) */
  contents?: readonly NamedContent[];
}

export interface ExtendResult {
  bytes: Buffer;
  format: "CAdES" | "XAdES";
  level: ExtendLevel;
  /** signatures extended */
  signatures: number;
  added: { signatureTimestamps: number; validationData: number; archiveTimestamps: number };
  /** the verdict the extension rested on (the last validation before the archive time-stamp) */
  verdict: Verdict;
}

/** XML when the first non-blank octet (after a UTF-8 BOM) is "<". */
export function looksLikeXml(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x3c || (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

const topLevel = (v: Verdict) => v.signatures.filter((s) => !s.counterSignatureOf);

/** Step 1 (and again after each change): every signature must be TOTAL_PASSED now. */
export function requireValid(v: Verdict, level: ExtendLevel): void {
  if (v.indication === "TOTAL_PASSED" && v.signatures.length > 0) return;
  const bad = v.signatures.filter((s) => s.indication !== "TOTAL_PASSED");
  const why = bad.length
    ? bad.map((s) => `${s.id}: ${s.indication}${s.subIndication ? "/" + s.subIndication : ""}${s.errors[0] ? ` (${s.errors[0].message})` : ""}`).join("; ")
    : "no signature validates";
  const failed = v.indication === "TOTAL_FAILED" || v.signatures.length === 0;
  throw new ExtendError(failed ? "EXTEND_REFUSED" : "EXTEND_REFUSED_INDETERMINATE", `not extended to ${level}: a signature that does not validate now cannot be given long-term evidence — ${why}`);
}

/** The data of one signature's paths: the signer's, and every time-stamp's. */
function signatureData(env: ExtendEnv, s: Verdict["signatures"][number], present: (c: DataCollector) => void): { signer: ValidationData; timestamps: ValidationData } {
  const signer = new DataCollector();
  present(signer);
  if (s.chain[0]) env.pathData(s.chain[0].sha256, signer);
  const ts = new DataCollector();
  present(ts);
  for (const d of signer.data.certificates) ts.already(d);
  for (const d of signer.data.crls) ts.already(d);
  for (const d of signer.data.ocsp) ts.already(d);
  for (const t of s.timestamps) if (t.tsa) env.pathData(t.tsa.sha256, ts);
  return { signer: signer.data, timestamps: ts.data };
}

/**
 * After signature time-stamps were added: the verdict the validation data is gathered from. The
 * caller's verdict is still the file's (the new time-stamps sign nothing of it, they are
 * unsigned attributes over the signature values it judged) once each new time-stamp validates on
 * its own; their TSAs join the signatures' time-stamps. Otherwise the whole file again.
 */
async function verdictAfterTimestamps(env: ExtendEnv, out: () => Uint8Array, verdict: Verdict, given: boolean, fresh: readonly NewTimestamp[], level: ExtendLevel): Promise<Verdict> {
  const tops = topLevel(verdict);
  if (!given || !env.checkTimestamps || fresh.some((f) => !tops[f.index])) {
    const v = await env.validate(out());
    requireValid(v, level);
    return v;
  }
  const checks = await env.checkTimestamps(fresh);
  const added = new Map<object, Array<{ kind: string; tsa: { sha256: string } | null }>>();
  checks.forEach((c, i) => {
    const s = tops[fresh[i]!.index]!;
    if (c.indication !== "TOTAL_PASSED" || !c.tsa) {
      const why = `${c.indication}${c.subIndication ? "/" + c.subIndication : ""}${c.errors.at(-1) ? ` (${c.errors.at(-1)!.message})` : ""}`;
      throw new ExtendError("EXTEND_REFUSED_INDETERMINATE", `not extended to ${level}: the signature time-stamp just added to ${s.id} does not validate — ${why}`);
    }
    added.set(s, [...(added.get(s) ?? []), { kind: "signature", tsa: c.tsa }]);
  });
  return { ...verdict, signatures: verdict.signatures.map((s) => (added.has(s) ? { ...s, timestamps: [...s.timestamps, ...added.get(s)!] } : s)) };
}

/** `opts.verdict`: the file's validation just made by the caller (the service's at receipt), not repeated */
export async function extendSignatures(bytes: Uint8Array, level: ExtendLevel, env: ExtendEnv, opts: { verdict?: Verdict } = {}): Promise<ExtendResult> {
  const xml = looksLikeXml(bytes);
  let verdict = opts.verdict ?? (await env.validate(bytes));
  requireValid(verdict, level);
  const fresh: NewTimestamp[] = [];
  const added = { signatureTimestamps: 0, validationData: 0, archiveTimestamps: 0 };
  let out: Buffer;
  if (xml) {
    const t = await addXadesSignatureTimestamps(bytes, env.timestamper, fresh);
    added.signatureTimestamps = t.added;
    out = t.bytes;
    if (level !== "B-T") {
      if (t.added) verdict = await verdictAfterTimestamps(env, () => out, verdict, opts.verdict !== undefined, fresh, level);
      const { targets } = parseForExtension(out);
      const tops = topLevel(verdict);
      const per = targets.map((target, i) => (tops[i] ? signatureData(env, tops[i]!, (c) => markXadesPresent(target, c)) : { signer: empty(), timestamps: empty() }));
      const v = addXadesValidationData(out, per);
      added.validationData = v.added;
      out = v.bytes;
    }
    if (level === "B-LTA") {
      const a = await addXadesArchiveTimestamp(out, env.timestamper, env.contents ?? []);
      added.archiveTimestamps = a.added;
      out = a.bytes;
    }
  } else {
    const sd = splitSignedData(bytes);
    added.signatureTimestamps = await addCadesSignatureTimestamps(sd, env.timestamper, fresh);
    // the file is encoded when something reads it: a validation, or the end of each level
    if (level !== "B-T") {
      if (added.signatureTimestamps) verdict = await verdictAfterTimestamps(env, () => joinSignedData(sd), verdict, opts.verdict !== undefined, fresh, level);
      const all = new DataCollector();
      markPresent(sd, all);
      for (const s of verdict.signatures) {
        if (s.chain[0]) env.pathData(s.chain[0].sha256, all);
        for (const t of s.timestamps) if (t.tsa) env.pathData(t.tsa.sha256, all);
      }
      added.validationData = addCadesValidationData(sd, all.data);
    }
    if (level === "B-LTA") added.archiveTimestamps = await addCadesArchiveTimestamps(sd, env.timestamper, env.contents ?? []);
    out = joinSignedData(sd);
  }
  return { bytes: out, format: xml ? "XAdES" : "CAdES", level, signatures: topLevel(verdict).length, added, verdict };
}

const empty = (): ValidationData => ({ certificates: [], crls: [], ocsp: [] });
