/**
 * Issue 10.9: everything under --data is the operator's alone — directory 0700, files 0600
 * (SQLite with its -wal and -shm, the TSA serial store, the signing-state key), whatever the
 * umask. The umask is opened wide (000) for these tests: a mode left to it would come out 0777/0666.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApiKey } from "../src/archive/api-keys.js";
import { openArchive } from "../src/archive/open.js";
import { loadStateKey } from "../src/http/signing-state.js";
import { fileSerialSource } from "../src/io/tsa-serial.js";

const mode = (p: string): number => statSync(p).mode & 0o777;
const root = mkdtempSync(join(tmpdir(), "podpis-perm-"));
let umask: number;

beforeAll(() => {
  umask = process.umask(0o000);
});
afterAll(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

describe("data directory permissions", () => {
  it("makes the SQLite archive, its -wal and -shm, and the data directory private", async () => {
    const data = join(root, "fresh", "data");
    const archive = openArchive({ dataDir: data });
    await archive.migrate();
    await archive.createApiKey(newApiKey("perm", ["verify"], new Date()).record);
    try {
      expect(mode(data)).toBe(0o700);
      for (const f of ["podpis.sqlite", "podpis.sqlite-wal", "podpis.sqlite-shm"]) expect([f, mode(join(data, f))]).toEqual([f, 0o600]);
    } finally {
      await archive.close();
    }
  });

  it("tightens a data directory an older version left world-readable", async () => {
    const data = join(root, "old");
    mkdirSync(join(data, "sub"), { recursive: true });
    writeFileSync(join(data, "podpis.sqlite"), "");
    writeFileSync(join(data, "sub", "notes"), "x");
    chmodSync(data, 0o755);
    chmodSync(join(data, "podpis.sqlite"), 0o644);
    chmodSync(join(data, "sub", "notes"), 0o666);
    const archive = openArchive({ dataDir: data });
    await archive.migrate();
    await archive.close();
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, "sub"))).toBe(0o700);
    expect(mode(join(data, "podpis.sqlite"))).toBe(0o600);
    expect(mode(join(data, "sub", "notes"))).toBe(0o600);
  });

  it("keeps the TSA serial store and its lock private", () => {
    const data = join(root, "tsa");
    const serials = fileSerialSource(data, { block: 10 });
    try {
      serials.next();
      expect(mode(data)).toBe(0o700);
      expect(mode(join(data, "tsa-serial"))).toBe(0o600);
      expect(mode(join(data, "tsa-serial.lock"))).toBe(0o600);
    } finally {
      serials.close();
    }
  });

  it("keeps the signing-state key private", () => {
    const data = join(root, "state");
    loadStateKey(data);
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, "signing-state.key"))).toBe(0o600);
  });
});
