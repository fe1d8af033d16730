/**
 * The one table at the edge (style.md: "the edge maps codes to HTTP status and exit code"): every
 * code of every layer's error union → the HTTP status and RFC 9457 problem the service answers,
 * and the exit code the command line ends with. Both cli/main.ts and the service's error handler
 * read it; neither decides on its own. It is a `Record` over the union of all codes, so a code
 * added to a layer without a row here does not compile.
 */
import type { Asn1ErrorCode } from "../asn1/errors.js";
import type { ExtendErrorCode } from "../evidence/extend-errors.js";
import type { ArchiveErrorCode } from "../archive/port.js";
import type { UsageError } from "../cli/args.js";
import { EXIT_FAILED, EXIT_USAGE } from "../cli/output.js";
import type { CmsErrorCode } from "../cms/errors.js";
import { PodpisError } from "../errors/base.js";
import { HttpProblem, PROBLEMS, type ProblemCode, type ProblemResponse } from "../http/problem.js";
import type { ClientGoneError } from "../http/client-gone.js";
import type { ConfigError } from "../http/config.js";
import type { SigningStateError } from "../http/signing-state.js";
import { type Dependency, DependencyUnavailableError } from "../io/dependency.js";
import type { IoErrorCode } from "../io/errors.js";
import type { KeysErrorCode } from "../keys/errors.js";
import type { LogErrorCode } from "../log/errors.js";
import type { LogFetchError } from "../io/tlog-client.js";
import { LimitExceededError } from "../limits/budgets.js";
import type { PkiErrorCode } from "../pki/errors.js";
import type { RevocationLayerErrorCode } from "../revocation/errors.js";
import type { TimestampErrorCode } from "../timestamp/errors.js";
import type { TrustErrorCode } from "../trust/errors.js";
import type { ValidationErrorCode } from "../validation/errors.js";
import type { XadesErrorCode } from "../xades/errors.js";

/** Every code a PodpisError can carry. */
export type ErrorCode =
  | Asn1ErrorCode
  | PkiErrorCode
  | RevocationLayerErrorCode
  | CmsErrorCode
  | XadesErrorCode
  | TimestampErrorCode
  | ExtendErrorCode
  | TrustErrorCode
  | ValidationErrorCode
  | LimitExceededError["code"]
  | KeysErrorCode
  | LogErrorCode
  | LogFetchError["code"]
  | IoErrorCode
  | ArchiveErrorCode
  | UsageError["code"]
  | SigningStateError["code"]
  | ConfigError["code"]
  | ClientGoneError["code"]
  | ProblemCode;

export type { Dependency };

export interface EdgeEntry {
  status: number;
  title: string;
  /** the command line's exit code (contract: 2 failed or unusable input, 64 usage) */
  exit: number;
  /** set for the DEPENDENCY_UNAVAILABLE family */
  dependency?: Dependency;
}

/** Seconds a client is asked to wait when a dependency is unavailable (Retry-After, RFC 9110 §10.2.3). */
// (the same waits the adapters give when they classify the failure themselves: io/tsa-client.ts, archive/unavailable.ts)
export const RETRY_AFTER_SECONDS: Readonly<Record<Dependency, number>> = {
  tsa: 10,
  "crl-distribution-point": 60,
  database: 5,
  "pkcs11-token": 30,
  "seal-key": 30,
};

export const EXIT_INTERNAL = 70;

const input = (title: string, status = 422): EdgeEntry => ({ status, title, exit: EXIT_FAILED });
const usage = (title: string): EdgeEntry => ({ status: 400, title, exit: EXIT_USAGE });
const internal = (title: string): EdgeEntry => ({ status: 500, title, exit: EXIT_FAILED });
const unavailable = (dependency: Dependency, title: string): EdgeEntry => ({ status: 503, title, exit: EXIT_FAILED, dependency });
const badGateway = (title: string): EdgeEntry => ({ status: 502, title, exit: EXIT_FAILED });

// The HTTP-native codes keep their status and title from http/problem.ts (that table is the HTTP
// part of this one); on the command line they would be failures.
const HTTP_NATIVE = Object.fromEntries(
  Object.entries(PROBLEMS).map(([code, p]) => [code, { status: p.status, title: p.title, exit: EXIT_FAILED }]),
) as Record<ProblemCode, EdgeEntry>;

