/**
 * `podpis archive renew --before DATE`: evidence whose newest archive time-stamp's TSA
 * certificate (or an algorithm of it) ends before DATE gets a new archive time-stamp covering the
 * old one, stored as the next evidence version with an audit entry; evidence still proven past
 * DATE is left alone. A service made in-process archives the submission; the PKI is made at run
 * time, so the TSA certificate's end is known (30 days from now).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { buildRuntime, defaultConfig } from "../src/http/config.js";
import { openArchive } from "../src/archive/open.js";
import { openKeyFiles } from "../src/keys/software.js";
import { parseCertificates } from "../src/pki/certificate.js";
import { XADES141_NS } from "../src/xades/properties.js";
import { signXades } from "../src/xades/sign.js";
import { type XmlElement, parseXml } from "../src/xades/xml.js";
import { createValidator } from "../src/validator.js";
import { capture } from "./helpers/cli-capture.js";
import { type ExtendPki, makeExtendPki } from "./helpers/extend-pki.js";
import { requirePeer } from "./helpers/peers.js";

const peer = requirePeer("openssl");
let x: ExtendPki;
let dir: string;
let id: string;
let tsaNotAfter: Date;

const cli = (args: string[]) => capture((io) => run(args, io));
const renew = (before: Date, ...more: string[]) =>
  cli(["archive", "renew", "--before", before.toISOString(), "--data", dir, "--tsa", x.tsaUrl, "--trust", x.file("root.pem"), "--crl", x.crl, ...more]);

async function evidence(): Promise<{ version: number; bytes: Buffer } | null> {
  const a = openArchive({ dataDir: dir });
  try {
    return await a.getEvidence(id);
  } finally {
    await a.close();
  }
}

function count(bytes: Buffer, ns: string, local: string): number {
  let n = 0;
  const walk = (e: XmlElement) => {
    if (e.ns === ns && e.local === local) n++;
    for (const c of e.elements()) walk(c);
  };
  walk(parseXml(bytes).root);
  return n;
}

peer.describe("podpis archive renew", () => {
  beforeAll(async () => {
    x = await makeExtendPki(["citizen"], []);
    tsaNotAfter = parseCertificates(readFileSync(x.file("tsa.pem")))[0]!.notAfter;
    dir = mkdtempSync(join(tmpdir(), "podpis-renew-"));
    const rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, databaseUrl: undefined, trust: [x.file("root.pem")], crls: [x.crl], tsaUrl: x.tsaUrl, bundledTrust: false, logLevel: "silent" });
    try {
      const key = openKeyFiles(x.file("citizen.key"), x.file("citizen.pem"));
      const signed = await signXades({ key, packaging: "enveloped", content: Buffer.from("<Zayavlenie><Ime>Петър</Ime></Zayavlenie>") });
      const r = await rt.service.submit({ document: signed, contents: [], applicant: "Петър", service: "urn:s" });
      expect(r.record.accepted).toBe(true);
      id = r.record.id;
    } finally {
      await rt.close();
    }
  }, 180_000);

  afterAll(async () => {
    await x?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  peer.it("leaves evidence alone whose archive time-stamp is proven past --before", async () => {
    const r = await renew(new Date(tsaNotAfter.getTime() - 86400_000), "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ checked: 1, due: 0, outcomes: [] });
    expect((await evidence())!.version).toBe(1);
  }, 60_000);

  peer.it("renews evidence whose TSA certificate expires before --before: version 2, a second archive time-stamp, audit-logged, still valid", async () => {
    const before = new Date(tsaNotAfter.getTime() + 86400_000);
    const r = await renew(before);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/checked 1 evidence file\(s\): 1 due before .*, 1 renewed, 0 not/);
    // not a terminal here: one plain progress line per item
    expect(r.err).toMatch(/^\[1\/1\] renewed [0-9a-f-]{36} \(version 2\)\n$/);
    const ev = (await evidence())!;
    expect(ev.version).toBe(2);
    expect(count(ev.bytes, XADES141_NS, "ArchiveTimeStamp")).toBe(2);
    const a = openArchive({ dataDir: dir });
    try {
      const entries = (await a.auditEntriesFor(id)).filter((e) => e.kind === "evidence").map((e) => JSON.parse(e.data));
      expect(entries).toEqual([
        expect.objectContaining({ reason: "receipt", version: 1 }),
        expect.objectContaining({ reason: "renew", version: 2, before: before.toISOString(), expires: tsaNotAfter.toISOString() }),
      ]);
    } finally {
      await a.close();
    }
    const v = await createValidator({ trust: [readFileSync(x.file("root.pem"))], crls: [readFileSync(x.crl)] });
    const report = await v.verify(ev.bytes);
    expect(report.signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", level: "B-LTA" });
    const archive = report.signatures[0]!.timestamps.filter((t) => t.type === "archive");
    expect(archive.map((t) => t.valid)).toEqual([true, true]);
  }, 90_000);

  peer.it("usage: --before missing or not a date, --tsa missing, an unknown archive command → 64", async () => {
    expect((await cli(["archive", "renew", "--data", dir, "--tsa", x.tsaUrl])).code).toBe(64);
    expect((await cli(["archive", "renew", "--before", "next week", "--data", dir, "--tsa", x.tsaUrl])).code).toBe(64);
    expect((await cli(["archive", "renew", "--before", "2030-01-01", "--data", dir])).code).toBe(64);
    expect((await cli(["archive", "polish"])).code).toBe(64);
  });
});
