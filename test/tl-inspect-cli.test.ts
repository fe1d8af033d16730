// `podpis tl inspect FILE-or-URL [--tl-signer CERT]… [--json]` (contract: "Trusted list"): the
// fields, exit 0 intact and trusted / 1 intact but not pinned or unsigned / 2 not intact or no
// list, one-line errors; a URL fetched from a local server and kept in --tl-cache, then read from
// the cache offline.
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { capture } from "./helpers/cli-capture.js";
import { requireData, requirePeer } from "./helpers/peers.js";
import { peer } from "./helpers/peer.js";

const TL = join(import.meta.dirname, "..", "certs-test", "tl");
const REAL = "/work/shared/trusted-lists";
const tl = (...args: string[]) => capture((io) => run(["tl", ...args], io));
const tmp = mkdtempSync(join(tmpdir(), "podpis-tl-inspect-"));

let server: Server;
let base = "";
beforeAll(async () => {
  const bg = readFileSync(join(TL, "TSL-BG.xml"));
  server = createServer((req, res) => {
    if (req.url === "/TSL-BG.xml") {
      res.writeHead(200, { "content-type": "application/vnd.etsi.tsl+xml" });
      res.end(bg);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("podpis tl inspect", () => {
  it("the test BG list, pinned: exit 0 and the contract's fields", async () => {
    const r = await tl("inspect", join(TL, "TSL-BG.xml"), "--tl-signer", join(TL, "scheme-operator.pem"), "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ kind: "TL", schemeTerritory: "BG", sequenceNumber: 45, version: 5, tsps: 2, services: 5, pointers: [] });
    expect(j.issueDate).toBe("2026-01-15T00:00:00.000Z");
    expect(j.nextUpdate).toBe("2037-01-01T00:00:00.000Z");
    expect(j.operator).toMatch(/Communications Regulation Commission/);
    expect(j.signature).toMatchObject({ present: true, intact: true, trusted: true });
    expect(j.signature.signer.subject).toMatch(/TEST BG Trusted List Operator/);
  });

  it("the test LOTL: kind LOTL, pointers with territory, location, MIME type and signer sha256", async () => {
    const r = await tl("inspect", join(TL, "LOTL.xml"), "--tl-signer", join(TL, "lotl-operator.pem"), "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.kind).toBe("LOTL");
    const bg = j.pointers.find((p: { territory: string }) => p.territory === "BG");
    expect(bg).toMatchObject({ location: "https://tl.podpis.test/TSL-BG.xml", mimeType: "application/vnd.etsi.tsl+xml" });
    const op = await tl("inspect", join(TL, "TSL-BG.xml"), "--json");
    expect(bg.signers).toEqual([JSON.parse(op.out).signature.signer.sha256]);
  });

  it("nothing pinned: exit 1, trusted null; another signer pinned: exit 1, trusted false", async () => {
    const r = await tl("inspect", join(TL, "TSL-BG.xml"), "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).signature.trusted).toBeNull();
    const w = await tl("inspect", join(TL, "TSL-BG.xml"), "--tl-signer", join(TL, "lotl-operator.pem"), "--json");
    expect(w.code).toBe(1);
    expect(JSON.parse(w.out).signature).toMatchObject({ intact: true, trusted: false });
  });

  it("an unsigned list: exit 1, present false", async () => {
    const text = readFileSync(join(TL, "TSL-BG.xml"), "utf8");
    const f = join(tmp, "unsigned.xml");
    writeFileSync(f, text.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ""));
    const r = await tl("inspect", f, "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).signature).toMatchObject({ present: false, intact: false, signer: null });
  });

  it("a tampered list: exit 2 with a one-line reason; no list at all: exit 2, NOT_A_TRUSTED_LIST, no stack", async () => {
    const text = readFileSync(join(TL, "TSL-BG.xml"), "utf8");
    const f = join(tmp, "tampered.xml");
    writeFileSync(f, text.replace("<TSLSequenceNumber>45<", "<TSLSequenceNumber>46<"));
    const r = await tl("inspect", f, "--tl-signer", join(TL, "scheme-operator.pem"), "--json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).signature.intact).toBe(false);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/TL_SIGNATURE_INVALID: the signature does not verify/);
    const g = join(tmp, "not-a-list.xml");
    writeFileSync(g, "<html><body>hello</body></html>");
    const n = await tl("inspect", g);
    expect(n.code).toBe(2);
    expect(n.out).toBe("");
    expect(n.err).toMatch(/^podpis tl: NOT_A_TRUSTED_LIST: not a trusted list: the document element is html/);
    expect(n.err).not.toMatch(/\n\s+at /);
  });

  it("usage errors exit 64", async () => {
    expect((await tl("inspect")).code).toBe(64);
    expect((await tl("frobnicate", "x")).code).toBe(64);
    expect((await tl("inspect", join(TL, "TSL-BG.xml"), "--tl-signer", join(TL, "TSL-BG.xml"))).code).toBe(64);
  });

  it("a URL is fetched and kept in --tl-cache with its download time; offline, the cache answers", async () => {
    const cache = join(tmp, "cache");
    const url = `${base}/TSL-BG.xml`;
    const r = await tl("inspect", url, "--tl-cache", cache, "--tl-signer", join(TL, "scheme-operator.pem"), "--json");
    expect(r.code).toBe(0);
    const files = readdirSync(cache).sort();
    expect(files.filter((f) => f.endsWith(".xml"))).toHaveLength(1);
    const meta = JSON.parse(readFileSync(join(cache, files.find((f) => f.endsWith(".json"))!), "utf8"));
    expect(meta.url).toBe(url);
    expect(Number.isNaN(Date.parse(meta.fetchedAt))).toBe(false);
    expect(meta.sha256).toBe(JSON.parse(r.out).sha256);
    const off = await tl("inspect", url, "--tl-cache", cache, "--offline", "--json");
    expect(off.code).toBe(1);
    expect(JSON.parse(off.out).sha256).toBe(meta.sha256);
    // a URL that is not cached, offline: a clean one-line failure
    const miss = await tl("inspect", `${base}/other.xml`, "--tl-cache", cache, "--offline");
    expect(miss.code).toBe(2);
    expect(miss.err).toMatch(/TL_UNAVAILABLE: .*offline, and not in the list cache/);
    // a 404 without a cached copy
    const nf = await tl("inspect", `${base}/missing.xml`);
    expect(nf.code).toBe(2);
    expect(nf.err).toMatch(/TL_UNAVAILABLE: .*HTTP 404/);
  });

  requirePeer("xmlsec1", "faketime").it("the test lists, signed with podpis's own XAdES signer, verify with xmlsec1; a tampered one does not", () => {
    for (const [list, signer] of [["TSL-BG.xml", "scheme-operator.pem"], ["LOTL.xml", "lotl-operator.pem"]]) {
      const r = peer("xmlsec1", ["--verify", "--trusted-pem", join(TL, signer!), join(TL, list!)]);
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    }
    const f = join(tmp, "tampered-for-xmlsec.xml");
    writeFileSync(f, readFileSync(join(TL, "TSL-BG.xml"), "utf8").replace("<TSLSequenceNumber>45<", "<TSLSequenceNumber>46<"));
    expect(peer("xmlsec1", ["--verify", "--trusted-pem", join(TL, "scheme-operator.pem"), f]).status).not.toBe(0);
  });

  requireData("the real trusted lists", join(REAL, "BG-27.xml")).it("the real BG list of 2019 with its two signers: exit 0", async () => {
    const r = await tl("inspect", join(REAL, "BG-27.xml"), "--tl-signer", join(REAL, "BG-27-signers.pem"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^TL BG sequence 27 \(TS 119 612 v5\)/);
    expect(r.out).toMatch(/7 trust service provider\(s\), 56 service\(s\)/);
    expect(r.out).toMatch(/signature: intact, by .*Bulgarian Trusted List Operator 2.*pinned signer/);
  });
});
