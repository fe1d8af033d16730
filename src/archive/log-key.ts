/**
 * The log's Ed25519 signing key (C2SP signed-note), a file holding
 * `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`; the key's name is the log's origin. By default
 * `dataDir/log-signer.key`, made once (mode 0600). Nodes that serve one log share one key file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPrivateFileOnce, ensurePrivateDir } from "../io/private-files.js";
import { type NoteSigner, newSignerKey, parseSignerKey } from "../log/index.js";

export const LOG_KEY_FILE = "log-signer.key";
export const DEFAULT_LOG_ORIGIN = "podpis.local/log";

export function loadLogSigner(path: string): NoteSigner {
  return parseSignerKey(readFileSync(path, "utf8"));
}

/** The key at `path`, or under `dataDir` (made with `origin` as its name when missing). */
export function openLogSigner(opts: { path?: string; dataDir: string; origin?: string }): NoteSigner {
  if (opts.path) return loadLogSigner(opts.path);
  const path = join(opts.dataDir, LOG_KEY_FILE);
  try {
    return loadLogSigner(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  ensurePrivateDir(opts.dataDir);
  // two workers starting at once end up with one key
  createPrivateFileOnce(path, newSignerKey(opts.origin ?? DEFAULT_LOG_ORIGIN) + "\n");
  return loadLogSigner(path);
}
