/**
 * C2SP tlog-tiles coordinates: a tile at level L, index N holds up to 256 hashes, each the
 * Merkle Tree Hash of 256^L consecutive entries; partial tiles (the rightmost of each level)
 * are served as `.p/W`. Paths use the spec's index encoding: 1234067 → `x001/x234/067`.
 */
import { HASH_SIZE } from "./hash.js";
import { LogError } from "./errors.js";

export const TILE_WIDTH = 256;
/** tlog-tiles: a level is 0…63 */
export const MAX_LEVEL = 63;

export interface TileCoordinate {
  /** a hash-tile level, or "entries" for an entry bundle */
  level: number | "entries";
  index: number;
  /** 1…256; 256 is a full tile */
  width: number;
}

/** `N` as zero-padded 3-digit elements, all but the last prefixed with `x`. */
export function encodeIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new LogError("LOG_MALFORMED", `not a tile index: ${n}`);
  const parts: string[] = [];
  let rest = n;
  do {
    parts.unshift(String(rest % 1000).padStart(3, "0"));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return parts.map((p, i) => (i < parts.length - 1 ? "x" + p : p)).join("/");
}

export function tilePath(c: TileCoordinate): string {
  const base = `tile/${c.level}/${encodeIndex(c.index)}`;
  return c.width === TILE_WIDTH ? base : `${base}.p/${c.width}`;
}

/**
 * The path below `tile/` (e.g. `0/x001/234.p/7`, `entries/005`), strictly as the spec writes it
 * (no leading zeroes in L or W, three digits per element); null when it is no tile path.
 */
export function parseTilePath(path: string): TileCoordinate | null {
  const parts = path.split("/");
  const first = parts.shift();
  let level: number | "entries";
  if (first === "entries") level = "entries";
  else if (first !== undefined && /^(0|[1-9]\d?)$/.test(first) && Number(first) <= MAX_LEVEL) level = Number(first);
  else return null;
  let width = TILE_WIDTH;
  if (parts.length >= 2 && parts.at(-2)!.endsWith(".p")) {
    const w = parts.pop()!;
    if (!/^[1-9]\d{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) return null;
    width = Number(w);
    parts[parts.length - 1] = parts.at(-1)!.slice(0, -2);
  }
  if (parts.length === 0 || parts.length > 5) return null;
  let index = 0;
  for (const [i, p] of parts.entries()) {
    const m = (i < parts.length - 1 ? /^x(\d{3})$/ : /^(\d{3})$/).exec(p);
    if (!m) return null;
    index = index * 1000 + Number(m[1]);
  }
  // one encoding per index: no leading "x000" elements
  if (encodeIndex(index) !== parts.join("/")) return null;
  return { level, index, width };
}

/** How many hashes tile (level, index) has in a tree of `size` entries (0: it does not exist yet). */
export function tileWidthAt(level: number, index: number, size: number): number {
  const atLevel = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, atLevel - index * TILE_WIDTH));
}

/** The rightmost, partial tile of each level of a tree of `size` (those of width 0 left out). */
export function partialTiles(size: number): Array<{ level: number; index: number; width: number }> {
  const out = [];
  for (let level = 0; TILE_WIDTH ** level <= size; level++) {
    const atLevel = Math.floor(size / TILE_WIDTH ** level);
    const width = atLevel % TILE_WIDTH;
    if (width > 0) out.push({ level, index: Math.floor(atLevel / TILE_WIDTH), width });
  }
  return out;
}

/** A tile's bytes as hashes; the length must be exactly `width` hashes. */
export function tileHashes(bytes: Uint8Array, width: number): Buffer[] {
  if (bytes.length !== width * HASH_SIZE) throw new LogError("LOG_MALFORMED", `a tile of width ${width} is ${width * HASH_SIZE} bytes, got ${bytes.length}`);
  const out: Buffer[] = [];
  for (let i = 0; i < width; i++) out.push(Buffer.from(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
  return out;
}
