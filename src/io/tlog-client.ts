/**
 * Reading a C2SP tlog-tiles log over HTTP (`podpis log verify --log URL`): the checkpoint and the
 * tiles a proof needs, each with a size cap and a timeout. Whatever the server sends is checked
 * by the caller against the signed checkpoint, so nothing here is trusted.
 */
import { PodpisError } from "../errors/base.js";
import { TLOG_CLIENT_BUDGET } from "../limits/budgets.js";
import type { TileReader } from "../log/index.js";
import { TILE_WIDTH, tilePath } from "../log/index.js";

/** The log cannot be read (network, HTTP status, oversized answer): the proof could not be tried. */
export class LogFetchError extends PodpisError<"LOG_UNREACHABLE"> {
  readonly code = "LOG_UNREACHABLE";
}

const TIMEOUT_MS = TLOG_CLIENT_BUDGET.requestTimeoutMs;
const MAX_CHECKPOINT_BYTES = TLOG_CLIENT_BUDGET.checkpointBytes;

async function get(url: string, max: number): Promise<Buffer> {
  let r: Response;
  try {
    r = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { "Accept-Encoding": "gzip, identity" } });
  } catch (e) {
    throw new LogFetchError(`cannot reach ${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  if (r.status !== 200) {
    await r.body?.cancel().catch(() => {});
    throw new LogFetchError(`GET ${url}: HTTP ${r.status}`);
  }
  // read no more than the cap: the server is not trusted to be small
  const parts: Buffer[] = [];
  let size = 0;
  const reader = r.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((e: Error) => {
      throw new LogFetchError(`GET ${url}: ${e.message}`);
    });
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new LogFetchError(`GET ${url}: more than ${max} bytes`);
    }
    parts.push(Buffer.from(value));
  }
  return Buffer.concat(parts);
}

export class HttpLog implements TileReader {
  private readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix.replace(/\/+$/, "");
  }

  async checkpoint(): Promise<string> {
    return (await get(`${this.prefix}/checkpoint`, MAX_CHECKPOINT_BYTES)).toString("utf8");
  }

  async readTile(level: number, index: number, width: number): Promise<Uint8Array> {
    const b = await get(`${this.prefix}/${tilePath({ level, index, width })}`, TILE_WIDTH * 32);
    // tlog-tiles: a partial tile that is gone may be fetched as its full tile; the first W hashes are the same
    return b.subarray(0, width * 32);
  }
}
