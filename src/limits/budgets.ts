/**
 * What one request may cost: the one place where podpis's work and memory budgets are written
 * down (README "Budgets" mirrors this table). The core reads the validation part through the
 * validation policy; the HTTP adapter reads the per-route part. A request over a budget is
 * refused with a `LimitExceededError` naming the limit, never left to run into a timeout.
 *
 * This module imports nothing but the error base (itself a leaf): every layer, from the XML
 * parser up to the routes, may use it.
 */
import { PodpisError } from "../errors/base.js";

/** Work one validation (one verify call) may do before anything is trusted. */
export interface ValidationBudget {
  /** XML nodes (elements, text, comments, PIs) counted while parsing; the parse stops at the cap */
  xmlNodes: number;
  /** ds:Reference elements in one ds:Signature (and in one ds:Manifest) */
  xmlReferences: number;
  /** octets canonicalized or digested over all references of a verification, charged before work */
  digestBytes: number;
  /** certificates carried by one signature (CMS certificates bag, ds:KeyInfo, CertificateValues) */
  certificatesInBag: number;
  /** signature checks path building may spend, over all paths of one validation */
  signatureChecks: number;
  /** outbound fetches (CRL, later OCSP) one validation may start */
  fetches: number;
  /** total wall time those fetches may take, ms */
  fetchTimeMs: number;
  /** HTTP redirects followed per fetch, each checked like the original URL */
  fetchRedirects: number;
}

export const DEFAULT_VALIDATION_BUDGET: Readonly<ValidationBudget> = Object.freeze({
  xmlNodes: 1_000_000,
  xmlReferences: 1_000,
  digestBytes: 32 * 1024 * 1024,
  certificatesInBag: 100,
  signatureChecks: 128,
  fetches: 8,
  fetchTimeMs: 10_000,
  fetchRedirects: 2,
});

/** Per-route caps of the HTTP service (body sizes before parsing; the rest as above). */
export interface RouteBudget {
  /** bytes of the request body */
  bodyBytes: number;
  /** validation budget for the route (overrides of the defaults) */
  validation?: Partial<ValidationBudget>;
}

const MiB = 1024 * 1024;

/**
 * A public route answers anyone (no key): a smaller XML tree than a keyed one, and the parse stops
 * there. 200,000 nodes is what a 5 MB form holds (bench's large form: ~200,000 nodes), far more
 * than a public body cap lets through honestly; 100 references is ten times what a signed form carries.
 */
export const PUBLIC_VALIDATION_BUDGET: Readonly<Partial<ValidationBudget>> = Object.freeze({
  xmlNodes: 200_000,
  xmlReferences: 100,
  digestBytes: 16 * MiB,
});

/**
 * A receipt is this service's own small document (a few KB: one seal with two references and its
 * chain), checked by anyone (POST /api/v1/receipts/verify): it may cost what a receipt needs, many
 * times over, and no more. Only this service's seal certificate may be its signer.
 */
export const RECEIPT_CHECK_BUDGET: Readonly<Partial<ValidationBudget>> = Object.freeze({
  xmlNodes: 20_000,
  xmlReferences: 100,
  digestBytes: 4 * MiB,
  certificatesInBag: 10,
});

/** The HTTP service's route budgets: keyed routes, and public (unkeyed) ones, which anyone can call, so lower. */
export interface RouteBudgets {
  keyed: RouteBudget;
  public: RouteBudget;
}

export const DEFAULT_ROUTE_BUDGETS: Readonly<RouteBudgets> = Object.freeze({
  // a signed form with its attachments
  keyed: Object.freeze({ bodyBytes: 20 * MiB }),
  // a receipt is a few kilobytes of XML (the seal's chain included); 1 MiB leaves room and no more
  public: Object.freeze({ bodyBytes: 1 * MiB, validation: PUBLIC_VALIDATION_BUDGET }),
});

/**
 * What reading a transparency log costs a client (`podpis log verify`, issue 16): each request's
 * timeout and the largest checkpoint accepted (signed-note: at least 16 signatures must fit; a
 * tile is at most 256 hashes, 8 KiB, by the spec).
 */
export const TLOG_CLIENT_BUDGET = Object.freeze({ requestTimeoutMs: 10_000, checkpointBytes: 64 * 1024 });

/** The defaults with a policy's, a route's (or a caller's) overrides, later ones winning: a whole budget. */
export function validationBudget(...overrides: ReadonlyArray<Partial<ValidationBudget> | undefined>): ValidationBudget {
  const b: ValidationBudget = { ...DEFAULT_VALIDATION_BUDGET };
  for (const o of overrides) if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (b as unknown as Record<string, number>)[k] = v;
  return b;
}

/** A budget was spent: the request is refused with the limit's name, its value and what was used. */
export class LimitExceededError extends PodpisError<"LIMIT_EXCEEDED"> {
  readonly code = "LIMIT_EXCEEDED";
  constructor(
    readonly limit: string,
    readonly max: number,
    readonly used: number,
    message?: string,
  ) {
    super(message ?? `${limit}: ${used} exceeds the limit of ${max}`);
  }
}
