import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CrlError, parseCrl } from "../src/revocation/crl.js";
import { loadCrlSources, loadCrlStore } from "../src/io/crl-files.js";
import { CrlStore } from "../src/revocation/crl-store.js";
import { makeCrl, makeName } from "./helpers/make-crl.js";
import { requireData } from "./helpers/peers.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkitsCrls = path.resolve(repoRoot, "../shared/pkits/crls");

const pem = (der: Uint8Array): string =>
  `-----BEGIN X509 CRL-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END X509 CRL-----\n`;

describe("CrlStore", () => {
  const issuerA = makeName(["C", "BG"], ["CN", "Issuer A"]);
  const a1 = makeCrl({ issuer: issuerA, crlNumber: 1n, thisUpdate: new Date("2026-01-01T00:00:00Z") });
  const a2 = makeCrl({ issuer: issuerA, crlNumber: 2n, thisUpdate: new Date("2026-01-08T00:00:00Z") });
  const b1 = makeCrl({ issuer: makeName(["C", "BG"], ["CN", "Issuer B"]) });

  it("deduplicates by sha256 and indexes by issuer name, newest first", () => {
    const store = new CrlStore();
    const first = store.add(parseCrl(a1));
    expect(store.add(parseCrl(a1))).toBe(first);
    store.addBytes(Buffer.from(pem(a2) + pem(b1)));
    expect(store.size).toBe(3);
    const key = first.issuer.key;
    expect(store.byIssuer(key).map((c) => c.crlNumber)).toEqual([2n, 1n]);
    // RFC 5280 §7.1: case and spacing do not make another issuer
    const sameIssuer = parseCrl(makeCrl({ issuer: makeName(["C", "bg"], ["CN", "  issuer   a "]), crlNumber: 3n }));
    expect(sameIssuer.issuer.key).toBe(key);
    store.add(sameIssuer);
    expect(store.byIssuer(key)).toHaveLength(3);
    expect(store.byIssuer("nobody")).toEqual([]);
    expect(store.all()).toHaveLength(4);
    expect(store.bySha256(first.sha256)).toBe(first);
    store.byIssuer(key).pop();
    expect(store.byIssuer(key)).toHaveLength(3);
    expect(store.remove(first.sha256)).toBe(true);
    expect(store.remove(first.sha256)).toBe(false);
    expect(store.byIssuer(key).map((c) => c.crlNumber)).toEqual([2n, 3n]); // 2 has the later thisUpdate
    expect(store.size).toBe(3);
  });

  it("throws CrlError for bytes that are no CRL", () => {
    expect(() => new CrlStore().addBytes(Buffer.from("hello"))).toThrow(CrlError);
  });
});

describe("loadCrlSources", () => {
  it("reads files and directories, DER and PEM", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "podpis-crls-"));
    writeFileSync(path.join(dir, "a1.crl"), a());
    writeFileSync(path.join(dir, "two.pem"), pem(makeCrl({ crlNumber: 5n })) + pem(makeCrl({ crlNumber: 6n })));
    writeFileSync(path.join(dir, "README.txt"), "not looked at");
    writeFileSync(path.join(dir, ".hidden.crl"), "not looked at");
    mkdirSync(path.join(dir, "sub"));
    const single = path.join(dir, "sub", "whatever.bin");
    writeFileSync(single, makeCrl({ crlNumber: 9n }));
    const crls = await loadCrlSources([dir, single]);
    expect(crls.map((c) => c.crlNumber)).toEqual([7n, 5n, 6n, 9n]);
    const store = await loadCrlStore([dir, dir]);
    expect(store.size).toBe(3);
  });

  it("names the file that is no CRL", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "podpis-crls-"));
    const bad = path.join(dir, "broken.crl");
    writeFileSync(bad, a().subarray(0, 100));
    await expect(loadCrlSources([dir])).rejects.toThrow(CrlError);
    await expect(loadCrlSources([dir])).rejects.toThrow(bad);
    const cert = path.join(dir, "cert.pem");
    writeFileSync(cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    await expect(loadCrlSources([cert])).rejects.toThrow(new RegExp(`${cert.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: PEM data holds no X509 CRL block`));
    await expect(loadCrlSources([path.join(dir, "missing.crl")])).rejects.toThrow(/missing\.crl/);
  });

  requireData("the PKITS CRLs", pkitsCrls).it("loads the PKITS CRL directory", async () => {
    expect(await loadCrlSources([pkitsCrls])).toHaveLength(173);
    // WrongCRLCACRL.crl is byte for byte TrustAnchorRootCRL.crl (PKITS 4.4.x), so one is dropped
    const store = await loadCrlStore([pkitsCrls]);
    expect(store.size).toBe(172);
  });
});

function a(): Buffer {
  return makeCrl({ crlNumber: 7n });
}
