// src/log against the specifications' published vectors and an independent verifier
// (test/helpers/tlog-verify.ts, which does not import src/log).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type TileReader, TreeHashes, decodeBundle, encodeBundle, encodeIndex, integrate, leafHash, openCheckpoint, openNote, parseSignerKey, parseTilePath,
  parseTlogProof, parseVerifierKey, partialTiles, signCheckpoint, signNote, tilePath, formatTlogProof, verifyConsistency, verifyInclusion,
  cosignatureVerifier, acceptCosignatures, cosignedMessage, ed25519Signer, newSignerKey, EMPTY_ROOT,
} from "../src/log/index.js";
import { checkConsistency, checkInclusion, checkTlogProof, leafHashOf, mth, openCheckpointNote, parseVkey } from "./helpers/tlog-verify.js";
import { createPrivateKey, sign } from "node:crypto";

const h = (x: string) => Buffer.from(x, "hex");

// RFC 6962 test vectors (as published with the Certificate Transparency reference code): the
// eight leaves and the roots of the trees of their first 1…8 leaves.
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(h);
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
].map(h);

/** Tiles in memory, one row per tile overwritten as it grows (as the archive keeps them). */
class MemoryTiles implements TileReader {
  readonly rows = new Map<string, Buffer>();
  async readTile(level: number, index: number, width: number): Promise<Uint8Array> {
    const t = this.rows.get(`${level}/${index}`);
    if (!t || t.length < width * 32) throw new Error(`no tile ${level}/${index} of width ${width}`);
    return t.subarray(0, width * 32);
  }
}

async function grow(tiles: MemoryTiles, size: number, leaves: Buffer[]): Promise<{ size: number; root: Buffer }> {
  const r = await integrate(size, leaves, tiles);
  for (const t of r.tiles) tiles.rows.set(`${t.level}/${t.index}`, t.hashes);
  return r;
}

