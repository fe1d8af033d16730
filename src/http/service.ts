/**
 * What the routes call: verification, submission (validate → archive → seal, all before the
 * answer), auditor replay and receipt checks. Routes stay thin; this is the one place that ties
 * the validator, the archive and the receipt together.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../archive/audit.js";
import type { Integrity } from "../archive/integrity.js";
import { type Difference, jsonDifferences } from "../archive/json-diff.js";
import { ArchiveError, type ArchiveStore, type FileRef, type Material, type SubmissionRecord } from "../archive/port.js";
import { type FileStore, type StoredFile, isFileRef } from "../archive/file-store.js";
import { submissionIntegrity } from "../archive/verify-archive.js";
import { submissionId } from "../archive/submission-id.js";
import { pooledRandom } from "../pki/random-pool.js";
import { DEFAULT_LOG_ORIGIN } from "../archive/log-key.js";
import { proveInLog } from "../archive/log-reader.js";
import { buildReceiptForms, rejectionReasons } from "../receipt/document.js";
import { type ReceiptCheck, checkReceipt, parseReceipt } from "../receipt/check.js";
import { RECEIPT_CHECK_BUDGET, type ValidationBudget } from "../limits/budgets.js";
import type { ReceiptSealer } from "../receipt/seal.js";
import { loadPolicy } from "../validation/policy.js";
import type { ValidationReport } from "../validation/report.js";
import { type DetachedInput, type Validator, createValidator } from "../validator.js";
import { type StaticMaterial, crlMaterial, ocspMaterial, recordCrlUse, staticMaterial, tlMaterial, withRecording } from "./material.js";
import type { Timestamper } from "../cms/write.js";
import { ExtendError } from "../evidence/extend-errors.js";
import { extendSignatures } from "../evidence/extend.js";
import { extendEnvFor, recorderOf } from "../evidence/extend-env.js";
import { timestampChecker } from "./augment.js";
import { archivedTrustState } from "../trust/load.js";

export type Clock = () => Date;

/**
 * A clock that starts at `base` and runs at real speed (tests pin the calendar, not the seconds).
 * `origin` (epoch ms) is the real instant `base` stands for: the primary sets it once so that
 * every worker's clock reads the same — otherwise a worker started later would run behind and
 * find another worker's fresh time-stamp "after the validation time".
 */
export function clockFrom(base: Date | null, origin?: number): Clock {
  if (!base) return () => new Date();
  const t0 = origin ?? Date.now();
  return () => new Date(base.getTime() + (Date.now() - t0));
}

export interface ServiceOptions {
  validator: Validator;
  archive: ArchiveStore;
  sealer: ReceiptSealer;
  clock: Clock;
  policy: { bytes: Uint8Array; name: string };
  register: string;
  transportType?: string;
  registeredBy?: string;
  /** the transparency log's origin and verifier key (issue 16); default origin podpis.local/log */
  log?: { origin: string; verifierKey: string };
  /**
   * the service's TSA (the in-process one by default): with it, every accepted submission is
   * augmented to B-LTA at receipt (issue 13); without it, none is
   */
  timestamper?: Timestamper;
  /** checks receipts: the validator plus the service's own seal and TSA chains (issue 12); default `validator` */
  receiptValidator?: Validator;
  /** archived with every submission besides the validator's material (the seal chain) */
  ownMaterial?: Material[];
  /** where large detached contents are kept beside the database (issue 15, archive/file-store.ts) */
  files?: FileStore;
  /** a submission's detached content past this many bytes goes to the file store (default FILE_STORE_OVER) */
  fileStoreOver?: number;
}

/** the default of `serve --file-store-over`: past this, a row would hold a blob databases handle badly */
export const FILE_STORE_OVER = 8 * 1024 * 1024;

const isStored = (c: Buffer | StoredFile): c is StoredFile => !(c instanceof Uint8Array);

export interface SubmissionInput {
  document: Buffer;
  /** bytes, or (issue 15) a large content already written to the file store while it streamed */
  contents: Array<Buffer | StoredFile>;
  applicant: string;
  service: string;
}

export interface SubmissionResult {
  record: SubmissionRecord;
  report: ValidationReport;
  /** `report` as the JSON text archived (the answer splices it in instead of serialising the report again) */
  reportJson: string;
  receipt: string;
  /** the receipt's index in the transparency log */
  logIndex: number;
}

export type RevalidationMode = "received" | "now";

