/**
 * The archive time-stamps extend adds (B-LTA): CAdES archive-time-stamp-v3 with its
 * ats-hash-index-v3 (EN 319 122-1 §5.5.3) and xadesv141:ArchiveTimeStamp (EN 319 132-1 §5.5.2).
 * What they cover is computed by the imprint functions validation checks with
 * (cades-ats-v3.ts, xades-archive.ts) — one implementation for both directions.
 */
import { CMS } from "../cms/oids.js";
import type { Timestamper } from "../cms/write.js";
import { parseSignature } from "../xades/xmldsig.js";
import { atsV3Data, attachAtsHashIndexV3, buildAtsHashIndexV3 } from "./cades-ats-v3.js";
import { type RawSignedData, atsPartsOf, attribute } from "./extend-cades.js";
import { addXadesArchiveTimestamps } from "./extend-xades.js";
import { archiveTimestampData } from "./xades-archive.js";

const EXC = { method: "exc-c14n", comments: false } as const;

export interface NamedContent {
  name?: string;
  bytes: Uint8Array;
}

/**
 * EN 319 122-1 §5.5.3: for each SignerInfo, the hash index of what the SignedData holds now, the
 * time-stamp over the imprint data, the index put into the token's unsigned attributes, and the
 * token added as archive-time-stamp-v3. Every signer's is computed from the same state (one
 * signer's new attribute is not covered by another's index).
 */
export async function addCadesArchiveTimestamps(sd: RawSignedData, timestamper: Timestamper, contents: readonly NamedContent[]): Promise<number> {
  const parts = atsPartsOf(sd);
  const detached = sd.eContent ? null : (contents[0]?.bytes ?? null);
  const tokens: Buffer[] = [];
  for (let i = 0; i < sd.signers.length; i++) {
    const hash = sd.signers[i]!.hash;
    const index = buildAtsHashIndexV3(parts, i, hash);
    const token = await timestamper(atsV3Data(parts, i, index, hash, detached), hash);
    tokens.push(attachAtsHashIndexV3(token, index));
  }
  tokens.forEach((t, i) => sd.signers[i]!.unsigned.push(attribute(CMS.archiveTimestampV3, t)));
  return tokens.length;
}

/** EN 319 132-1 §5.5.2: a xadesv141:ArchiveTimeStamp (exc-c14n) for each signature. */
export async function addXadesArchiveTimestamp(bytes: Uint8Array, timestamper: Timestamper, contents: readonly NamedContent[]): Promise<{ bytes: Buffer; added: number }> {
  return addXadesArchiveTimestamps(bytes, timestamper, (doc, el, ats) => archiveTimestampData(doc, parseSignature(el), ats, EXC, contents));
}
