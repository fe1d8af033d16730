/**
 * The built-in TSA's in-process path (`TimestampAuthority.issue`, what the service time-stamps
 * with, issue 15): the token is octet for octet the one `respond` puts in its response to a
 * request with certReq and no nonce (RSA PKCS#1 v1.5 is deterministic, same clock and serial),
 * `openssl ts -verify` accepts it over the data, and a P-256 TSA's token validates in podpis.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED } from "../src/bundled.js";
import { openPkcs12 } from "../src/keys/software.js";
import { boolean, integer, octetString, oid, sequence } from "../src/asn1/writer.js";
import { DIGEST_OIDS, parseTimestampResponse } from "../src/timestamp/request.js";
import { readTimestampToken } from "../src/timestamp/token.js";
import { TimestampAuthority } from "../src/timestamp/tsa.js";
import { memorySerialSource } from "../src/timestamp/tsa-serial.js";
import { validateTimestamp } from "../src/validation/timestamp.js";
import { createValidator } from "../src/validator.js";
import { requirePeer } from "./helpers/peers.js";

const openssl = requirePeer("openssl");
const NOW = new Date("2026-05-31T12:00:00Z");
const key = (name: string) => openPkcs12(readFileSync(join(BUNDLED.pki, "keys", `${name}.p12`)), BUNDLED.password);
const tsa = (name: string, opts: { accuracyMs?: number } = {}) => new TimestampAuthority({ key: key(name), policy: BUNDLED.tsaPolicy, serials: memorySerialSource(41n), clock: () => NOW, ...opts });
const data = Buffer.from("Заявление — time-stamped in process\n");
const dir = mkdtempSync(join(tmpdir(), "podpis-tsa-issue-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TimestampAuthority.issue", () => {
  it("gives the token respond() gives for the same request (certReq, no nonce), for each hash and accuracy", async () => {
    for (const [hash, accuracyMs] of [["sha256", 1000], ["sha384", 250], ["sha512", 1500]] as const) {
      const direct = await tsa("tsa", { accuracyMs }).issue(data, hash);
      // TimeStampReq { version 1, messageImprint, certReq TRUE } (RFC 3161 §2.4.1), no nonce
      const imprint = sequence(sequence(oid(DIGEST_OIDS[hash]!)), octetString(createHash(hash).update(data).digest()));
      const res = await tsa("tsa", { accuracyMs }).respond(sequence(integer(1), imprint, boolean(true)));
      expect(Buffer.from(parseTimestampResponse(res.response).token!).equals(direct), hash).toBe(true);
    }
  });

  openssl.it("openssl ts -verify accepts an issued token over the data", async () => {
    writeFileSync(join(dir, "t.tst"), await tsa("tsa").issue(data, "sha256"));
    writeFileSync(join(dir, "d"), data);
    const r = spawnSync("openssl", ["ts", "-verify", "-token_in", "-in", "t.tst", "-data", "d", "-CAfile", join(BUNDLED.trust, "root-ca.pem")], { cwd: dir, encoding: "utf8" });
    expect(r.stdout + r.stderr).toMatch(/Verification: OK/);
  });

  it("a P-256 TSA's token validates in podpis (TOTAL_PASSED, ECDSA, its chain in the token)", async () => {
    const token = await tsa("tsa-p256").issue(data, "sha256");
    const v = await createValidator({ trust: [readFileSync(join(BUNDLED.trust, "root-ca.pem"))], crls: [readFileSync(join(BUNDLED.crls, "root.crl"))], offline: true });
    const t = readTimestampToken(token, { kind: "signature", imprintedData: data, ctx: v.context });
    const r = await validateTimestamp(t, v.context, NOW);
    expect([r.indication, r.errors]).toEqual(["TOTAL_PASSED", []]);
    expect(Buffer.from(t.tsaCertificate!.der).equals(Buffer.from(key("tsa-p256").certificate))).toBe(true);
    expect(t.algorithms.filter((a) => a.kind === "signature").map((a) => (a as { scheme: string }).scheme)).toContain("ecdsa");
  });

  it("refuses an imprint hash it does not accept", async () => {
    await expect(new TimestampAuthority({ key: key("tsa"), policy: BUNDLED.tsaPolicy, serials: memorySerialSource(), acceptedHashes: ["sha256"] }).issue(data, "sha512")).rejects.toThrow(/does not accept sha512/);
  });
});
