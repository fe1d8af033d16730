/**
 * A service podpis depends on cannot be used right now (issue 10.4): the database, the TSA, the
 * seal key. Not the caller's fault and not a defect: the edge answers 503 with Retry-After and a
 * problem naming the dependency, and /readyz is not ready meanwhile. Adapters classify their own
 * failures into this one type (archive/unavailable.ts, io/tsa-client.ts, http/dependencies.ts).
 */
import { PodpisError } from "../errors/base.js";

/** (src/edge/errors.ts also names CRL distribution points and PKCS#11 tokens for the layers' own codes) */
export type Dependency = "database" | "tsa" | "seal-key" | "crl-distribution-point" | "pkcs11-token";

export class DependencyUnavailableError extends PodpisError<"DEPENDENCY_UNAVAILABLE"> {
  readonly code = "DEPENDENCY_UNAVAILABLE" as const;
  constructor(
    readonly dependency: Dependency,
    message: string,
    /** seconds a client should wait before trying again */
    readonly retryAfter = 5,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isDependencyUnavailable = (e: unknown): e is DependencyUnavailableError => e instanceof DependencyUnavailableError;
