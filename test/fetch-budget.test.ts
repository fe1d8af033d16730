/**
 * Outbound fetches within one budget per validation (issue 11.5): distribution points fetched in
 * parallel, a number and a total time for all of them, redirects capped and each target checked
 * like the original URL. Local servers on 127.0.0.1 that never answer, refuse or redirect; the
 * time limits in here are hang guards, nothing is timed.
 */
import { generateKeyPairSync } from "node:crypto";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Certificate, parseCertificate } from "../src/pki/certificate.js";
import type { PathResult } from "../src/pki/path-types.js";
import { TrustStore } from "../src/pki/trust-store.js";
import { validatePath } from "../src/pki/validate-path.js";
import { createCrlChecker } from "../src/revocation/checker.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import { createCrlFetcher } from "../src/revocation/fetch.js";
import type { ValidationBudget } from "../src/limits/budgets.js";
import { type RevocationStrategy, withOverrides } from "../src/validation/policy.js";
import { createValidator, defaultValidationPolicy } from "../src/validator.js";
import { makeCert } from "./helpers/make-cert.js";
import { makeCrl, makeName, testKey } from "./helpers/make-crl.js";

const AT = new Date("2026-06-01T00:00:00Z");

interface Peer {
  server: Server;
  base: string;
  requests: string[];
}

/** A server on 127.0.0.1 that hands every request to `handle` (which may never answer). */
async function peer(handle: (url: string, res: import("node:http").ServerResponse, p: Peer) => void): Promise<Peer> {
  const p = { requests: [] as string[] } as Peer;
  p.server = createServer((req, res) => {
    p.requests.push(req.url ?? "");
    handle(req.url ?? "", res, p);
  });
  await new Promise<void>((r) => p.server.listen(0, "127.0.0.1", r));
  p.base = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
  return p;
}

const peers: Peer[] = [];
let root: Certificate;
let rootCrl: Buffer;
let rootKey: ReturnType<typeof testKey>;

beforeAll(() => {
  rootKey = testKey();
  root = parseCertificate(makeCert({ subject: "Fetch Root", issuer: "Fetch Root", publicKey: rootKey.publicKey, signer: rootKey.privateKey, ca: true, ski: "f0" }));
  rootCrl = makeCrl({ issuer: makeName(["CN", "Fetch Root"]), privateKey: rootKey.privateKey, thisUpdate: new Date("2026-05-01T00:00:00Z"), nextUpdate: new Date("2026-07-01T00:00:00Z") });
});

afterAll(async () => {
  for (const p of peers) {
    p.server.closeAllConnections();
    await new Promise((r) => p.server.close(r));
  }
});

async function start(handle: Parameters<typeof peer>[0]): Promise<Peer> {
  const p = await peer(handle);
  peers.push(p);
  return p;
}

/** A leaf issued by the root whose CRL is only at these distribution points. */
function leafWith(urls: string[]): Certificate {
  const k = generateKeyPairSync("ed25519");
  return parseCertificate(makeCert({ subject: "Fetch Leaf", issuer: "Fetch Root", publicKey: k.publicKey, signer: rootKey.privateKey, aki: "f0", crlUrls: urls }));
}

function check(leaf: Certificate, budget: Partial<ValidationBudget>, revocation: Partial<RevocationStrategy> = {}): Promise<PathResult> {
  const policy = withOverrides(defaultValidationPolicy(), { budget, revocation: { fetch: true, ...revocation } });
  return validatePath(leaf, {
    anchors: new TrustStore([root]),
    untrusted: [],
    revocation: createCrlChecker({ store: new CrlStore(), fetcher: createCrlFetcher() }),
    at: AT,
    policy,
  });
}

describe("fetch budget per validation", () => {
  it("12 distribution points that never answer cost the budget's time, fetched in parallel; then TRY_LATER naming fetchTimeMs", async () => {
    const silent = await start(() => undefined);
    const leaf = leafWith(Array.from({ length: 12 }, (_, i) => `${silent.base}/dp${i}.crl`));
    const r = await check(leaf, { fetches: 12, fetchTimeMs: 2_000 });
    expect(r.report.indication).toBe("INDETERMINATE");
    expect(r.report.subIndication).toBe("TRY_LATER");
    expect(r.report.errors[0]).toMatchObject({ code: "REVOCATION_UNKNOWN", revocationCode: "FETCH_LIMIT" });
    expect(r.report.errors[0]!.message).toMatch(/fetchTimeMs/);
    // all twelve were asked before the budget's time ran out: one after another, only one would have been
    expect(silent.requests).toHaveLength(12);
  }, 30_000);

  it("starts no more fetches than `fetches`, then TRY_LATER naming the limit", async () => {
    const missing = await start((_u, res) => res.writeHead(404).end());
    const leaf = leafWith(Array.from({ length: 12 }, (_, i) => `${missing.base}/dp${i}.crl`));
    const r = await check(leaf, { fetches: 3 });
    expect(r.report.subIndication).toBe("TRY_LATER");
    expect(r.report.errors[0]).toMatchObject({ revocationCode: "FETCH_LIMIT" });
    expect(r.report.errors[0]!.message).toMatch(/fetches/);
    expect(missing.requests).toHaveLength(3);
  }, 30_000);

  it("shares the budget between the validator's calls' paths, one budget per call (validatePath through the validator)", async () => {
    const missing = await start((_u, res) => res.writeHead(404).end());
    const leaf = leafWith(Array.from({ length: 5 }, (_, i) => `${missing.base}/dp${i}.crl`));
    const policy = withOverrides(defaultValidationPolicy(), { budget: { fetches: 2 } });
    const v = await createValidator({ trust: [Buffer.from(root.der)], policy });
    expect((await v.validatePath(leaf.der, { at: AT })).subIndication).toBe("TRY_LATER");
    expect(missing.requests).toHaveLength(2);
    // a new call, a new budget
    await v.validatePath(leaf.der, { at: AT });
    expect(missing.requests).toHaveLength(4);
  }, 30_000);
});

