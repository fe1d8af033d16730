/**
 * A token this process's TSA has just issued, read from what the TSA knows of it (tsa.ts
 * issuedToken) instead of parsed and verified again (issue 15: the service checks every fresh
 * signature time-stamp before it embeds the TSA's validation data). The result is what
 * readTimestampToken finds in the same octets (test/tsa-issued.test.ts compares the two for RSA
 * and ECDSA TSAs); what it rests on:
 * - the octets are the TSA's own, compared with the copy it kept;
 * - the signature verifies: the TSA proved with its first token that its key matches its
 *   certificate, and records nothing otherwise (RFC 3161 §2.4.2 structure and encoding are the
 *   TSA's code, the same for every token);
 * - the imprint is checked here against the time-stamped data, as the reader checks it.
 * Whether the TSA is to be trusted now (its path, its revocation status, the algorithms at the
 * validation time) is not part of reading: validateTimestamp decides it as for any token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { parseBag } from "../cms/candidates.js";
import type { Message } from "../cms/messages.js";
import { type AlgorithmUse, certificateKeyInfo } from "../pki/key-info.js";
import type { ReadTimestampOptions, TimestampToken } from "./token.js";
import { issuedToken } from "./tsa.js";

/** The token as readTimestampToken would read it, when this process's TSA issued exactly these octets; otherwise null. */
export function ownTimestampToken(der: Uint8Array, opts: ReadTimestampOptions): TimestampToken | null {
  const issued = issuedToken(der);
  if (!issued) return null;
  const warnings: Message[] = [];
  const certificates = parseBag(issued.certificates, opts.ctx, warnings);
  const tsaCertificate = opts.ctx.certificates.get(issued.certificate);
  const tst = issued.tstInfo;
  let imprintMatches: boolean | null = null;
  if (opts.imprintedData) {
    const d = createHash(tst.imprintAlgorithm).update(opts.imprintedData).digest();
    imprintMatches = d.length === tst.imprint.length && timingSafeEqual(d, tst.imprint);
  }
  const algorithms: AlgorithmUse[] = [
    { kind: "digest", digest: tst.imprintAlgorithm, what: "time-stamp message imprint" },
    { kind: "digest", digest: issued.digest, what: "time-stamp token digest" },
  ];
  const key = certificateKeyInfo(tsaCertificate);
  if (key) algorithms.push({ kind: "signature", scheme: issued.scheme, digest: issued.digest, key, what: "time-stamp token signature" });
  return {
    kind: opts.kind,
    der,
    sha256: createHash("sha256").update(der).digest("hex"),
    tstInfo: tst,
    tsaCertificate,
    certificates,
    imprintMatches,
    integrity: { dataIntact: true, signatureIntact: true },
    // RFC 5816: the TSA writes an ESSCertIDv2 of its certificate under the token's digest
    signingCertificateReference: { attribute: "signingCertificateV2", digestAlgorithm: issued.digest, digestMatches: true, issuerSerialMatches: true },
    algorithms,
    formatErrors: [],
    errors: [],
    warnings,
  };
}
