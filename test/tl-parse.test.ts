// Real trusted lists (ETSI TS 119 612): the Bulgarian list of 2019 (sequence 27) with the two
// certificates the LOTL of the time named as its signers, and the EU LOTL of 2024 (sequence 341).
// They are parsed, their signatures checked against the pinned signers, and tampered or wrapped
// copies refused; the history of a withdrawn service gives anchors by time.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCertificates } from "../src/pki/certificate.js";
import { TrustListError } from "../src/trust/errors.js";
import { inspectList } from "../src/trust/inspect.js";
import { TrustedListIndex, versionAt } from "../src/trust/list-index.js";
import { loadTrustedLists } from "../src/trust/load.js";
import { SERVICE_STATUS, SERVICE_TYPE, TRUSTED_STATUSES } from "../src/trust/model.js";
import { parseTrustedList } from "../src/trust/parse.js";
import type { ListSource } from "../src/trust/source.js";
import { requireData } from "./helpers/peers.js";

const DIR = "/work/shared/trusted-lists";
const data = requireData("the real trusted lists", join(DIR, "BG-27.xml"));

const read = (f: string) => readFileSync(join(DIR, f));
/** lists from memory, by name; anything else is unavailable (offline) */
const memorySource = (files: Record<string, Uint8Array>): ListSource => ({
  async get(location) {
    const bytes = files[location];
    if (!bytes) throw new TrustListError("TL_UNAVAILABLE", `${location}: not available offline`);
    return { bytes, fetchedAt: new Date("2019-10-01T00:00:00Z"), origin: location };
  },
});

