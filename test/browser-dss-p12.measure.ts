/**
 * A measurement, not part of npm test: every PKCS#12 file in the EU DSS snapshot opened with the
 * browser's reader (web/src/pkcs12.ts) under Node's WebCrypto, and the private key compared with
 * what OpenSSL (with its legacy provider) takes out of the same file. Nothing from DSS is committed.
 *   npx tsx test/browser-dss-p12.measure.ts [/work/.mirror/esig+dss/repo]
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { openPkcs12 } from "../web/src/pkcs12.js";

const REPO = process.argv[2] ?? "/work/.mirror/esig+dss/repo";
const PASSWORDS = ["ks-password", "password", "dss-password", ""];
const git = (args: string[]): Buffer => execFileSync("git", ["-C", REPO, ...args], { maxBuffer: 64 * 1024 * 1024 });
const files = git(["ls-tree", "-r", "--name-only", "HEAD"]).toString().split("\n").filter((f) => /\.(p12|pfx)$/i.test(f));

/** OpenSSL's private key (PKCS#8 PEM) for a password, or null when it cannot open the file with it. */
function opensslKey(bytes: Buffer, pw: string): { pem: string | null; ok: boolean } {
  try {
    const out = execFileSync("openssl", ["pkcs12", "-nocerts", "-nodes", "-passin", `pass:${pw}`, "-legacy"], { input: bytes, stdio: ["pipe", "pipe", "pipe"] }).toString();
    const m = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(out);
    return { pem: m ? m[0] : null, ok: true };
  } catch {
    return { pem: null, ok: false };
  }
}

for (const f of files) {
  const bytes = git(["show", `HEAD:${f}`]);
  const pw = PASSWORDS.find((p) => opensslKey(bytes, p).ok);
  if (pw === undefined) {
    let code = "";
    try {
      await openPkcs12(new Uint8Array(bytes), "ks-password");
      code = "opened?!";
    } catch (e) {
      code = (e as { code?: string }).code ?? String(e);
    }
    console.log(`${f}\tOpenSSL: no known password\tbrowser: ${code}`);
    continue;
  }
  const ref = opensslKey(bytes, pw).pem;
  try {
    const got = await openPkcs12(new Uint8Array(bytes), pw);
    const same = ref !== null && createPrivateKey({ key: Buffer.from(got.privateKey), format: "der", type: "pkcs8" }).export({ format: "der", type: "pkcs8" }).equals(createPrivateKey(ref).export({ format: "der", type: "pkcs8" }));
    console.log(`${f}\tpassword "${pw}"\tbrowser: key ${same ? "= OpenSSL's" : "DIFFERS"}, ${got.certificates.length} certificate(s)`);
  } catch (e) {
    console.log(`${f}\tpassword "${pw}"\tbrowser: ${(e as { code?: string }).code ?? ""} ${(e as Error).message}${ref === null ? " (OpenSSL: no key either)" : ""}`);
  }
}
