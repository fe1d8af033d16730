/**
 * Issue 16 end to end in one process: submissions get log indexes in their receipts, the
 * sequencer turns them into tiles and signed checkpoints across tile boundaries (256) and into
 * level 1, and everything the routes serve is checked by the independent verifier
 * (test/helpers/tlog-verify.ts), by `podpis log verify`, and by `audit verify` — including that
 * tampering with an archived receipt, a tile or a checkpoint is detected.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import type { SqliteArchive } from "../src/archive/sqlite.js";
import { verifyArchive } from "../src/archive/verify-archive.js";
import { verifyLog } from "../src/archive/log-verify.js";
import { BUNDLED } from "../src/bundled.js";
import { runCommand } from "../src/cli/main.js";
import { logCommand } from "../src/cli/log.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { PodpisService } from "../src/http/service.js";
import { parseVerifierKey } from "../src/log/index.js";
import { capture } from "./helpers/cli-capture.js";
import { TiledTree, checkConsistency, checkInclusion, checkTlogProof, fetchBundle, leafHashOf, openCheckpointNote, parseVkey } from "./helpers/tlog-verify.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const N = 520;

let rt: Runtime;
let server: Server;
let base: string;
let prefix: string;
let dir: string;
let key: string;
let vkey: string;
/** receipts by log index, and their submission ids */
const receipts: string[] = [];
const ids: string[] = [];
let early: string;

