/**
 * Revocation data kept fresh by the service itself (issue 10 item 5): a stale --crl whose
 * distribution point (a local server on 127.0.0.1) serves a fresh CRL makes /readyz ready at
 * startup without any validation; CRLs are refreshed before nextUpdate; a forged fresh CRL is not
 * taken; --crl files are re-read on change and on SIGHUP (also through the cluster primary).
 * Fixed clocks and a PKI made at run time: no time bombs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IssuedCertificate, type TestKey, generateKey, issueCertificate, issueCrl } from "../certs-test/pki.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { crlFreshness } from "../src/http/crl-freshness.js";
import { CrlRefresher } from "../src/http/crl-refresh.js";
import { readiness } from "../src/http/readiness.js";
import { parseCertificate } from "../src/pki/certificate.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import { createCrlFetcher } from "../src/revocation/fetch.js";

const AT = new Date("2026-06-01T00:00:00Z");
const day = (s: string) => new Date(`${s}T00:00:00Z`);
const dir = mkdtempSync(join(tmpdir(), "podpis-crl-refresh-"));
const GUARD_MS = 60_000;

let rootKey: TestKey;
let root: IssuedCertificate;
let ca: IssuedCertificate;
let rogueKey: TestKey;
/** what the distribution point serves now */
let served: Buffer;
let hits = 0;
let server: Server;
let port: number;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = GUARD_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`hang guard: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `as` another certificate with the root's name (a look-alike with its own key) forges the CRL */
const rootCrl = (thisUpdate: Date, nextUpdate: Date, as?: { cert: IssuedCertificate; key: TestKey }) => issueCrl({ issuer: as ?? { cert: root, key: rootKey }, thisUpdate, nextUpdate });

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url !== "/root.crl") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/pkix-crl" }).end(served);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  rootKey = await generateKey("p256");
  rogueKey = await generateKey("p256");
  root = await issueCertificate({ subject: [["C", "BG"], ["CN", "Refresh Test Root"]], subjectKey: rootKey, serial: 1n, notBefore: day("2025-01-01"), notAfter: day("2040-01-01"), extensions: { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } });
  const caKey = await generateKey("p256");
  ca = await issueCertificate({
    subject: [["C", "BG"], ["CN", "Refresh Test CA"]],
    issuer: { cert: root, key: rootKey },
    subjectKey: caKey,
    serial: 2n,
    notBefore: day("2025-01-01"),
    notAfter: day("2039-01-01"),
    extensions: { basicConstraints: { ca: true, pathLen: 0 }, keyUsage: ["keyCertSign", "cRLSign"], crlDistributionPoints: [`http://127.0.0.1:${port}/root.crl`] },
  });
  writeFileSync(join(dir, "root.pem"), root.pem);
  writeFileSync(join(dir, "ca.pem"), ca.pem);
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("at startup (item 5)", () => {
  let rt: Runtime;
  afterAll(async () => rt?.close());

  it("a stale --crl whose distribution point is reachable: /readyz turns ready by itself, without a validation", async () => {
    const crlDir = join(dir, "startup-crl");
    mkdirSync(crlDir);
    writeFileSync(join(crlDir, "root.crl"), (await rootCrl(day("2026-01-01"), day("2026-02-01"))).der); // stale at AT
    served = (await rootCrl(day("2026-05-01"), day("2026-07-01"))).der;
    hits = 0;
    rt = await buildRuntime({
      ...defaultConfig(),
      trust: [join(dir, "root.pem")],
      untrusted: [join(dir, "ca.pem")],
      crls: [crlDir],
      bundledTrust: false,
      offline: false,
      clock: AT.toISOString(),
      dataDir: mkdtempSync(join(dir, "data-")),
      databaseUrl: undefined,
      logLevel: "silent",
    });
    await rt.crls.firstRound;
    expect(hits).toBe(1);
    const r = await readiness(rt.service.validator, rt.archive, rt.clock());
    expect(r.checks.find((c) => c.name === "crls")).toMatchObject({ ok: true });
  });
});

