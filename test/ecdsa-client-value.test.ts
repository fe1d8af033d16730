// Two-step signing takes the ECDSA signature value from the client (a smart card, a browser).
// keys/provider.ts used to carry its own raw ⇄ DER conversion without bounds checks; now the one
// checked conversion of pki/ecdsa.ts serves every caller, and a malformed value is refused with
// SIGNATURE_VALUE_INVALID (422), never a crash or a value built from bytes past the end.
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Asn1Error } from "../src/asn1/errors.js";
import { problemFor } from "../src/edge/errors.js";
import { TwoStepSigning } from "../src/http/signing.js";
import { loadStateKey } from "../src/http/signing-state.js";
import * as provider from "../src/keys/provider.js";
import * as checked from "../src/pki/ecdsa.js";

const PKI = join(import.meta.dirname, "..", "certs-test");
const key = createPrivateKey(readFileSync(join(PKI, "keys", "citizen-p256.key.pem")));
const cert = readFileSync(join(PKI, "citizen-p256.der"));
const chain = readFileSync(join(PKI, "qualified-ca.der"));
const FORM = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<zayavlenie><ime>Иван Петров</ime></zayavlenie>\n`);

describe("one ECDSA conversion", () => {
  it("keys/provider.ts hands out the checked conversion of pki/ecdsa.ts, not a copy", () => {
    expect(provider.ecdsaDerToRaw).toBe(checked.ecdsaDerToRaw);
    expect(provider.ecdsaRawToDer).toBe(checked.ecdsaRawToDer);
  });

  it("refuses DER with trailing octets, a lying length, or an integer longer than the group order", () => {
    const der = nodeSign("sha256", Buffer.from("x"), key); // a well-formed Ecdsa-Sig-Value
    expect(provider.ecdsaDerToRaw(der, 32)).toHaveLength(64);
    expect(() => provider.ecdsaDerToRaw(Buffer.concat([der, Buffer.from([0, 0])]), 32)).toThrow(Asn1Error);
    const lying = Buffer.from(der);
    lying[3] = 0x7f; // r claims 127 octets
    expect(() => provider.ecdsaDerToRaw(lying, 32)).toThrow(Asn1Error);
    const long = Buffer.concat([Buffer.from([0x30, 0x26, 0x02, 0x21, 0x01]), Buffer.alloc(32, 0x11), Buffer.from([0x02, 0x01, 0x01])]);
    expect(() => provider.ecdsaDerToRaw(long, 32)).toThrow(Asn1Error);
    expect(provider.ecdsaRawToDer(Buffer.alloc(63))).toBeNull();
  });
});

describe("a malformed client-supplied ECDSA value in two-step signing", () => {
  const dir = mkdtempSync(join(tmpdir(), "podpis-ecdsa-client-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const signing = new TwoStepSigning({ stateKey: loadStateKey(dir), clock: () => new Date("2026-06-01T00:00:00Z"), ttlSeconds: 600 });

  const good = nodeSign("sha256", Buffer.from("x"), key);
  const lying = Buffer.from(good);
  lying[1] = 0x84; // a long-form length of four octets that runs past the end
  const cases: Array<[string, Buffer]> = [
    ["DER with trailing octets", Buffer.concat([good, Buffer.from([0xde, 0xad])])],
    ["DER whose length runs past the end", lying],
    ["an integer longer than P-256's order", Buffer.concat([Buffer.from([0x30, 0x26, 0x02, 0x21, 0x01]), Buffer.alloc(32, 0x11), Buffer.from([0x02, 0x01, 0x01])])],
    ["raw r||s of the right length but zero", Buffer.alloc(64)],
    ["neither DER nor raw", Buffer.from([0x04, 0x01, 0x02])],
    ["empty", Buffer.alloc(0)],
  ];
  for (const format of ["xades", "cades"] as const) {
    for (const [what, value] of cases) {
      it(`${format}: ${what} → 422 SIGNATURE_VALUE_INVALID`, async () => {
        const p = signing.prepare({ format, document: FORM, certificates: [cert, chain] });
        const e = await signing.complete({ state: p.state, signatureValue: value, document: FORM }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e).not.toBeNull();
        const answer = problemFor(e);
        expect(answer.status).toBe(422);
        expect(answer.body.code).toBe("SIGNATURE_VALUE_INVALID");
      });
    }
  }

  it("the same route accepts the well-formed value (so the refusals above are about the value)", async () => {
    const p = signing.prepare({ format: "xades", document: FORM, certificates: [cert, chain] });
    const tbs = Buffer.from(p.toBeSigned, "base64");
    const r = await signing.complete({ state: p.state, signatureValue: nodeSign("sha256", tbs, key), document: FORM });
    expect(r.bytes.toString("utf8")).toContain("<ds:SignatureValue");
  });
});
