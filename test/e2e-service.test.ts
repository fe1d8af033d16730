/**
 * End to end: the real `podpis serve` as a separate process (cluster of 2 workers) on 127.0.0.1
 * with a random port, driven over HTTP. Submit → fetch → verify the receipt (podpis and xmlsec1)
 * → revalidate → graceful restart → everything still there. Then the crash test: kill -9 under
 * a bounded load of concurrent submissions; after restart every 201 is there with its receipt,
 * numbers are gap-free and the audit log verifies.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/archive/audit.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { auditCommand } from "../src/cli/audit.js";
import { keysCommand } from "../src/cli/keys.js";
import { verifyCommand } from "../src/cli/verify.js";
import { requirePeer } from "./helpers/peers.js";
import { waitForListening } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const SERVE = resolve("src/cli/serve.ts");
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const dirs: string[] = [];
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const p of running) killGroup(p, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "podpis-e2e-"));
  dirs.push(d);
  return d;
}

function capture(): { out: { stdout: (t: string) => void; stderr: (t: string) => void }; text: () => string } {
  let s = "";
  return { out: { stdout: (t) => void (s += t), stderr: () => {} }, text: () => s };
}

async function createKey(data: string): Promise<string> {
  const c = capture();
  expect(await keysCommand(["create", "--name", "e2e", "--scope", "verify", "--scope", "submit", "--scope", "audit", "--data", data, "--json"], c.out)).toBe(0);
  return (JSON.parse(c.text()) as { key: string }).key;
}

interface Server {
  proc: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

async function startServer(data: string, clock = AT): Promise<Server> {
  const code = `const m = await import(${JSON.stringify(SERVE)}); process.exitCode = await m.serveCommand(process.argv.slice(1), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, "--", "--port", "0", "--data", data, "--clock", clock, "--offline", "--workers", "2", "--log-level", "warn"], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, DATABASE_URL: "" },
  });
  running.add(proc);
  const exited = new Promise<number | null>((r) => proc.on("exit", (c) => (running.delete(proc), r(c))));
  const base = await waitForListening(proc, 30_000);
  return { proc, base, exited };
}

function killGroup(p: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-p.pid!, sig);
  } catch {
    /* gone */
  }
}

function submissionForm(): FormData {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "zayavlenie.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:e2e");
  return f;
}

const xmlsec = requirePeer("xmlsec1");
const xmlsecArgs = (file: string) => ["--verify", "--verification-time", "2026-06-01 00:00:00", "--trusted-pem", "certs-test/root-ca.pem", "--untrusted-pem", "certs-test/seal-ca.pem", "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", file];

