/**
 * A large detached file (1 GiB) hashed as a stream for CAdES/XAdES verification, next to
 * `sha256sum` on the same file in the same run; memory is the process's peak RSS.
 *
 *   npx tsx bench/hash-stream.ts [--mib N]
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashStream } from "../src/cades/hash-stream.js";

const i = process.argv.indexOf("--mib");
const mib = i >= 0 ? Number(process.argv[i + 1]) : 1024;
const dir = mkdtempSync(join(tmpdir(), "podpis-hash-"));
const file = join(dir, "content.bin");
try {
  const fd = openSync(file, "w");
  const chunk = randomBytes(1 << 20);
  for (let k = 0; k < mib; k++) writeSync(fd, chunk);
  closeSync(fd);

  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const d = await hashStream(createReadStream(file), ["sha256"], "content.bin");
  const ours = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024;

  const t1 = performance.now();
  const r = spawnSync("sha256sum", [file], { encoding: "utf8" });
  const theirs = (performance.now() - t1) / 1000;
  const same = r.status === 0 && r.stdout.startsWith(Buffer.from(d.digests.sha256!).toString("hex"));

  console.log(`file: ${mib} MiB`);
  console.log(`podpis hashStream (sha256): ${ours.toFixed(2)} s  ${(mib / ours).toFixed(0)} MiB/s  peak RSS ${peak.toFixed(0)} MB (${(rssBefore / 1048576).toFixed(0)} MB before)`);
  console.log(`sha256sum:                  ${r.status === 0 ? `${theirs.toFixed(2)} s  ${(mib / theirs).toFixed(0)} MiB/s` : "not available"}${r.status === 0 ? `  (digests ${same ? "agree" : "DIFFER"})` : ""}`);
  if (r.status === 0) console.log(`ratio to sha256sum: ${(theirs / ours).toFixed(2)}× its speed`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
