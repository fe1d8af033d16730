/**
 * Long-term validation speed (issue 13 "Speed"):
 * - B-LTA CAdES and XAdES full validation (parse, evidence read, archive and signature time-stamp
 *   imprints and tokens, the signer's path at a past control time from the carried CRLs, policy,
 *   report) per second, offline at 2030 (after the signer's expiry and the RSA sunset: the
 *   archive time-stamp is what makes it pass), against raw `crypto.verify` of the signer's
 *   signature in the same run. Goal: ratio >= 1/(signatures checked + 1) — the signer's, the
 *   signature time-stamp's and the archive time-stamp's, so 1/4: the cost is the signatures.
 * - OCSP response validation per second (a response given or cached: no fetch; RFC 6960 checks
 *   and the response's signature), against raw `crypto.verify` of that signature.
 *   npx tsx bench/lta-verify.ts
 */
import { verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rate } from "./lib/rate.js";
import { createValidator } from "../src/validator.js";
import { publicKeyOf } from "../src/pki/certificate.js";
import { parseOcspResponse } from "../src/revocation/ocsp-response.js";
import { verifyOcspResponse } from "../src/revocation/ocsp-verify.js";
import { findSignatures, parseSignature, signedInfoOctets } from "../src/xades/xmldsig.js";
import { parseXml } from "../src/xades/xml.js";
import { PKI, cert, hasOpenssl, keyFile, layout, pem, privateKey, signerLayout } from "../test/helpers/cms-tools.js";
import { addArchiveTimestamp, addXadesArchiveTimestamp, addXadesValues, cadesBT, ltaPki, timestampBy } from "../test/helpers/lta-material.js";
import { signXades } from "../test/helpers/xades-signer.js";
import { heirsCertificateApplication } from "../test/helpers/forms.js";
import { peer } from "../test/helpers/peer.js";

const AT = new Date("2030-03-01T00:00:00Z");
const d = (s: string) => new Date(s);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const pki = await ltaPki();
const crls = await pki.crlsAt(d("2025-01-10T00:00:00Z"));
const content = Buffer.from(("<Ред><Поле>стойност на полето от формуляра</Поле></Ред>\n").repeat(65));
const bt = cadesBT(pki, { signer: "expired", content, signingTime: d("2024-07-01T09:00:00Z"), timestampTime: d("2024-07-01T09:01:00Z") });
const cades = addArchiveTimestamp(bt, pki.ecTsa, d("2025-01-15T12:00:00Z"), crls, [pki.rsaTsa.cert, pki.ecTsa.cert]);

let xml = signXades({
  key: privateKey("expired"),
  certs: [Buffer.from(cert("expired").der)],
  packaging: "enveloped",
  document: heirsCertificateApplication(2),
  xades: { signingTime: d("2024-07-01T09:00:00Z"), timestamp: (data) => timestampBy(pki.rsaTsa, data, d("2024-07-01T09:01:00Z"), 5) },
});
xml = addXadesArchiveTimestamp(addXadesValues(xml, [cert("qualified-ca"), pki.rsaTsa.cert, pki.ecTsa.cert], crls), pki.ecTsa, d("2025-01-15T12:00:00Z"));
const xades = Buffer.from(xml);

// the anchor alone, no CRL: the signatures carry what they need
const validator = await createValidator({ trust: [readFileSync(join(PKI, "trust", "root-ca.pem"))], offline: true });
for (const [name, bytes] of [["CAdES", cades], ["XAdES", xades]] as const) {
  const r = await validator.verify(bytes, { at: AT });
  if (r.indication !== "TOTAL_PASSED") throw new Error(`${name} B-LTA input does not validate: ${JSON.stringify(r.signatures[0])}`);
}
console.log(`B-LTA CAdES ${cades.length} bytes, XAdES ${xades.length} bytes; validated offline at ${AT.toISOString()}`);

// raw: the signer's ECDSA P-256 signature, the one a validation cannot avoid
const signerKey = publicKeyOf(cert("expired"));
const si = signerLayout(cades, layout(cades).signerInfos[0]!);
const signedAttrs = Buffer.from(cades.subarray(si.signedAttrs!.start, si.signedAttrs!.end));
signedAttrs[0] = 0x31;
const cadesSig = Buffer.from(cades.subarray(si.signature.cs, si.signature.ce));
if (!nodeVerify("sha256", signedAttrs, signerKey, cadesSig)) throw new Error("raw CAdES verify failed");
const xsig = parseSignature(findSignatures(parseXml(xades))[0]!);
const xsi = signedInfoOctets(xsig);
if (!nodeVerify("sha256", xsi, { key: signerKey, dsaEncoding: "ieee-p1363" }, xsig.signatureValue)) throw new Error("raw XAdES verify failed");