describe("e2e: the service as a separate process", () => {
  it("submit → fetch → verify receipt → revalidate → restart → still there", async () => {
    const data = tmp();
    const key = await createKey(data);
    const auth = { Authorization: `Bearer ${key}` };
    let s = await startServer(data);

    const r = await fetch(`${s.base}/api/v1/submissions`, { method: "POST", headers: auth, body: submissionForm() });
    expect(r.status).toBe(201);
    const sub = (await r.json()) as { id: string; registrationNumber: string; accepted: boolean; receipt: string; report: unknown };
    expect(sub.accepted).toBe(true);

    const get = async (path: string) => fetch(`${s.base}/api/v1/submissions/${sub.id}${path}`, { headers: auth });
    const snapshot = async () => ({
      record: await (await get("")).json(),
      document: Buffer.from(await (await get("/document")).arrayBuffer()).toString("base64"),
      report: await (await get("/report")).json(),
      receipt: await (await get("/receipt")).text(),
    });
    const before = await snapshot();
    expect(before.receipt).toBe(sub.receipt);
    expect(before.report).toEqual(sub.report);

    // the receipt checks out at the service and in `podpis verify` (xmlsec1: its own test below)
    const check = (await (await fetch(`${s.base}/api/v1/receipts/verify`, { method: "POST", body: sub.receipt })).json()) as { valid: boolean; registrationNumber: string };
    expect(check, JSON.stringify((check as unknown as { problems: unknown }).problems)).toMatchObject({ valid: true, registrationNumber: sub.registrationNumber });
    const file = join(data, "receipt.xml");
    writeFileSync(file, sub.receipt);
    const v = capture();
    expect(await verifyCommand([file, "--at", AT, "--json", "--offline"], v.out)).toBe(0);
    expect((JSON.parse(v.text()) as { signatures: Array<{ level: string }> }).signatures[0]!.level).toBe("B-T");

    const rv = (await (await fetch(`${s.base}/api/v1/submissions/${sub.id}/revalidate?at=received`, { method: "POST", headers: auth })).json()) as { reproduced: boolean };
    expect(rv.reproduced).toBe(true);

    // graceful stop (SIGTERM to the primary), restart, everything still there
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    // the restarted service's clock must not run behind the receipt's time-stamp (then in its future)
    s = await startServer(data, "2026-06-01T01:00:00Z");
    expect(await snapshot()).toEqual(before);
    expect(((await (await fetch(`${s.base}/api/v1/receipts/verify`, { method: "POST", body: sub.receipt })).json()) as { valid: boolean }).valid).toBe(true);
    expect((await fetch(`${s.base}/readyz`)).status).toBe(200);
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const a = capture();
    expect(await auditCommand(["verify", "--data", data], a.out)).toBe(0);
    expect(a.text()).toMatch(/audit log intact: \d+ entries/);
  });

  xmlsec.it("a receipt from the running service verifies in xmlsec1, an altered one does not", async () => {
    const data = tmp();
    const key = await createKey(data);
    const s = await startServer(data);
    const r = await fetch(`${s.base}/api/v1/submissions`, { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: submissionForm() });
    expect(r.status).toBe(201);
    const { receipt } = (await r.json()) as { receipt: string };
    s.proc.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const file = join(data, "receipt.xml");
    writeFileSync(file, receipt);
    const x = spawnSync("xmlsec1", xmlsecArgs(file));
    expect(x.status, x.stderr.toString()).toBe(0);
    writeFileSync(file, receipt.replace("Иван Петров Иванов", "Иван Петров Иванoв"));
    expect(receipt).toContain("Иван Петров Иванов");
    expect(spawnSync("xmlsec1", xmlsecArgs(file)).status).not.toBe(0);
  });

  it("crash: kill -9 under concurrent submissions loses no 201", async () => {
    const data = tmp();
    const key = await createKey(data);
    const auth = { Authorization: `Bearer ${key}` };
    const s = await startServer(data);
    const confirmed: Array<{ id: string; registrationNumber: string; receipt: string }> = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await fetch(`${s.base}/api/v1/submissions`, { method: "POST", headers: auth, body: submissionForm() });
          if (r.status === 201) confirmed.push((await r.json()) as (typeof confirmed)[number]);
        } catch {
          return; // the server died mid-request: that submission got no 201
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // killed once some submissions are confirmed (and others are in flight), however slow the machine
    for (let waited = 0; confirmed.length < 6; waited += 50) {
      if (waited > 45_000) throw new Error(`hang guard: ${confirmed.length} submissions confirmed in 45 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    killGroup(s.proc, "SIGKILL");
    stop = true;
    await Promise.all(clients);
    await s.exited;
    expect(confirmed.length).toBeGreaterThanOrEqual(6);

    const s2 = await startServer(data);
    for (const c of confirmed) {
      const rec = await fetch(`${s2.base}/api/v1/submissions/${c.id}`, { headers: auth });
      expect(rec.status).toBe(200);
      expect(((await rec.json()) as { registrationNumber: string }).registrationNumber).toBe(c.registrationNumber);
      expect(await (await fetch(`${s2.base}/api/v1/submissions/${c.id}/receipt`, { headers: auth })).text()).toBe(c.receipt);
    }
    s2.proc.kill("SIGTERM");
    expect(await s2.exited).toBe(0);

    const archive = new SqliteArchive({ path: join(data, "podpis.sqlite"), numberFormat: "{register}-{yyyy}-{seq:6}" });
    const entries = await archive.auditEntries();
    expect(verifyAuditChain(entries, await archive.auditHead())).toMatchObject({ ok: true });
    const seqs = entries.filter((e) => e.kind === "submission").map((e) => (JSON.parse(e.data) as { sequence: number }).sequence).sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // gap-free
    expect(seqs.length).toBeGreaterThanOrEqual(confirmed.length);
    await archive.close();
  });
});