describe("the refresher on its own (fixed clock, no timer)", () => {
  const make = (store: CrlStore, now: () => Date, paths: string[] = []) =>
    new CrlRefresher({ store, certificates: () => [parseCertificate(root.der), parseCertificate(ca.der)], crlPaths: paths, fetcher: createCrlFetcher(), now, pollMs: 0, watchFiles: false });

  it("fetches again shortly before nextUpdate, not long before", async () => {
    const store = new CrlStore();
    store.addBytes((await rootCrl(day("2026-05-01"), day("2026-07-01"))).der);
    served = (await rootCrl(day("2026-06-30"), day("2026-08-01"))).der;
    hits = 0;
    let now = day("2026-06-15");
    const r = make(store, () => now);
    await r.refreshDue();
    expect(hits).toBe(0);
    now = new Date("2026-06-30T23:30:00Z"); // within the hour before nextUpdate
    await r.refreshDue();
    expect(hits).toBe(1);
    expect(crlFreshness(store.all(), day("2026-07-02")).ok).toBe(true);
  });

  it("a fresh CRL not signed by the issuer's key is not taken: still not ready", async () => {
    const store = new CrlStore();
    store.addBytes((await rootCrl(day("2026-01-01"), day("2026-02-01"))).der);
    const lookAlike = await issueCertificate({ subject: [["C", "BG"], ["CN", "Refresh Test Root"]], subjectKey: rogueKey, serial: 1n, notBefore: day("2025-01-01"), notAfter: day("2040-01-01"), extensions: { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } });
    served = (await rootCrl(day("2026-05-01"), day("2026-07-01"), { cert: lookAlike, key: rogueKey })).der;
    hits = 0;
    await make(store, () => AT).refreshDue();
    expect(hits).toBe(1);
    expect(crlFreshness(store.all(), AT)).toMatchObject({ ok: false, detail: expect.stringMatching(/past nextUpdate: .*Refresh Test Root/) });
  });

  it("reload() (SIGHUP) reads the --crl files again; the CRL of a replaced file leaves the store", async () => {
    const f = join(dir, "reload.crl");
    const stale = await rootCrl(day("2026-01-01"), day("2026-02-01"));
    writeFileSync(f, stale.der);
    const store = new CrlStore();
    store.addBytes(readFileSync(f));
    const r = new CrlRefresher({ store, certificates: () => [], crlPaths: [f], fetcher: null, now: () => AT, pollMs: 0, watchFiles: false });
    expect(crlFreshness(store.all(), AT).ok).toBe(false);
    writeFileSync(f, (await rootCrl(day("2026-05-01"), day("2026-07-01"))).der);
    await r.reload();
    expect(crlFreshness(store.all(), AT).ok).toBe(true);
    expect(store.size).toBe(1);
  });

  it("a changed --crl directory is re-read without a signal (file watcher)", async () => {
    const d = join(dir, "watched");
    mkdirSync(d);
    writeFileSync(join(d, "root.crl"), (await rootCrl(day("2026-01-01"), day("2026-02-01"))).der);
    const store = new CrlStore();
    store.addBytes(readFileSync(join(d, "root.crl")));
    const r = new CrlRefresher({ store, certificates: () => [], crlPaths: [d], fetcher: null, now: () => AT, pollMs: 0 });
    r.start();
    try {
      writeFileSync(join(d, "next.tmp"), (await rootCrl(day("2026-05-01"), day("2026-07-01"))).der);
      renameSync(join(d, "next.tmp"), join(d, "root.crl"));
      await until("the watcher re-reads the directory", () => crlFreshness(store.all(), AT).ok);
    } finally {
      r.stop();
    }
  });
});

describe("SIGHUP to the cluster primary re-reads --crl in every worker", () => {
  let proc: ChildProcess | null = null;
  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  });

  it("readyz 503 with a stale file; after the file is fresh and SIGHUP, 200 (watcher off)", async () => {
    const crlDir = join(dir, "hup-crl");
    mkdirSync(crlDir);
    writeFileSync(join(crlDir, "root.crl"), (await rootCrl(day("2026-01-01"), day("2026-02-01"))).der);
    const serve = resolve("src/cli/serve.ts");
    const code = `const m = await import(${JSON.stringify(serve)}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
    const args = ["--port", "0", "--data", mkdtempSync(join(dir, "hup-")), "--clock", AT.toISOString(), "--offline", "--workers", "2", "--log-level", "warn", "--trust", join(dir, "root.pem"), "--untrusted", join(dir, "ca.pem"), "--crl", crlDir, "--allow-test-material",
      // the bundled seal's own chain must validate for /readyz (issue 12): its CRLs, offline
      "--crl", resolve("certs-test/crl")];
    proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DATABASE_URL: "", PODPIS_CRL_WATCH: "0" } });
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => void (err += d.toString()));
    await until(`listening (${err})`, () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(err));
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!;
    // both workers answer on the shared socket: ask several times
    for (let i = 0; i < 6; i++) expect((await fetch(`${base}/readyz`)).status).toBe(503);
    writeFileSync(join(crlDir, "root.crl"), (await rootCrl(day("2026-05-01"), day("2026-07-01"))).der);
    proc.kill("SIGHUP");
    let ok = 0;
    await until("every worker ready after SIGHUP", async () => {
      ok = (await fetch(`${base}/readyz`, { headers: { connection: "close" } })).status === 200 ? ok + 1 : 0;
      return ok >= 6;
    });
    proc.kill("SIGTERM");
    await new Promise((r) => proc!.once("exit", r));
  }, 3 * GUARD_MS);
});
