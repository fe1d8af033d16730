/**
 * File input for the CLI and the service's configuration: whole files with a size cap, and
 * directories of PEM/DER files. An adapter shared by cli/ and http/ (neither imports the other).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputFileError } from "./errors.js";

/** Inputs larger than this are refused before reading (a signature, certificate or CRL file). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

export function readInput(path: string, what: string): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputFileError("INPUT_NOT_FOUND", `${what} not found: ${path}`);
  }
  if (st.isDirectory()) throw new InputFileError("INPUT_IS_DIRECTORY", `${what} is a directory, a file was expected: ${path}`);
  if (st.size > MAX_INPUT_BYTES) throw new InputFileError("INPUT_TOO_LARGE", `${what} is larger than ${MAX_INPUT_BYTES} bytes: ${path}`);
  return readFileSync(path);
}

const CERT_OR_CRL = /\.(pem|crt|cer|der|crl)$/i;

/** A file, or every certificate/CRL-looking file of a directory (sorted, not recursive). */
export function readFileOrDir(path: string, what: string): Array<{ path: string; bytes: Buffer }> {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputFileError("INPUT_NOT_FOUND", `${what} not found: ${path}`);
  }
  if (!st.isDirectory()) return [{ path, bytes: readInput(path, what) }];
  return readdirSync(path)
    .filter((f) => CERT_OR_CRL.test(f))
    .sort()
    .map((f) => ({ path: join(path, f), bytes: readInput(join(path, f), what) }));
}
