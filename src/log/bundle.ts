/** C2SP tlog-tiles entry bundles: big-endian uint16 length-prefixed entries. */
import { LogError } from "./errors.js";

export const MAX_ENTRY_BYTES = 0xffff;

export function encodeBundle(entries: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) throw new LogError("LOG_ENTRY_TOO_LARGE", `an entry is at most ${MAX_ENTRY_BYTES} bytes (got ${e.length})`);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(e.length);
    parts.push(len, Buffer.from(e));
  }
  return Buffer.concat(parts);
}

export function decodeBundle(bytes: Uint8Array): Buffer[] {
  const b = Buffer.from(bytes);
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 2 > b.length) throw new LogError("LOG_MALFORMED", "the entry bundle ends inside a length");
    const n = b.readUInt16BE(at);
    if (at + 2 + n > b.length) throw new LogError("LOG_MALFORMED", "the entry bundle ends inside an entry");
    out.push(b.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}
