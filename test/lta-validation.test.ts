// B-LT/B-LTA CAdES validation (EN 319 102-1 §5.6): past-signature validation with the proofs of
// existence archive time-stamps give, offline from what the signature carries plus the trust
// anchor, at fixed validation times (`at`) years after signing — no time bombs: the PKI's dates
// are fixed, and the CRLs of the day are issued here with the test CAs' keys.
import { beforeAll, describe, expect, it } from "vitest";
import { CrlStore } from "../src/revocation/crl-store.js";
import { verifyCades } from "../src/validation/verify-cades.js";
import type { ValidationContext } from "../src/validation/context.js";
import { testContext } from "./helpers/cades-context.js";
import { type LtaPki, addArchiveTimestamp, addTimestampValidationData, addXadesArchiveTimestamp, addXadesValues, cadesBT, ltaPki, timestampBy } from "./helpers/lta-material.js";
import { PKI, cert, opensslVerifies, privateKey } from "./helpers/cms-tools.js";
import { requirePeer } from "./helpers/peers.js";
import { peer } from "./helpers/peer.js";
import { signXades } from "./helpers/xades-signer.js";
import { heirsCertificateApplication } from "./helpers/forms.js";
import { verifyXades } from "../src/validation/verify-xades.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const openssl = requirePeer("openssl");
const xmlsec = requirePeer("xmlsec1");

const content = Buffer.from("Заявление за достъп до обществена информация\n");
const d = (s: string) => new Date(s);

let pki: LtaPki;
/** no CRL but what the signature carries */
let offline: ValidationContext;

beforeAll(async () => {
  pki = await ltaPki();
  offline = testContext({ store: new CrlStore() });
}, 60_000);

/**
 * The `expired` citizen (valid 2024-02-01 → 2025-02-01) signs on 2024-07-01; the validation data
 * of 2025-01-10 and an archive time-stamp of 2025-01-15 by `atsTsa` follow.
 */
async function expiredLta(atsTsa: "ec" | "rsa" = "ec", crls?: Uint8Array[]): Promise<Buffer> {
  const bt = cadesBT(pki, { signer: "expired", content, signingTime: d("2024-07-01T09:00:00Z"), timestampTime: d("2024-07-01T09:01:00Z") });
  const tsa = atsTsa === "ec" ? pki.ecTsa : pki.rsaTsa;
  return addArchiveTimestamp(bt, tsa, d("2025-01-15T12:00:00Z"), crls ?? (await pki.crlsAt(d("2025-01-10T00:00:00Z"))), [pki.rsaTsa.cert, tsa.cert]);
}

