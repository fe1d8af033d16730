/** Opening a key by how the user names it: a PKCS#12 file path or an RFC 7512 `pkcs11:` URI. */
import { readFileSync } from "node:fs";
import { isPkcs11Uri } from "./pkcs11-uri.js";
import { openPkcs11 } from "./pkcs11.js";
import { KeyError, type KeyProvider } from "./provider.js";
import { openPkcs12 } from "./software.js";

export * from "./provider.js";
export { openPkcs12, openKeyFiles, SoftwareKeyProvider } from "./software.js";
export { openPkcs11, Pkcs11KeyProvider } from "./pkcs11.js";
export { isPkcs11Uri, parsePkcs11Uri } from "./pkcs11-uri.js";

export interface OpenKeyOptions {
  /** a .p12/.pfx path, or a `pkcs11:` URI */
  key: string;
  /** the PKCS#12 password, or the token PIN */
  secret?: string;
  /** the PKCS#11 module path */
  pkcs11Module?: string;
}

export async function openKey(opts: OpenKeyOptions): Promise<KeyProvider> {
  if (isPkcs11Uri(opts.key)) return openPkcs11({ uri: opts.key, modulePath: opts.pkcs11Module, pin: opts.secret });
  let bytes: Buffer;
  try {
    bytes = readFileSync(opts.key);
  } catch {
    throw new KeyError("BAD_KEY_FILE", `cannot read the key file ${opts.key}`);
  }
  return openPkcs12(bytes, opts.secret ?? "");
}
