/**
 * The committed CAdES fixtures (fixtures/cades/, made by make.ts with OpenSSL and the test PKI)
 * give the outcomes their manifest records, and OpenSSL's own verdict on each is written down
 * beside it (`openssl cms -verify`, once for the signatures alone, once with the chain and CRLs
 * at the fixture's validation time), so no fixture is judged by podpis alone.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyCades } from "../src/validation/verify-cades.js";
import { renderText } from "../src/validation/report-text.js";
import { PKI, ROOT, cert, peer } from "./helpers/cms-tools.js";
import { requirePeer } from "./helpers/peers.js";
import { testContext } from "./helpers/cades-context.js";

const DIR = join(ROOT, "fixtures", "cades");
interface Entry {
  file: string;
  description: string;
  content?: string;
  at: string;
  crls?: string[];
  untrusted?: string[];
  expect: Array<{ indication: string; subIndication: string | null; level?: string; qualification?: string; intact?: boolean }>;
}
const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as { fixtures: Entry[] };

/**
 * OpenSSL's verdicts: [signatures and content digests only (-noverify), the chain to the test root
 * with every CRL at the fixture's time]. "signature" is a failure with no certificate error. Where
 * it differs from podpis, EN 319 102-1 is why: OpenSSL takes no proof of existence from a
 * time-stamp (the B-T cases), ignores key usage under -purpose any, and does not hold the ESS
 * signing-certificate reference against the signer here.
 */
const OPENSSL: Record<string, [string, string]> = {
  "rsa2048-cades-attached.p7m": ["ok", "ok"],
  "rsa2048-cades-detached.p7s": ["ok", "ok"],
  "rsa2048-plain-attached.p7m": ["ok", "ok"],
  "rsa2048-cades-attached.pem": ["ok", "ok"],
  "rsa2048-cades-ber.p7m": ["ok", "ok"],
  "rsa-pss-sha384.p7m": ["ok", "ok"],
  "rsa3072-sha512-detached.p7s": ["ok", "ok"],
  "p256-sha256.p7m": ["ok", "ok"],
  "p256-sha512.p7m": ["ok", "ok"],
  "seal-p256-sha384.p7m": ["ok", "ok"],
  "two-signers.p7m": ["ok", "ok"],
  "rsa2048-no-chain.p7m": ["ok", "unable to get local issuer certificate"],
  "rsa2048-no-chain-offline.p7m": ["ok", "unable to get local issuer certificate"],
  "nocerts.p7m": ["ok", "unable to get local issuer certificate"],
  "revoked.p7m": ["ok", "certificate revoked"],
  "revoked-noattr.p7m": ["ok", "certificate revoked"],
  "expired.p7m": ["ok", "certificate has expired"],
  "not-yet-valid.p7m": ["ok", "certificate is not yet valid"],
  "untrusted-root.p7m": ["ok", "self-signed certificate in certificate chain"],
  "key-usage-keyencipherment.p7m": ["ok", "ok"],
  "revoked-ca.p7m": ["ok", "certificate revoked"],
  "tampered-content.p7m": ["signature", "signature"],
  "tampered-signing-time.p7m": ["signature", "signature"],
  "tampered-signature.p7m": ["signature", "signature"],
  "revoked-bt-before-revocation.p7m": ["ok", "certificate revoked"],
  "revoked-bt-after-revocation.p7m": ["ok", "certificate revoked"],
  "expired-bt.p7m": ["ok", "certificate has expired"],
  "rsa2048-bt-future-timestamp.p7m": ["ok", "ok"],
  "countersigned.p7m": ["ok", "ok"],
  // the duplicated attribute breaks OpenSSL's DER re-encoding of the signed attributes; podpis: FORMAT_FAILURE
  "duplicate-signing-time.p7m": ["signature", "signature"],
  "ess-references-other-certificate.p7m": ["ok", "ok"],
  "epes-policy.p7m": ["ok", "ok"],
};