const cli = (...argv: string[]) => capture((io) => runCommand("log", logCommand, ["verify", ...argv], io));
const file = (name: string, body: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
const raw = () => (rt.archive as SqliteArchive).raw;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-tlog-"));
  // the sequencer's own loop makes the empty checkpoint and then waits an hour: the test drains it
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined, tlogIntervalMs: 3_600_000 }, pino({ level: "silent" }));
  const app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1 << 20, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  // the submissions below keep this process busy for many seconds between requests
  server.keepAliveTimeout = 120_000;
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  prefix = `${base}/api/v1/log`;
  const k = newApiKey("portal", ["submit", "audit"], new Date(AT));
  await rt.archive.createApiKey(k.record);
  key = k.key;

  // one submission the whole way: HTTP, validation, XAdES seal with time-stamp
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:test");
  const r = await fetch(`${base}/api/v1/submissions`, { method: "POST", body: f, headers: { Authorization: `Bearer ${key}` } });
  expect(r.status).toBe(201);
  const first = (await r.json()) as { id: string; receipt: string; log: { index: number } };
  expect(first.log).toEqual({ index: 0 });
  receipts.push(first.receipt);
  ids.push(first.id);

  // the rest through the service object with a pass-through seal: validation and the archive
  // are real, the seal is not the point here (and would make hundreds of submissions slow)
  const fast = new PodpisService({
    validator: rt.validator, archive: rt.archive, clock: rt.clock, register: "R",
    policy: { bytes: readFileSync(BUNDLED.policy), name: "policy" },
    sealer: { certificateSha256: "00", provider: { name: "t", identifier: null }, seal: async (xml) => xml, close: async () => {} },
    log: { origin: rt.service.logIdentity.origin, verifierKey: rt.service.logIdentity.verifierKey! },
  });
  const doc = fx("cades/rsa2048-cades-detached.p7s");
  const content = fx("cades/content.xml");
  for (let i = 1; i < N; i++) {
    const s = await fast.submit({ document: doc, contents: [content], applicant: `applicant ${i}`, service: "urn:s" });
    expect(s.logIndex).toBe(i);
    receipts.push(s.receipt);
    ids.push(s.record.id);
    if (i === 99) {
      await rt.sequencer.drain();
      early = await (await fetch(`${prefix}/checkpoint`)).text();
    }
  }
  await rt.sequencer.drain();
  vkey = (await (await fetch(`${prefix}/key`)).text()).trim();
}, 240_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the log as served", () => {
  it("puts the log index in the receipt and serves a signed checkpoint with short-lived caching", async () => {
    expect(receipts[0]).toContain(`<TransparencyLog origin="podpis.local/log" index="0"/>`);
    expect(receipts[300]).toContain(`index="300"`);
    const r = await fetch(`${prefix}/checkpoint`);
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(r.headers.get("cache-control")).toMatch(/max-age=1\b/);
    const cp = openCheckpointNote(await r.text(), parseVkey(vkey));
    expect(cp).toMatchObject({ origin: "podpis.local/log", size: BigInt(N) });
    expect(openCheckpointNote(early, parseVkey(vkey)).size).toBe(100n);
  });

  it("proves receipts on both sides of tile boundaries with the independent verifier, from the tiles", async () => {
    const cp = openCheckpointNote(await (await fetch(`${prefix}/checkpoint`)).text(), parseVkey(vkey));
    const tree = new TiledTree(prefix, cp.size);
    for (const i of [0, 1, 255, 256, 257, 511, 512, N - 1]) {
      checkInclusion(BigInt(i), cp.size, leafHashOf(Buffer.from(receipts[i]!, "utf8")), await tree.inclusion(BigInt(i)), cp.root);
    }
    // level 1: the hash of each full level-0 tile
    const l1 = Buffer.from(await (await fetch(`${prefix}/tile/1/000.p/2`)).arrayBuffer());
    expect(l1.length).toBe(64);
    const full = await fetch(`${prefix}/tile/0/001`);
    expect(full.headers.get("cache-control")).toContain("immutable");
    expect((await full.arrayBuffer()).byteLength).toBe(8192);
    // a tree of 100 had a partial tile of width 100: still served, as its first 100 hashes
    expect((await fetch(`${prefix}/tile/0/000.p/100`)).status).toBe(200);
  });

  it("serves entry bundles that are the receipts byte for byte", async () => {
    const b1 = await fetchBundle(prefix, 1n, 256);
    expect(b1.map((e) => e.toString("utf8"))).toEqual(receipts.slice(256, 512));
    const last = await fetchBundle(prefix, 2n, N - 512);
    expect(last.map((e) => e.toString("utf8"))).toEqual(receipts.slice(512));
    const gz = await fetch(`${prefix}/tile/entries/000`, { headers: { "Accept-Encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
  });

  it("answers 404 for tiles beyond the checkpoint and for paths that are no tile paths", async () => {
    for (const p of ["tile/0/002", "tile/0/002.p/9", "tile/2/000.p/1", "tile/entries/002", "tile/0/2", "tile/0/x000/001", "tile/0/000.p/0", "tile/entries/000.p/256"]) {
      const r = await fetch(`${prefix}/${p}`);
      expect(r.status, p).toBe(404);
      expect(r.headers.get("content-type"), p).toContain("problem+json");
    }
  });

  it("proves the log grew append-only from the checkpoint kept at 100", async () => {
    const old = openCheckpointNote(early, parseVkey(vkey));
    const cp = openCheckpointNote(await (await fetch(`${prefix}/checkpoint`)).text(), parseVkey(vkey));
    const tree = new TiledTree(prefix, cp.size);
    checkConsistency(old.size, cp.size, old.root, cp.root, await tree.consistency(old.size));
  });

  it("gives a tlog-proof per submission that verifies offline", async () => {
    const r = await fetch(`${base}/api/v1/submissions/${ids[300]}/log-proof`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(checkTlogProof(text, Buffer.from(receipts[300]!, "utf8"), parseVkey(vkey))).toEqual({ index: 300n, size: BigInt(N) });
    expect((await fetch(`${base}/api/v1/submissions/00000000-0000-0000-0000-000000000000/log-proof`)).status).toBe(404);
  });

  it("says 'in the public log at index N' on the receipt check, only for the exact bytes", async () => {
    const ok = (await (await fetch(`${base}/api/v1/receipts/verify`, { method: "POST", body: receipts[0] })).json()) as { valid: boolean; log: unknown };
    expect(ok).toMatchObject({ valid: true, log: { index: 0, treeSize: N } });
    const altered = receipts[0]!.replace("Иван Петров Иванов", "Иван Петров Иванoв");
    const bad = (await (await fetch(`${base}/api/v1/receipts/verify`, { method: "POST", body: altered })).json()) as { valid: boolean; log: unknown };
    expect(bad).toMatchObject({ valid: false, log: null });
  });
});

describe("podpis log verify", () => {
  it("proves inclusion online and offline, growth from a kept checkpoint, and keeps the newest", async () => {
    const k = file("log.vkey", vkey + "\n");
    const rec = file("receipt-0.xml", receipts[0]!);
    const on = await cli(rec, "--log", prefix, "--key", k);
    expect(on.err).toBe("");
    expect(on.out).toContain(`in the public log podpis.local/log at index 0 (checkpoint of ${N} entries`);
    expect(on.code).toBe(0);
    const proof = file("r300.tlog-proof", await (await fetch(`${base}/api/v1/submissions/${ids[300]}/log-proof`)).text());
    const off = await cli(file("receipt-300.xml", receipts[300]!), "--proof", proof, "--key", k, "--json");
    expect(off.code).toBe(0);
    expect(JSON.parse(off.out)).toMatchObject({ receipt: { index: 300, included: true }, treeSize: N });
    const saved = join(dir, "newest.checkpoint");
    const grew = await cli("--log", prefix, "--key", k, "--checkpoint", file("old.checkpoint", early), "--save-checkpoint", saved);
    expect(grew.out).toContain(`grew append-only from 100 to ${N} entries`);
    expect(grew.code).toBe(0);
    expect(readFileSync(saved, "utf8")).toBe(await (await fetch(`${prefix}/checkpoint`)).text());
  });

  it("exits 2 for an altered receipt, a proof of another receipt, a forged checkpoint; 1 when the log is away; 64 for usage", async () => {
    const k = file("log.vkey", vkey + "\n");
    const altered = await cli(file("altered.xml", receipts[7]!.replace("applicant 7", "applicant 8")), "--log", prefix, "--key", k);
    expect(altered.code).toBe(2);
    expect(altered.err).toMatch(/^podpis log: LOG_PROOF_FAILED: the entry is not at index 7/);
    expect(altered.err.trim().split("\n")).toHaveLength(1);
    const proof = file("r300.tlog-proof", await (await fetch(`${base}/api/v1/submissions/${ids[300]}/log-proof`)).text());
    expect((await cli(file("r301.xml", receipts[301]!), "--proof", proof, "--key", k)).code).toBe(2);
    const forged = early.replace("\n100\n", "\n101\n");
    const f = await cli("--log", prefix, "--key", k, "--checkpoint", file("forged.checkpoint", forged));
    expect(f.code).toBe(2);
    expect(f.err).toContain("LOG_SIGNATURE_INVALID");
    const away = await cli(file("r0.xml", receipts[0]!), "--log", "http://127.0.0.1:1/api/v1/log", "--key", k);
    expect(away.code).toBe(1);
    expect(away.err).toMatch(/^podpis log: the log cannot be read: /);
    expect((await cli(file("r0.xml", receipts[0]!), "--key", k)).code).toBe(64);
  });
});

describe("tampering", () => {
  it("audit verify finds archive and log in agreement, then names a rewritten receipt, tile and checkpoint", async () => {
    const clean = await verifyArchive(rt.archive);
    expect(clean.log).toMatchObject({ ok: true, entries: N, size: N, signaturesChecked: false });
    expect(clean.ok).toBe(true);
    expect((await verifyLog(rt.archive, parseVerifierKey(vkey))).signaturesChecked).toBe(true);
    const db = raw();
    const k = file("log.vkey", vkey + "\n");

    // a tile: the proofs read from it no longer reach the signed root
    const t = db.prepare("SELECT hashes FROM log_tiles WHERE level = 0 AND idx = 1").get() as { hashes: Buffer };
    const bent = Buffer.from(t.hashes);
    bent[40]! ^= 1;
    db.prepare("UPDATE log_tiles SET hashes = ? WHERE level = 0 AND idx = 1").run(bent);
    expect((await cli(file("r300.xml", receipts[300]!), "--log", prefix, "--key", k)).code).toBe(2);
    expect((await verifyLog(rt.archive)).mismatches.map((m) => m.subject)).toEqual(["tile 0/1"]);
    db.prepare("UPDATE log_tiles SET hashes = ? WHERE level = 0 AND idx = 1").run(t.hashes);

    // a checkpoint: its signature no longer verifies
    const c = db.prepare("SELECT note FROM log_checkpoints WHERE size = ?").get(N) as { note: string };
    db.prepare("UPDATE log_checkpoints SET note = ? WHERE size = ?").run(c.note.replace(/\n[A-Za-z0-9+/=]{44}\n/, `\n${Buffer.alloc(32).toString("base64")}\n`), N);
    expect((await cli(file("r0.xml", receipts[0]!), "--log", prefix, "--key", k)).err).toContain("LOG_SIGNATURE_INVALID");
    const v = await verifyLog(rt.archive, parseVerifierKey(vkey));
    expect(v.ok).toBe(false);
    expect(v.mismatches.find((m) => m.subject === `checkpoint ${N}`)?.object).toBe("signature");
    db.prepare("UPDATE log_checkpoints SET note = ? WHERE size = ?").run(c.note, N);

    // an archived receipt: no longer its log entry
    db.prepare("UPDATE submissions SET receipt = ? WHERE id = ?").run(receipts[5]!.replace("applicant 5", "applicant 6"), ids[5]);
    const r = await verifyArchive(rt.archive);
    expect(r.ok).toBe(false);
    expect(r.log.mismatches).toContainEqual(expect.objectContaining({ subject: `submission ${ids[5]}`, object: "receipt", message: "the archived receipt differs from its log entry 5" }));
    db.prepare("UPDATE submissions SET receipt = ? WHERE id = ?").run(receipts[5], ids[5]);
    expect((await verifyLog(rt.archive)).ok).toBe(true);
  });
});