const LAYERS: Record<Exclude<ErrorCode, ProblemCode>, EdgeEntry> = {
  // asn1, pki
  MALFORMED_ASN1: input("The input is not well-formed ASN.1"),
  MALFORMED_CERTIFICATE: input("A certificate cannot be read"),
  UNSUPPORTED_ALGORITHM: input("The algorithm is not supported"),
  POLICY_TREE_TOO_LARGE: input("The certificate policies exceed what is processed"),
  CONTENT_REQUIRED: input("The content is required for this signature", 400),
  BAD_DIGEST: input("The digest does not fit the hash algorithm", 400),
  NOT_XML: input("An enveloped XAdES signature needs an XML document"),
  XADES_INTERNAL: internal("The XAdES signature could not be built"),
  // revocation
  CRL_MALFORMED: input("A CRL cannot be read"),
  CRL_FETCH_FAILED: unavailable("crl-distribution-point", "A CRL distribution point cannot be reached"),
  OCSP_MALFORMED: input("An OCSP response cannot be read"),
  // cms, xades
  MALFORMED_CMS: input("The CMS SignedData is malformed"),
  MALFORMED_XML: input("The XML is not well-formed"),
  XML_DTD_FORBIDDEN: input("XML with a DTD is not accepted"),
  XML_ENCODING: input("The XML encoding is not supported"),
  XML_LIMIT_EXCEEDED: input("The XML exceeds the parser's limits", 413),
  FORMAT_FAILURE: input("The signature is malformed"),
  // timestamp: unreachable is unavailable; an answer that is wrong is a bad gateway
  TSA_TIMEOUT: unavailable("tsa", "The time-stamping authority did not answer in time"),
  TSA_UNREACHABLE: unavailable("tsa", "The time-stamping authority cannot be reached"),
  TSA_HTTP_ERROR: unavailable("tsa", "The time-stamping authority answered with an HTTP error"),
  TSA_BAD_RESPONSE: badGateway("The time-stamping authority's answer is malformed"),
  TSA_REJECTED: badGateway("The time-stamping authority refused the request"),
  TSA_MISMATCH: badGateway("The time-stamping authority's token does not match the request"),
  TSA_UNTRUSTED: badGateway("The time-stamping authority's token is not trusted"),
  // evidence (extend): refused like `verify` would end — 2 failed, 1 indeterminate
  EXTEND_REFUSED: input("The signature does not validate now; it is not extended"),
  EXTEND_REFUSED_INDETERMINATE: { status: 422, title: "The signature cannot be shown valid now; it is not extended", exit: 1 },
  EXTEND_UNSUPPORTED: input("This signature cannot be extended"),
  // trust (TS 119 612 lists): bytes that are no list; a list that cannot be had (fetch failed, not cached)
  NOT_A_TRUSTED_LIST: input("The input is not a trusted list"),
  TL_UNAVAILABLE: { status: 503, title: "A trusted list cannot be obtained", exit: EXIT_FAILED },
  // validation
  POLICY_INVALID: internal("The algorithm policy is invalid"),
  BAD_CERTIFICATE: internal("A configured certificate cannot be read"),
  BAD_CRL: internal("A configured CRL cannot be read"),
  BAD_OCSP_RESPONSE: internal("A supplied OCSP response cannot be read"),
  BAD_POLICY: internal("The configured policy cannot be read"),
  BAD_TRUST_ANCHOR: internal("A configured trust anchor cannot be read"),
  // limits: the work the request asks for is over a budget (the body-size cap is PAYLOAD_TOO_LARGE, 413)
  LIMIT_EXCEEDED: input("The input exceeds a processing limit"),
  // keys
  BAD_PASSWORD: input("The password does not open the key"),
  NO_PRIVATE_KEY: input("The key file holds no private key"),
  NO_CERTIFICATE: input("The key file holds no certificate"),
  KEY_CERTIFICATE_MISMATCH: input("The key does not belong to the certificate"),
  BAD_KEY_FILE: input("The key file cannot be read"),
  UNSUPPORTED_KEY_ENCRYPTION: input("The key file's encryption is not supported"),
  PKCS11_MODULE: internal("The PKCS#11 module cannot be loaded"),
  TOKEN_NOT_FOUND: unavailable("pkcs11-token", "The PKCS#11 token is not present"),
  TOKEN_LOCKED: internal("The PKCS#11 token is locked"),
  BAD_PIN: input("The PIN is wrong"),
  KEY_NOT_FOUND: input("No such key on the token"),
  BAD_PKCS11_URI: usage("The PKCS#11 URI is malformed"),
  PKCS11_ERROR: unavailable("pkcs11-token", "The PKCS#11 token failed"),
  SECRET_ENV_UNSET: usage("The environment variable with the password is not set"),
  SECRET_UNAVAILABLE: usage("No password was given"),
  SECRET_CANCELLED: usage("Cancelled"),
  // log (issue 16): a note, proof or tile that is wrong is failed input (exit 2); an entry too large to log is ours
  LOG_MALFORMED: input("A transparency-log note, checkpoint, tile or proof cannot be read"),
  LOG_SIGNATURE_INVALID: input("A transparency-log signature does not verify"),
  LOG_PROOF_FAILED: input("A transparency-log proof does not verify"),
  LOG_ENTRY_TOO_LARGE: internal("The receipt is too large for a transparency-log entry"),
  // podpis log verify answers this one itself (exit 1: the proof could not be tried)
  LOG_UNREACHABLE: badGateway("The transparency log cannot be read"),
  // io
  INPUT_NOT_FOUND: usage("An input file is missing"),
  INPUT_IS_DIRECTORY: usage("An input is a directory, a file was expected"),
  INPUT_TOO_LARGE: usage("An input file is too large"),
  TSA_SERIAL_STORE: internal("The TSA's serial store cannot be used"),
  // archive
  REGISTRATION_CONFLICT: input("The registration number is taken", 409),
  DUPLICATE: input("Already archived", 409),
  STORAGE_UNAVAILABLE: unavailable("database", "The archive's database cannot be reached"),
  BAD_CONFIG: internal("The archive is misconfigured"),
  // issue 15: refusals at start, like a configuration that cannot work (one line, exit 64)
  SCHEMA_TOO_NEW: { status: 500, title: "The archive's schema is newer than this podpis", exit: EXIT_USAGE },
  ARCHIVE_IN_USE: { status: 500, title: "Another podpis serve uses this data directory", exit: EXIT_USAGE },
  // issue 15: a content the archive keeps in the file store is missing or altered there
  FILE_STORE_MISMATCH: { status: 409, title: "A stored content in the file store is missing or does not match the archive", exit: EXIT_FAILED },
  // cli, and the service's configuration (podpis serve refuses to start: a usage error)
  USAGE: usage("Usage error"),
  CONFIG: { status: 500, title: "The service's configuration cannot work", exit: EXIT_USAGE },
  // http: never answered (the handler drops the connection), listed so the table stays total
  CLIENT_GONE: input("The client closed the connection before the answer was ready", 400),
};

