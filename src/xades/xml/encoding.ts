/**
 * Which encoding the bytes are in (byte order mark or XML declaration, XML 1.0 §4.3.3 and
 * Appendix F) and their decoding; a sequence that is not valid in it is an error, never replaced.
 */

import { isUtf8 } from "node:buffer";
import { toBinary } from "../binary.js";
import { XmlError } from "./errors.js";

/** The declared (or BOM-given) encoding and the length of the BOM. */
export function encodingOf(bytes: Uint8Array): { label: string; skip: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { label: "utf-8", skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { label: "utf-16le", skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { label: "utf-16be", skip: 2 };
  if (bytes[0] === 0x3c && bytes[1] === 0x3f) {
    // an ASCII-compatible encoding: read the declaration's encoding name (XML 1.0 §4.3.3, Appendix F)
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString("latin1");
    const end = head.indexOf("?>");
    const m = /\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(end > 0 ? head.slice(0, end) : head);
    if (m) return { label: m[1]!.toLowerCase(), skip: 0 };
  }
  return { label: "utf-8", skip: 0 };
}

function decodeOther(bytes: Uint8Array, label: string, skip: number): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch {
    throw new XmlError("XML_ENCODING", `unsupported encoding ${label}`);
  }
  try {
    return decoder.decode(skip ? bytes.subarray(skip) : bytes);
  } catch {
    throw new XmlError("XML_ENCODING", `input is not valid ${label}`);
  }
}

/** Decodes bytes to text: BOM or XML declaration decide the encoding; bad sequences are errors. */
export function decodeXml(bytes: Uint8Array): string {
  const { label, skip } = encodingOf(bytes);
  if (label === "utf-8" || label === "utf8") {
    // Node's native check and decode are several times faster than a fatal TextDecoder
    const b = Buffer.from(bytes.buffer, bytes.byteOffset + skip, bytes.byteLength - skip);
    if (!isUtf8(b)) throw new XmlError("XML_ENCODING", "input is not valid utf-8");
    return b.toString("utf8");
  }
  return decodeOther(bytes, label, skip);
}

/**
 * The document as a binary string of its UTF-8 encoding (binary.ts), whatever it was encoded in,
 * and the UTF-8 bytes it was read from when they are its exact octets (null otherwise).
 */
export function binaryXml(bytes: Uint8Array): { s: string; octets: Uint8Array | null } {
  const { label, skip } = encodingOf(bytes);
  if (label === "utf-8" || label === "utf8") {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset + skip, bytes.byteLength - skip);
    if (!isUtf8(b)) throw new XmlError("XML_ENCODING", "input is not valid utf-8");
    return { s: b.toString("latin1"), octets: b };
  }
  return { s: toBinary(decodeOther(bytes, label, skip)), octets: null };
}
