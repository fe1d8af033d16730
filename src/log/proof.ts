/**
 * Proofs computed from tiles (tlog-tiles: "Clients can fetch all the tiles they need … and
 * compute any desired proof") and verified as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
 * (consistency) say. A perfect subtree of height h = 8·L + r starting at leaf k·2^h is the MTH
 * of 2^r consecutive hashes of level-L tiles, so any hash the RFC 6962 recursion needs comes
 * from at most one tile.
 */
import { LogError } from "./errors.js";
import { EMPTY_ROOT, HASH_SIZE, isPowerOfTwo, merkleRoot, nodeHash, splitPoint } from "./hash.js";
import { TILE_WIDTH, tileHashes, tileWidthAt } from "./tile.js";

/** Where tiles come from: storage on the server, HTTP in a client. Returns exactly width·32 bytes. */
export interface TileReader {
  readTile(level: number, index: number, width: number): Promise<Uint8Array>;
}

/** Reads each (level, index, width) once per reader: a proof asks for the same tile many times. */
export function cachedReader(r: TileReader): TileReader {
  const cache = new Map<string, Promise<Uint8Array>>();
  return {
    readTile(level, index, width) {
      const key = `${level}/${index}/${width}`;
      let t = cache.get(key);
      if (!t) cache.set(key, (t = r.readTile(level, index, width)));
      return t;
    },
  };
}

/** The hashes of a tree of `size` leaves, read from its tiles. */
export class TreeHashes {
  private readonly reader: TileReader;
  constructor(
    reader: TileReader,
    readonly size: number,
  ) {
    this.reader = cachedReader(reader);
  }

  /** The perfect subtree of height h whose leaves are [k·2^h, (k+1)·2^h). */
  private async subtree(h: number, k: number): Promise<Buffer> {
    const level = Math.floor(h / 8);
    const count = 2 ** (h % 8);
    const start = k * count;
    const index = Math.floor(start / TILE_WIDTH);
    const width = tileWidthAt(level, index, this.size);
    const offset = start % TILE_WIDTH;
    if (offset + count > width) throw new LogError("LOG_MALFORMED", `subtree ${h}/${k} is not complete in a tree of ${this.size}`);
    const hashes = tileHashes(await this.reader.readTile(level, index, width), width);
    return merkleRoot(hashes.slice(offset, offset + count));
  }

  /** MTH(D[start:end]); `start` is aligned as the RFC 6962 recursion aligns it. */
  async range(start: number, end: number): Promise<Buffer> {
    const n = end - start;
    if (n <= 0) return EMPTY_ROOT;
    if (isPowerOfTwo(n) && start % n === 0) return this.subtree(Math.log2(n), start / n);
    const k = splitPoint(n);
    return nodeHash(await this.range(start, start + k), await this.range(start + k, end));
  }

  root(): Promise<Buffer> {
    return this.range(0, this.size);
  }

  /** RFC 6962 §2.1.1 PATH(m, D[n]), leaf sibling first. */
  async inclusionProof(index: number): Promise<Buffer[]> {
    if (!(index >= 0 && index < this.size)) throw new LogError("LOG_PROOF_FAILED", `index ${index} is not in a tree of ${this.size}`);
    const out: Buffer[] = [];
    const path = async (m: number, start: number, end: number): Promise<void> => {
      const n = end - start;
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        await path(m, start, start + k);
        out.push(await this.range(start + k, end));
      } else {
        await path(m - k, start + k, end);
        out.push(await this.range(start, start + k));
      }
    };
    await path(index, 0, this.size);
    return out;
  }

  /** RFC 6962 §2.1.2 PROOF(m, D[n]) from an older size m to this tree's size. */
  async consistencyProof(m: number): Promise<Buffer[]> {
    if (!(m >= 0 && m <= this.size)) throw new LogError("LOG_PROOF_FAILED", `size ${m} is larger than the tree (${this.size})`);
    if (m === 0 || m === this.size) return [];
    const out: Buffer[] = [];
    const sub = async (m: number, start: number, end: number, whole: boolean): Promise<void> => {
      const n = end - start;
      if (m === n) {
        if (!whole) out.push(await this.range(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        await sub(m, start, start + k, whole);
        out.push(await this.range(start + k, end));
      } else {
        await sub(m - k, start + k, end, false);
        out.push(await this.range(start, start + k));
      }
    };
    await sub(m, 0, this.size, true);
    return out;
  }
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;
const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

function checkHashes(proof: readonly Uint8Array[]): void {
  if (proof.length > 63) throw new LogError("LOG_PROOF_FAILED", `a proof has at most 63 hashes (got ${proof.length})`);
  for (const p of proof) if (p.length !== HASH_SIZE) throw new LogError("LOG_MALFORMED", "a proof hash is not 32 bytes");
}

/** RFC 9162 §2.1.3.2: does `proof` show the leaf hash at `index` in the tree of `size` with `root`? Throws LOG_PROOF_FAILED when not. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHashes(proof);
  if (!(index >= 0 && index < size)) throw new LogError("LOG_PROOF_FAILED", `index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw new LogError("LOG_PROOF_FAILED", "the inclusion proof is longer than the tree is high");
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else r = nodeHash(r, p);
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0 || !equal(r, root)) throw new LogError("LOG_PROOF_FAILED", `the entry is not at index ${index} of the tree of size ${size} (the proof does not lead to its root)`);
}

/** RFC 9162 §2.1.4.2: is the tree (second, secondRoot) an append-only extension of (first, firstRoot)? */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): void {
  checkHashes(proof);
  if (first > second) throw new LogError("LOG_PROOF_FAILED", `the older tree (${first}) is larger than the newer one (${second})`);
  if (first === second) {
    if (proof.length || !equal(firstRoot, secondRoot)) throw new LogError("LOG_PROOF_FAILED", `two trees of size ${first} with different roots: the log forked`);
    return;
  }
  if (first === 0) {
    if (proof.length) throw new LogError("LOG_PROOF_FAILED", "a proof from the empty tree is empty");
    return;
  }
  if (proof.length === 0) throw new LogError("LOG_PROOF_FAILED", "the consistency proof is empty");
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) (fn = half(fn)), (sn = half(sn));
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) throw new LogError("LOG_PROOF_FAILED", "the consistency proof is too long");
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else sr = nodeHash(sr, c);
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0 || !equal(fr, firstRoot) || !equal(sr, secondRoot)) {
    throw new LogError("LOG_PROOF_FAILED", `the tree of size ${second} does not extend the tree of size ${first}: the log was rewritten`);
  }
}