export interface Revalidation {
  id: string;
  registrationNumber: string;
  mode: RevalidationMode;
  validationTime: string;
  original: { validationTime: string; indication: string };
  indication: string;
  /** at=received: the replay gave exactly the archived report */
  reproduced?: boolean;
  /** what was validated: the evidence augmented at receipt (at=now, when there is one) or the document as received */
  evaluated: "evidence" | "document";
  /** at=received and not reproduced: where the replayed report differs from the archived one */
  differences?: Difference[];
  /** do the stored bytes (document, report, receipt, material) still match their logged hashes? */
  integrity: Integrity;
  /** per signature, where the verdict differs from the archived one */
  changes: Array<{ id: string; from: string; to: string }>;
  report: ValidationReport;
}

const sha256 = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

/** a receipt's case access identifier: 96 random bits (base64url), drawn from a pool (one CSPRNG call per 256) */
const caseAccess = pooledRandom(12, 256, "base64url");

export const isNotASignature = (r: ValidationReport): boolean =>
  r.signatures.length === 0 && ((r as { errors?: Array<{ code: string }> }).errors ?? []).some((e) => e.code === "NOT_A_SIGNATURE");

const verdict = (s: { indication: string; subIndication: string | null }): string => s.indication + (s.subIndication ? "/" + s.subIndication : "");

export class PodpisService {
  private readonly fixed: StaticMaterial;
  private readonly replayValidators = new Map<string, Promise<Validator>>();

  constructor(private readonly o: ServiceOptions) {
    recordCrlUse(o.validator);
    // before any validation: what decided each certificate's status is kept for the evidence
    recorderOf(o.validator);
    this.fixed = staticMaterial(o.validator, o.policy.bytes, o.policy.name);
    this.fixed.items.push(...(o.ownMaterial ?? []));
  }

  get clock(): Clock {
    return this.o.clock;
  }

  get validator(): Validator {
    return this.o.validator;
  }

  /** the file store beside the archive (issue 15), when configured */
  get files(): FileStore | undefined {
    return this.o.files;
  }

  get fileStoreOver(): number {
    return this.o.fileStoreOver ?? FILE_STORE_OVER;
  }

  /**
   * Archived contents as the validator takes them: bytes, or a file-store content read back and
   * hashed (its digests; a missing or altered file is refused with the reason, never validated).
   */
  private async detached(contents: Array<Buffer | FileRef>): Promise<DetachedInput[]> {
    return Promise.all(
      contents.map(async (c, i) => {
        if (!isFileRef(c)) return c;
        if (!this.o.files) throw new ArchiveError("FILE_STORE_MISMATCH", `detached content ${i} is kept in a file store, and this service has none configured (--file-store)`);
        const read = await this.o.files.check(c);
        if (!read.ok) throw new ArchiveError("FILE_STORE_MISMATCH", `detached content ${i}: ${read.problem}`);
        return { digests: read.digests, size: c.size };
      }),
    );
  }

  get logIdentity(): { origin: string; verifierKey: string | null } {
    return { origin: this.o.log?.origin ?? DEFAULT_LOG_ORIGIN, verifierKey: this.o.log?.verifierKey ?? null };
  }

  async verify(document: Uint8Array, contents: DetachedInput[], at = this.o.clock(), work: { budget?: Partial<ValidationBudget>; signal?: AbortSignal } = {}): Promise<ValidationReport> {
    return this.o.validator.verify(document, { contents, at, budget: work.budget, signal: work.signal });
  }

  async submit(input: SubmissionInput): Promise<SubmissionResult> {
    const receivedAt = this.o.clock();
    // a stored content is validated by the digests taken as it streamed (cms/signer.ts DetachedDigests);
    // unnamed, as contents kept in the row are, so that a replay from the archive reproduces the report
    const forValidation: DetachedInput[] = input.contents.map((c) => (isStored(c) ? { digests: c.digests, size: c.ref.size } : c));
    const { value: report, crls } = await withRecording(() => this.o.validator.verify(input.document, { contents: forValidation, at: receivedAt }));
    const accepted = report.indication === "TOTAL_PASSED";
    const reportJson = JSON.stringify(report);
    const material: Material[] = [...this.fixed.items, ...crlMaterial(this.o.validator, report, crls), ...ocspMaterial(this.o.validator, report), ...tlMaterial(this.o.validator)];
    const evidence = accepted ? await this.augment(input, report) : null;
    const id = submissionId(receivedAt);
    let receipt = "";
    let logIndex = -1;
    const record = await this.o.archive.submit(
      {
        id, register: this.o.register, receivedAt, validationTime: receivedAt, applicant: input.applicant, service: input.service, accepted,
        policyVersion: this.fixed.policyVersion, document: input.document, contents: input.contents.map((c) => (isStored(c) ? c.ref : c)), reportJson, indication: report.indication, material, evidence,
      },
      async (assigned) => {
        logIndex = assigned.logIndex;
        const { xml, canonical } = buildReceiptForms({
          submissionId: id,
          accepted,
          provider: this.o.sealer.provider,
          transportType: this.o.transportType ?? "HTTPS API",
          registeredBy: this.o.registeredBy ?? "podpis",
          register: this.o.register,
          sequence: assigned.sequence,
          registrationNumber: assigned.registrationNumber,
          receivedAt,
          caseAccessIdentifier: caseAccess(),
          applicant: input.applicant,
          documentType: input.service,
          files: [
            { role: "signature", sha256: sha256(input.document), size: input.document.length },
            ...input.contents.map((c) => (isStored(c) ? { role: "content" as const, sha256: c.ref.sha256, size: c.ref.size } : { role: "content" as const, sha256: sha256(c), size: c.length })),
          ],
          report,
          reasons: accepted ? undefined : rejectionReasons(report),
          log: { origin: this.logIdentity.origin, index: assigned.logIndex },
        });
        receipt = await this.o.sealer.seal(xml, receivedAt, canonical);
        return receipt;
      },
    );
    return { record, report, reportJson, receipt, logIndex };
  }

