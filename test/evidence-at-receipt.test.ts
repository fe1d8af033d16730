/**
 * Issue 13, at receipt: every accepted submission is augmented to B-LTA with the service's TSA
 * and the validation data its verdict used, stored beside the original in the same transaction
 * (GET /api/v1/submissions/{id}/evidence); the OCSP responses used are archived as material
 * "ocsp" and replayed by revalidate?at=received; and revalidate?at=now, with the service's clock
 * past the signer certificate's expiry, still finds the evidence valid — from the archive alone.
 * The PKI is made at run time (`openssl ocsp` for the signers, podpis's TSA on loopback).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { CMS } from "../src/cms/oids.js";
import { findAttributes, parseSignedData } from "../src/cms/signed-data.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { openKeyFiles } from "../src/keys/software.js";
import { parseCertificates } from "../src/pki/certificate.js";
import { XADES141_NS, XADES_NS } from "../src/xades/properties.js";
import { signXades } from "../src/xades/sign.js";
import { type XmlElement, parseXml } from "../src/xades/xml.js";
import { type ExtendPki, makeExtendPki } from "./helpers/extend-pki.js";
import { requirePeer } from "./helpers/peers.js";

const peer = requirePeer("openssl");
let x: ExtendPki;
let dir: string;
let rt: Runtime;
let base: string;
let auditKey: string;
let submitKey: string;
const servers: Server[] = [];
const runtimes: Runtime[] = [];
const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Zayavlenie xmlns="urn:podpis:test"><Ime>Мария Иванова</Ime></Zayavlenie>\n`);

async function listen(r: Runtime): Promise<string> {
  const app = createApp({ service: r.service, archive: r.archive, log: pino({ level: "silent" }), maxBodyBytes: 1024 * 1024, ratePerSecond: 0, rateBurst: 0 });
  const s = await new Promise<Server>((res) => {
    const srv = app.listen(0, "127.0.0.1", () => res(srv));
  });
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

const config = (extra: Partial<ReturnType<typeof defaultConfig>> = {}) => ({
  ...defaultConfig(),
  dataDir: dir,
  databaseUrl: undefined,
  trust: [x.file("root.pem")],
  crls: [x.crl],
  tsaUrl: x.tsaUrl,
  bundledTrust: false,
  logLevel: "silent",
  ...extra,
});

async function submit(signature: Buffer, content?: Buffer): Promise<{ id: string; accepted: boolean }> {
  const f = new FormData();
  f.append("signature", new Blob([signature]), "signature.bin");
  if (content) f.append("content", new Blob([content]), "content.txt");
  f.append("applicant", "Мария Иванова");
  f.append("service", "urn:podpis:test:2079");
  const r = await fetch(`${base}/api/v1/submissions`, { method: "POST", body: f, headers: { Authorization: `Bearer ${submitKey}` } });
  expect(r.status).toBe(201);
  return (await r.json()) as { id: string; accepted: boolean };
}

const audit = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { Authorization: `Bearer ${auditKey}` } });

function all(e: XmlElement, ns: string, local: string, out: XmlElement[] = []): XmlElement[] {
  if (e.ns === ns && e.local === local) out.push(e);
  for (const c of e.elements()) all(c, ns, local, out);
  return out;
}

peer.describe("evidence at receipt", () => {
  let xadesId: string;
  let cadesId: string;
  let signedXml: Buffer;

  beforeAll(async () => {
    x = await makeExtendPki(["citizen"], []);
    dir = mkdtempSync(join(tmpdir(), "podpis-evidence-"));
    rt = await buildRuntime(config());
    runtimes.push(rt);
    for (const [s, set] of [["audit", (k: string) => (auditKey = k)], ["submit", (k: string) => (submitKey = k)]] as const) {
      const k = newApiKey(s, [s], new Date());
      await rt.archive.createApiKey(k.record);
      set(k.key);
    }
    base = await listen(rt);
    const key = openKeyFiles(x.file("citizen.key"), x.file("citizen.pem"));
    signedXml = await signXades({ key, packaging: "enveloped", content: FORM });
    xadesId = (await submit(signedXml)).id;
    writeFileSync(x.file("content.txt"), "detached content of a CAdES submission\n");
    const r = spawnSync("openssl", ["cms", "-sign", "-binary", "-cades", "-md", "sha256", "-in", "content.txt", "-signer", "citizen.pem", "-inkey", "citizen.key", "-outform", "DER", "-out", "cades.p7s"], { cwd: x.pki.dir });
    expect(r.status).toBe(0);
    cadesId = (await submit(readFileSync(x.file("cades.p7s")), readFileSync(x.file("content.txt")))).id;
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    for (const r of runtimes) await r.close();
    await x?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  peer.it("keeps the original as received and the B-LTA evidence beside it (XAdES): time-stamps, values, archive time-stamp", async () => {
    const docRes = await audit(`${base}/api/v1/submissions/${xadesId}/document`);
    expect(Buffer.from(await docRes.arrayBuffer()).equals(signedXml)).toBe(true);
    const ev = await audit(`${base}/api/v1/submissions/${xadesId}/evidence`);
    expect(ev.status).toBe(200);
    expect(ev.headers.get("x-evidence-version")).toBe("1");
    const evidence = Buffer.from(await ev.arrayBuffer());
    const usp = all(parseXml(evidence).root, XADES_NS, "UnsignedSignatureProperties")[0]!;
    expect(usp.elements().map((e) => e.local)).toEqual(["SignatureTimeStamp", "CertificateValues", "RevocationValues", "TimeStampValidationData", "ArchiveTimeStamp"]);
    expect(all(usp, XADES_NS, "EncapsulatedOCSPValue")).toHaveLength(1);
    expect(all(usp, XADES141_NS, "ArchiveTimeStamp")).toHaveLength(1);
    // the receipt check of the same service still validates the evidence now
    const v = await rt.service.verify(evidence, []);
    expect(v.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-LTA" });
    // the audit log records it
    const entries = await rt.archive.auditEntriesFor(xadesId);
    expect(entries.map((e) => e.kind)).toEqual(["submission", "receipt", "evidence"]);
    expect(JSON.parse(entries[2]!.data)).toMatchObject({ reason: "receipt", version: 1 });
  }, 60_000);

  peer.it("augments a detached CAdES too: archive-time-stamp-v3, OCSP response in SignedData.crls; OpenSSL still verifies", async () => {
    const ev = await audit(`${base}/api/v1/submissions/${cadesId}/evidence`);
    expect(ev.status).toBe(200);
    const evidence = Buffer.from(await ev.arrayBuffer());
    const sd = parseSignedData(evidence);
    expect(findAttributes(sd.signerInfos[0]!.unsignedAttrs, CMS.archiveTimestampV3)).toHaveLength(1);
    expect(sd.otherRevocationInfo.filter((o) => o.format === CMS.ocspRevocationInfo)).toHaveLength(1);
    writeFileSync(x.file("evidence.p7s"), evidence);
    const r = spawnSync("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", "evidence.p7s", "-content", "content.txt", "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"], { cwd: x.pki.dir });
    expect(r.status).toBe(0);
  }, 60_000);

  peer.it("archives the OCSP responses used as material \"ocsp\" and replays them: at=received reproduces the report exactly", async () => {
    const material = await rt.archive.getMaterial(xadesId);
    expect(material.filter((m) => m.kind === "ocsp")).toHaveLength(1);
    const r = (await (await audit(`${base}/api/v1/submissions/${xadesId}/revalidate?at=received`, { method: "POST" })).json()) as {
      reproduced: boolean;
      evaluated: string;
      report: { signatures: Array<{ chain: Array<{ revocation: { source: string } }> }> };
    };
    expect(r.reproduced).toBe(true);
    expect(r.evaluated).toBe("document");
    // OCSP first (policy/default.json): the signer's status came from the responder
    expect(r.report.signatures[0]!.chain[0]!.revocation.source).toBe("OCSP");
  }, 60_000);

  peer.it("no evidence for a submission that was not accepted: 404", async () => {
    const tampered = Buffer.from(signedXml.toString("utf8").replace("Мария Иванова", "Мария Петрова"));
    const { id, accepted } = await submit(tampered);
    expect(accepted).toBe(false);
    const ev = await audit(`${base}/api/v1/submissions/${id}/evidence`);
    expect(ev.status).toBe(404);
    expect(((await ev.json()) as { code: string }).code).toBe("NOT_FOUND");
  }, 60_000);

  peer.it("revalidate?at=now after the signer's certificate expired, from the archive alone: TOTAL_PASSED", async () => {
    const notAfter = parseCertificates(readFileSync(x.file("citizen.pem")))[0]!.notAfter;
    // the same archive, a service whose clock is past the expiry, offline, the responder gone
    await x.stop();
    const later = await buildRuntime(config({ clock: new Date(notAfter.getTime() + 86400_000).toISOString(), offline: true }));
    runtimes.push(later);
    const r = await later.service.revalidate(xadesId, "now");
    expect(r!.evaluated).toBe("evidence");
    expect(r!.report.signatures[0]!.errors).toEqual([]);
    expect(r!.indication).toBe("TOTAL_PASSED");
  }, 60_000);
});
