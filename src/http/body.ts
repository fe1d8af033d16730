/**
 * Request bodies, streamed with a hard size limit: the raw body, or multipart/form-data parts
 * (busboy). Nothing beyond the limit is buffered; going over it is a 413, answered as soon as
 * the limit is crossed (or at once from Content-Length).
 */
import busboy from "busboy";
import { type Hash, createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { DetachedDigests } from "../cms/signer.js";
import { HttpProblem } from "./problem.js";

export interface Upload {
  files: Map<string, Buffer[]>;
  fields: Map<string, string>;
}

/** An upload whose `streamOver` part may be digests: past the threshold, its digests stand for it */
export interface StreamedUpload {
  files: Map<string, Array<Buffer | DetachedDigests>>;
  fields: Map<string, string>;
}

/**
 * Issue 15, large uploads: a detached content part past this many bytes is hashed as it streams
 * (never held whole in memory) with the digests a signature over it may use; the validator takes
 * the digests (cms/signer.ts DetachedDigests). Below it, the bytes are kept (the archive keeps them).
 */
export const STREAM_CONTENT_OVER = 8 * 1024 * 1024;
const STREAMED_DIGESTS = ["sha256", "sha384", "sha512"];

/** Collects one part: its chunks, or past `over` bytes its running digests. */
function partSink(over: number | undefined, name: string | undefined) {
  let chunks: Buffer[] = [];
  let hashes: Array<[string, Hash]> | null = null;
  let size = 0;
  return {
    add(c: Buffer): void {
      size += c.length;
      if (hashes) {
        for (const [, h] of hashes) h.update(c);
        return;
      }
      chunks.push(c);
      if (over !== undefined && size > over) {
        hashes = STREAMED_DIGESTS.map((a) => [a, createHash(a)]);
        for (const b of chunks) for (const [, h] of hashes) h.update(b);
        chunks = [];
      }
    },
    done(): Buffer | DetachedDigests {
      if (!hashes) return Buffer.concat(chunks);
      return { digests: Object.fromEntries(hashes.map(([a, h]) => [a, h.digest()])), size, ...(name ? { name } : {}) };
    },
  };
}

/**
 * Named like every budget's problem (LimitExceededError in src/limits/budgets.ts): the limit
 * `bodyBytes` (RouteBudget), its `max`, and `used` — the bytes declared, or received when the
 * cap was crossed.
 */
function tooLarge(max: number, used: number): HttpProblem {
  return new HttpProblem("PAYLOAD_TOO_LARGE", `the request body is larger than ${max} bytes`, { limit: "bodyBytes", max, used });
}

function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const n = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(n) && n > limit) throw tooLarge(limit, n);
}

/** Event-driven rather than `for await`: the async iterator costs more than the rest of a small upload. */
export function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.off("data", onData);
        // the rest is drained and dropped; the 413 goes out with Connection: close
        req.resume();
        reject(tooLarge(limit, size));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (failed) return;
      failed = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    const interrupted = (e?: Error): void => {
      if (failed) return;
      failed = true;
      reject(new HttpProblem("BAD_REQUEST", `upload interrupted${e ? `: ${e.message}` : ""}`));
    };
    req.on("error", interrupted);
    req.once("close", () => interrupted());
  });
}

/**
 * busboy over a signed upload's multipart body, with the limits every route shares; a header
 * busboy cannot read is a 400 through `reject` (null returned). `fail` ends the upload once: the
 * request is unpiped and the rest of its body drained, and only the first failure is reported.
 */
export function openMultipart(req: IncomingMessage, limit: number, reject: (e: unknown) => void): { bb: busboy.Busboy; fail: (p: unknown) => void; failed: () => boolean } | null {
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { fileSize: limit, fieldSize: 64 * 1024, fields: 20, files: 20, parts: 40 } });
  } catch (e) {
    reject(new HttpProblem("BAD_REQUEST", `malformed multipart request: ${(e as Error).message}`));
    return null;
  }
  let failed = false;
  const fail = (p: unknown): void => {
    if (failed) return;
    failed = true;
    req.unpipe(bb);
    req.resume();
    reject(p);
  };
  return { bb, fail, failed: () => failed };
}

export const isMultipart = (req: IncomingMessage): boolean => /^multipart\/form-data/i.test(req.headers["content-type"] ?? "");

