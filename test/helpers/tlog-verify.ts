/**
 * An independent transparency-log verifier for the tests, written from the specifications' text
 * (RFC 9162 §2.1, C2SP signed-note, tlog-checkpoint, tlog-tiles, tlog-proof, tlog-cosignature)
 * and deliberately NOT importing src/log: what the server computes is checked by other code.
 * Sizes are BigInts here, bit operations as the RFC writes them.
 */
import { createHash, createPublicKey, verify as edVerify } from "node:crypto";

export class VerifyFailure extends Error {}
const fail = (m: string): never => {
  throw new VerifyFailure(m);
};

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
export const leafHashOf = (entry: Uint8Array): Buffer => sha(Buffer.from([0]), entry);
const node = (l: Uint8Array, r: Uint8Array): Buffer => sha(Buffer.from([1]), l, r);

/** MTH by the RFC 6962 §2.1 definition, from leaf hashes. */
export function mth(leafHashes: readonly Buffer[]): Buffer {
  const n = leafHashes.length;
  if (n === 0) return sha();
  if (n === 1) return leafHashes[0]!;
  let k = 1;
  while (k << 1 < n) k <<= 1;
  return node(mth(leafHashes.slice(0, k)), mth(leafHashes.slice(k)));
}

/** RFC 9162 §2.1.3.2, literally. */
export function checkInclusion(leafIndex: bigint, treeSize: bigint, hash: Buffer, path: readonly Buffer[], root: Buffer): void {
  if (leafIndex >= treeSize) fail("leaf_index >= tree_size");
  let fn = leafIndex;
  let sn = treeSize - 1n;
  let r = hash;
  for (const p of path) {
    if (sn === 0n) fail("sn reached 0 before the end of the path");
    if ((fn & 1n) === 1n || fn === sn) {
      r = node(p, r);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else r = node(r, p);
    fn >>= 1n;
    sn >>= 1n;
  }
  if (!(sn === 0n && r.equals(root))) fail("inclusion proof does not reach the root");
}

/** RFC 9162 §2.1.4.2, literally (first < second, first > 0). */
export function checkConsistency(first: bigint, second: bigint, firstHash: Buffer, secondHash: Buffer, proof: readonly Buffer[]): void {
  if (first === second) {
    if (!firstHash.equals(secondHash) || proof.length) fail("same size, different roots");
    return;
  }
  if (first === 0n) return;
  if (proof.length === 0) fail("empty consistency path");
  const path = (first & (first - 1n)) === 0n ? [firstHash, ...proof] : [...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) fail("sn reached 0 before the end of the path");
    if ((fn & 1n) === 1n || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else sr = node(sr, c);
    fn >>= 1n;
    sn >>= 1n;
  }
  if (!(fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n)) fail("consistency proof does not verify");
}

// ---- signed notes -------------------------------------------------------------------------------

export interface Vkey {
  name: string;
  id: Buffer;
  type: number;
  key: Buffer;
}

export function parseVkey(s: string): Vkey {
  // the base64 key may itself hold "+": split at the first two only
  const t = s.trim();
  const a = t.indexOf("+");
  const b = t.indexOf("+", a + 1);
  const [name, idHex, b64] = [t.slice(0, a), t.slice(a + 1, b), t.slice(b + 1)];
  if (a <= 0 || b < 0 || idHex.length !== 8 || !b64) fail("vkey is <name>+<id>+<key>");
  const raw = Buffer.from(b64!, "base64");
  const v = { name: name!, id: Buffer.from(idHex!, "hex"), type: raw[0]!, key: raw.subarray(1) };
  if (!sha(Buffer.from(v.name), Buffer.from([0x0a]), raw).subarray(0, 4).equals(v.id)) fail("vkey id mismatch");
  return v;
}

const spki = (k: Buffer) => createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), k]), format: "der", type: "spki" });

/** signed-note: returns the text when a signature by `key` verifies; other keys' lines are ignored. */
export function openSignedNote(note: string, key: Vkey): { text: string; lines: string[] } {
  const i = note.lastIndexOf("\n\n");
  if (i < 0) fail("no blank line");
  const text = note.slice(0, i + 1);
  const lines = note.slice(i + 2).split("\n").filter((l) => l !== "");
  let ok = false;
  for (const l of lines) {
    if (!l.startsWith("\u2014 ")) fail("bad signature line");
    const [name, b64] = l.slice(2).split(" ");
    const sig = Buffer.from(b64!, "base64");
    if (name !== key.name || !sig.subarray(0, 4).equals(key.id)) continue;
    let message = Buffer.from(text);
    let s = sig.subarray(4);
    if (key.type === 0x04) {
      // tlog-cosignature v1: u64 timestamp, then Ed25519 over the header, time line and text
      const t = s.readBigUInt64BE(0);
      message = Buffer.from(`cosignature/v1\ntime ${t}\n${text}`);
      s = s.subarray(8);
    }
    if (!edVerify(null, message, spki(key.key), s)) fail(`signature by ${name} does not verify`);
    ok = true;
  }
  if (!ok) fail(`no signature by ${key.name}`);
  return { text, lines };
}