describe("a download shared by validations", () => {
  it("one validation's budget running out does not fail another waiting for the same CRL", async () => {
    const held: import("node:http").ServerResponse[] = [];
    const slow = await start((_u, res) => held.push(res));
    const leaf = leafWith([`${slow.base}/shared.crl`]);
    const checker = createCrlChecker({ store: new CrlStore(), fetcher: createCrlFetcher() });
    const run = (fetchTimeMs: number) =>
      validatePath(leaf, { anchors: new TrustStore([root]), untrusted: [], revocation: checker, at: AT, policy: withOverrides(defaultValidationPolicy(), { budget: { fetchTimeMs } }) });
    const short = run(200);
    const long = run(20_000);
    const a = await short;
    expect(a.report.errors[0]).toMatchObject({ revocationCode: "FETCH_LIMIT" });
    // only now does the server answer: the download went on for the validation still waiting
    // (under load the request may arrive after the short budget ended: wait for it; the test's timeout is the guard)
    while (held.length === 0) await new Promise((r) => setTimeout(r, 20));
    held[0]!.writeHead(200).end(rootCrl);
    const b = await long;
    expect(b.report.errors).toEqual([]);
    expect(b.report.indication).toBe("TOTAL_PASSED");
    expect(slow.requests).toEqual(["/shared.crl"]);
  }, 30_000);
});

describe("fetched CRLs in the store", () => {
  it("are bounded by bytes (least recently fetched dropped), the configured ones kept", async () => {
    const crl = (from: string, to: string) => makeCrl({ issuer: makeName(["CN", "Fetch Root"]), privateKey: rootKey.privateKey, thisUpdate: new Date(from), nextUpdate: new Date(to) });
    const first = crl("2026-05-01T00:00:00Z", "2026-06-10T00:00:00Z");
    const second = crl("2026-06-11T00:00:00Z", "2026-07-01T00:00:00Z");
    const configured = makeCrl({ issuer: makeName(["CN", "Elsewhere"]), privateKey: rootKey.privateKey });
    const server = await start((u, res) => res.writeHead(200).end(u === "/one.crl" ? first : second));
    const store = new CrlStore();
    store.addBytes(configured);
    const checker = createCrlChecker({ store, fetcher: createCrlFetcher(), maxFetchedBytes: 1 });
    const policy = withOverrides(defaultValidationPolicy(), { revocation: { fetch: true } });
    // the second check is at a time the first CRL no longer covers: the store has nothing usable, so it fetches
    for (const [url, at] of [[`${server.base}/one.crl`, AT], [`${server.base}/two.crl`, new Date("2026-06-20T00:00:00Z")]] as const) {
      const r = await validatePath(leafWith([url]), { anchors: new TrustStore([root]), untrusted: [], revocation: checker, at, policy });
      expect(r.report.indication).toBe("TOTAL_PASSED");
    }
    expect(server.requests).toEqual(["/one.crl", "/two.crl"]);
    // the configured CRL and the last fetched one; the first fetched was dropped to stay under the cap
    expect(store.size).toBe(2);
    expect(store.byIssuer(parseCertificate(root.der).subject.key).map((c) => c.thisUpdate.toISOString())).toEqual(["2026-06-11T00:00:00.000Z"]);
  }, 30_000);
});

describe("redirects", () => {
  it("follows at most fetchRedirects redirects", async () => {
    const loop = await start((u, res) => res.writeHead(302, { location: `${u}x` }).end());
    const r = await check(leafWith([`${loop.base}/a`]), { fetchRedirects: 2 });
    expect(r.report.errors[0]).toMatchObject({ revocationCode: "CRL_FETCH_FAILED" });
    expect(r.report.errors[0]!.message).toMatch(/fetchRedirects/);
    expect(loop.requests).toEqual(["/a", "/ax", "/axx"]);
  }, 30_000);

  it("checks a redirect target like the original URL: the policy's hosts, http(s) only", async () => {
    const elsewhere = await start((_u, res) => res.writeHead(200).end(rootCrl));
    const port = new URL(elsewhere.base).port;
    const toOtherHost = await start((_u, res) => res.writeHead(302, { location: `http://localhost:${port}/crl` }).end());
    const r = await check(leafWith([`${toOtherHost.base}/dp`]), {}, { fetchHosts: ["127.0.0.1"] });
    expect(r.report.subIndication).toBe("TRY_LATER");
    expect(r.report.errors[0]!.message).toMatch(/host localhost is not among the hosts/);
    expect(elsewhere.requests).toEqual([]);

    const toFtp = await start((_u, res) => res.writeHead(301, { location: "ftp://127.0.0.1/crl" }).end());
    const f = await check(leafWith([`${toFtp.base}/dp`]), {});
    expect(f.report.errors[0]!.message).toMatch(/scheme ftp: is not fetched/);
  }, 30_000);

  it("still follows an allowed redirect to the CRL", async () => {
    const crls = await start((_u, res) => res.writeHead(200, { "content-type": "application/pkix-crl" }).end(rootCrl));
    const hop = await start((_u, res) => res.writeHead(302, { location: `${crls.base}/root.crl` }).end());
    const r = await check(leafWith([`${hop.base}/dp`]), {}, { fetchHosts: ["127.0.0.1"] });
    expect(r.report.errors).toEqual([]);
    expect(r.report.indication).toBe("TOTAL_PASSED");
    expect(crls.requests).toEqual(["/root.crl"]);
  }, 30_000);
});