describe("B-LTA: the signer's certificate expired after the archive time-stamp", () => {
  it("passes offline in 2026 (the path at the carried CRLs' time), with every time-stamp intact and valid and the revocation embedded", async () => {
    const r = await verifyCades(await expiredLta(), { at: d("2026-06-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.level).toBe("B-LTA");
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.timestamps.map((t) => [t.type, t.intact, t.valid])).toEqual([
      ["signature", true, true],
      ["archive", true, true],
    ]);
    expect(s.timestamps[1]!.genTime).toBe("2025-01-15T12:00:00.000Z");
    expect(s.timestamps[1]!.tsa?.subject).toContain("TSA P-256");
    expect(s.chain[0]!.revocation).toMatchObject({ status: "good", source: "CRL", thisUpdate: "2025-01-10T00:00:00.000Z", embedded: true });
    expect(s.warnings.map((w) => w.code)).not.toContain("ARCHIVE_TIMESTAMP_NOT_VERIFIED");
    expect(s.bestSignatureTime).toBe("2024-07-01T09:01:00.000Z");
  });

  it("in 2030, after the RSA sunset of 2029: the P-256 archive time-stamp proves the RSA signature time-stamp in 2025, so the signature passes", async () => {
    const r = await verifyCades(await expiredLta("ec"), { at: d("2030-03-01T00:00:00Z"), context: offline });
    expect(r.signatures[0]!.indication).toBe("TOTAL_PASSED");
  });

  it("in 2030 an RSA archive time-stamp proves nothing (its own algorithm has set), and the signature is INDETERMINATE", async () => {
    const r = await verifyCades(await expiredLta("rsa"), { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.indication).toBe("INDETERMINATE");
    expect(s.timestamps.find((t) => t.type === "archive")).toMatchObject({ intact: true, valid: false });
  });

  it("without the archive time-stamp (B-LT) the same signature is INDETERMINATE in 2030", async () => {
    const bt = cadesBT(pki, { signer: "expired", content, signingTime: d("2024-07-01T09:00:00Z"), timestampTime: d("2024-07-01T09:01:00Z") });
    const { addCrls } = await import("./helpers/cms-tools.js");
    const blt = addCrls(bt, await pki.crlsAt(d("2025-01-10T00:00:00Z")));
    const r = await verifyCades(blt, { at: d("2030-03-01T00:00:00Z"), context: offline });
    expect(r.signatures[0]!.level).toBe("B-LT");
    expect(r.signatures[0]!.indication).toBe("INDETERMINATE");
  });

  it("a tampered archive time-stamp (a covered CRL changed after it) is reported not intact, and proves nothing", async () => {
    const crls = await pki.crlsAt(d("2025-01-10T00:00:00Z"));
    const lta = await expiredLta("ec", crls);
    // the carried Qualified CA CRL swapped for another one of the next day: the hash index no longer matches
    const other = await pki.crlsAt(d("2025-01-11T00:00:00Z"));
    const at = lta.indexOf(Buffer.from(crls[0]!));
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(lta);
    expect(other[0]!.length).toBe(crls[0]!.length);
    Buffer.from(other[0]!).copy(tampered, at);
    const r = await verifyCades(tampered, { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    const ats = s.timestamps.find((t) => t.type === "archive")!;
    expect(ats.intact).toBe(false);
    expect(ats.valid).toBe(false);
    expect(s.warnings.map((w) => w.code)).toContain("TIMESTAMP_NOT_INTACT");
    expect(s.indication).toBe("INDETERMINATE");
  });

});

describe("B-LTA: the signer's certificate revoked after the archive time-stamp", () => {
  // `revoked` (RSA-2048) is on the Qualified CA's CRL from 2026-03-01 (keyCompromise)
  async function revokedLta(): Promise<Buffer> {
    const bt = cadesBT(pki, { signer: "revoked", content, signingTime: d("2026-01-10T09:00:00Z"), timestampTime: d("2026-01-10T09:01:00Z") });
    return addArchiveTimestamp(bt, pki.ecTsa, d("2026-01-25T12:00:00Z"), await pki.crlsAt(d("2026-01-20T00:00:00Z")), [pki.rsaTsa.cert, pki.ecTsa.cert]);
  }

  it("in 2030 with today's CRL (which lists the revocation): TOTAL_PASSED, the revocation is after the proof of existence", async () => {
    const r = await verifyCades(await revokedLta(), { at: d("2030-03-01T00:00:00Z"), context: testContext() });
    const s = r.signatures[0]!;
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.warnings.map((w) => w.code)).toContain("REVOKED_AFTER_SIGNATURE_TIMESTAMP");
  });

  openssl.it("OpenSSL still verifies the signature of the B-LTA file (the signed bytes are untouched)", async () => {
    expect(opensslVerifies(await revokedLta())).toBe(true);
  });

  it("signed after the revocation (signing time and time-stamp in April 2026): TOTAL_FAILED or INDETERMINATE, never passed", async () => {
    const bt = cadesBT(pki, { signer: "revoked", content, signingTime: d("2026-04-10T09:00:00Z"), timestampTime: d("2026-04-10T09:01:00Z") });
    const lta = addArchiveTimestamp(bt, pki.ecTsa, d("2026-04-25T12:00:00Z"), await pki.crlsAt(d("2026-04-20T00:00:00Z"), [{ serial: "0", date: d("2026-03-01T00:00:00Z") }]), [pki.ecTsa.cert]);
    const r = await verifyCades(lta, { at: d("2030-03-01T00:00:00Z"), context: testContext() });
    expect(r.signatures[0]!.indication).not.toBe("TOTAL_PASSED");
  });
});

describe("XAdES B-LTA (xadesv141:ArchiveTimeStamp over references, SignedInfo, SignatureValue, KeyInfo and the properties before it)", () => {
  async function xadesLta(tamper = false): Promise<string> {
    const signer = cert("expired");
    let xml = signXades({
      key: privateKey("expired"),
      certs: [Buffer.from(signer.der)],
      packaging: "enveloped",
      document: heirsCertificateApplication(2),
      xades: { signingTime: d("2024-07-01T09:00:00Z"), timestamp: (data) => timestampBy(pki.rsaTsa, data, d("2024-07-01T09:01:00Z"), 5) },
    });
    xml = addXadesValues(xml, [cert("qualified-ca"), pki.rsaTsa.cert, pki.ecTsa.cert], await pki.crlsAt(d("2025-01-10T00:00:00Z")));
    xml = addXadesArchiveTimestamp(xml, pki.ecTsa, d("2025-01-15T12:00:00Z"));
    // a value covered by the archive time-stamp changed after it: the RSA TSA's certificate dropped from CertificateValues
    if (tamper) xml = xml.replace(`<xades:EncapsulatedX509Certificate>${Buffer.from(pki.rsaTsa.cert.der).toString("base64")}</xades:EncapsulatedX509Certificate>`, "");
    return xml;
  }

  it("without its renewal data, a second archive time-stamp in 2028 cannot be validated offline (the 2025 CRLs are stale then): reported, not valid", async () => {
    const renewed = addXadesArchiveTimestamp(await xadesLta(), pki.ecTsa, d("2028-06-01T00:00:00Z"), 2);
    const r = await verifyXades(Buffer.from(renewed), { at: d("2030-03-01T00:00:00Z"), context: offline });
    expect(r.signatures[0]!.timestamps.map((t) => [t.type, t.intact, t.valid])).toEqual([
      ["signature", true, true],
      ["archive", true, true],
      ["archive", true, false],
    ]);
  });

  it("passes offline in 2030 (signer expired in 2025, RSA retired in 2029): the archive time-stamp proves the rest", async () => {
    const r = await verifyXades(Buffer.from(await xadesLta()), { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.level).toBe("B-LTA");
    expect(s.timestamps.map((t) => [t.type, t.intact, t.valid])).toEqual([
      ["signature", true, true],
      ["archive", true, true],
    ]);
    expect(s.indication).toBe("TOTAL_PASSED");
    expect(s.chain[0]!.revocation.embedded).toBe(true);
  });

  it("an unsigned property named like a member of Object (here \"constructor\", holding an archive time-stamp's token) is no time-stamp: ignored, the signature passes", async () => {
    const xml = await xadesLta();
    const ats = /<(\w+):ArchiveTimeStamp\b[\s\S]*?<\/\1:ArchiveTimeStamp>/.exec(xml);
    expect(ats).not.toBeNull();
    const odd = ats![0].replace(/(<\/?\w+:)ArchiveTimeStamp\b/g, "$1constructor").replace(/ Id="[^"]*"/, "");
    const r = await verifyXades(Buffer.from(xml.replace(ats![0], ats![0] + odd)), { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.timestamps.map((t) => [t.type, t.intact, t.valid])).toEqual([
      ["signature", true, true],
      ["archive", true, true],
    ]);
    expect(s.indication).toBe("TOTAL_PASSED");
  });

  it("a value removed after the archive time-stamp: not intact, and the signature is no longer shown valid in 2030", async () => {
    const r = await verifyXades(Buffer.from(await xadesLta(true)), { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.timestamps.find((t) => t.type === "archive")).toMatchObject({ intact: false, valid: false });
    expect(s.indication).not.toBe("TOTAL_PASSED");
  });

  it("renewed (the CRLs of 2028 in TimeStampValidationData, then a second archive time-stamp over all): both intact and valid, and the signature passes in 2030", async () => {
    const withData = addTimestampValidationData(await xadesLta(), await pki.crlsAt(d("2028-05-25T00:00:00Z")));
    const renewed = addXadesArchiveTimestamp(withData, pki.ecTsa, d("2028-06-01T00:00:00Z"), 2);
    const r = await verifyXades(Buffer.from(renewed), { at: d("2030-03-01T00:00:00Z"), context: offline });
    const s = r.signatures[0]!;
    expect(s.timestamps.map((t) => [t.type, t.intact, t.valid])).toEqual([
      ["signature", true, true],
      ["archive", true, true],
      ["archive", true, true],
    ]);
    expect(s.indication).toBe("TOTAL_PASSED");
  });

  xmlsec.it("xmlsec1 still verifies the XML signature of the B-LTA form", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podpis-lta-"));
    writeFileSync(join(dir, "signed.xml"), await xadesLta());
    const r = peer("xmlsec1", ["--verify", "--verification-time", "2024-08-01 00:00:00", "--trusted-pem", join(PKI, "root-ca.pem"), "--untrusted-pem", join(PKI, "qualified-ca.pem"), "signed.xml"], { cwd: dir });
    expect(`${r.stdout}${r.stderr}`).toContain("OK");
    expect(r.status).toBe(0);
  });
});
