/**
 * The frames of a SQLite node's worker → primary channel (writer-ipc.ts, issue 15): a small
 * JSON head and the submission's bytes as they are. The cluster's IPC serialises a message with
 * V8's serializer, which copies every Buffer into the message and back out, and writes a string
 * holding any Cyrillic (the report, the receipt) as UTF-16 — twice its UTF-8 size; a
 * submission's messages were ~69 KB. A frame carries them as ~40 KB of UTF-8 and raw bytes, and
 * the primary takes them as views of what it read.
 *
 * A frame: u32 (LE) length of the rest; u32 length of the head; the head (UTF-8 JSON, with
 * `blobs`: the byte length of each part); the parts, in order. A frame whose lengths do not add
 * up, or whose head is not such JSON, is refused (FrameError): the channel is then given up,
 * never read on from a guessed position.
 */
import { ArchiveError } from "./port.js";

/**
 * A frame that does not read. It stays in the primary (which lets the worker go); what that
 * worker's requests see is the archive's writer unavailable, 503 — hence the code.
 */
export class FrameError extends ArchiveError {
  constructor(message: string) {
    super("STORAGE_UNAVAILABLE", `the writer's channel: ${message}`);
  }
}

export interface Frame {
  head: Record<string, unknown>;
  blobs: Buffer[];
}

/** the pieces to write, in order (one cork/uncork: one write) */
export function encodeFrame(head: Record<string, unknown>, blobs: readonly Uint8Array[]): Buffer[] {
  const json = Buffer.from(JSON.stringify({ ...head, blobs: blobs.map((b) => b.byteLength) }), "utf8");
  const prefix = Buffer.allocUnsafe(8);
  prefix.writeUInt32LE(4 + json.length + blobs.reduce((n, b) => n + b.byteLength, 0), 0);
  prefix.writeUInt32LE(json.length, 4);
  return [prefix, json, ...blobs.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)))];
}

/** Reads frames from the chunks of a stream, however the stream splits them. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private broken = false;

  /** the frames `chunk` completes; throws FrameError (and every later call too) on a malformed frame */
  push(chunk: Buffer): Frame[] {
    if (this.broken) throw new FrameError("the channel already carried a malformed frame");
    this.chunks.push(chunk);
    this.have += chunk.length;
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.have < 4) break;
        const first = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.join();
        const total = first.readUInt32LE(0);
        if (this.have < 4 + total) break;
        // one contiguous buffer per frame (a frame of many chunks is joined once, not per chunk)
        const buf = this.chunks[0]!.length >= 4 + total ? this.chunks[0]! : this.join();
        frames.push(parseFrame(buf.subarray(4, 4 + total)));
        const rest = buf.subarray(4 + total);
        this.chunks = rest.length ? [rest] : [];
        this.have = rest.length;
      }
    } catch (e) {
      this.broken = true;
      this.chunks = [];
      throw e;
    }
    return frames;
  }

  private join(): Buffer {
    const all = Buffer.concat(this.chunks, this.have);
    this.chunks = [all];
    return all;
  }
}

function parseFrame(body: Buffer): Frame {
  if (body.length < 4) throw new FrameError("a frame shorter than its head's length");
  const headLength = body.readUInt32LE(0);
  if (headLength > body.length - 4) throw new FrameError("a frame's head is longer than the frame");
  let head: unknown;
  try {
    head = JSON.parse(body.toString("utf8", 4, 4 + headLength));
  } catch {
    throw new FrameError("a frame's head is not JSON");
  }
  const sizes = (head as { blobs?: unknown })?.blobs;
  if (typeof head !== "object" || head === null || !Array.isArray(sizes) || !sizes.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new FrameError("a frame's head does not list its parts");
  let at = 4 + headLength;
  if (at + (sizes as number[]).reduce((n, s) => n + s, 0) !== body.length) throw new FrameError("a frame's parts do not add up to its length");
  const blobs = (sizes as number[]).map((n) => body.subarray(at, (at += n)));
  return { head: head as Record<string, unknown>, blobs };
}
