/**
 * What a file that is no signature looks like, in plain words, so that "not a signature" says
 * why (issue 10 item 12): a PDF, a ZIP/ASiC container, an unsigned XML form, an image, text…
 * Only the first bytes and a bounded scan are looked at; nothing is parsed in depth.
 */

const SUPPORTED = "podpis checks CAdES (.p7s/.p7m) and XAdES (.xml) signatures";

/** How far into the input the sniffing looks (the ZIP "mimetype" entry and XML roots sit early). */
const SCAN = 64 * 1024;

function startsWith(b: Uint8Array, ...sig: number[]): boolean {
  if (b.length < sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[i] !== sig[i]) return false;
  return true;
}

function head(b: Uint8Array, n = SCAN): string {
  return Buffer.from(b.subarray(0, Math.min(b.length, n))).toString("latin1");
}

/** ASiC (ETSI EN 319 162-1 §A.1): a ZIP whose first entry is "mimetype", stored, naming the container type. */
function zipKind(b: Uint8Array): string {
  const h = head(b, 4096);
  if (/mimetype\s*application\/vnd\.etsi\.asic-e\+zip/.test(h)) return "this is an ASiC-E container (a ZIP); " + SUPPORTED + " — ASiC containers are not supported yet: unpack it and check the signature file inside (META-INF/*.p7s or *.xml)";
  if (/mimetype\s*application\/vnd\.etsi\.asic-s\+zip/.test(h)) return "this is an ASiC-S container (a ZIP); " + SUPPORTED + " — ASiC containers are not supported yet: unpack it and check the signature file inside (META-INF/signature.p7s or signatures.xml)";
  if (/word\/|xl\/|ppt\//.test(h) || /application\/vnd\.oasis\.opendocument/.test(h)) return "this is an office document (a ZIP), not a signature; " + SUPPORTED;
  return "this is a ZIP archive, not a signature; " + SUPPORTED;
}

function isUtf8Text(b: Uint8Array): boolean {
  const sample = b.subarray(0, Math.min(b.length, SCAN));
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(sample.length < b.length ? trimPartial(sample) : sample);
  } catch {
    return false;
  }
  // control characters other than tab, newline, carriage return, form feed mean binary
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}

/** Drops a UTF-8 sequence cut off by the sampling window, so that it does not count as binary. */
function trimPartial(b: Uint8Array): Uint8Array {
  let end = b.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const c = b[end - k]!;
    if ((c & 0xc0) === 0x80) continue;
    if (c >= 0xc0) end -= k;
    break;
  }
  return b.subarray(0, end);
}

/** XML with a root element but no XMLDSig Signature element anywhere. */
function xmlKind(b: Uint8Array): string | null {
  const h = Buffer.from(b.subarray(0, Math.min(b.length, SCAN))).toString("utf8");
  const root = /<(?![?!])(?:[^\s/>:]+:)?([^\s/>]+)/.exec(h);
  if (!root) return null;
  // the whole input, not only the scanned head: a signature may follow a long form
  const all = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (all.includes("Signature") && all.includes("http://www.w3.org/2000/09/xmldsig#")) return null;
  if (/^html$/i.test(root[1]!)) return `this is an HTML page, not a signature; ${SUPPORTED}`;
  return `this is an XML document (root element <${root[1]}>) without a ds:Signature element, so it is not signed; ${SUPPORTED}`;
}

/**
 * A sentence saying what the input looks like and why it is not a signature, or null when
 * nothing specific can be said (the parser's own message then stands alone).
 */
export function describeInput(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return "the file is empty";
  if (bytes.every((c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) return "the file holds only white space";
  if (startsWith(bytes, 0x25, 0x50, 0x44, 0x46, 0x2d)) return `this is a PDF; ${SUPPORTED} — a PDF signature (PAdES) is not supported yet`;
  if (startsWith(bytes, 0x50, 0x4b, 0x03, 0x04) || startsWith(bytes, 0x50, 0x4b, 0x05, 0x06)) return zipKind(bytes);
  if (startsWith(bytes, 0x89, 0x50, 0x4e, 0x47)) return `this is a PNG image, not a signature; ${SUPPORTED}`;
  if (startsWith(bytes, 0xff, 0xd8, 0xff)) return `this is a JPEG image, not a signature; ${SUPPORTED}`;
  if (startsWith(bytes, 0x47, 0x49, 0x46, 0x38)) return `this is a GIF image, not a signature; ${SUPPORTED}`;
  if (startsWith(bytes, 0x49, 0x49, 0x2a, 0x00) || startsWith(bytes, 0x4d, 0x4d, 0x00, 0x2a)) return `this is a TIFF image, not a signature; ${SUPPORTED}`;
  if (startsWith(bytes, 0x1f, 0x8b)) return `this is gzip-compressed data, not a signature; ${SUPPORTED}`;
  const h = head(bytes, 256);
  const pem = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(h);
  if (pem && !/^(CMS|PKCS7|PKCS #7 SIGNED DATA)$/.test(pem[1]!)) {
    const label = pem[1]!;
    if (label === "CERTIFICATE") return `this is a certificate (PEM), not a signature; ${SUPPORTED} — \`podpis chain\` checks a certificate`;
    if (/PRIVATE KEY/.test(label)) return `this is a private key (PEM), not a signature — keep it secret; ${SUPPORTED}`;
    if (/CRL/.test(label)) return `this is a certificate revocation list (PEM), not a signature; ${SUPPORTED}`;
    return `this is a PEM "${label}" block, not a signature; ${SUPPORTED}`;
  }
  // DER X.509: SEQUENCE { SEQUENCE { [0] { INTEGER version } … } } (RFC 5280 §4.1)
  if (bytes[0] === 0x30 && /\xa0\x03\x02\x01[\x00-\x02]/.test(head(bytes, 16))) return `this is a certificate (DER), not a signature; ${SUPPORTED} — \`podpis chain\` checks a certificate`;
  const bomless = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const first = bomless.findIndex((c) => c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d);
  if (first >= 0 && bomless[first] === 0x3c) return xmlKind(bomless);
  if (isUtf8Text(bytes)) return `this is plain text, not a signature; ${SUPPORTED}`;
  return null;
}
