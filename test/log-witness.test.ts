/**
 * Issue 16, witnesses: the sequencer pushes each new checkpoint to the configured witnesses
 * (C2SP tlog-witness add-checkpoint) and serves their cosignatures with the checkpoint. The
 * witness here is a double written from the spec's text: it verifies the log's signature and the
 * consistency proof from the size it last cosigned (409 with text/x.tlog.size otherwise), and
 * answers with a timestamped Ed25519 cosignature (tlog-cosignature v1, type 0x04).
 */
import { createPrivateKey, createPublicKey, createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOG_KEY_FILE, loadLogSigner } from "../src/archive/log-key.js";
import { LogSequencer } from "../src/archive/log-sequencer.js";
import { BUNDLED } from "../src/bundled.js";
import { createApp } from "../src/http/app.js";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { PodpisService } from "../src/http/service.js";
import { parseWitnessKey } from "../src/log/index.js";
import { checkConsistency, openCheckpointNote, openSignedNote, parseVkey } from "./helpers/tlog-verify.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));

/** The witness double: state is the last cosigned (size, root) for the one log it knows. */
class WitnessDouble {
  readonly name = "witness.test/w1";
  private readonly priv = generateKeyPairSync("ed25519").privateKey;
  readonly pub = Buffer.from(createPublicKey(this.priv).export({ format: "der", type: "spki" })).subarray(12);
  readonly id = createHash("sha256").update(this.name).update(Buffer.from([0x0a, 0x04])).update(this.pub).digest().subarray(0, 4);
  readonly vkey = `${this.name}+${this.id.toString("hex")}+${Buffer.concat([Buffer.from([4]), this.pub]).toString("base64")}`;
  size = 0n;
  root: Buffer | null = null;
  requests: Array<{ old: bigint; proof: number; status: number }> = [];
  server!: Server;
  url!: string;

  constructor(private readonly logKey: () => string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req).then(([status, type, body]) => res.writeHead(status, { "Content-Type": type }).end(body)));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/witness`;
  }

  private async handle(req: IncomingMessage): Promise<[number, string, string]> {
    let body = "";
    for await (const c of req) body += c;
    if (req.method !== "POST" || req.url !== "/witness/add-checkpoint") return [404, "text/plain", "no"];
    const cut = body.indexOf("\n\n");
    const head = body.slice(0, cut).split("\n");
    const note = body.slice(cut + 2);
    const old = BigInt(/^old (\d+)$/.exec(head[0]!)![1]!);
    const proof = head.slice(1).map((l) => Buffer.from(l, "base64"));
    const answer = (status: number, type: string, text: string): [number, string, string] => {
      this.requests.push({ old, proof: proof.length, status });
      return [status, type, text];
    };
    let cp;
    try {
      cp = openCheckpointNote(note, parseVkey(this.logKey()));
    } catch {
      return answer(403, "text/plain", "not signed by a known log key\n");
    }
    if (old > cp.size) return answer(400, "text/plain", "old size larger than the checkpoint\n");
    if (old !== this.size) return answer(409, "text/x.tlog.size", `${this.size}\n`);
    if (old === cp.size && this.root && !this.root.equals(cp.root)) return answer(409, "text/plain", "fork\n");
    try {
      if (old > 0n) checkConsistency(old, cp.size, this.root!, cp.root, proof);
      else if (proof.length) throw new Error("proof from 0");
    } catch {
      return answer(422, "text/plain", "consistency proof does not verify\n");
    }
    this.size = cp.size;
    this.root = cp.root;
    const text = openSignedNote(note, parseVkey(this.logKey())).text;
    const t = 1_780_000_000n;
    const sig = Buffer.alloc(72);
    sig.writeBigUInt64BE(t);
    sign(null, Buffer.from(`cosignature/v1\ntime ${t}\n${text}`), this.priv).copy(sig, 8);
    return answer(200, "text/plain; charset=utf-8", `\u2014 ${this.name} ${Buffer.concat([this.id, sig]).toString("base64")}\n`);
  }
}

let rt: Runtime;
let dir: string;
let server: Server;
let base: string;
let fast: PodpisService;
let vkey = "";
const witness = new WitnessDouble(() => vkey);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "podpis-witness-"));
  await witness.start();
  // the log key is made before the runtime so the witness knows it from the start
  vkey = (await import("../src/archive/log-key.js")).openLogSigner({ dataDir: dir }).verifierKey;
  rt = await buildRuntime({ ...defaultConfig(), dataDir: dir, clock: AT, offline: true, databaseUrl: undefined, tlogIntervalMs: 3_600_000, tlogWitnesses: [`${witness.vkey}@${witness.url}`] }, pino({ level: "silent" }));
  const app = createApp({ service: rt.service, archive: rt.archive, log: pino({ level: "silent" }), maxBodyBytes: 1 << 20, ratePerSecond: 0, rateBurst: 0 });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/log`;
  fast = new PodpisService({
    validator: rt.validator, archive: rt.archive, clock: rt.clock, register: "R",
    policy: { bytes: readFileSync(BUNDLED.policy), name: "policy" },
    sealer: { certificateSha256: "00", provider: { name: "t", identifier: null }, seal: async (xml) => xml, close: async () => {} },
    log: { origin: rt.service.logIdentity.origin, verifierKey: vkey },
  });
}, 120_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await new Promise((r) => witness.server?.close(r));
  await rt?.close();
  rmSync(dir, { recursive: true, force: true });
});