data.describe("the Bulgarian trusted list, sequence 27 (2019)", () => {
  const bytes = read("BG-27.xml");
  const signers = parseCertificates(read("BG-27-signers.pem"));

  it("reads the scheme information, providers, services and history", () => {
    const { list } = parseTrustedList(bytes);
    expect(list).toMatchObject({ kind: "TL", schemeTerritory: "BG", sequenceNumber: 27, version: 5, operator: "Communications Regulation Commission" });
    expect(list.issueDate.toISOString()).toBe("2019-09-03T01:00:00.000Z");
    expect(list.nextUpdate?.toISOString()).toBe("2020-03-03T00:00:00.000Z");
    expect(list.providers).toHaveLength(7);
    const services = list.providers.flatMap((p) => p.services);
    expect(services).toHaveLength(56);
    // every service has a status and a starting time, history newest first
    for (const s of services) for (let i = 1; i < s.versions.length; i++) expect(s.versions[i - 1]!.from.getTime()).toBeGreaterThanOrEqual(s.versions[i]!.from.getTime());
    expect(services.reduce((n, s) => n + s.versions.length - 1, 0)).toBe(65); // ServiceHistoryInstance elements
    const withdrawn = services.filter((s) => s.versions[0]!.status === SERVICE_STATUS.withdrawn);
    expect(withdrawn.length).toBeGreaterThan(0);
    const tsps = new Set(list.providers.map((p) => p.name));
    expect([...tsps].some((n) => /BORICA/.test(n))).toBe(true);
    // digital identities: certificates, subject names and SKIs
    expect(services.some((s) => s.identity.certificates.length > 0)).toBe(true);
    expect(services.some((s) => s.identity.skis.length > 0 && s.identity.subjectNames.length > 0)).toBe(true);
    // AdditionalServiceInformation (ForeSignatures/ForeSeals/ForWebSiteAuthentication)
    expect(services.some((s) => s.versions.some((v) => v.additionalInformation.some((u) => u.endsWith("/ForeSeals"))))).toBe(true);
    expect(list.pointers.map((p) => p.territory)).toEqual(["EU"]);
    expect(list.warnings).toEqual([]);
  });

  it("its signature is intact and made by one of the two certificates the LOTL named", () => {
    const { inspection } = inspectList(bytes, signers);
    expect(inspection.signature).toMatchObject({ present: true, intact: true, trusted: true, problem: null });
    expect(signers.map((c) => c.sha256)).toContain(inspection.signature.signer!.sha256);
    expect(inspection.signature.signer!.subject).toMatch(/Bulgarian Trusted List Operator/);
  });

  it("without a pinned signer the signature is intact but not trusted; with another signer, untrusted", () => {
    expect(inspectList(bytes, null).inspection.signature).toMatchObject({ intact: true, trusted: null });
    const other = parseCertificates(readFileSync(join(import.meta.dirname, "..", "certs-test", "root-ca.pem")));
    const r = inspectList(bytes, other).inspection.signature;
    expect(r).toMatchObject({ intact: true, trusted: false });
    expect(r.problem).toMatch(/not among the certificates allowed/);
  });

  it("a tampered copy is refused: one service name changed", () => {
    const text = bytes.toString("utf8");
    const i = text.indexOf("B-Trust Operational CA QES");
    expect(i).toBeGreaterThan(0);
    const tampered = Buffer.from(text.slice(0, i) + "B-Trust Operational CA QEZ" + text.slice(i + 26), "utf8");
    const r = inspectList(tampered, signers).inspection.signature;
    expect(r.intact).toBe(false);
    expect(r.problem).toMatch(/does not verify/);
  });

  it("a wrapped copy is refused: a second, forged provider list beside the signed one", () => {
    const text = bytes.toString("utf8");
    const end = text.lastIndexOf("</TrustServiceStatusList>");
    const forged = Buffer.from(text.slice(0, end) + "<TrustServiceProviderList/>" + text.slice(end), "utf8");
    expect(inspectList(forged, signers).inspection.signature.intact).toBe(false);
    // and the signature moved out of its place (no longer enveloped in the list) is refused too
    expect(() => inspectList(Buffer.from("<x>" + text.replace(/^<\?xml[^>]*>/, "") + "</x>"), signers)).toThrow(TrustListError);
  });

  it("anchors follow the history: a withdrawn service anchors before its withdrawal, not after", async () => {
    const state = await loadTrustedLists({ locations: ["BG-27.xml"], signers, source: memorySource({ "BG-27.xml": bytes }), at: new Date("2019-10-01T00:00:00Z") });
    expect(state.problems).toEqual([]);
    expect(state.stale).toEqual([]);
    const index = state.index;
    expect(index.anchors().length).toBeGreaterThan(10);
    const services = state.accepted[0]!.list.providers.flatMap((p) => p.services);
    const w = services.find((s) => s.versions[0]!.status === SERVICE_STATUS.withdrawn && s.versions.some((v) => TRUSTED_STATUSES.has(v.status)) && s.identity.certificates.length > 0)!;
    expect(w).toBeDefined();
    const cert = w.identity.certificates[0]!;
    const withdrawnAt = w.versions[0]!.from;
    const before = new Date(withdrawnAt.getTime() - 86_400_000);
    expect(TRUSTED_STATUSES.has(versionAt(w, before)!.status)).toBe(true);
    expect(index.anchorTrustedAt(cert, before)).toBe(true);
    expect(index.anchorTrustedAt(cert, new Date(withdrawnAt.getTime() + 1000))).toBe(false);
    // a certificate that is no list's identity is not the lists' to decide
    const root = parseCertificates(readFileSync(join(import.meta.dirname, "..", "certs-test", "root-ca.pem")))[0]!;
    expect(index.anchorTrustedAt(root, before)).toBeUndefined();
    // a QTST service is there, and CA/QC services
    expect(services.some((s) => s.versions[0]!.type === SERVICE_TYPE.qtst)).toBe(true);
    expect(services.filter((s) => s.versions.some((v) => v.type === SERVICE_TYPE.caQc)).length).toBeGreaterThan(5);
  });

  it("a stale list is reported with how long it is past NextUpdate, and still used", async () => {
    const state = await loadTrustedLists({ locations: ["BG-27.xml"], signers, source: memorySource({ "BG-27.xml": bytes }), at: new Date("2024-06-01T00:00:00Z") });
    expect(state.accepted).toHaveLength(1);
    expect(state.stale).toHaveLength(1);
    expect(state.stale[0]!.list).toMatchObject({ territory: "BG", sequenceNumber: 27 });
    expect(state.stale[0]!.daysStale).toBe(1551);
  });
});