export function openCheckpointNote(note: string, key: Vkey): { origin: string; size: bigint; root: Buffer } {
  const { text } = openSignedNote(note, key);
  const [origin, size, root] = text.split("\n");
  if (!origin || !/^\d+$/.test(size ?? "") || !root) fail("bad checkpoint body");
  return { origin: origin!, size: BigInt(size!), root: Buffer.from(root!, "base64") };
}

// ---- tiles, fetched over HTTP -------------------------------------------------------------------

export function indexPath(n: bigint): string {
  const groups: string[] = [];
  let x = n;
  do {
    groups.unshift((x % 1000n).toString().padStart(3, "0"));
    x /= 1000n;
  } while (x > 0n);
  return groups.map((g, i) => (i === groups.length - 1 ? g : `x${g}`)).join("/");
}

/** Hashes of a tree read through tlog-tiles URLs (`prefix` is …/api/v1/log). */
export class TiledTree {
  private readonly tiles = new Map<string, Buffer>();
  constructor(
    private readonly prefix: string,
    readonly size: bigint,
  ) {}

  private async tile(level: number, n: bigint): Promise<Buffer> {
    const full = (this.size >> BigInt(8 * level)) ;
    const w = full - n * 256n >= 256n ? 256n : full - n * 256n;
    const url = `${this.prefix}/tile/${level}/${indexPath(n)}${w === 256n ? "" : `.p/${w}`}`;
    let t = this.tiles.get(url);
    if (!t) {
      const r = await fetch(url);
      if (r.status !== 200) fail(`GET ${url}: ${r.status}`);
      t = Buffer.from(await r.arrayBuffer());
      if (BigInt(t.length) !== w * 32n) fail(`tile ${url} has ${t.length} bytes`);
      this.tiles.set(url, t);
    }
    return t;
  }

  /** hash of the perfect subtree of height h with leaves [k·2^h, (k+1)·2^h) */
  async subtree(h: number, k: bigint): Promise<Buffer> {
    const level = Math.floor(h / 8);
    const r = h % 8;
    const first = k << BigInt(r);
    const t = await this.tile(level, first / 256n);
    const off = Number(first % 256n);
    const hs: Buffer[] = [];
    for (let i = 0; i < 1 << r; i++) hs.push(t.subarray((off + i) * 32, (off + i + 1) * 32));
    return mth(hs);
  }

  async hash(lo: bigint, hi: bigint): Promise<Buffer> {
    const n = hi - lo;
    if ((n & (n - 1n)) === 0n && lo % n === 0n) return this.subtree(n.toString(2).length - 1, lo / n);
    let k = 1n;
    while (k << 1n < n) k <<= 1n;
    return node(await this.hash(lo, lo + k), await this.hash(lo + k, hi));
  }

  async inclusion(m: bigint, lo = 0n, hi = this.size): Promise<Buffer[]> {
    const n = hi - lo;
    if (n === 1n) return [];
    let k = 1n;
    while (k << 1n < n) k <<= 1n;
    if (m < k) return [...(await this.inclusion(m, lo, lo + k)), await this.hash(lo + k, hi)];
    return [...(await this.inclusion(m - k, lo + k, hi)), await this.hash(lo, lo + k)];
  }

  async consistency(m: bigint, lo = 0n, hi = this.size, b = true): Promise<Buffer[]> {
    const n = hi - lo;
    if (m === n) return b ? [] : [await this.hash(lo, hi)];
    let k = 1n;
    while (k << 1n < n) k <<= 1n;
    if (m <= k) return [...(await this.consistency(m, lo, lo + k, b)), await this.hash(lo + k, hi)];
    return [...(await this.consistency(m - k, lo + k, hi, false)), await this.hash(lo, lo + k)];
  }
}

/** Entries of bundle n (width w) from `prefix`. */
export async function fetchBundle(prefix: string, n: bigint, w: number): Promise<Buffer[]> {
  const r = await fetch(`${prefix}/tile/entries/${indexPath(n)}${w === 256 ? "" : `.p/${w}`}`);
  if (r.status !== 200) fail(`bundle ${n}: ${r.status}`);
  const b = Buffer.from(await r.arrayBuffer());
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; ) {
    const len = b.readUInt16BE(i);
    out.push(b.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

/** tlog-proof: header, index line, proof lines, blank line, checkpoint. */
export function checkTlogProof(text: string, entry: Buffer, key: Vkey): { index: bigint; size: bigint } {
  const cut = text.indexOf("\n\n");
  const head = text.slice(0, cut).split("\n");
  if (head[0] !== "c2sp.org/tlog-proof@v1") fail("tlog-proof header");
  let i = 1;
  if (head[i]?.startsWith("extra ")) i++;
  const m = /^index (\d+)$/.exec(head[i++] ?? "");
  if (!m) fail("tlog-proof index");
  const proof = head.slice(i).map((l) => Buffer.from(l, "base64"));
  const cp = openCheckpointNote(text.slice(cut + 2), key);
  checkInclusion(BigInt(m![1]!), cp.size, leafHashOf(entry), proof, cp.root);
  return { index: BigInt(m![1]!), size: cp.size };
}
