/**
 * Reads CRLs from files and directories (the CLI's and the service's --crl). The only file
 * I/O around the revocation folder (an adapter: the core takes parsed CRLs); parsing stays in
 * revocation/crl.ts.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { parseCrls } from "../revocation/crl.js";
import { CrlError } from "../revocation/crl-error.js";
import { CrlStore } from "../revocation/crl-store.js";
import type { Crl } from "../revocation/crl-types.js";

/** What a directory contributes; an explicitly named file is read whatever its name. */
const CRL_EXTENSIONS = new Set([".crl", ".der", ".pem"]);

/** Files and directories (not recursive) → CRLs, in path order. DER or PEM (several blocks). */
export async function loadCrlSources(paths: string[]): Promise<Crl[]> {
  const out: Crl[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      const names = (await readdir(p, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith(".") && CRL_EXTENSIONS.has(extname(e.name).toLowerCase()))
        .map((e) => e.name)
        .sort();
      for (const name of names) out.push(...(await loadFile(join(p, name))));
    } else out.push(...(await loadFile(p)));
  }
  return out;
}

export async function loadCrlStore(paths: string[], store: CrlStore = new CrlStore()): Promise<CrlStore> {
  for (const crl of await loadCrlSources(paths)) store.add(crl);
  return store;
}

async function loadFile(file: string): Promise<Crl[]> {
  const bytes = await readFile(file);
  try {
    return parseCrls(bytes);
  } catch (e) {
    if (e instanceof CrlError) throw new CrlError(`${file}: ${e.message}`);
    throw e;
  }
}