/** Parts named in `allowed` only; every other file part is a 400. `limit` caps the whole body. */
export function readMultipart(req: IncomingMessage, limit: number, allowedFiles: readonly string[], allowedFields: readonly string[]): Promise<Upload>;
export function readMultipart(req: IncomingMessage, limit: number, allowedFiles: readonly string[], allowedFields: readonly string[], streamOver: { part: string; bytes: number } | undefined): Promise<StreamedUpload>;
export function readMultipart(req: IncomingMessage, limit: number, allowedFiles: readonly string[], allowedFields: readonly string[], streamOver?: { part: string; bytes: number }): Promise<StreamedUpload> {
  checkDeclaredLength(req, limit);
  return new Promise((resolve, reject) => {
    const m = openMultipart(req, limit, reject);
    if (!m) return;
    const { bb, fail } = m;
    const out: StreamedUpload = { files: new Map(), fields: new Map() };
    let total = 0;
    bb.on("file", (name, stream, info) => {
      // busboy reports a body that ends inside a part ("Unexpected end of form") on the part's
      // stream as well as on busboy itself: without this listener that error ends the worker
      // (issue 10.1 / 11.1).
      stream.on("error", (e: Error) => fail(new HttpProblem("BAD_REQUEST", `malformed multipart request: ${e.message}`)));
      if (!allowedFiles.includes(name)) {
        stream.resume();
        fail(new HttpProblem("BAD_REQUEST", `unexpected file part "${name.slice(0, 40)}" (expected ${allowedFiles.join(", ")})`));
        return;
      }
      const sink = partSink(streamOver?.part === name ? streamOver.bytes : undefined, info?.filename);
      stream.on("data", (c: Buffer) => {
        total += c.length;
        if (total > limit) {
          stream.resume();
          fail(tooLarge(limit, total));
          return;
        }
        sink.add(c);
      });
      stream.on("limit", () => fail(tooLarge(limit, total)));
      stream.on("end", () => {
        const list = out.files.get(name) ?? [];
        list.push(sink.done());
        out.files.set(name, list);
      });
    });
    bb.on("field", (name, value, info) => {
      if (!allowedFields.includes(name)) return fail(new HttpProblem("BAD_REQUEST", `unexpected field "${name.slice(0, 40)}" (expected ${allowedFields.join(", ")})`));
      if (info.valueTruncated) return fail(new HttpProblem("BAD_REQUEST", `field "${name}" is too long`));
      // a field may also arrive as a file part from some clients; fields are small text
      out.fields.set(name, value);
    });
    bb.on("partsLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many parts")));
    bb.on("filesLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many files")));
    bb.on("fieldsLimit", () => fail(new HttpProblem("BAD_REQUEST", "too many fields")));
    bb.on("error", (e: Error) => fail(new HttpProblem("BAD_REQUEST", `malformed multipart request: ${e.message}`)));
    bb.on("close", () => {
      if (!m.failed()) resolve(out);
    });
    req.on("error", (e) => fail(new HttpProblem("BAD_REQUEST", `upload interrupted: ${e.message}`)));
    // a client that disconnects mid-part: busboy never sees the end, so say so here
    req.once("close", () => {
      if (!req.complete) fail(new HttpProblem("BAD_REQUEST", "upload interrupted"));
    });
    req.pipe(bb);
  });
}

/** A signed file as the raw body, or multipart parts `signature` (exactly one) and `content` (detached, repeatable). */
export async function readSignedUpload(req: IncomingMessage, limit: number, fields: readonly string[]): Promise<{ document: Buffer; contents: Buffer[]; fields: Map<string, string> }> {
  const up = await readSignedUploadStreaming(req, limit, fields, Infinity);
  return { ...up, contents: up.contents as Buffer[] };
}

/** As readSignedUpload, but a content part over `streamOver` bytes arrives as its digests (/verify). */
export async function readSignedUploadStreaming(
  req: IncomingMessage,
  limit: number,
  fields: readonly string[],
  streamOver = STREAM_CONTENT_OVER,
): Promise<{ document: Buffer; contents: Array<Buffer | DetachedDigests>; fields: Map<string, string> }> {
  if (isMultipart(req)) {
    const u = await readMultipart(req, limit, ["signature", "content"], fields, Number.isFinite(streamOver) ? { part: "content", bytes: streamOver } : undefined);
    const sig = u.files.get("signature") as Buffer[] | undefined;
    if (!sig || sig.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"signature\"");
    return { document: sig[0]!, contents: u.files.get("content") ?? [], fields: u.fields };
  }
  return { document: await readRaw(req, limit), contents: [], fields: new Map() };
}
