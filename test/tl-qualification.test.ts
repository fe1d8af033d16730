// TS 119 615 with the test lists (certs-test/tl, `npm run certs`): QESig, QESeal, AdESig-QC,
// AdESig and N/A exactly where the list's services, their history and qualifiers say — a granted
// CA/QC service with policy-based QCWithSSCD + QCForESig, a seal CA with QCForESeal, a CA whose
// certificates have no QcStatements (qualified by the list alone), a service withdrawn in 2026
// (anchors and qualifies before, not after), a QTST service (qualified time-stamps), the LOTL
// followed to the national list, and lists refused or stale. All offline, at fixed times.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createPrivateKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { signCades } from "../src/cades/sign.js";
import { createTimestamper } from "../src/io/tsa-client.js";
import { createListSource } from "../src/io/tl-source.js";
import { openPkcs12 } from "../src/keys/software.js";
import { parseCertificates } from "../src/pki/certificate.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { type TrustState, loadTrustedLists } from "../src/trust/load.js";
import type { SignatureReport, ValidationReport } from "../src/validation/report.js";
import { type Validator, createValidator } from "../src/validator.js";
import { buildList, signList, STATUS, SVCTYPE } from "../certs-test/tl/build.js";
import { TrustListError } from "../src/trust/errors.js";

const TL_ISSUE = new Date("2026-01-15T00:00:00Z");

const PKI = join(import.meta.dirname, "..", "certs-test");
const TL = join(PKI, "tl");
const AT = new Date("2026-06-01T00:00:00Z");
const BEFORE_WITHDRAWAL = new Date("2025-06-01T00:00:00Z");
const content = Buffer.from("заявление за тест\n", "utf8");
const pem = (f: string) => readFileSync(f);
const crls = [...readdirSync(join(PKI, "crl")).filter((f) => !f.includes("stale")).map((f) => readFileSync(join(PKI, "crl", f))), ...readdirSync(join(TL, "crl")).map((f) => readFileSync(join(TL, "crl", f)))];
const operator = parseCertificates(pem(join(TL, "scheme-operator.pem")));
const lotlOperator = parseCertificates(pem(join(TL, "lotl-operator.pem")));
const files = { bg: join(TL, "TSL-BG.xml"), lotl: join(TL, "LOTL.xml") };

const lists = (locations: string[], signers = operator, at = AT, cacheDir?: string): Promise<TrustState> =>
  loadTrustedLists({ locations, signers, source: createListSource({ offline: true, ...(cacheDir ? { cacheDir } : {}) }), at });

const validatorWith = (state: TrustState | undefined, trust: Uint8Array[] = []): Promise<Validator> =>
  createValidator({ trust, crls, offline: true, ...(state ? { trustedLists: state } : {}) });

/** The test TSA with its clock at `time` (an in-process RFC 3161 exchange). */
function timestamperAt(time: Date, v: Validator) {
  const tsa = new TimestampAuthority({ key: openPkcs12(readFileSync(join(PKI, "keys", "tsa.p12")), "podpis-test"), policy: "1.3.6.1.4.1.99999.1.3", serials: memorySerialSource(), clock: () => time });
  return createTimestamper({ url: "in-process", context: v.context, transport: async (_u, body) => (await tsa.respond(body)).response, now: () => time });
}

async function sign(p12: string, signingTime: Date, timestamper?: ReturnType<typeof timestamperAt>): Promise<Buffer> {
  const key = openPkcs12(readFileSync(p12), "podpis-test");
  return signCades({ key, content, packaging: "enveloping", signingTime, ...(timestamper ? { timestamper } : {}) });
}

const only = (r: ValidationReport): SignatureReport => {
  expect(r.signatures).toHaveLength(1);
  return r.signatures[0]!;
};

let bg: TrustState;
let withLists: Validator;
let rootOnly: Validator;
let rootAndLists: Validator;
const signed: Record<string, Buffer> = {};

beforeAll(async () => {
  bg = await lists([files.bg]);
  withLists = await validatorWith(bg);
  rootOnly = await validatorWith(undefined, [pem(join(PKI, "trust", "root-ca.pem"))]);
  rootAndLists = await validatorWith(bg, [pem(join(PKI, "trust", "root-ca.pem"))]);
  const t = new Date("2026-05-31T12:00:00Z");
  signed.citizen = await sign(join(PKI, "keys", "citizen-rsa2048.p12"), t);
  signed.seal = await sign(join(PKI, "keys", "seal-rsa2048.p12"), t);
  signed.noqc = await sign(join(TL, "keys", "noqc-leaf.p12"), t);
  signed.withdrawnBB = await sign(join(TL, "keys", "withdrawn-leaf.p12"), new Date("2025-05-31T12:00:00Z"));
  signed.withdrawnBT = await sign(join(TL, "keys", "withdrawn-leaf.p12"), new Date("2025-05-31T12:00:00Z"), timestamperAt(BEFORE_WITHDRAWAL, withLists));
  signed.citizenBT = await sign(join(PKI, "keys", "citizen-rsa2048.p12"), t, timestamperAt(new Date("2026-05-31T12:01:00Z"), withLists));
});

