/**
 * POST /api/v1/submissions with a large detached content (issue 15): the multipart body is read
 * part by part; a `content` part past `over` bytes goes to the file store as it streams — hashed
 * on the way (SHA-256/384/512: the digests the validation takes), never held whole in memory —
 * and is made durable (fsync file and directory) before the caller archives the submission. The
 * socket is paused while the disk is behind, so memory stays bounded by the high-water mark.
 *
 * Smaller parts are kept as bytes, as body.ts does for every other route. Any failure (a
 * malformed body, the size limit, the client gone) removes what was being written.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { type FileStore, type FileWriter, type StoredFile } from "../archive/file-store.js";
import { ArchiveError, type FileRef } from "../archive/port.js";
import { isMultipart, openMultipart, readSignedUpload } from "./body.js";
import { HttpProblem } from "./problem.js";

/** bytes written ahead of the disk before the upload is paused */
const HIGH_WATER = 4 * 1024 * 1024;

export interface SubmissionUpload {
  document: Buffer;
  contents: Array<Buffer | StoredFile>;
  fields: Map<string, string>;
}

const tooLarge = (max: number, used: number) => new HttpProblem("PAYLOAD_TOO_LARGE", `the request body is larger than ${max} bytes`, { limit: "bodyBytes", max, used });

/** One content part: bytes until `over`, then a file-store writer fed with what came so far. */
class ContentSink {
  private chunks: Buffer[] = [];
  private size = 0;
  writer: FileWriter | null = null;
  private opening: Promise<FileWriter> | null = null;

  constructor(
    private readonly files: FileStore,
    private readonly over: number,
    readonly name: string | undefined,
  ) {}

  /** resolves when the caller may read on (the disk caught up, or nothing was written) */
  async add(c: Buffer): Promise<void> {
    this.size += c.length;
    if (!this.writer && !this.opening && this.size <= this.over) {
      this.chunks.push(c);
      return;
    }
    if (!this.writer) {
      this.opening ??= this.files.writer();
      this.writer = await this.opening;
      for (const b of this.chunks) void this.writer.write(b);
      this.chunks = [];
    }
    const written = this.writer.write(c);
    if (this.writer.pending > HIGH_WATER) await written;
  }

  async done(): Promise<Buffer | StoredFile> {
    if (this.opening && !this.writer) this.writer = await this.opening;
    if (!this.writer) return Buffer.concat(this.chunks);
    const { ref, digests } = await this.writer.commit();
    return { ref, digests, ...(this.name ? { name: this.name } : {}) };
  }

  abort(): Promise<void> {
    return this.writer?.abort() ?? this.opening?.then((w) => w.abort()) ?? Promise.resolve();
  }
}

/**
 * The signed form of a submission: multipart with `signature` (one, in memory, within `limit`),
 * `content` parts (past `over` bytes each into the file store) and the text `fields`; a raw
 * body is the signature alone (body.ts).
 */
export async function readSubmissionUpload(req: IncomingMessage, limit: number, fields: readonly string[], files: FileStore, over: number): Promise<SubmissionUpload> {
  if (!isMultipart(req)) return readSignedUpload(req, limit, fields);
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, declared);
  const sinks: ContentSink[] = [];
  try {
    const up = await new Promise<{ signature: Buffer[]; fields: Map<string, string> }>((resolve, reject) => {
      const m = openMultipart(req, limit, reject);
      if (!m) return;
      const { bb, fail } = m;
      const signature: Buffer[] = [];
      const out = new Map<string, string>();
      let total = 0;
      const parts: Promise<void>[] = [];
      bb.on("file", (name, stream, info) => {
        stream.on("error", (e: Error) => fail(new HttpProblem("BAD_REQUEST", `malformed multipart request: ${e.message}`)));
        if (name !== "signature" && name !== "content") {
          stream.resume();
          return fail(new HttpProblem("BAD_REQUEST", `unexpected file part "${name.slice(0, 40)}" (expected signature, content)`));
        }
        const sink = name === "content" ? new ContentSink(files, over, info?.filename) : null;
        if (sink) sinks.push(sink);
        const sig: Buffer[] = [];
        parts.push(
          new Promise<void>((done) => {
            stream.on("data", (c: Buffer) => {
              total += c.length;
              if (total > limit) {
                stream.resume();
                return fail(tooLarge(limit, total));
              }
              if (!sink) return void sig.push(c);
              const wait = sink.add(c);
              // the disk is behind (or the file is being opened): stop reading until it caught up
              stream.pause();
              wait.then(() => stream.resume(), fail);
            });
            stream.on("limit", () => fail(tooLarge(limit, total)));
            stream.on("end", () => {
              if (!sink) signature.push(Buffer.concat(sig));
              done();
            });
          }),
        );
      });
      bb.on("field", (name, value, info) => {
        if (!fields.includes(name)) return fail(new HttpProblem("BAD_REQUEST", `unexpected field "${name.slice(0, 40)}" (expected ${fields.join(", ")})`));
        if (info.valueTruncated) return fail(new HttpProblem("BAD_REQUEST", `field "${name}" is too long`));
        out.set(name, value);
      });
      bb.on("partsLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many parts")));
      bb.on("filesLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many files")));
      bb.on("fieldsLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many fields")));
      bb.on("error", (e: Error) => fail(new HttpProblem("BAD_REQUEST", `malformed multipart request: ${e.message}`)));
      bb.on("close", () => {
        if (!m.failed()) void Promise.all(parts).then(() => resolve({ signature, fields: out }), fail);
      });
      req.on("error", (e) => fail(new HttpProblem("BAD_REQUEST", `upload interrupted: ${e.message}`)));
      req.once("close", () => {
        if (!req.complete) fail(new HttpProblem("BAD_REQUEST", "upload interrupted"));
      });
      req.pipe(bb);
    });
    if (up.signature.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"signature\"");
    // every stored part durable (fsync file and directory) before the submission can commit
    const contents: Array<Buffer | StoredFile> = [];
    for (const s of sinks) contents.push(await s.done());
    return { document: up.signature[0]!, contents, fields: up.fields };
  } catch (e) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw e;
  }
}

/** A file-store content as the response body (GET …/document?content=N), streamed with its length. */
export async function sendStoredFile(res: ServerResponse, ref: FileRef, files: FileStore | undefined): Promise<void> {
  if (!files) throw new ArchiveError("FILE_STORE_MISMATCH", `the content ${ref.location} is kept in a file store, and this service has none configured (--file-store)`);
  const stream = files.open(ref);
  await new Promise<void>((ok, fail) => {
    stream.once("open", () => ok());
    stream.once("error", () => fail(new ArchiveError("FILE_STORE_MISMATCH", `the content ${ref.location} is missing from the file store`)));
  });
  res.statusCode = 200;
  res.setHeader("Content-Type", "application/octet-stream");
  res.setHeader("Content-Length", String(ref.size));
  await pipeline(stream, res).catch(() => undefined);
}
