/**
 * The archive time-stamps extend adds (B-LTA): CAdES archive-time-stamp-v3 with its
 * ats-hash-index-v3 (EN 319 122-1 §5.5.3) and xadesv141:ArchiveTimeStamp (EN 319 132-1 §5.5.2).
 * What they cover is computed by the imprint functions beside validation's
 * (evidence/cades-ats-v3.ts, evidence/xades-archive.ts), never a second time here.
 */
import type { Timestamper } from "../cms/write.js";
import { ExtendError } from "./extend-errors.js";
import type { RawSignedData } from "./extend-cades.js";

export async function addCadesArchiveTimestamps(_sd: RawSignedData, _timestamper: Timestamper, _contents: readonly Uint8Array[]): Promise<number> {
  throw new ExtendError("EXTEND_UNSUPPORTED", "B-LTA: archive time-stamps are not available in this build yet");
}

export async function addXadesArchiveTimestamp(_bytes: Uint8Array, _timestamper: Timestamper): Promise<Buffer> {
  throw new ExtendError("EXTEND_UNSUPPORTED", "B-LTA: archive time-stamps are not available in this build yet");
}