describe("qualification from the test BG list (TS 119 615)", () => {
  it("the list is accepted, and every report names it", async () => {
    expect(bg.problems).toEqual([]);
    expect(bg.accepted.map((a) => [a.list.schemeTerritory, a.list.sequenceNumber])).toEqual([["BG", 45]]);
    const r = (await withLists.verify(signed.citizen!, { at: AT })) as ValidationReport;
    expect(r.trustedLists).toEqual([expect.objectContaining({ kind: "TL", territory: "BG", sequenceNumber: 45, sha256: bg.accepted[0]!.list.sha256 })]);
  });

  it("granted CA/QC service, policy-based QCWithSSCD + QCForESig: QESig", async () => {
    const s = only((await withLists.verify(signed.citizen!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.qualification).toBe("QESig");
    expect(s.qualificationDetails).toEqual({
      atIssuance: "QC for eSig with QSCD",
      atSigning: "QC for eSig with QSCD",
      source: "TL",
      list: { territory: "BG", sequenceNumber: 45, sha256: bg.accepted[0]!.list.sha256 },
    });
  });

  it("seal CA with QCForESeal and the QSCD status as in the certificate: QESeal", async () => {
    const s = only((await withLists.verify(signed.seal!, { at: AT })) as ValidationReport);
    expect(s.qualification).toBe("QESeal");
    expect(s.qualificationDetails).toMatchObject({ atIssuance: "QC for eSeal with QSCD", source: "TL" });
  });

  it("a certificate without QcStatements: QESig from the list alone; AdESig without the list", async () => {
    const s = only((await withLists.verify(signed.noqc!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.qualification).toBe("QESig");
    expect(s.qualificationDetails).toMatchObject({ atIssuance: "QC for eSig with QSCD", atSigning: "QC for eSig with QSCD", source: "TL" });
    const without = only((await rootOnly.verify(signed.noqc!, { at: AT })) as ValidationReport);
    expect(without.indication).toBe("TOTAL_PASSED");
    expect(without.qualification).toBe("AdESig");
    expect(without.qualificationDetails).toMatchObject({ source: "certificate", list: null, atIssuance: "Not qualified" });
  });

  it("without any list, QcStatements give at most AdESig-QC / AdESeal-QC, with a warning", async () => {
    const s = only((await rootOnly.verify(signed.citizen!, { at: AT })) as ValidationReport);
    expect(s.qualification).toBe("AdESig-QC");
    expect(s.qualificationDetails).toEqual({ atIssuance: "QC for eSig with QSCD", atSigning: "QC for eSig with QSCD", source: "certificate", list: null });
    expect(s.warnings.map((w) => w.code)).toContain("QUALIFICATION_NOT_CONFIRMED");
    expect(only((await rootOnly.verify(signed.seal!, { at: AT })) as ValidationReport).qualification).toBe("AdESeal-QC");
  });

  it("withdrawn service, before its withdrawal: anchors, and QC without QSCD (as in the certificate) gives AdESig-QC", async () => {
    const v = await validatorWith(await lists([files.bg], operator, BEFORE_WITHDRAWAL));
    const s = only((await v.verify(signed.withdrawnBB!, { at: BEFORE_WITHDRAWAL })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.qualification).toBe("AdESig-QC");
    expect(s.qualificationDetails).toMatchObject({ atIssuance: "QC for eSig", atSigning: "QC for eSig", source: "TL" });
  });

  it("withdrawn service, after its withdrawal: no anchor for a signature without proof of existence", async () => {
    const s = only((await withLists.verify(signed.withdrawnBB!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("INDETERMINATE");
    expect(s.subIndication).toBe("OUT_OF_BOUNDS_NO_POE");
    expect(s.qualification).toBe("N/A");
    expect(s.errors.map((e) => e.code)).toContain("TL_SERVICE_NOT_TRUSTED");
  });

  it("withdrawn service, signature time-stamped before the withdrawal: passes at the POE, AdESig-QC, the time-stamp qualified", async () => {
    const s = only((await withLists.verify(signed.withdrawnBT!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.bestSignatureTime).toBe(BEFORE_WITHDRAWAL.toISOString());
    expect(s.qualification).toBe("AdESig-QC");
    expect(s.timestamps).toHaveLength(1);
    expect(s.timestamps[0]!.qualified).toBe(true);
  });

  it("withdrawn service, anchored by --trust after the withdrawal: QC at issuance, not at signing, so AdESig", async () => {
    const s = only((await rootAndLists.verify(signed.withdrawnBB!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.qualification).toBe("AdESig");
    expect(s.qualificationDetails!.atIssuance).toBe("QC for eSig");
    expect(s.qualificationDetails!.atSigning).toMatch(/^Not qualified: service withdrawn since 2026-01-01/);
  });

  it("a QTST service makes a qualified time-stamp; without lists the question is not answered", async () => {
    const s = only((await withLists.verify(signed.citizenBT!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.timestamps.map((t) => t.qualified)).toEqual([true]);
    expect(s.qualification).toBe("QESig");
    expect(only((await rootOnly.verify(signed.citizenBT!, { at: AT })) as ValidationReport).timestamps.map((t) => t.qualified)).toEqual([null]);
  });

  it("a signature that does not pass is N/A", async () => {
    const tampered = Buffer.from(signed.citizen!);
    const i = tampered.indexOf(content);
    tampered[i] = tampered[i]! ^ 1;
    const s = only((await withLists.verify(tampered, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_FAILED");
    expect(s.qualification).toBe("N/A");
  });

  it("path validation (chain) with the lists: anchored at the CA service, the list named", async () => {
    const cert = readFileSync(join(TL, "noqc-leaf.der"));
    const p = (await withLists.validatePath(cert, { at: AT })) as Awaited<ReturnType<Validator["validatePath"]>> & { trustedLists?: unknown[] };
    expect(p.indication).toBe("TOTAL_PASSED");
    expect(p.path.map((e) => e.subject)).toEqual([expect.stringMatching(/Никола/), expect.stringMatching(/without QcStatements/)]);
    expect(p.trustedLists).toHaveLength(1);
    const w = await withLists.validatePath(readFileSync(join(TL, "withdrawn-leaf.der")), { at: AT });
    expect(w.subIndication).toBe("OUT_OF_BOUNDS_NO_POE");
  });
});

describe("the test LOTL followed to the BG list", () => {
  it("LOTL pinned, BG given beside it: BG accepted with the signer from the LOTL's pointer", async () => {
    const state = await lists([files.lotl, files.bg], lotlOperator);
    expect(state.problems).toEqual([]);
    expect(state.accepted.map((a) => `${a.list.kind} ${a.list.schemeTerritory}`)).toEqual(["LOTL EU", "TL BG"]);
    const s = only((await (await validatorWith(state)).verify(signed.citizen!, { at: AT })) as ValidationReport);
    expect(s.qualification).toBe("QESig");
  });

  it("LOTL alone, offline, with the BG list in --tl-cache under its pointer's URL", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { createHash } = await import("node:crypto");
    const cache = mkdtempSync(join(tmpdir(), "podpis-tl-cache-"));
    const name = createHash("sha256").update("https://tl.podpis.test/TSL-BG.xml").digest("hex");
    writeFileSync(join(cache, `${name}.xml`), readFileSync(files.bg));
    writeFileSync(join(cache, `${name}.json`), JSON.stringify({ url: "https://tl.podpis.test/TSL-BG.xml", fetchedAt: "2026-05-30T00:00:00.000Z" }));
    const state = await lists([files.lotl], lotlOperator, AT, cache);
    expect(state.problems).toEqual([]);
    expect(state.accepted.find((a) => a.list.schemeTerritory === "BG")!.fetchedAt.toISOString()).toBe("2026-05-30T00:00:00.000Z");
    const s = only((await (await validatorWith(state)).verify(signed.noqc!, { at: AT })) as ValidationReport);
    expect(s.qualification).toBe("QESig");
  });

  it("the BG list signed by someone the LOTL does not name contributes nothing, and the report says so", async () => {
    // another key re-signs BG (the withdrawn CA's): intact, but neither the pointer's signer nor pinned
    const key = createPrivateKey(readFileSync(join(TL, "keys", "withdrawn-ca.key.pem")));
    const text = readFileSync(files.bg, "utf8").replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, "");
    const resigned = await signList(text, key, readFileSync(join(TL, "withdrawn-ca.der")), AT);
    const source = { get: async (l: string) => ({ bytes: l === "bg" ? resigned : readFileSync(files.lotl), fetchedAt: AT, origin: l }) };
    const state = await loadTrustedLists({ locations: ["lotl", "bg"], signers: lotlOperator, source, at: AT });
    expect(state.accepted.map((a) => a.list.schemeTerritory)).toEqual(["EU"]);
    expect(state.problems).toEqual([expect.objectContaining({ location: "bg", territory: "BG", sequenceNumber: 45, reason: expect.stringMatching(/not among the certificates allowed.*BG pointer/) })]);
    const s = only((await (await validatorWith(state)).verify(signed.citizen!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("INDETERMINATE");
    expect(s.subIndication).toBe("NO_CERTIFICATE_CHAIN_FOUND");
    expect(s.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: "TL_REFUSED", message: expect.stringMatching(/BG sequence 45 at bg was not used/) })]));
  });
});

describe("LOTL pivots", () => {
  it("trust in the configured (announced) signer is handed on through a pivot to the current LOTL's signer", async () => {
    // the announced key (here the withdrawn CA's test key) signed a pivot whose EU pointer names the LOTL operator
    const announcedKey = createPrivateKey(readFileSync(join(TL, "keys", "withdrawn-ca.key.pem")));
    const announced = parseCertificates(readFileSync(join(TL, "withdrawn-ca.pem")));
    const pivotUrl = "https://tl.podpis.test/lotl-pivot-6.xml";
    const eu = { territory: "EU", location: "https://tl.podpis.test/LOTL.xml", mimeType: "application/vnd.etsi.tsl+xml", type: "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists", operator: "EC", signers: [readFileSync(join(TL, "lotl-operator.der"))] };
    const pivot = await signList(
      buildList({ territory: "EU", sequenceNumber: 6, lotl: true, operator: "EC", issueDate: new Date("2025-06-01T00:00:00Z"), nextUpdate: new Date("2025-12-01T00:00:00Z"), pointers: [eu] }),
      announcedKey, readFileSync(join(TL, "withdrawn-ca.der")), new Date("2025-06-01T00:00:00Z"),
    );
    const lotlKey = createPrivateKey(readFileSync(join(TL, "keys", "lotl-operator.key.pem")));
    const bgPointer = { territory: "BG", location: "https://tl.podpis.test/TSL-BG.xml", mimeType: "application/vnd.etsi.tsl+xml", type: "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric", operator: "CRC", signers: [readFileSync(join(TL, "scheme-operator.der"))] };
    const current = await signList(
      buildList({ territory: "EU", sequenceNumber: 7, lotl: true, operator: "EC", issueDate: TL_ISSUE, nextUpdate: new Date("2037-01-01T00:00:00Z"), schemeInformationUris: [pivotUrl], pointers: [eu, bgPointer] }),
      lotlKey, readFileSync(join(TL, "lotl-operator.der")), TL_ISSUE,
    );
    const files: Record<string, Uint8Array> = { lotl: current, [pivotUrl]: pivot, "https://tl.podpis.test/TSL-BG.xml": readFileSync(join(TL, "TSL-BG.xml")) };
    const source = { get: async (l: string) => ({ bytes: files[l]!, fetchedAt: AT, origin: l }) };
    const state = await loadTrustedLists({ locations: ["lotl"], signers: announced, source, at: AT });
    expect(state.problems).toEqual([]);
    expect(state.accepted.map((a) => `${a.list.kind} ${a.list.schemeTerritory}`)).toEqual(["LOTL EU", "TL BG"]);
    // without the pivot, the announced signer does not reach the current LOTL
    const none = await loadTrustedLists({ locations: ["lotl"], signers: announced, source: { get: async (l: string) => (l === "lotl" ? { bytes: current, fetchedAt: AT, origin: l } : Promise.reject(new TrustListError("TL_UNAVAILABLE", "offline"))) }, at: AT });
    expect(none.accepted).toEqual([]);
  });
});

describe("a stale list", () => {
  it("is used, with a warning naming the list and how far past NextUpdate it is", async () => {
    const key = createPrivateKey(readFileSync(join(TL, "keys", "scheme-operator.key.pem")));
    const xml = buildList({
      territory: "BG",
      sequenceNumber: 44,
      operator: "podpis TEST Communications Regulation Commission",
      issueDate: new Date("2025-09-01T00:00:00Z"),
      nextUpdate: new Date("2026-03-01T00:00:00Z"),
      providers: [{ name: "Подпис Тест ООД", services: [{ certificates: [readFileSync(join(PKI, "qualified-ca.der"))], versions: [{ type: SVCTYPE("CA/QC"), name: "Q", status: STATUS("granted"), from: new Date("2024-01-01T00:00:00Z") }] }] }],
    });
    const bytes = await signList(xml, key, readFileSync(join(TL, "scheme-operator.der")), new Date("2025-09-01T00:00:00Z"));
    const state = await loadTrustedLists({ locations: ["old"], signers: operator, source: { get: async () => ({ bytes, fetchedAt: AT, origin: "old" }) }, at: AT });
    expect(state.stale).toHaveLength(1);
    const s = only((await (await validatorWith(state)).verify(signed.citizen!, { at: AT })) as ValidationReport);
    expect(s.indication).toBe("TOTAL_PASSED");
    // no Qualifications on this version: the certificate's QcStatements answer, confirmed by the granted service
    expect(s.qualification).toBe("QESig");
    expect(s.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ code: "TL_STALE", message: expect.stringMatching(/BG sequence 44 .* past its NextUpdate 2026-03-01T00:00:00.000Z by 92 day\(s\)/) })]));
  });
});
