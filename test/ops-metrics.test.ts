/**
 * Issue 15, operations: the fetch and trusted-list metrics move with real exchanges — a CRL
 * downloaded from a local HTTP server, an OCSP answer from an `openssl ocsp` responder (through
 * the validator's own OCSP client), a trusted list fetched over HTTP and loaded by the service's
 * refresher — and the exposition (what /metrics serves) shows the series with those values.
 */
import { readFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { Metrics } from "../src/http/metrics.js";
import { observeCommitQueue, observeFetches, observeTrustedLists } from "../src/http/ops-metrics.js";
import { TlRefresher } from "../src/http/tl-refresh.js";
import { createListSource } from "../src/io/tl-source.js";
import { parseCertificates } from "../src/pki/certificate.js";
import { createCrlFetcher } from "../src/revocation/fetch.js";
import { withOverrides } from "../src/validation/policy.js";
import { createValidator, defaultValidationPolicy } from "../src/validator.js";
import { requirePeer } from "./helpers/peers.js";
import { type OcspPki, type Responder, indexTime, makeOcspPki, rootCrl, startResponder } from "./ocsp-pki.js";

const peer = requirePeer("openssl");
const TL = join(import.meta.dirname, "..", "certs-test", "tl");
/** the test list's validity: issued 2025-09-01 (its ListIssueDateTime), checked a day into June 2026 */
const TL_AT = new Date("2026-06-01T00:00:00Z");

let pki: OcspPki;
let responder: Responder;
let http: Server;
let port = 0;
let crlBytes: Buffer;
let stop: () => void;
const metrics = new Metrics();

/** one series' value from the exposition (`name{labels} value`), or undefined when absent */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

peer.describe("fetch and trusted-list metrics", () => {
  beforeAll(async () => {
    pki = await makeOcspPki(["ca"], { "good-ca": "ca" });
    const expiry = indexTime(new Date(Date.now() + 30 * 86400_000));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(pki.file("index.txt"), `V\t${expiry}\t\t${pki.serials["good-ca"]!.toUpperCase()}\tunknown\t/C=BG/O=podpis test/CN=Leaf good-ca\n`);
    responder = await startResponder(pki.dir, pki.ports.ca!, "index.txt", ["-CA", "root.pem", "-rsigner", "root.pem", "-rkey", "root.key", "-ndays", "1"]);
    crlBytes = readFileSync(rootCrl(pki, "", "root-crl"));
    const tlBytes = readFileSync(join(TL, "TSL-BG.xml"));
    http = createServer((req, res) => {
      if (req.url === "/root.crl") res.writeHead(200, { "content-type": "application/pkix-crl" }).end(crlBytes);
      else if (req.url === "/TSL-BG.xml") res.writeHead(200, { "content-type": "application/xml" }).end(tlBytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as { port: number }).port;
    stop = observeFetches(metrics);
    observeCommitQueue(metrics);
  }, 120_000);

  afterAll(async () => {
    stop?.();
    await responder?.stop();
    await new Promise((r) => http?.close(r));
  });

  peer.it("a CRL download: counted ok, its bytes and its duration observed; a 404 counted by reason", async () => {
    const before = await metrics.text();
    expect(value(before, 'podpis_fetches_total{kind="crl",outcome="ok"}')).toBeUndefined();
    const crl = await createCrlFetcher().fetch(`http://127.0.0.1:${port}/root.crl`, new Date());
    expect(crl.der.length).toBe(crlBytes.length);
    await expect(createCrlFetcher().fetch(`http://127.0.0.1:${port}/missing.crl`, new Date())).rejects.toThrow(/HTTP 404/);
    const text = await metrics.text();
    expect(value(text, 'podpis_fetches_total{kind="crl",outcome="ok"}')).toBe(1);
    expect(value(text, 'podpis_fetches_total{kind="crl",outcome="http-status"}')).toBe(1);
    expect(value(text, 'podpis_fetch_bytes_total{kind="crl"}')).toBe(crlBytes.length);
    expect(value(text, 'podpis_fetch_duration_seconds_count{kind="crl"}')).toBe(2);
    expect(value(text, 'podpis_fetch_duration_seconds_sum{kind="crl"}')).toBeGreaterThan(0);
  });

  peer.it("an OCSP answer fetched by the validator from openssl ocsp: counted ok with its bytes", async () => {
    const pem = (n: string) => readFileSync(pki.file(`${n}.pem`));
    const policy = withOverrides(defaultValidationPolicy(), { revocation: { order: ["ocsp", "crl"] } });
    const v = await createValidator({ trust: [pem("root")], policy });
    const r = await v.validatePath(pem("good-ca"), { at: new Date(Date.now() + 5_000) });
    expect(r.indication).toBe("TOTAL_PASSED");
    const text = await metrics.text();
    expect(value(text, 'podpis_fetches_total{kind="ocsp",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'podpis_fetch_bytes_total{kind="ocsp"}')).toBeGreaterThan(100);
    // the CRL series of the test before are not disturbed by OCSP
    expect(value(text, 'podpis_fetches_total{kind="crl",outcome="ok"}')).toBe(1);
  });

  peer.it("a trusted list fetched over HTTP and in use: its fetch counted, its age and NextUpdate margin exposed", async () => {
    let now = TL_AT;
    const tl = new TlRefresher({
      locations: [`http://127.0.0.1:${port}/TSL-BG.xml`],
      signers: parseCertificates(readFileSync(join(TL, "scheme-operator.pem"))),
      source: createListSource(),
      now: () => now,
      log: () => undefined,
    });
    observeTrustedLists(metrics, () => tl.state, () => now);
    expect(value(await metrics.text(), 'podpis_trusted_list_age_seconds{territory="BG"}')).toBeUndefined();
    const state = await tl.load();
    expect(state.accepted.length).toBe(1);
    const list = state.accepted[0]!.list;
    let text = await metrics.text();
    expect(value(text, 'podpis_fetches_total{kind="tl",outcome="ok"}')).toBe(1);
    expect(value(text, 'podpis_trusted_list_age_seconds{territory="BG"}')).toBe((TL_AT.getTime() - list.issueDate.getTime()) / 1000);
    expect(value(text, 'podpis_trusted_list_next_update_seconds{territory="BG"}')).toBe((list.nextUpdate!.getTime() - TL_AT.getTime()) / 1000);
    // an hour later the age has grown by 3600 s and the margin shrunk by as much
    now = new Date(TL_AT.getTime() + 3_600_000);
    text = await metrics.text();
    expect(value(text, 'podpis_trusted_list_age_seconds{territory="BG"}')).toBe((now.getTime() - list.issueDate.getTime()) / 1000);
    expect(value(text, 'podpis_trusted_list_next_update_seconds{territory="BG"}')).toBe((list.nextUpdate!.getTime() - now.getTime()) / 1000);
  });

  peer.it("the archive commit queue is exposed (nothing waiting outside a submission)", async () => {
    const text = await metrics.text();
    expect(value(text, 'podpis_archive_commit_queue{state="waiting"}')).toBe(0);
    expect(value(text, 'podpis_archive_commit_queue{state="committing"}')).toBe(0);
  });
});