describe("RFC 6962 hashing and proofs", () => {
  it("reproduces the published roots of trees of 1…8 leaves", async () => {
    const tiles = new MemoryTiles();
    let size = 0;
    for (let i = 0; i < 8; i++) {
      const r = await grow(tiles, size, [leafHash(LEAVES[i]!)]);
      size = r.size;
      expect(r.root.toString("hex")).toBe(ROOTS[i]!.toString("hex"));
    }
    expect(EMPTY_ROOT.toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("produces and verifies the published inclusion and consistency proofs", async () => {
    const tiles = new MemoryTiles();
    await grow(tiles, 0, LEAVES.map(leafHash));
    const t8 = new TreeHashes(tiles, 8);
    const inc = await t8.inclusionProof(5);
    expect(inc.map((x) => x.toString("hex"))).toEqual(["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]);
    verifyInclusion(5, 8, leafHash(LEAVES[5]!), inc, ROOTS[7]!);
    expect(() => verifyInclusion(4, 8, leafHash(LEAVES[5]!), inc, ROOTS[7]!)).toThrow(/not at index/);
    const con = await t8.consistencyProof(6);
    expect(con.map((x) => x.toString("hex"))).toEqual(["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]);
    verifyConsistency(6, 8, ROOTS[5]!, ROOTS[7]!, con);
    expect(() => verifyConsistency(6, 8, ROOTS[4]!, ROOTS[7]!, con)).toThrow(/rewritten/);
    const t5 = new TreeHashes(tiles, 5);
    expect((await t5.consistencyProof(2)).map((x) => x.toString("hex"))).toEqual(["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]);
  });

  it("agrees with the independent verifier on every index and size across tile boundaries and levels", async () => {
    const tiles = new MemoryTiles();
    const all: Buffer[] = [];
    let size = 0;
    const roots = new Map<number, Buffer>();
    // batches of awkward sizes: through 256 (level 1) and 65,536 (level 2)
    for (const n of [1, 254, 1, 1, 300, 65_000, 1, 4_000]) {
      const batch = Array.from({ length: n }, (_, i) => leafHashOf(Buffer.from(`entry ${size + i}`)));
      all.push(...batch);
      const r = await grow(tiles, size, batch);
      size = r.size;
      roots.set(size, r.root);
      // the naive MTH is slow at 70,000 leaves: the small sizes and the last one
      if (size < 1000 || n === 4_000) expect(r.root.equals(mth(all)), `root at ${size}`).toBe(true);
    }
    expect(tiles.rows.has("2/0")).toBe(true);
    const tree = new TreeHashes(tiles, size);
    for (const i of [0, 1, 255, 256, 257, 511, 65_535, 65_536, size - 1]) {
      checkInclusion(BigInt(i), BigInt(size), all[i]!, await tree.inclusionProof(i), roots.get(size)!);
    }
    for (const [m, root] of roots) if (m < size) checkConsistency(BigInt(m), BigInt(size), root, roots.get(size)!, await tree.consistencyProof(m));
    // a tampered tile is noticed: the proof read from it no longer leads to the root
    tiles.rows.get("0/1")![5]! ^= 1;
    const bad = await new TreeHashes(tiles, size).inclusionProof(300);
    expect(() => checkInclusion(300n, BigInt(size), all[300]!, bad, roots.get(size)!)).toThrow();
  });
});

describe("tlog-tiles coordinates", () => {
  it("encodes and parses indexes and paths as the spec's examples", () => {
    expect(encodeIndex(1234067)).toBe("x001/x234/067");
    expect(encodeIndex(0)).toBe("000");
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe("tile/0/x001/x234/067");
    expect(tilePath({ level: "entries", index: 5, width: 7 })).toBe("tile/entries/005.p/7");
    expect(parseTilePath("0/x001/x234/067")).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath("entries/005.p/7")).toEqual({ level: "entries", index: 5, width: 7 });
    for (const bad of ["0/1", "00/000", "0/x000/001", "0/001.p/0", "0/001.p/256", "0/001.p/07", "64/000", "0/x001", "0/000/000", "x/000"]) expect(parseTilePath(bad), bad).toBeNull();
  });

  it("has the spec's partial tiles for a tree of 70,000 and of 256", () => {
    expect(partialTiles(70_000)).toEqual([{ level: 0, index: 273, width: 112 }, { level: 1, index: 1, width: 17 }, { level: 2, index: 0, width: 1 }]);
    expect(partialTiles(256)).toEqual([{ level: 1, index: 0, width: 1 }]);
  });

  it("encodes entry bundles with uint16 lengths", () => {
    const entries = [Buffer.from("a"), Buffer.alloc(0), randomBytes(300)];
    const b = encodeBundle(entries);
    expect(b.subarray(0, 5).toString("hex")).toBe("0001610000");
    expect(decodeBundle(b).map((x) => x.toString("hex"))).toEqual(entries.map((x) => x.toString("hex")));
    expect(() => decodeBundle(b.subarray(0, b.length - 1))).toThrow();
    expect(() => encodeBundle([Buffer.alloc(65_536)])).toThrow(/at most/);
  });
});

describe("signed notes and checkpoints", () => {
  // The example key and note of the Go reference implementation (golang.org/x/mod/sumdb/note).
  const VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const SIG = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

  it("reproduces the reference note byte for byte and verifies it", () => {
    const signer = parseSignerKey(SKEY);
    expect(signer.verifierKey).toBe(VKEY);
    expect(signNote(TEXT, signer)).toBe(`${TEXT}\n${SIG}`);
    expect(openNote(`${TEXT}\n${SIG}`, [parseVerifierKey(VKEY)]).text).toBe(TEXT);
    expect(() => openNote(`${TEXT.replace("cryptography", "cryptographY")}\n${SIG}`, [parseVerifierKey(VKEY)])).toThrow(/altered/);
    // the independent verifier agrees
    expect(() => parseVkey(VKEY)).not.toThrow();
    expect(() => parseVerifierKey(VKEY.replace("c74f20a3", "c74f20a4"))).toThrow(/does not match/);
  });

  it("ignores unknown keys but needs one known signature", () => {
    const other = ed25519Signer("other.example/log", randomBytes(32));
    const note = `${TEXT}\n${SIG}`.replace(/\n$/, "\n") + signNote(TEXT, other).split("\n\n")[1];
    expect(openNote(note, [parseVerifierKey(VKEY)]).verifiedBy).toHaveLength(1);
    expect(() => openNote(signNote(TEXT, other), [parseVerifierKey(VKEY)])).toThrow(/no signature by a known key/);
  });

  it("signs checkpoints the independent verifier opens; origin and signature are checked", () => {
    const signer = parseSignerKey(newSignerKey("podpis.test/log"));
    const note = signCheckpoint({ origin: "podpis.test/log", size: 8, root: ROOTS[7]! }, signer);
    expect(note.split("\n").slice(0, 3)).toEqual(["podpis.test/log", "8", ROOTS[7]!.toString("base64")]);
    const cp = openCheckpointNote(note, parseVkey(signer.verifierKey));
    expect(cp.size).toBe(8n);
    expect(openCheckpoint(note, parseVerifierKey(signer.verifierKey)).size).toBe(8);
    expect(() => openCheckpoint(note.replace("\n8\n", "\n9\n"), parseVerifierKey(signer.verifierKey))).toThrow(/altered/);
    expect(() => openCheckpoint(note, parseVerifierKey(signer.verifierKey), [], "elsewhere/log")).toThrow(/not "elsewhere\/log"/);
  });

  it("reads tlog-proof bundles as the independent verifier does", async () => {
    const signer = parseSignerKey(newSignerKey("podpis.test/log"));
    const tiles = new MemoryTiles();
    const r = await grow(tiles, 0, LEAVES.map(leafHash));
    const checkpoint = signCheckpoint({ origin: "podpis.test/log", size: 8, root: r.root }, signer);
    const text = formatTlogProof({ index: 5, proof: await new TreeHashes(tiles, 8).inclusionProof(5), checkpoint });
    expect(checkTlogProof(text, LEAVES[5]!, parseVkey(signer.verifierKey))).toEqual({ index: 5n, size: 8n });
    expect(parseTlogProof(text).index).toBe(5);
    expect(() => checkTlogProof(text, LEAVES[4]!, parseVkey(signer.verifierKey))).toThrow();
  });

  it("accepts a witness's v1 cosignature and refuses a forged one", () => {
    const seed = randomBytes(32);
    const priv = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
    const pub = ed25519Signer("w", seed).publicKey;
    const w = cosignatureVerifier("witness.test/w1", pub);
    const text = `podpis.test/log\n8\n${ROOTS[7]!.toString("base64")}\n`;
    const sig = Buffer.alloc(72);
    sig.writeBigUInt64BE(1_700_000_000n, 0);
    sign(null, cosignedMessage(text, 1_700_000_000n), priv).copy(sig, 8);
    const idb = Buffer.alloc(4);
    idb.writeUInt32BE(w.id);
    const line = `\u2014 witness.test/w1 ${Buffer.concat([idb, sig]).toString("base64")}\n`;
    expect(acceptCosignatures(text, line, w)).toEqual([line]);
    sig[20] ^= 1;
    const forged = `\u2014 witness.test/w1 ${Buffer.concat([idb, sig]).toString("base64")}\n`;
    expect(() => acceptCosignatures(text, forged, w)).toThrow(/does not verify/);
    const vk = `witness.test/w1+${w.id.toString(16).padStart(8, "0")}+${Buffer.concat([Buffer.from([4]), pub]).toString("base64")}`;
    expect(() => openCheckpointNote(`${text}\n${line}`, parseVkey(vk))).not.toThrow();
  });
});
