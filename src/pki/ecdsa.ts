/**
 * ECDSA signature encodings: DER Ecdsa-Sig-Value (RFC 3279 §2.2.3, what CMS and Node use) and
 * raw r ‖ s with each half as long as the group order (XMLDSig 1.1 §6.4.3, PKCS#11 CKM_ECDSA).
 */
import { Asn1Error, Tag, contentOf, expect, readRoot, seq } from "../asn1/der.js";
import { sequence, unsignedInteger } from "../asn1/writer.js";

/** r ‖ s → DER; null when the length cannot be a raw signature (odd, empty, or over P-521's 2×66 octets). */
export function ecdsaRawToDer(raw: Uint8Array): Buffer | null {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 264) return null;
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/** DER → r ‖ s with each half `size` octets; throws Asn1Error when malformed or too large. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Buffer {
  const [r, s, extra] = seq(der, readRoot(der), "Ecdsa-Sig-Value");
  if (!r || !s || extra) throw new Asn1Error("Ecdsa-Sig-Value must hold exactly r and s");
  const out = Buffer.alloc(size * 2);
  [r, s].forEach((n, k) => {
    let v = contentOf(der, expect(n, Tag.INTEGER, "Ecdsa-Sig-Value"));
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new Asn1Error("Ecdsa-Sig-Value integer longer than the group order");
    out.set(v, k * size + (size - v.length));
  });
  return out;
}