  /**
   * The signature augmented to B-LTA with the service's TSA and the validation data the verdict
   * rested on (issue 13). A signature extend refuses (the TSA's own path not trusted here, a
   * format it cannot add to) is archived without evidence rather than turned away: the verdict
   * and the receipt stand on their own. A TSA that is away fails the submission, as the seal does.
   */
  private async augment(input: SubmissionInput, report: ValidationReport): Promise<Buffer | null> {
    if (!this.o.timestamper) return null;
    // the archive time-stamp over a detached content needs its bytes (evidence/ works on bytes):
    // a content in the file store is archived without evidence, as a refused extension is
    if (input.contents.some(isStored)) return null;
    const env = extendEnvFor(this.o.validator, { timestamper: this.o.timestamper, contents: (input.contents as Buffer[]).map((bytes) => ({ bytes })), now: this.o.clock });
    // the verdict was made a moment ago by this validator: only the new time-stamps are validated
    env.checkTimestamps = timestampChecker(this.o.validator, this.o.clock);
    try {
      return (await extendSignatures(input.document, "B-LTA", env, { verdict: report })).bytes;
    } catch (e) {
      if (e instanceof ExtendError) return null;
      throw e;
    }
  }

  /** A validator built from a submission's archived material only, offline. */
  private replayValidator(material: Material[], lists?: ValidationReport["trustedLists"]): Promise<Validator> {
    const key = material.map((m) => m.sha256).sort().join(",") + (lists ? JSON.stringify(lists) : "");
    let v = this.replayValidators.get(key);
    if (!v) {
      const of = (k: Material["kind"]) => material.filter((m) => m.kind === k).map((m) => m.bytes);
      const policy = of("policy")[0];
      v = createValidator({
        trust: of("anchors"),
        crls: of("crl"),
        untrusted: of("untrusted"),
        ocspResponses: of("ocsp"),
        offline: true,
        policy: policy ? loadPolicy(JSON.parse(Buffer.from(policy).toString("utf8"))) : undefined,
        // the list versions of that day, as the report named them (issue 14)
        ...(of("tl").length ? { trustedLists: archivedTrustState(of("tl"), lists ?? []) } : {}),
      });
      if (this.replayValidators.size >= 32) this.replayValidators.delete(this.replayValidators.keys().next().value!);
      this.replayValidators.set(key, v);
      v.catch(() => this.replayValidators.delete(key));
    }
    return v;
  }

  /** A submission's record with its integrity against the audit log (GET /submissions/{id}). */
  /** The newest evidence of a submission (GET /submissions/{id}/evidence). */
  async evidence(id: string): Promise<{ bytes: Buffer; version: number; createdAt: string; sha256: string } | null> {
    return this.o.archive.getEvidence(id);
  }

  async submission(id: string): Promise<(SubmissionRecord & { integrity: Integrity }) | null> {
    const rec = await this.o.archive.getSubmission(id);
    if (!rec) return null;
    return { ...rec, integrity: (await submissionIntegrity(this.o.archive, id, this.o.files)) ?? { ok: false, mismatches: [] } };
  }

