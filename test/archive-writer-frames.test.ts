/**
 * Issue 15, the frames of a SQLite node's worker → primary channel (archive/writer-frames.ts,
 * writer-ipc.ts toFrame/fromFrame): a submission and a sealed receipt arrive as they were sent,
 * however the stream splits the bytes; a frame whose lengths or head do not read is refused, and
 * the reader does not go on reading after it.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Material } from "../src/archive/port.js";
import { FrameError, FrameReader, encodeFrame } from "../src/archive/writer-frames.js";
import { type ToPrimary, type WireSubmission, fromFrame, toFrame } from "../src/archive/writer-ipc.js";

const item = (kind: Material["kind"], text: string): Material => {
  const bytes = Buffer.from(text);
  return { kind, sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
};

const crl = item("crl", "a CRL");
const submission: WireSubmission = {
  id: "01890a5d-ac96-774b-bcce-b302099a8057", register: "PDP", receivedAt: new Date("2026-06-01T00:00:01.234Z"), validationTime: new Date("2026-06-01T00:00:01.234Z"),
  applicant: "Иван Петров Иванов", service: "urn:podpis:service:заявление", accepted: true, policyVersion: "policy-1",
  document: Buffer.from("the signed form"),
  contents: [Buffer.from("detached content"), { stored: "file", sha256: "ab".repeat(32), size: 9_000_000, location: "ab/abab" }, Buffer.alloc(0)],
  reportJson: JSON.stringify({ indication: "TOTAL_PASSED", signer: "Иван Петров Иванов" }),
  indication: "TOTAL_PASSED",
  material: [crl, { kind: "anchors", sha256: "cd".repeat(32) }],
  evidence: Buffer.from("the evidence, B-LTA"),
  forget: ["ef".repeat(32)],
};
const receipt = `<?xml version="1.0" encoding="UTF-8"?><Разписка>${"Заявител ".repeat(500)}</Разписка>`;

/** the frames' bytes fed to a reader in pieces of `size` (the last may be shorter) */
function readInPieces(frames: Buffer[][], size: number): ToPrimary[] {
  const all = Buffer.concat(frames.flat());
  const reader = new FrameReader();
  const out: ToPrimary[] = [];
  for (let i = 0; i < all.length; i += size) out.push(...reader.push(all.subarray(i, i + size)).map(fromFrame));
  return out;
}

/** a message with its bytes as base64, and a receipt as its UTF-8 bytes (as the primary reads it) */
const plain = (m: ToPrimary) =>
  JSON.parse(JSON.stringify(m.type === "archive:sealed" && typeof m.receipt === "string" ? { ...m, receipt: Buffer.from(m.receipt) } : m, (_k, v) => (v?.type === "Buffer" ? Buffer.from(v.data).toString("base64") : v)));

describe("the writer channel's frames", () => {
  const messages: ToPrimary[] = [
    { type: "archive:submit", id: 7, input: submission },
    { type: "archive:sealed", id: 7, attempt: 1, receipt },
    { type: "archive:sealed", id: 7, attempt: 2, failed: true },
    { type: "archive:submit", id: 8, input: { ...submission, evidence: null, contents: [], material: [], forget: undefined, forgetAll: true } },
  ];

  it.each([1, 7, 4096, 1 << 20])("carries submissions and receipts as sent, the stream cut every %i bytes", (size) => {
    const got = readInPieces(messages.map(toFrame), size);
    expect(got.map(plain)).toEqual(messages.map(plain));
    const first = got[0] as Extract<ToPrimary, { type: "archive:submit" }>;
    expect(first.input.receivedAt).toBeInstanceOf(Date);
    expect(first.input.receivedAt.getTime()).toBe(submission.receivedAt.getTime());
    expect(Buffer.isBuffer(first.input.document)).toBe(true);
    // the receipt comes as its UTF-8 bytes, which the writer stores and hashes as they are
    expect(Buffer.from((got[1] as { receipt: Uint8Array }).receipt).toString("utf8")).toBe(receipt);
  });

  it("joins a large part spread over many reads", () => {
    const big = Buffer.alloc(3_000_000, 0x5a);
    big[2_999_999] = 1;
    const [m] = readInPieces([toFrame({ type: "archive:submit", id: 1, input: { ...submission, document: big } })], 65_536) as Array<Extract<ToPrimary, { type: "archive:submit" }>>;
    expect(Buffer.from(m!.input.document).equals(big)).toBe(true);
  });

  it("keeps a new material item's bytes apart from the read's buffer", () => {
    // (past the size Node serves from its shared pool, so that the read has a buffer of its own)
    const read = Buffer.concat(toFrame({ type: "archive:submit", id: 1, input: { ...submission, document: Buffer.alloc(10_000, 1) } }));
    const m = fromFrame(new FrameReader().push(read)[0]!) as Extract<ToPrimary, { type: "archive:submit" }>;
    const bytes = m.input.material[0]!.bytes as Buffer;
    expect(bytes.toString()).toBe("a CRL");
    // the primary keeps it (materialReceiver): a view would keep the whole read alive
    expect(bytes.buffer).not.toBe(read.buffer);
    expect((m.input.document as Buffer).buffer).toBe(read.buffer);
  });

  it("refuses a frame whose lengths do not add up, and reads nothing after it", () => {
    const good = Buffer.concat(toFrame({ type: "archive:sealed", id: 1, attempt: 1, receipt: "r" }));
    const bad = Buffer.from(good);
    bad.writeUInt32LE(bad.readUInt32LE(4) + 1, 4); // the head one byte longer than it is
    const reader = new FrameReader();
    expect(() => reader.push(bad)).toThrow(FrameError);
    expect(() => reader.push(good)).toThrow(FrameError);
  });

  it("refuses a head that is not JSON, a head without its parts, and a part it does not have", () => {
    const frame = (head: Buffer) => {
      const prefix = Buffer.alloc(8);
      prefix.writeUInt32LE(4 + head.length, 0);
      prefix.writeUInt32LE(head.length, 4);
      return Buffer.concat([prefix, head]);
    };
    expect(() => new FrameReader().push(frame(Buffer.from("{not json")))).toThrow(/not JSON/);
    expect(() => new FrameReader().push(frame(Buffer.from('{"type":"archive:sealed"}')))).toThrow(/does not list its parts/);
    const [f] = new FrameReader().push(Buffer.concat(encodeFrame({ type: "archive:submit", id: 1, input: { contents: [5], material: [], receivedAt: 0, validationTime: 0 } }, [Buffer.from("d"), Buffer.from("{}")])));
    expect(() => fromFrame(f!)).toThrow(/part it does not have/);
    const [g] = new FrameReader().push(Buffer.concat(encodeFrame({ type: "archive:unknown", id: 1 }, [])));
    expect(() => fromFrame(g!)).toThrow(FrameError);
  });
});
