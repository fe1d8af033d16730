/**
 * Every temporary file a test makes (mkdtemp under os.tmpdir()) lands in one directory per run,
 * removed when the run ends: the suite leaves nothing behind in /tmp.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "podpis-test-run-"));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
