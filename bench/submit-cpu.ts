/**
 * `npm run bench -- submit-cpu` (issue 15, "Throughput of submissions"): what one submission
 * costs in process, outside HTTP — µs per `service.submit` (wall and CPU, one at a time), and its
 * parts measured alone in the same run: the validation, the B-LTA augmentation (two time-stamps),
 * the receipt document, the seal (XAdES-B-T: one signature, one time-stamp), one TSA token and
 * the archive write (SQLite, synchronous=FULL: mostly fsync, not CPU). Once with the bundled
 * RSA-2048 seal and TSA keys, once with P-256 ones (certs-test seal-p256, tsa-p256), next to one
 * raw validation of the same 10 KB CAdES. Goal: ≤ 1.2 ms per submission with P-256 keys.
 *   npx tsx bench/submit-cpu.ts        PODPIS_BENCH_SUBMITS=400 (submissions per key set)
 */
import { submissionId } from "../src/archive/submission-id.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLED } from "../src/bundled.js";
import { signCades } from "../src/cades/sign.js";
import type { Timestamper } from "../src/cms/write.js";
import { extendSignatures } from "../src/evidence/extend.js";
import { extendEnvFor } from "../src/evidence/extend-env.js";
import type { Material } from "../src/archive/port.js";
import { buildRuntime, createLogger, defaultConfig } from "../src/http/config.js";
import { crlMaterial } from "../src/http/material.js";
import { openKey } from "../src/keys/index.js";
import { buildReceipt, buildReceiptForms } from "../src/receipt/document.js";

// (absent before issue 15's change: the bench then measures extend re-validating, as the service did)
const checker = await import("../src/http/augment.js").then((m) => m.timestampChecker).catch(() => undefined);

const AT = "2026-06-01T00:00:00Z";
const N = Number(process.env.PODPIS_BENCH_SUBMITS ?? 400);
process.env.PODPIS_BENCH_KEY_PASSWORD = BUNDLED.password;

const key = await openKey({ key: "certs-test/keys/citizen-rsa2048.p12", secret: BUNDLED.password });
const content = Buffer.from("<zayavlenie>" + "Заявление за издаване на удостоверение. ".repeat(75) + "</zayavlenie>");
const p7m = await signCades({ key, content, packaging: "enveloping", signingTime: new Date(AT) });
await key.close();

/** mean µs of `f` over `n` sequential calls (after a warm-up), wall and CPU of this process */
async function cost(n: number, f: (i: number) => Promise<unknown> | unknown): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await f(i);
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  const wall = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / n };
}

