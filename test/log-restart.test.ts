/**
 * Issue 16 on SQLite with a real `podpis serve` of two workers: both workers' sequencers share
 * the write lock, the whole process group killed with SIGKILL keeps every entry it answered 201
 * for, and after a restart the log carries on from its last checkpoint — one consistent log,
 * every receipt proven by the independent verifier.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";
import { checkpointCovering, submitOverHttp } from "./helpers/tlog-serve.js";
import { TiledTree, checkConsistency, checkInclusion, leafHashOf, openCheckpointNote, parseVkey } from "./helpers/tlog-verify.js";

const data = tempData();
const procs: ServeProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop();
  data.remove();
});

describe("the log through kill -9 and a restart", () => {
  it("loses no answered entry and grows append-only from where it stopped", async () => {
    const start = async () => {
      const p = await startServe(data.dir, ["--workers", "2", "--clock", "2026-06-01T00:00:00Z"]);
      procs.push(p);
      return p;
    };
    const first = await start();
    const key = await createKey(data.dir, ["submit"]);
    const answered = await Promise.all([0, 1, 2, 3].map((i) => submitOverHttp(first.base, key, `applicant ${i}`)));
    const early = await checkpointCovering(first.base, 4);
    const vkey = parseVkey((await (await fetch(`${first.base}/api/v1/log/key`)).text()).trim());
    // entries answered but perhaps not yet checkpointed when the process group dies
    answered.push(...(await Promise.all([4, 5].map((i) => submitOverHttp(first.base, key, `applicant ${i}`)))));
    process.kill(-first.proc.pid!, "SIGKILL");
    await first.exited;

    const second = await start();
    answered.push(await submitOverHttp(second.base, key, "applicant 6"));
    expect(answered.map((a) => a.index).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const cp = openCheckpointNote(await checkpointCovering(second.base, 7), vkey);
    expect(cp.size).toBe(7n);
    const tree = new TiledTree(`${second.base}/api/v1/log`, cp.size);
    for (const a of answered) checkInclusion(BigInt(a.index), cp.size, leafHashOf(Buffer.from(a.receipt, "utf8")), await tree.inclusion(BigInt(a.index)), cp.root);
    const old = openCheckpointNote(early, vkey);
    checkConsistency(old.size, cp.size, old.root, cp.root, await tree.consistency(old.size));
  }, 240_000);
});