const rounds = 5;
const ratios: Record<string, number[]> = { CAdES: [], XAdES: [] };
for (let r = 0; r < rounds; r++) {
  console.log(`round ${r + 1}`);
  const rawC = await rate("  raw crypto.verify ECDSA P-256 (signed attributes)", 500, () => nodeVerify("sha256", signedAttrs, signerKey, cadesSig));
  const fullC = await rate("  B-LTA CAdES verify (3 signatures, ATSv3, past path)", 500, () => validator.verify(cades, { at: AT }), { warmup: 20, chunk: 5 });
  const rawX = await rate("  raw crypto.verify ECDSA P-256 (SignedInfo)", 500, () => nodeVerify("sha256", xsi, { key: signerKey, dsaEncoding: "ieee-p1363" }, xsig.signatureValue));
  const fullX = await rate("  B-LTA XAdES verify (3 signatures, ArchiveTimeStamp)", 500, () => validator.verify(xades, { at: AT }), { warmup: 20, chunk: 5 });
  ratios.CAdES!.push(fullC / rawC);
  ratios.XAdES!.push(fullX / rawX);
}
for (const [k, v] of Object.entries(ratios)) console.log(`ratio B-LTA ${k} verify / raw crypto.verify (median of ${rounds}): ${median(v).toFixed(3)}  (goal >= ${(1 / 4).toFixed(3)})`);

// OCSP: a response from `openssl ocsp` for the Qualified CA (RSA-3072), verified as the checker does for a given or cached one
if (!hasOpenssl()) {
  console.log("openssl not found: OCSP rows skipped");
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), "podpis-bench-ocsp-"));
const ossl = (args: string[]) => {
  const r = peer("openssl", args, { cwd: dir });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
};
const citizen = cert("citizen-rsa2048");
writeFileSync(join(dir, "index.txt"), `V\t370101000000Z\t\t${citizen.serialNumber.toUpperCase()}\tunknown\t/CN=citizen\n`);
ossl(["ocsp", "-issuer", pem("qualified-ca"), "-cert", pem("citizen-rsa2048"), "-no_nonce", "-reqout", "req.der"]);
ossl(["ocsp", "-index", "index.txt", "-CA", pem("qualified-ca"), "-rsigner", pem("qualified-ca"), "-rkey", keyFile("qualified-ca"), "-reqin", "req.der", "-respout", "resp.der", "-ndays", "30"]);
const der = readFileSync(join(dir, "resp.der"));
const res = parseOcspResponse(der);
const issuer = cert("qualified-ca");
const input = { cert: citizen, issuer, at: d("2026-06-01T00:00:00Z"), skewMs: 300_000, nonce: null, responderStatus: async () => null };
const v = await verifyOcspResponse(res, input);
if (!v.ok) throw new Error(`bench OCSP response does not verify: ${v.message}`);
const basic = res.basic!;
const caKey = publicKeyOf(issuer);
if (!nodeVerify("sha256", basic.tbs, caKey, basic.signatureValue)) throw new Error("raw OCSP verify failed");
const ocspRatios: number[] = [];
const ocspParsed: number[] = [];
for (let r = 0; r < rounds; r++) {
  console.log(`round ${r + 1}`);
  const raw = await rate("  raw crypto.verify RSA-3072 (the response's signature)", 400, () => nodeVerify("sha256", basic.tbs, caKey, basic.signatureValue));
  const full = await rate("  OCSP response validation (parsed once, cached path)", 400, () => verifyOcspResponse(res, input));
  const parsed = await rate("  OCSP response parse + validation", 400, () => verifyOcspResponse(parseOcspResponse(der), input));
  ocspRatios.push(full / raw);
  ocspParsed.push(parsed / raw);
}
console.log(`ratio OCSP validation / raw crypto.verify (median of ${rounds}): ${median(ocspRatios).toFixed(3)}; with parsing ${median(ocspParsed).toFixed(3)}`);
