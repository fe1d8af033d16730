// A real `podpis serve --tl` (separate process, offline, the list a file the test rewrites):
// /readyz is not ready on a badly signed, a stale or an anchorless list, and becomes ready after
// the background refresh brings a good one; a refresh that brings a bad copy keeps the last good
// one; reports and receipts name the list version, and revalidate?at=received replays with it.
// Waits are polls with hang guards, never timing assertions.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPrivateKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCades } from "../src/cades/sign.js";
import { openPkcs12 } from "../src/keys/software.js";
import { buildList, signList, STATUS, SVCTYPE } from "../certs-test/tl/build.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";

const PKI = join(import.meta.dirname, "..", "certs-test");
const TL = join(PKI, "tl");
const AT = "2026-06-01T00:00:00Z";
const good = readFileSync(join(TL, "TSL-BG.xml"));
const operatorKey = createPrivateKey(readFileSync(join(TL, "keys", "scheme-operator.key.pem")));
const operatorCert = readFileSync(join(TL, "scheme-operator.der"));

interface Readiness {
  ready: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

let server: ServeProcess;
let data: { dir: string; remove: () => void };
let listFile = "";
let key = "";
const auth = () => ({ Authorization: `Bearer ${key}` });

async function readyz(): Promise<{ status: number; body: Readiness }> {
  const r = await fetch(`${server.base}/readyz`);
  return { status: r.status, body: (await r.json()) as Readiness };
}
const tlCheck = (b: Readiness) => b.checks.find((c) => c.name === "trusted-lists")!;

/** Polls /readyz until `want` holds (hang guard: 60 s; the refresh retries every 300 ms here). */
async function until(want: (r: { status: number; body: Readiness }) => boolean): Promise<{ status: number; body: Readiness }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await readyz();
    if (want(r)) return r;
    if (Date.now() > deadline) throw new Error(`readyz never reached the state wanted: ${JSON.stringify(r.body)}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

const bgList = (o: { sequenceNumber: number; nextUpdate: Date; services: boolean }) =>
  buildList({
    territory: "BG",
    sequenceNumber: o.sequenceNumber,
    operator: "podpis TEST Communications Regulation Commission",
    issueDate: new Date("2025-09-01T00:00:00Z"),
    nextUpdate: o.nextUpdate,
    providers: o.services
      ? [{ name: "Подпис Тест ООД", services: [{ certificates: [readFileSync(join(PKI, "qualified-ca.der"))], versions: [{ type: SVCTYPE("CA/QC"), name: "Q", status: STATUS("granted"), from: new Date("2024-01-01T00:00:00Z") }] }] }]
      : [],
  });

beforeAll(async () => {
  data = tempData();
  listFile = join(data.dir, "TSL-BG.xml");
  // the list starts badly signed: the good one with its sequence number changed after signing
  writeFileSync(listFile, good.toString("utf8").replace("<TSLSequenceNumber>45<", "<TSLSequenceNumber>46<"));
  key = await createKey(data.dir, ["verify", "submit", "audit"]);
  process.env.PODPIS_TL_RETRY_MS = "300";
  process.env.PODPIS_TL_REFRESH_MS = "300";
  server = await startServe(data.dir, [
    "--clock", AT, "--workers", "1", "--allow-test-material",
    "--tl", listFile, "--tl-signer", join(TL, "scheme-operator.pem"),
    "--crl", join(PKI, "crl"), "--crl", join(TL, "crl"),
  ]);
}, 120_000);

afterAll(async () => {
  delete process.env.PODPIS_TL_RETRY_MS;
  delete process.env.PODPIS_TL_REFRESH_MS;
  await server?.stop();
  data?.remove();
});

describe("podpis serve --tl: readiness follows the trust state", { timeout: 90_000 }, () => {
  it("a badly signed list at start: not ready, the check says why", async () => {
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(tlCheck(r.body)).toMatchObject({ ok: false });
    expect(tlCheck(r.body).detail).toMatch(/signature does not verify/);
    // and no anchor at all: the trust store is empty too (SiVa #64: never UP with zero anchors)
    expect(r.body.checks.find((c) => c.name === "trust-store")).toMatchObject({ ok: false });
  });

  it("the good list arrives: the background refresh makes the service ready", async () => {
    copyFileSync(join(TL, "TSL-BG.xml"), listFile);
    const r = await until((x) => x.status === 200);
    expect(tlCheck(r.body).detail).toMatch(/1 list\(s\) in use \(BG#45\), 5 anchor\(s\)/);
  });

  it("reports and receipts name the list version; revalidate?at=received replays with it", async () => {
    const p7m = await signCades({ key: openPkcs12(readFileSync(join(PKI, "keys", "citizen-rsa2048.p12")), "podpis-test"), content: Buffer.from("заявление\n"), packaging: "enveloping", signingTime: new Date("2026-05-31T12:00:00Z") });
    const v = await fetch(`${server.base}/api/v1/verify`, { method: "POST", headers: { ...auth(), "content-type": "application/octet-stream" }, body: p7m });
    expect(v.status).toBe(200);
    const report = (await v.json()) as { trustedLists: Array<{ territory: string; sequenceNumber: number; sha256: string }>; signatures: Array<{ qualification: string; qualificationDetails: { source: string } }> };
    expect(report.signatures[0], JSON.stringify(report.signatures[0]) + server.stdout().slice(-3000)).toMatchObject({ qualification: "QESig", qualificationDetails: { source: "TL" } });
    expect(report.trustedLists).toEqual([expect.objectContaining({ territory: "BG", sequenceNumber: 45 })]);
    const form = new FormData();
    form.append("signature", new Blob([p7m]), "zayavlenie.p7m");
    form.append("applicant", "Иван Петров");
    form.append("service", "test");
    const s = await fetch(`${server.base}/api/v1/submissions`, { method: "POST", headers: auth(), body: form });
    expect(s.status).toBe(201);
    const sub = (await s.json()) as { id: string; receipt: string; accepted: boolean };
    expect(sub.accepted).toBe(true);
    expect(sub.receipt).toContain(`<TrustedList kind="TL" territory="BG" sequenceNumber="45" sha256="${report.trustedLists[0]!.sha256}"/>`);
    const rv = (await (await fetch(`${server.base}/api/v1/submissions/${sub.id}/revalidate?at=received`, { method: "POST", headers: auth() })).json()) as { reproduced: boolean; differences?: unknown };
    expect(rv.reproduced, JSON.stringify(rv.differences)).toBe(true);
  });

  it("a refresh that brings a badly signed copy keeps the last good one: still ready", async () => {
    writeFileSync(listFile, good.toString("utf8").replace("<TSLSequenceNumber>45<", "<TSLSequenceNumber>47<"));
    // several refreshes pass (the log says the good copy is kept); readiness stays
    const deadline = Date.now() + 60_000;
    while (!/last good one is kept/.test(server.stdout()) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 200));
    expect(server.stdout()).toMatch(/last good one is kept/);
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(tlCheck(r.body).detail).toMatch(/BG#45/);
  });

  it("a stale list (past NextUpdate at the service's clock): not ready, then ready after a fresh one", async () => {
    writeFileSync(listFile, await signList(bgList({ sequenceNumber: 50, nextUpdate: new Date("2026-03-01T00:00:00Z"), services: true }), operatorKey, operatorCert, new Date("2025-09-01T00:00:00Z")));
    const r = await until((x) => x.status === 503);
    expect(tlCheck(r.body).detail).toMatch(/BG sequence 50 is past its NextUpdate 2026-03-01T00:00:00.000Z/);
    copyFileSync(join(TL, "TSL-BG.xml"), listFile);
    await until((x) => x.status === 200);
  });

  it("a list with no services (no anchor): not ready, then ready again", async () => {
    writeFileSync(listFile, await signList(bgList({ sequenceNumber: 51, nextUpdate: new Date("2037-01-01T00:00:00Z"), services: false }), operatorKey, operatorCert, new Date("2025-09-01T00:00:00Z")));
    const r = await until((x) => x.status === 503);
    expect(tlCheck(r.body).detail).toMatch(/no trust anchor/);
    copyFileSync(join(TL, "TSL-BG.xml"), listFile);
    const back = await until((x) => x.status === 200);
    expect(tlCheck(back.body).detail).toMatch(/BG#45/);
  });
});
