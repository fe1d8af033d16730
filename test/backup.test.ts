/**
 * Issue 15: `podpis archive backup DIR` while the service runs and takes submissions, and
 * `podpis archive restore DIR`, which checks the copy before writing it (a changed byte is
 * refused) and checks the restored archive after. Into an empty data directory only; a backup
 * directory that is not empty is refused.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Manifest, MANIFEST } from "../src/archive/backup.js";
import { run } from "../src/cli/main.js";
import { capture } from "./helpers/cli-capture.js";
import { createKey, startServe, tempData } from "./helpers/serve-process.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});
const dir = () => {
  const d = tempData();
  cleanup.push(d.remove);
  return d.dir;
};
const cli = (argv: string[]) => capture((io) => run(argv, io));

function form(): FormData {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:backup");
  return f;
}

describe("archive backup and restore (SQLite)", () => {
  it("copies a running archive consistently, and a restore verifies it before and after", async () => {
    const data = dir();
    const key = await createKey(data, ["submit"], "portal");
    // every detached content goes to the file store (threshold 0): the backup must carry it (issue 15)
    const server = await startServe(data, ["--clock", AT, "--workers", "1", "--file-store-over", "0"]);
    cleanup.push(() => server.stop());
    const submit = () => fetch(server.base + "/api/v1/submissions", { method: "POST", body: form(), headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);
    for (let i = 0; i < 3; i++) expect(await submit()).toBe(201);

    // the backup runs while submissions keep arriving
    const backups = dir();
    const target = join(backups, "nightly");
    let stop = false;
    const load = (async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push(await submit());
      return statuses;
    })();
    const b = await cli(["archive", "backup", target, "--data", data, "--json"]);
    stop = true;
    expect(new Set(await load)).toEqual(new Set([201]));
    expect(b.code, b.err).toBe(0);
    const manifest = JSON.parse(b.out) as Manifest;
    expect(manifest).toMatchObject({ format: "podpis-archive-backup/1", kind: "sqlite", file: "podpis.sqlite" });
    expect(manifest.submissions).toBeGreaterThanOrEqual(3);
    expect(manifest.files).toEqual({ count: 1, bytes: fx("cades/content.xml").length });
    expect(manifest.auditHead!.seq).toBeGreaterThan(2 * manifest.submissions); // the key, then each submission's entries
    await server.stop();

    // a restore into a fresh directory verifies, and holds what the backup recorded
    const restored = dir();
    const r = await cli(["archive", "restore", target, "--data", restored]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`restored from .* and verified: ${manifest.auditHead!.seq} audit entries, ${manifest.submissions} submission\\(s\\) match the log`));
    const audit = await cli(["audit", "verify", "--data", restored, "--expect-head", `${manifest.auditHead!.seq}:${manifest.auditHead!.hash}`]);
    expect(audit.code, audit.out).toBe(0);
    // the content came back into the restored data directory's file store
    const sha = createHash("sha256").update(fx("cades/content.xml")).digest("hex");
    expect(readFileSync(join(restored, "files", "sha256", sha.slice(0, 2), sha.slice(2, 4), sha))).toEqual(fx("cades/content.xml"));

    // not over an archive that exists
    const again = await cli(["archive", "restore", target, "--data", restored]);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/exists: restore into an empty data directory/);
    // not into a backup directory that holds something
    const over = await cli(["archive", "backup", target, "--data", data]);
    expect(over.code).not.toBe(0);
    expect(over.err).toMatch(/is not empty/);

    // a backup whose file changed is refused before anything is written
    const file = join(target, "podpis.sqlite");
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    const fresh = dir();
    const bad = await cli(["archive", "restore", target, "--data", fresh]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/does not match its manifest/);
    expect(existsSync(join(fresh, "podpis.sqlite"))).toBe(false);

    // a copy with a changed row and a manifest made to match it: the audit log finds it
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    const db = new Database(file);
    db.prepare("UPDATE submissions SET report = '{}' WHERE seq = 1").run();
    db.close();
    const m = JSON.parse(readFileSync(join(target, MANIFEST), "utf8")) as Manifest;
    writeFileSync(join(target, MANIFEST), JSON.stringify({ ...m, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") }));
    const forged = await cli(["archive", "restore", target, "--data", fresh]);
    expect(forged.code).not.toBe(0);
    expect(forged.err).toMatch(/does not verify: 1 archived object\(s\) differ from the log/);
    expect(existsSync(join(fresh, "podpis.sqlite"))).toBe(false);
  }, 180_000);
});
