/**
 * Growing the tree by a batch of leaf hashes: which tiles change, and the new root. Only the
 * rightmost tile of each level ever changes (a full tile is immutable, tlog-tiles "Merkle
 * Tree"), and hashes already in a partial tile never change either — so a store may keep one row
 * per tile, overwritten as it grows, and serve `.p/W` as its first W hashes.
 */
import { LogError } from "./errors.js";
import { HASH_SIZE, merkleRoot } from "./hash.js";
import { type TileReader, TreeHashes } from "./proof.js";
import { TILE_WIDTH, partialTiles, tileHashes } from "./tile.js";

export interface TileWrite {
  level: number;
  index: number;
  /** the tile's whole content after the batch (width = length / 32) */
  hashes: Buffer;
}

export interface Integration {
  size: number;
  root: Buffer;
  tiles: TileWrite[];
}

/** Appends `leaves` (leaf hashes, in index order) to the tree of `oldSize` whose tiles `stored` reads. */
export async function integrate(oldSize: number, leaves: readonly Uint8Array[], stored: TileReader): Promise<Integration> {
  const open = new Map<number, { index: number; hashes: Buffer[] }>();
  for (const p of partialTiles(oldSize)) open.set(p.level, { index: p.index, hashes: tileHashes(await stored.readTile(p.level, p.index, p.width), p.width) });
  const written = new Map<string, TileWrite>();
  const append = (level: number, index: number, hash: Buffer): void => {
    let t = open.get(level);
    if (!t) open.set(level, (t = { index, hashes: [] }));
    if (t.index !== index) throw new LogError("LOG_MALFORMED", `tile ${level}/${index} does not follow tile ${level}/${t.index}`);
    t.hashes.push(hash);
    written.set(`${level}/${index}`, { level, index, hashes: Buffer.concat(t.hashes) });
    if (t.hashes.length === TILE_WIDTH) {
      const full = merkleRoot(t.hashes);
      open.delete(level);
      // a full tile's MTH is the next hash of the level above
      append(level + 1, Math.floor(index / TILE_WIDTH), full);
      open.set(level, { index: index + 1, hashes: [] });
    }
  };
  let size = oldSize;
  for (const leaf of leaves) {
    if (leaf.length !== HASH_SIZE) throw new LogError("LOG_MALFORMED", "a leaf hash is not 32 bytes");
    append(0, Math.floor(size / TILE_WIDTH), Buffer.from(leaf));
    size++;
  }
  const tiles = [...written.values()];
  // the new root from the tiles just written, falling back to the stored ones
  const overlay: TileReader = {
    async readTile(level, index, width) {
      const w = written.get(`${level}/${index}`);
      if (w && w.hashes.length >= width * HASH_SIZE) return w.hashes.subarray(0, width * HASH_SIZE);
      return stored.readTile(level, index, width);
    },
  };
  return { size, root: await new TreeHashes(overlay, size).root(), tiles };
}
