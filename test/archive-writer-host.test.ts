/**
 * Issue 15, the primary's side of a SQLite node's writer (archive/writer-ipc.ts hostWriter), with
 * a worker played in process: submissions arrive as frames on the worker's channel, each is
 * sealed by the worker with the numbers the writer asks for, and what the writer tells the
 * worker in one turn of its loop (a batch's seal requests, its answers) comes as one message.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Worker } from "node:cluster";
import { afterAll, describe, expect, it } from "vitest";
import type { Assigned, NewSubmission, SubmissionRecord } from "../src/archive/port.js";
import { SqliteArchive } from "../src/archive/sqlite.js";
import { WRITER_FD, hostWriter, toFrame } from "../src/archive/writer-ipc.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Sent = { type: string; id?: number; attempt?: number; assigned?: Assigned; record?: SubmissionRecord; list?: Sent[] };

/** a cluster worker as hostWriter sees one: messages it is sent, and its frame channel */
function playedWorker() {
  const w = new EventEmitter() as EventEmitter & { sent: Sent[]; channel: PassThrough };
  const channel = new PassThrough();
  const stdio: unknown[] = [];
  stdio[WRITER_FD] = channel;
  let connected = true;
  Object.assign(w, { sent: [], channel, isConnected: () => connected, send: (m: Sent) => (w.sent.push(m), true), disconnect: () => void (connected = false), process: { stdio } });
  return w;
}

const submission = (i: number): NewSubmission => ({
  id: randomUUID(), register: "PDP", receivedAt: new Date("2026-06-01T00:00:00Z"), validationTime: new Date("2026-06-01T00:00:00Z"), applicant: `Заявител ${i}`,
  service: "urn:service:test", accepted: true, policyVersion: "p", document: Buffer.from(`signed ${i}`), contents: [], reportJson: `{"n":${i}}`,
  indication: "TOTAL_PASSED", material: [], evidence: null,
});

/** a fresh archive's writer hosted for one played worker */
async function hosted() {
  const d = mkdtempSync(join(tmpdir(), "podpis-writer-host-"));
  dirs.push(d);
  const archive = new SqliteArchive({ path: join(d, "a.db"), numberFormat: "{register}-{seq:6}" });
  await archive.migrate();
  const w = playedWorker();
  const host = hostWriter(archive, () => [w as unknown as Worker]);
  host.attach(w as unknown as Worker);
  return { archive, w, host };
}

describe("the node's writer, hosted by the primary", () => {
  it("commits the frames' submissions, has them sealed by the worker, and tells it a batch's seals and answers in one message each", async () => {
    const { archive, w, host } = await hosted();
    const unpack = (m: Sent): Sent[] => (m.type === "archive:many" ? m.list! : [m]);
    const seen = new Set<string>();
    const answered = new Map<number, SubmissionRecord>();
    const count = 12;
    const done = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        for (const m of w.sent.flatMap(unpack)) {
          const key = `${m.type}/${m.id}/${m.attempt ?? ""}`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (m.type === "archive:seal") for (const part of toFrame({ type: "archive:sealed", id: m.id!, attempt: m.attempt!, receipt: `<Разписка n="${m.assigned!.registrationNumber}"/>` })) w.channel.write(part);
          if (m.type === "archive:done" && m.record) answered.set(m.id!, m.record);
        }
        if (answered.size === count) clearInterval(poll), resolve();
      }, 1);
    });
    // the submissions come together, as a worker's many clients' do: one write of all their frames
    w.channel.write(Buffer.concat(Array.from({ length: count }, (_, i) => toFrame({ type: "archive:submit", id: i + 1, input: submission(i) })).flat()));
    await done;
    expect([...answered.values()].map((r) => r.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    for (const r of answered.values()) expect(await archive.getReceipt(r.id)).toBe(`<Разписка n="${r.registrationNumber}"/>`);
    // every seal request and every answer went, fewer messages than there were requests and answers
    const archiveMessages = w.sent.filter((m) => m.type !== "archive:batch");
    const carried = archiveMessages.flatMap(unpack).filter((m) => m.type === "archive:seal" || m.type === "archive:done").length;
    expect(carried).toBe(2 * count);
    expect(archiveMessages.length).toBeLessThan(carried / 2);
    host.close();
    await archive.close();
  }, 30_000);

  it("lets a worker go whose channel carries a frame that does not read, and reads nothing more from it", async () => {
    const { archive, w, host } = await hosted();
    const frame = Buffer.concat(toFrame({ type: "archive:submit", id: 1, input: submission(1) }));
    frame.writeUInt32LE(frame.readUInt32LE(4) + 3, 4); // the head's length past the frame's end
    w.channel.write(frame);
    await new Promise((r) => setTimeout(r, 50));
    expect((w as unknown as Worker).isConnected()).toBe(false);
    expect(w.channel.destroyed).toBe(true);
    expect(await archive.submissionIds()).toEqual([]);
    host.close();
    await archive.close();
  });
});