data.describe("the EU list of the lists, sequence 341 (2024)", () => {
  const bytes = read("EU-LOTL-341.xml");

  it("reads 43 pointers with their territories, MIME types and signer certificates", () => {
    const { inspection, list } = inspectList(bytes, null);
    expect(inspection).toMatchObject({ kind: "LOTL", schemeTerritory: "EU", sequenceNumber: 341, version: 5, tsps: 0, services: 0, operator: "European Commission" });
    expect(inspection.issueDate).toBe("2024-05-31T08:10:34.000Z");
    expect(inspection.pointers).toHaveLength(43);
    const bg = inspection.pointers.filter((p) => p.territory === "BG");
    expect(bg.map((p) => [p.location, p.mimeType])).toEqual([
      ["https://crc.bg/files/_en/TSL_BG.pdf", "application/pdf"],
      ["https://crc.bg/files/_en/TSL_BG.xml", "application/vnd.etsi.tsl+xml"],
    ]);
    expect(bg[1]!.signers).toHaveLength(3);
    // the pivots and the Official Journal announcement
    expect(list.schemeInformationUris.filter((u) => /eu-lotl-pivot-\d+\.xml$/.test(u))).toEqual([
      "https://ec.europa.eu/tools/lotl/eu-lotl-pivot-341.xml",
      "https://ec.europa.eu/tools/lotl/eu-lotl-pivot-335.xml",
      "https://ec.europa.eu/tools/lotl/eu-lotl-pivot-300.xml",
      "https://ec.europa.eu/tools/lotl/eu-lotl-pivot-282.xml",
    ]);
    expect(list.schemeInformationUris.some((u) => /eur-lex\.europa\.eu.*OJ\.C_\.2019\.276/.test(u))).toBe(true);
    // its signature is intact, and its signer is one of the certificates of its own EU pointer
    expect(inspection.signature).toMatchObject({ present: true, intact: true, trusted: null });
    const eu = inspection.pointers.find((p) => p.territory === "EU")!;
    expect(eu.signers).toContain(inspection.signature.signer!.sha256);
  });

  it("pinned to its own pointer's signers it is trusted; the 2019 BG list is refused through it (other signers by 2024)", async () => {
    const { list } = parseTrustedList(bytes);
    const euSigners = list.pointers.find((p) => p.territory === "EU")!.signers;
    const state = await loadTrustedLists({
      locations: ["lotl.xml", "bg.xml"],
      signers: euSigners,
      source: memorySource({ "lotl.xml": bytes, "bg.xml": read("BG-27.xml") }),
      at: new Date("2024-06-01T00:00:00Z"),
    });
    expect(state.accepted.map((a) => a.list.schemeTerritory)).toEqual(["EU"]);
    const bg = state.problems.find((p) => p.territory === "BG")!;
    expect(bg.reason).toMatch(/not among the certificates allowed to sign it.*BG pointer/);
    // the other national lists cannot be had offline: each is named, none is used
    expect(state.problems.filter((p) => /not available offline/.test(p.reason)).length).toBeGreaterThan(25);
    expect(new TrustedListIndex(state.accepted).anchors()).toHaveLength(0);
  });

  it("a LOTL whose signer nobody pinned, with no reachable pivot, is refused", async () => {
    const state = await loadTrustedLists({ locations: ["lotl.xml"], signers: [], source: memorySource({ "lotl.xml": bytes }), at: new Date("2024-06-01T00:00:00Z") });
    expect(state.accepted).toEqual([]);
    expect(state.problems.find((p) => p.location === "lotl.xml")!.reason).toMatch(/LOTL/);
  });
});

describe("bytes that are no trusted list", () => {
  it("are refused with NOT_A_TRUSTED_LIST", () => {
    for (const b of ["<a/>", "not xml", '<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#"/>']) {
      expect(() => parseTrustedList(Buffer.from(b))).toThrow(TrustListError);
    }
  });
});