describe("CAdES fixtures", () => {
  it("the manifest lists the 32 fixtures, each with OpenSSL's verdict", () => {
    expect(manifest.fixtures.map((f) => f.file).sort()).toEqual(Object.keys(OPENSSL).sort());
    expect(manifest.fixtures).toHaveLength(32);
  });

  for (const f of manifest.fixtures) {
    it(`${f.file}: ${f.description}`, async () => {
      const ctx = testContext({
        crls: (f.crls ?? []).map((c) => readFileSync(join(DIR, c))),
        untrusted: (f.untrusted ?? []).map(cert),
      });
      const report = await verifyCades(readFileSync(join(DIR, f.file)), {
        contents: f.content ? [readFileSync(join(DIR, f.content))] : [],
        at: new Date(f.at),
        context: ctx,
      });
      const got = report.signatures.map((s) => ({ indication: s.indication, subIndication: s.subIndication, level: s.level, qualification: s.qualification, intact: s.intact }));
      // several signers: OpenSSL orders SignerInfos as a DER SET OF, so compare without order
      const key = (o: object) => JSON.stringify(o);
      const want = f.expect.map((e) => ({ ...got.find((g) => Object.entries(e).every(([k, v]) => (g as Record<string, unknown>)[k] === v)), ...e }));
      expect(got.map(key).sort(), renderText(report) + JSON.stringify(report.signatures.map((s) => s.errors), null, 1)).toEqual(want.map(key).sort());
    });
  }
});

requirePeer("openssl", "faketime").describe("CAdES fixtures: OpenSSL's verdict", () => {
  const work = mkdtempSync(join(tmpdir(), "podpis-cades-openssl-"));
  const pems = (dir: string) => readdirSync(join(PKI, dir)).filter((n) => n.endsWith(".pem")).map((n) => readFileSync(join(PKI, dir, n), "utf8"));
  let ready = false;
  const setup = () => {
    if (ready) return;
    // every test certificate, for finding a signer the message leaves out
    writeFileSync(join(work, "certs.pem"), pems(".").join(""));
    // the root and every current CRL (PEM, as openssl takes CRLs from the CA file)
    const crls = readdirSync(join(PKI, "crl")).filter((n) => !n.includes("stale")).map((n) => {
      const r = peer("openssl", ["crl", "-inform", "DER", "-in", join(PKI, "crl", n)]);
      if (r.status !== 0) throw new Error(`openssl crl ${n}: ${r.stderr}`);
      return r.stdout.toString();
    });
    writeFileSync(join(work, "ca.pem"), readFileSync(join(PKI, "trust", "root-ca.pem"), "utf8") + crls.join(""));
    ready = true;
  };
  const verdict = (f: Entry, chain: boolean): string => {
    setup();
    const args = ["cms", "-verify", "-binary", "-inform", f.file.endsWith(".pem") ? "PEM" : "DER", "-in", join(DIR, f.file), "-certfile", join(work, "certs.pem"), "-out", "/dev/null"];
    if (f.content) args.push("-content", join(DIR, f.content));
    if (chain) args.push("-CAfile", join(work, "ca.pem"), "-crl_check_all", "-purpose", "any", "-attime", String(Date.parse(f.at) / 1000));
    else args.push("-noverify");
    // exit 0 is a pass and exit 4 with "Verification failure" a verdict against; anything else
    // (killed, out of processes, faketime's shared clock not set up under load) is the peer not
    // having run, which one CI run met once: it is run again, and a third failure says what it was
    let last = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = peer("openssl", args);
      const err = r.stderr?.toString() ?? "";
      if (r.status === 0) return "ok";
      if (r.status === 4 && err.includes("Verification failure")) return /Verify error: ?([^\n]+)/.exec(err)?.[1]?.trim() ?? "signature";
      last = `status ${r.status} signal ${r.signal} ${r.error?.message ?? ""} ${err}`;
    }
    throw new Error(`openssl did not give a verdict on ${f.file}: ${last}`);
  };
  for (const f of manifest.fixtures) {
    it(`${f.file}: ${OPENSSL[f.file]?.join(" / ")}`, () => {
      expect([verdict(f, false), verdict(f, true)]).toEqual(OPENSSL[f.file]);
    });
  }
});
