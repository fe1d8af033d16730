/**
 * The transparency log (issue 16), public and rate-limited per address: C2SP tlog-tiles under
 * /api/v1/log/ (checkpoint, hash tiles, entry bundles), the log's verifier key, and a receipt's
 * C2SP tlog-proof. Full and partial tiles never change once served (a partial tile `.p/W` is
 * the first W hashes of its tile), so both are immutable; the checkpoint lives a second.
 */
import { gzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkpointOf, logProofFor, servedNote } from "../../archive/log-reader.js";
import { TILE_WIDTH, encodeBundle, parseTilePath, tileWidthAt } from "../../log/index.js";
import { HttpProblem } from "../problem.js";
import { type Call, type Router, idParam, problem, send } from "./route.js";

const IMMUTABLE = "public, max-age=31536000, immutable";
// tlog-tiles: "its headers SHOULD prevent caching beyond a few seconds"
const SHORT = "public, max-age=1, must-revalidate";
const TEXT = "text/plain; charset=utf-8";
const OCTETS = "application/octet-stream";

// no schema: the bodies are text and bytes, not JSON
const octets = (description: string) => ({ description, content: { [OCTETS]: {} } });
const text = (description: string) => ({ description, content: { "text/plain": {} } });
const tileParam = (what: string) => [{ name: "path", in: "path", required: true, description: what, schema: { type: "string" }, "x-slashes": true }];

function sendCached(req: IncomingMessage, res: ServerResponse, type: string, cache: string, body: string | Uint8Array, compress = false): void {
  res.setHeader("Cache-Control", cache);
  // tlog-tiles: entry bundles SHOULD be compressed at the HTTP layer
  if (compress && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Vary", "Accept-Encoding");
    return send(res, 200, type, gzipSync(body));
  }
  send(res, 200, type, body);
}

async function latestSize(c: Call): Promise<number> {
  const latest = await c.ctx.archive.transparencyLog.latestCheckpoint();
  return latest ? checkpointOf(latest).size : 0;
}

/** `path` is what follows `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`. */
async function serveTile(c: Call, path: string, entries: boolean): Promise<void> {
  const t = parseTilePath(path);
  if (!t || (t.level === "entries") !== entries) throw new HttpProblem("NOT_FOUND", `not a tile path: tile/${path.slice(0, 80)} (C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], N as x001/x234/067)`);
  const size = await latestSize(c);
  // a full tile once it is full; a partial one once its tile has at least W hashes (those never change)
  if (tileWidthAt(t.level === "entries" ? 0 : t.level, t.index, size) < t.width) throw new HttpProblem("NOT_FOUND", `tile/${path} is not in the log's latest checkpoint (size ${size})`);
  const store = c.ctx.archive.transparencyLog;
  if (t.level === "entries") return sendCached(c.req, c.res, OCTETS, IMMUTABLE, encodeBundle(await store.entries(t.index * TILE_WIDTH, t.width)), true);
  sendCached(c.req, c.res, OCTETS, IMMUTABLE, await store.readTile(t.level, t.index, t.width));
}

export const logRouter: Router = {
  name: "log",
  scope: null,
  rateLimited: true,
  routes: [
    {
      method: "GET",
      path: "/api/v1/log/checkpoint",
      doc: {
        summary: "The log's latest checkpoint (C2SP tlog-checkpoint signed note, with witness cosignatures)",
        responses: { "200": text("origin, tree size, base64 root, then the log's Ed25519 signature and any cosignatures"), "404": problem("no checkpoint yet") },
      },
      handler: async ({ req, res, ctx }) => {
        const latest = await ctx.archive.transparencyLog.latestCheckpoint();
        if (!latest) throw new HttpProblem("NOT_FOUND", "the log has no checkpoint yet; retry in a second");
        sendCached(req, res, TEXT, SHORT, servedNote(latest));
      },
    },
    {
      method: "GET",
      path: "/api/v1/log/key",
      doc: { summary: "The log's verifier key (C2SP signed-note: <name>+<key ID hex>+<base64(0x01 ‖ Ed25519 key)>)", responses: { "200": text("one line"), "404": problem("no log key configured") } },
      handler: async ({ req, res, ctx }) => {
        const k = ctx.service.logIdentity.verifierKey;
        if (!k) throw new HttpProblem("NOT_FOUND", "this service has no log key configured");
        sendCached(req, res, TEXT, SHORT, k + "\n");
      },
    },
    {
      method: "GET",
      path: "/api/v1/log/tile/entries/*path",
      doc: {
        summary: "An entry bundle (C2SP tlog-tiles): the receipts of entries N·256 … N·256+W−1, each a big-endian uint16 length and the receipt's UTF-8 bytes",
        parameters: tileParam("<N>[.p/<W>], N in the spec's index encoding (x001/x234/067)"),
        responses: { "200": octets("immutable; gzip when asked for"), "404": problem("not a tile path, or not in the latest checkpoint") },
      },
      handler: (c) => serveTile(c, `entries/${c.params.path}`, true),
    },
    {
      method: "GET",
      path: "/api/v1/log/tile/:level/*path",
      doc: {
        summary: "A hash tile (C2SP tlog-tiles): up to 256 SHA-256 hashes of level L",
        parameters: [{ name: "level", in: "path", required: true, schema: { type: "integer", minimum: 0, maximum: 63 } }, ...tileParam("<N>[.p/<W>], N in the spec's index encoding (x001/x234/067)")],
        responses: { "200": octets("W·32 bytes (8,192 for a full tile); immutable"), "404": problem("not a tile path, or not in the latest checkpoint") },
      },
      handler: (c) => serveTile(c, `${c.params.level}/${c.params.path}`, false),
    },
    {
      method: "GET",
      path: "/api/v1/submissions/:id/log-proof",
      doc: {
        summary: "A C2SP tlog-proof of the submission's receipt: index, inclusion proof and the checkpoint with its cosignatures; verifies offline (podpis log verify --proof)",
        parameters: idParam,
        responses: { "200": text("c2sp.org/tlog-proof@v1"), "404": problem("no such submission in the log, or not yet in a checkpoint (retry in a second)") },
      },
      handler: async ({ res, ctx, params }) => {
        const p = await logProofFor(ctx.archive.transparencyLog, params.id!);
        if (!p.ok) throw new HttpProblem("NOT_FOUND", p.reason === "not-logged" ? "no receipt of this submission is in the log" : "the receipt is not in a checkpoint yet; retry in a second");
        res.setHeader("Cache-Control", "no-store");
        send(res, 200, TEXT, p.text);
      },
    },
  ],
};