/** The table: one row per code. */
export const EDGE: Readonly<Record<ErrorCode, EdgeEntry>> = { ...LAYERS, ...HTTP_NATIVE };

/** The row of a PodpisError; null for anything else (a bug, answered as internal). */
export function edgeEntryOf(e: unknown): EdgeEntry | null {
  if (!(e instanceof PodpisError)) return null;
  return (EDGE as Record<string, EdgeEntry | undefined>)[e.code] ?? null;
}

export const problemTypeOf = (code: string): string => `urn:podpis:problem:${code.toLowerCase().replace(/_/g, "-")}`;

const INTERNAL_DETAIL = "an internal error occurred; the request id identifies it in the logs";

/**
 * The problem the service answers for `e`. Anything that is no PodpisError is a 500 whose detail
 * says nothing about the error (no message, no stack: those go to the log only).
 */
export function problemFor(e: unknown): ProblemResponse {
  const entry = edgeEntryOf(e);
  if (!entry) return problem("INTERNAL", EDGE.INTERNAL, INTERNAL_DETAIL, {}, {});
  const err = e as PodpisError;
  const headers: Record<string, string> = {};
  let extra: Record<string, unknown> = {};
  if (err instanceof HttpProblem) {
    extra = err.extra;
    if (err.code === "RATE_LIMITED") headers["Retry-After"] = String(err.extra.retryAfter ?? 1);
    if (err.code === "PAYLOAD_TOO_LARGE") headers.Connection = "close";
  } else if (err instanceof LimitExceededError) {
    extra = { limit: err.limit, max: err.max, used: err.used };
  } else if (err instanceof DependencyUnavailableError) {
    // classified by the adapter that met it (archive/unavailable.ts, io/tsa-client.ts, http/dependencies.ts)
    headers["Retry-After"] = String(err.retryAfter);
    extra = { dependency: err.dependency, retryAfter: err.retryAfter };
  }
  if (entry.dependency) {
    // a layer's own code of the family, met unclassified
    const retryAfter = RETRY_AFTER_SECONDS[entry.dependency];
    headers["Retry-After"] = String(retryAfter);
    extra = { ...extra, family: "DEPENDENCY_UNAVAILABLE", dependency: entry.dependency, retryAfter };
  }
  // A 500 from a layer's error is a misconfiguration: the code says which, the message (which may
  // name server paths) stays in the log. HttpProblem details are written for the client.
  const detail = err instanceof HttpProblem ? err.detail : entry.status === 500 ? INTERNAL_DETAIL : err.message;
  return problem(err.code, entry, detail, extra, headers);
}

function problem(code: string, entry: EdgeEntry, detail: string, extra: Record<string, unknown>, headers: Record<string, string>): ProblemResponse {
  return { status: entry.status, headers, body: { type: problemTypeOf(code), title: entry.title, status: entry.status, code, detail }, extra };
}

/** The exit code of the command line for an error a command threw. */
export function exitCodeFor(e: unknown): number {
  const entry = edgeEntryOf(e);
  if (entry) return entry.exit;
  // Node's system errors (ENOENT, EACCES …, e.g. writing -o into a missing directory) are failures, not bugs.
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === "string") return EXIT_FAILED;
  return EXIT_INTERNAL;
}
