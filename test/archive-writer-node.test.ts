/**
 * Issue 15, one writer per SQLite node (archive/writer-ipc.ts): a two-worker node's submissions
 * all go through the primary's one writer, while the receipts are sealed in the workers. So
 * every batch's guessed numbers hold (none sealed again, none sealed under the lock), numbers
 * are gap-free, and the audit chain and the log verify afterwards.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { auditCommand } from "../src/cli/audit.js";
import { createKey, startServe, tempData } from "./helpers/serve-process.js";

const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe("a two-worker SQLite node", () => {
  it("commits every worker's submissions through one writer: guesses hold, numbers gap-free, audit verifies", async () => {
    const d = tempData();
    cleanup.push(d.remove);
    const key = await createKey(d.dir, ["submit"]);
    const server = await startServe(d.dir, ["--workers", "2", "--clock", "2026-06-01T00:00:00Z"]);
    cleanup.push(() => server.stop());
    expect(server.workers().length).toBe(2);
    const submit = async (i: number) => {
      const f = new FormData();
      f.append("signature", new Blob([fx("cades/rsa2048-cades-attached.p7m")]), "a.p7m");
      f.append("applicant", `Заявител ${i}`);
      f.append("service", "urn:podpis:service:writer");
      // a new connection each time, so both workers take some
      const r = await fetch(server.base + "/api/v1/submissions", { method: "POST", body: f, headers: { Authorization: `Bearer ${key}`, Connection: "close" } });
      expect(r.status, await r.clone().text()).toBe(201);
      return ((await r.json()) as { registrationNumber: string }).registrationNumber;
    };
    const numbers = await Promise.all(Array.from({ length: 24 }, (_, i) => submit(i)));
    const seqs = numbers.map((n) => Number(/(\d+)$/.exec(n)![1])).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const text = await (await fetch(server.base + "/metrics", { headers: { Connection: "close" } })).text();
    const count = (how: string) => Number(new RegExp(`^podpis_archive_batches_total\\{numbering="${how}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    const batches = Number(/^podpis_archive_batch_size_count(?:\{\})? (\d+)$/m.exec(text)?.[1]);
    expect(batches).toBeGreaterThan(0);
    expect(count("guessed")).toBe(batches);
    expect(count("resealed") + count("locked")).toBe(0);
    await server.stop();
    let out = "";
    expect(await auditCommand(["verify", "--data", d.dir], { stdout: (t) => void (out += t), stderr: (t) => void (out += t) }), out).toBe(0);
  }, 120_000);
});