const submitSome = async (n: number) => {
  for (let i = 0; i < n; i++) await fast.submit({ document: fx("cades/rsa2048-cades-detached.p7s"), contents: [fx("cades/content.xml")], applicant: `a${i}`, service: "urn:s" });
};

describe("witness cosignatures", () => {
  it("pushes each checkpoint with a consistency proof and serves the cosignatures with it", async () => {
    await submitSome(3);
    await rt.sequencer.drain();
    await submitSome(4);
    await rt.sequencer.drain();
    const note = await (await fetch(`${base}/checkpoint`)).text();
    // the log's own signature and the witness's, both by the independent verifier
    expect(openCheckpointNote(note, parseVkey(vkey)).size).toBe(7n);
    expect(() => openSignedNote(note, parseVkey(witness.vkey))).not.toThrow();
    expect(witness.size).toBe(7n);
    // from the empty tree, then 0 → 3 (no proof), then 3 → 7 with a proof
    expect(witness.requests.filter((r) => r.status === 200).map((r) => [r.old, r.proof > 0])).toEqual([[0n, false], [0n, false], [3n, true]]);
    expect(parseWitnessKey(witness.vkey).name).toBe(witness.name);
  });

  it("catches up from the size the witness names (409) after a restart", async () => {
    // a new sequencer knows nothing of the witness's state: it tries 0, learns 7 and sends the proof 7 → 9
    const again = new LogSequencer({ store: rt.archive.transparencyLog, signer: loadLogSigner(join(dir, LOG_KEY_FILE)), clock: rt.clock, witnesses: [{ key: parseWitnessKey(witness.vkey), url: witness.url }] });
    await submitSome(2);
    await again.drain();
    expect(witness.requests.slice(-2).map((r) => [r.old, r.status])).toEqual([[0n, 409], [7n, 200]]);
    const note = await (await fetch(`${base}/checkpoint`)).text();
    expect(openCheckpointNote(note, parseVkey(vkey)).size).toBe(9n);
    expect(() => openSignedNote(note, parseVkey(witness.vkey))).not.toThrow();
  });

  it("refuses a cosignature that does not verify, keeping the checkpoint without it", async () => {
    const other = generateKeyPairSync("ed25519").privateKey;
    const liar = new LogSequencer({
      store: rt.archive.transparencyLog, signer: loadLogSigner(join(dir, LOG_KEY_FILE)), clock: rt.clock,
      witnesses: [{ key: parseWitnessKey(witness.vkey), url: "http://witness.invalid" }],
      // a witness whose answer is signed with another key under its name and ID
      fetch: async () => new Response(`\u2014 ${witness.name} ${Buffer.concat([witness.id, Buffer.alloc(8), sign(null, Buffer.from("x"), createPrivateKey(other.export({ format: "pem", type: "pkcs8" })))]).toString("base64")}\n`),
      onError: (what, e) => errors.push(`${what}: ${(e as Error).message}`),
    });
    const errors: string[] = [];
    await submitSome(1);
    await liar.drain();
    expect(errors).toEqual([expect.stringMatching(/did not cosign checkpoint 10: the cosignature by witness.test\/w1 does not verify/)]);
    const note = await (await fetch(`${base}/checkpoint`)).text();
    expect(openCheckpointNote(note, parseVkey(vkey)).size).toBe(10n);
    expect(() => openSignedNote(note, parseVkey(witness.vkey))).toThrow(/no signature/);
  });
});
