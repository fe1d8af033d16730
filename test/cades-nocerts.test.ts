/**
 * A CAdES whose signer certificate is not embedded (`openssl cms -sign -nocerts`, issue 12 item 3):
 * the certificate is looked for among `--untrusted` and the configured trust anchors; without it
 * the answer is NO_SIGNING_CERTIFICATE_FOUND and `intact` false (no key, nothing verified), with
 * a key that verifies it is intact whatever the chain says.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect } from "vitest";
import { run } from "../src/cli/main.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import { capture } from "./helpers/cli-capture.js";
import { testContext } from "./helpers/cades-context.js";
import * as T from "./helpers/cms-tools.js";
import { requirePeer } from "./helpers/peers.js";

const AT = new Date("2026-06-01T00:00:00Z");
const content = Buffer.from("заявление без сертификат\n");
const openssl = requirePeer("openssl");
let p7m: Buffer;
let dir: string;

beforeAll(() => {
  if (!openssl.present) return;
  p7m = T.opensslSign({ signer: "citizen-rsa2048", content, nocerts: true, cades: true });
  dir = mkdtempSync(join(tmpdir(), "podpis-nocerts-"));
  writeFileSync(join(dir, "s.p7m"), p7m);
  writeFileSync(join(dir, "chain.pem"), readFileSync(T.pem("citizen-rsa2048"), "utf8") + readFileSync(T.pem("qualified-ca"), "utf8"));
});

const summary = (r: { signatures: { indication: string; subIndication: string | null; intact: boolean }[] }) => r.signatures.map((s) => `${s.indication}/${s.subIndication}/${s.intact}`);

openssl.describe("openssl cms -sign -nocerts", () => {
  openssl.it("the file really carries no certificate", () => {
    expect(T.layout(p7m).fields.some((f) => f.tag === 0xa0)).toBe(false);
  });
  openssl.it("nothing known: NO_SIGNING_CERTIFICATE_FOUND, not intact", async () => {
    const r = await verifyCades(p7m, { at: AT, context: testContext() });
    expect(summary(r)).toEqual(["INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND/false"]);
  });
  openssl.it("the signer among --untrusted (with its CA): TOTAL_PASSED", async () => {
    const r = await verifyCades(p7m, { at: AT, context: testContext({ untrusted: [T.cert("citizen-rsa2048"), T.cert("qualified-ca")] }) });
    expect(summary(r)).toEqual(["TOTAL_PASSED/null/true"]);
  });
  openssl.it("the signer alone, its CA unknown: intact from the key, the chain is what fails", async () => {
    const r = await verifyCades(p7m, { at: AT, context: testContext({ untrusted: [T.cert("citizen-rsa2048")] }) });
    expect(summary(r)).toEqual(["INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND/true"]);
  });
  openssl.it("an unrelated certificate among --untrusted is no key for it", async () => {
    const r = await verifyCades(p7m, { at: AT, context: testContext({ untrusted: [T.cert("citizen-p256")] }) });
    expect(summary(r)).toEqual(["INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND/false"]);
  });
  openssl.it("podpis verify --untrusted FILE finds it; without it exit 1", async () => {
    const base = ["verify", join(dir, "s.p7m"), "--json", "--offline", "--at", AT.toISOString()];
    const without = await capture((io) => run(base, io));
    expect(without.code).toBe(1);
    expect(JSON.parse(without.out).signatures[0].subIndication).toBe("NO_SIGNING_CERTIFICATE_FOUND");
    const withIt = await capture((io) => run([...base, "--untrusted", join(dir, "chain.pem")], io));
    expect(withIt.code).toBe(0);
    expect(JSON.parse(withIt.out).signatures[0]).toMatchObject({ indication: "TOTAL_PASSED", intact: true });
  });
});
