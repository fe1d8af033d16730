/**
 * What path validation takes and returns (contract: "Path report"; RFC 5280 §6.1.1 inputs).
 */
import type { Indication, SubIndication } from "./indication.js";
import type { KeyObject } from "node:crypto";
import type { RevocationErrorCode, RevocationResult } from "./revocation-port.js";
import type { Certificate } from "./certificate.js";
import type { PathErrorCode } from "./errors.js";
import { DEFAULT_VALIDATION_BUDGET } from "../limits/budgets.js";

/** RFC 5280 §6.1.1 (c)–(f): the certificate-policy inputs of path validation */
export interface PathInputs {
  userInitialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}

export const DEFAULT_PATH_INPUTS: Readonly<PathInputs> = Object.freeze({
  userInitialPolicySet: ["2.5.29.32.0"],
  initialExplicitPolicy: false,
  initialPolicyMappingInhibit: false,
  initialAnyPolicyInhibit: false,
});

/**
 * What path validation reads of the ValidationPolicy (validation/policy.ts). Declared here so
 * that pki/ does not import the layer above it; the ValidationPolicy value itself is passed in.
 */
export interface PathPolicy {
  readonly pathInputs: Readonly<PathInputs>;
  readonly revocation: {
    /** fetch distribution points when the configured CRLs do not settle a status */
    readonly fetch: boolean;
    /** hosts a fetch (and each redirect) may go to; null: any */
    readonly fetchHosts: readonly string[] | null;
  };
  readonly budget: {
    readonly signatureChecks: number;
    readonly fetches: number;
    readonly fetchTimeMs: number;
    readonly fetchRedirects: number;
  };
}

export interface PathError {
  /** stable code, e.g. CERT_SIGNATURE_INVALID, CERT_EXPIRED, NOT_A_CA, CERT_REVOKED, REVOCATION_UNKNOWN */
  code: PathErrorCode;
  message: string;
  /** sha256 hex of the certificate concerned */
  certificate: string;
  /** for REVOCATION_UNKNOWN: why the status could not be determined */
  revocationCode?: RevocationErrorCode;
}

export interface PathEntryReport {
  subject: string;
  sha256: string;
  /** contract: `producedAt` (ISO) when OCSP decided, `thisUpdate` (ISO) of the newest CRL used when CRLs did */
  revocation: { status: "good" | "revoked" | "unknown"; source: "CRL" | "OCSP" | null; producedAt?: string; thisUpdate?: string };
}

/** The contract's path report (`podpis chain --json`). */
export interface PathReport {
  indication: Indication;
  subIndication: SubIndication | null;
  validationTime: string;
  path: PathEntryReport[];
  errors: PathError[];
}

/** The report plus what signature validation needs to go on (EN 319 102-1 §5.2.6 outputs). */
export interface PathResult {
  report: PathReport;
  /** the path, leaf first, trust anchor last; empty when none was found */
  certificates: Certificate[];
  /** revocation outcome per certificate in `certificates` (the anchor's is "good"/null source) */
  revocation: RevocationResult[];
  /** sha256 of every CRL consulted */
  crlsUsed: string[];
  /** the leaf's policy outcome: valid_policy_tree's authority-constrained policies, when not null */
  validPolicies: string[] | null;
  /**
   * RFC 5280 §6.1.6 working_public_key: the leaf's key as the path gives it (a DSA key without
   * parameters carries its issuer's); null when no path was found or the key is unusable.
   */
  workingPublicKey?: KeyObject | null;
}

/** For path validation on its own (PKITS, `validatePath` without a policy): any policy, no fetching, the default budget. */
export const DEFAULT_PATH_POLICY: PathPolicy = pathPolicy();

/** A PathPolicy with these §6.1.1 inputs (the rest defaulted); a ValidationPolicy is one too. */
export function pathPolicy(inputs: Partial<PathInputs> = {}, fetch = false): PathPolicy {
  return Object.freeze({
    pathInputs: Object.freeze({ ...DEFAULT_PATH_INPUTS, ...inputs }),
    revocation: Object.freeze({ fetch, fetchHosts: null }),
    budget: DEFAULT_VALIDATION_BUDGET,
  });
}