/** CPU ms of this thread (the event loop's) alone, not the process's other threads (Linux; 10 ms ticks) */
function loopThreadCpuMs(): number {
  const stat = readFileSync("/proc/thread-self/stat", "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const keySets = [
  { name: "RSA-2048 seal + TSA", seal: BUNDLED.sealKey, tsa: BUNDLED.tsaKey },
  { name: "P-256 seal + TSA", seal: join(BUNDLED.pki, "keys", "seal-p256.p12"), tsa: join(BUNDLED.pki, "keys", "tsa-p256.p12") },
];

const rows: string[] = [];
let unit = 0;
const fmt = (label: string, r: { wall: number; cpu: number }) =>
  `  ${label.padEnd(40)} ${r.wall.toFixed(0).padStart(6)} µs wall ${r.cpu.toFixed(0).padStart(6)} µs CPU  ${(r.cpu / unit).toFixed(1).padStart(5)} × one validation`;
for (const set of keySets) {
  const data = mkdtempSync(join(tmpdir(), "podpis-submit-cpu-"));
  const rt = await buildRuntime(
    {
      ...defaultConfig(),
      dataDir: data,
      databaseUrl: undefined,
      clock: AT,
      offline: true,
      sealKey: set.seal,
      sealPasswordEnv: set.seal === BUNDLED.sealKey ? undefined : "PODPIS_BENCH_KEY_PASSWORD",
      tsaKey: set.tsa,
      tsaPasswordEnv: set.tsa === BUNDLED.tsaKey ? undefined : "PODPIS_BENCH_KEY_PASSWORD",
      logLevel: "silent",
    },
    createLogger("silent"),
  );
  const service = rt.service;
  // the service's time-stamper (the built-in TSA behind its 503 classification), as submit uses it
  const timestamper = (service as unknown as { o: { timestamper: Timestamper } }).o.timestamper;
  const at = rt.clock();
  const report = await rt.validator.verify(p7m, { at });
  if (report.indication !== "TOTAL_PASSED") throw new Error(`the bench's CAdES does not validate: ${report.indication}`);
  const first = await service.submit({ document: p7m, contents: [], applicant: "Иван Петров Иванов", service: "urn:podpis:service:bench" });
  if (!first.record.accepted) throw new Error("the bench's submission was not accepted");

  const validate = await cost(N, () => rt.validator.verify(p7m, { at: rt.clock() }));
  // as the service's augment does: its verdict handed in, only the new time-stamps checked
  const env = extendEnvFor(rt.validator, { timestamper, contents: [], now: rt.clock });
  if (checker) env.checkTimestamps = checker(rt.validator, rt.clock);
  const augment = await cost(N, () => extendSignatures(p7m, "B-LTA", env, { verdict: report }));
  const receiptInput = {
    submissionId: first.record.id, accepted: true, provider: rt.sealer.provider, transportType: "HTTPS API", registeredBy: "podpis", register: "bench",
    sequence: 1, registrationNumber: "bench-1", receivedAt: at, caseAccessIdentifier: "x", applicant: "Иван Петров Иванов", documentType: "urn:podpis:service:bench",
    files: [{ role: "signature" as const, sha256: "00".repeat(32), size: p7m.length }], report, log: { origin: "podpis.local/log", index: 1 },
  };
  const receipt = await cost(N, () => buildReceipt(receiptInput));
  const xml = buildReceipt(receiptInput);
  const seal = await cost(N, () => rt.sealer.seal(xml, at));
  // (aug, issue 15) the seal as service.submit calls it: with the receipt's canonical form, sealed as text
  const forms = buildReceiptForms(receiptInput);
  const sealAsSubmit = await cost(N, () => rt.sealer.seal(forms.xml, at, forms.canonical));
  const token = await cost(N, (i) => timestamper(Buffer.from(`token ${i}`), "sha256"));
  // the archive write alone: the same record with the material a submission archives (the service's fixed items and the CRLs) and a ready receipt
  const evidence = (await extendSignatures(p7m, "B-LTA", env, { verdict: report })).bytes;
  const sealed = await rt.sealer.seal(xml, at);
  const fixed = (service as unknown as { fixed: { items: Material[]; policyVersion: string } }).fixed;
  const material = [...fixed.items, ...crlMaterial(rt.validator, report, new Set())];
  const archiveRecord = () => ({
    id: submissionId(rt.clock()), register: "bench", receivedAt: at, validationTime: at, applicant: "Иван Петров Иванов", service: "urn:podpis:service:bench", accepted: true,
    policyVersion: fixed.policyVersion, document: p7m, contents: [], reportJson: JSON.stringify(report), indication: report.indication, material, evidence,
  });
  const archive = await cost(N, () => rt.archive.submit(archiveRecord(), async () => sealed));
  // the node's writer under load: 16 submissions in flight, so group commit batches them (the checkpoint as the writer runs it)
  const loop0 = loopThreadCpuMs();
  const batched = await cost(Math.ceil(N / 4), () => Promise.all(Array.from({ length: 16 }, () => rt.archive.submit(archiveRecord(), async () => sealed))));
  // (the warm-up's 50 rounds included: what of the writer's CPU is on its event loop, the rest on libuv's and the checkpoint's threads)
  const loopShare = (loopThreadCpuMs() - loop0) / ((batched.cpu * (Math.ceil(N / 4) + Math.min(50, Math.ceil(N / 4)))) / 1000);
  const archive16 = { wall: batched.wall / 16, cpu: batched.cpu / 16 };
  const submit = await cost(N, () => service.submit({ document: p7m, contents: [], applicant: "Иван Петров Иванов", service: "urn:podpis:service:bench" }));
  unit = validate.cpu;
  const outside = { wall: validate.wall + augment.wall + receipt.wall + seal.wall, cpu: validate.cpu + augment.cpu + receipt.cpu + seal.cpu };
  rows.push(
    `${set.name} (${N} each, one at a time):`,
    fmt("service.submit (all of it)", submit),
    fmt("outside the archive (sum of the 4 below)", outside),
    fmt("  validate", validate),
    fmt("  augment to B-LTA (2 TSA tokens)", augment),
    fmt("  receipt document", receipt),
    fmt("  seal (XAdES-B-T, 1 TSA token)", seal),
    fmt("  seal as submit calls it (canonical)", sealAsSubmit),
    fmt("    of which one TSA token", token),
    fmt("archive write (alone, receipt ready)", archive),
    fmt("archive write, 16 in flight (per submission)", archive16) + `  ${(100 * loopShare).toFixed(0)}% on the event loop`,
    fmt("rest (material, report JSON, digests, …)", { wall: submit.wall - validate.wall - augment.wall - receipt.wall - seal.wall - archive.wall, cpu: submit.cpu - validate.cpu - augment.cpu - receipt.cpu - seal.cpu - archive.cpu }),
  );
  await rt.close();
  rmSync(data, { recursive: true, force: true });
}

// the baseline of the same run: one raw validation (the validator the service built, same file)
console.log(`CAdES ${p7m.length} bytes, SQLite archive in a temporary directory, clock ${AT}`);
for (const r of rows) console.log(r);
console.log("goal (issue 15): ≤ 1,200 µs CPU per submission with P-256 keys on a quiet machine; the × column is the load-independent view");
