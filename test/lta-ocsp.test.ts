// OCSP responses carried by a signature (CAdES SignedData.crls as id-ri-ocsp-response, RFC 5940;
// revocation-values ocspVals) and given by hand (`--ocsp`): made by `openssl ocsp` for the test
// PKI's Qualified CA at the peers' fixed time, used offline, and reported as embedded.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect } from "vitest";
import { children, readRoot } from "../src/asn1/der.js";
import { explicit, oid, sequence, tlv } from "../src/asn1/writer.js";
import { run } from "../src/cli/main.js";
import { CMS } from "../src/cms/oids.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import { capture } from "./helpers/cli-capture.js";
import { testContext } from "./helpers/cades-context.js";
import { PKI, addCrls, cert, keyFile, pem } from "./helpers/cms-tools.js";
import { type LtaPki, appendUnsignedAttribute, cadesBT, ltaPki } from "./helpers/lta-material.js";
import { peer } from "./helpers/peer.js";
import { requirePeer } from "./helpers/peers.js";
import { attribute } from "./helpers/cms-tools.js";

const openssl = requirePeer("openssl", "faketime");
const d = (s: string) => new Date(s);
const content = Buffer.from("Искане за издаване на удостоверение за наследници\n");

let pki: LtaPki;
let dir: string;
/** an OCSPResponse (DER) from the Qualified CA for citizen-rsa2048: good, produced 2026-05-20 */
let response: Buffer;

function ossl(args: string[]): void {
  const r = peer("openssl", args, { cwd: dir });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

openssl.describe("embedded and supplied OCSP responses", () => {
  beforeAll(async () => {
    pki = await ltaPki();
    dir = mkdtempSync(join(tmpdir(), "podpis-lta-ocsp-"));
    const serial = cert("citizen-rsa2048").serialNumber.toUpperCase();
    writeFileSync(join(dir, "index.txt"), `V\t370101000000Z\t\t${serial}\tunknown\t/CN=citizen\n`);
    ossl(["ocsp", "-issuer", pem("qualified-ca"), "-cert", pem("citizen-rsa2048"), "-no_nonce", "-reqout", "req.der"]);
    ossl(["ocsp", "-index", "index.txt", "-CA", pem("qualified-ca"), "-rsigner", pem("qualified-ca"), "-rkey", keyFile("qualified-ca"), "-reqin", "req.der", "-respout", "resp.der", "-ndays", "30"]);
    response = readFileSync(join(dir, "resp.der"));
  }, 60_000);

  async function signed(): Promise<Buffer> {
    // the root's CRL of the day vouches for the Qualified CA and the TSA; the citizen's status is the OCSP response
    const bt = cadesBT(pki, { signer: "citizen-rsa2048", content, signingTime: d("2026-05-19T09:00:00Z"), timestampTime: d("2026-05-19T09:01:00Z") });
    const [, rootCrl] = await pki.crlsAt(d("2026-05-19T00:00:00Z"));
    return addCrls(bt, [rootCrl!]);
  }

  openssl.it("SignedData.crls with id-ri-ocsp-response: the signer's status comes from it offline, source OCSP, embedded", async () => {
    const withOcsp = addCrls(await signed(), [tlv(0xa1, oid(CMS.ocspRevocationInfo), response)]);
    const r = await verifyCades(withOcsp, { at: d("2026-06-01T00:00:00Z"), context: testContext({ store: new CrlStore() }) });
    const s = r.signatures[0]!;
    expect(s.level).toBe("B-LT");
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.chain[0]!.revocation).toMatchObject({ status: "good", source: "OCSP", producedAt: "2026-05-20T10:00:00.000Z", embedded: true });
    expect(s.chain[1]!.revocation).toMatchObject({ status: "good", source: "CRL", embedded: true });
  });

  openssl.it("revocation-values (ocspVals holds the BasicOCSPResponse): read the same way, and no REVOCATION_VALUES_NOT_USED", async () => {
    // OCSPResponse → responseBytes [0] → ResponseBytes → response OCTET STRING → BasicOCSPResponse
    const root = readRoot(response);
    const [, rb] = children(response, root);
    const [rbSeq] = children(response, rb!);
    const [, os] = children(response, rbSeq!);
    const basic = response.subarray(os!.cs, os!.ce);
    const values = attribute(CMS.revocationValues, sequence(explicit(1, sequence(basic))));
    const r = await verifyCades(appendUnsignedAttribute(await signed(), values), { at: d("2026-06-01T00:00:00Z"), context: testContext({ store: new CrlStore() }) });
    const s = r.signatures[0]!;
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.chain[0]!.revocation).toMatchObject({ source: "OCSP", embedded: true });
    expect(s.warnings.map((w) => w.code)).not.toContain("REVOCATION_VALUES_NOT_USED");
  });

  openssl.it("without the response the same file is INDETERMINATE offline (the status cannot be checked)", async () => {
    const r = await verifyCades(await signed(), { at: d("2026-06-01T00:00:00Z"), context: testContext({ store: new CrlStore() }) });
    expect(r.signatures[0]!.indication).toBe("INDETERMINATE");
  });

  openssl.it("`podpis chain --ocsp FILE --offline`: the response given by hand decides, source OCSP, not embedded", async () => {
    writeFileSync(join(dir, "citizen.pem"), readFileSync(pem("citizen-rsa2048")));
    const args = ["chain", join(dir, "citizen.pem"), "--untrusted", pem("qualified-ca"), "--trust", join(PKI, "trust"), "--crl", join(PKI, "crl", "root.crl"), "--ocsp", join(dir, "resp.der"), "--offline", "--at", "2026-06-01T00:00:00Z", "--json"];
    const out = await capture((io) => run(args, io));
    const report = JSON.parse(out.out);
    expect(report.indication).toBe("TOTAL_PASSED");
    expect(report.path[0].revocation).toMatchObject({ status: "good", source: "OCSP", producedAt: "2026-05-20T10:00:00.000Z" });
    const bad = await capture((io) => run([...args.slice(0, 8), "--ocsp", pem("root-ca"), "--offline", "--json"], io));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("(--ocsp) is not an OCSP response");
  });
});