  async revalidate(id: string, mode: RevalidationMode): Promise<Revalidation | null> {
    const rec = await this.o.archive.getSubmission(id);
    if (!rec) return null;
    const integrity = (await submissionIntegrity(this.o.archive, id, this.o.files)) ?? { ok: false, mismatches: [] };
    const [stored, reportJson] = await Promise.all([this.o.archive.getDocument(id), this.o.archive.getReport(id)]);
    const doc = { document: stored!.document, contents: await this.detached(stored!.contents) };
    const original = JSON.parse(reportJson!) as ValidationReport;
    let report: ValidationReport;
    let reproduced: boolean | undefined;
    let differences: Difference[] | undefined;
    let evaluated: Revalidation["evaluated"] = "document";
    if (mode === "received") {
      const v = await this.replayValidator(await this.o.archive.getMaterial(id), original.trustedLists);
      report = await v.verify(doc!.document, { contents: doc!.contents, at: new Date(rec.validationTime) });
      reproduced = canonicalJson(report) === canonicalJson(original);
      if (!reproduced) differences = jsonDifferences(JSON.parse(canonicalJson(original)), JSON.parse(canonicalJson(report)));
    } else {
      // the evidence carries what the verdict needs long after certificates expired and CAs
      // stopped answering: validated from the archive alone (its anchors and policy), offline
      const evidence = await this.o.archive.getEvidence(id);
      if (evidence) {
        evaluated = "evidence";
        const v = await this.replayValidator(await this.o.archive.getMaterial(id));
        report = await v.verify(evidence.bytes, { contents: doc!.contents, at: this.o.clock() });
      } else report = await this.o.validator.verify(doc!.document, { contents: doc!.contents, at: this.o.clock() });
    }
    const changes: Revalidation["changes"] = [];
    const before = new Map(original.signatures.map((s) => [s.id, verdict(s)]));
    for (const s of report.signatures) if (before.get(s.id) !== verdict(s)) changes.push({ id: s.id, from: before.get(s.id) ?? "absent", to: verdict(s) });
    const result: Revalidation = {
      id,
      registrationNumber: rec.registrationNumber,
      mode,
      validationTime: report.validationTime,
      original: { validationTime: original.validationTime, indication: original.indication },
      indication: report.indication,
      evaluated,
      ...(reproduced === undefined ? {} : { reproduced }),
      ...(differences ? { differences } : {}),
      changes,
      integrity,
      report,
    };
    await this.o.archive.appendAudit("revalidation", id, { mode, validationTime: report.validationTime, indication: report.indication, reproduced: reproduced ?? null, reportSha256: sha256(JSON.stringify(report)) }, this.o.clock());
    return result;
  }

  async checkReceipt(xml: Buffer, signal?: AbortSignal): Promise<ReceiptCheck & { report: ValidationReport; archived: boolean | null; log: { index: number; treeSize: number } | null }> {
    // parsed once, under the receipt budget; only this service's seal may be the signer (issue 11)
    const seals = [this.o.sealer.certificateSha256];
    const receipt = parseReceipt(xml, RECEIPT_CHECK_BUDGET);
    const report = await (this.o.receiptValidator ?? this.o.validator).verify(xml, { at: this.o.clock(), budget: RECEIPT_CHECK_BUDGET, signal, xml: receipt.doc ?? undefined, signers: seals });
    const check = checkReceipt(receipt, report, seals);
    const tsProblem = receiptTimestampProblem(report);
    if (tsProblem) {
      check.problems.push(tsProblem);
      check.valid = false;
    }
    let archived: boolean | null = null;
    if (check.valid && check.registrationNumber) {
      const rec = await this.o.archive.findByRegistrationNumber(check.registrationNumber);
      archived = rec !== null && rec.id === check.submissionId;
      if (!archived) check.problems.push({ code: "NOT_IN_ARCHIVE", message: "no submission with this registration number and id is in the archive" });
      check.valid = archived;
    }
    // "in the public log at index N": only when the exact bytes presented are that entry, proven from the tiles
    const claimed = receipt.fields?.log;
    const log = check.valid && claimed && claimed.origin === this.logIdentity.origin ? await proveInLog(this.o.archive.transparencyLog, claimed.index, xml) : null;
    return { ...check, report, archived, log };
  }
}

/**
 * A receipt is XAdES-B-T: its time-stamp is what dates the receipt. One that is missing or does
 * not validate here (e.g. made by a TSA this service does not trust) makes the receipt not
 * valid, with a reason (issue 10 item 3) — the seal alone does not say when.
 */
export function receiptTimestampProblem(report: ValidationReport): { code: string; message: string } | null {
  const s = report.signatures[0];
  if (!s) return null;
  const sigTs = s.timestamps.filter((t) => t.kind === "signature");
  if (sigTs.length === 0) return { code: "TIMESTAMP_MISSING", message: "the receipt's seal carries no signature time-stamp" };
  const bad = sigTs.find((t) => t.indication !== "TOTAL_PASSED");
  if (!bad) return null;
  const why = bad.errors.at(-1)?.message ?? `${bad.indication}${bad.subIndication ? "/" + bad.subIndication : ""}`;
  return { code: "TIMESTAMP_NOT_VALID", message: `the receipt's time-stamp does not validate: ${why}` };
}
