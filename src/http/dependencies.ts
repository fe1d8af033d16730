/**
 * The service's outside dependencies besides the archive (issue 10.4): the TSA that time-stamps
 * receipts and the seal key (a PKCS#11 token can be pulled out). Their failures are classified
 * as DependencyUnavailableError where they are called, and /readyz probes them — with a short
 * timeout, and at most every PROBE_TTL_MS, so a readiness poll neither hangs nor floods the TSA.
 */
import type { Timestamper } from "../cades/sign.js";
import { type Dependency, DependencyUnavailableError, isDependencyUnavailable } from "../io/dependency.js";
import type { KeyProvider } from "../keys/provider.js";
import type { ReceiptSealer } from "../receipt/seal.js";
import { tsaUnavailable } from "../io/tsa-client.js";

const PROBE_TTL_MS = 10_000;
const PROBE_TIMEOUT_MS = 3_000;

export interface DependencyProbe {
  name: string;
  dependency: Dependency;
  /** resolves when usable; rejects with the reason */
  check(): Promise<void>;
}

/** The timestamper with "TSA away" classified. */
export function serviceTimestamper(t: Timestamper): Timestamper {
  return async (data, hash) => {
    try {
      return await t(data, hash);
    } catch (e) {
      throw tsaUnavailable(e);
    }
  };
}

// PKCS#11 return values that mean the token or its session went away (PKCS#11 v2.40 §5.1)
const TOKEN_GONE = /CKR_(DEVICE_REMOVED|TOKEN_NOT_PRESENT|DEVICE_ERROR|SESSION_HANDLE_INVALID|SESSION_CLOSED|TOKEN_NOT_RECOGNIZED|USER_NOT_LOGGED_IN|CRYPTOKI_NOT_INITIALIZED|GENERAL_ERROR)/;

export function sealKeyUnavailable(e: unknown): unknown {
  if (isDependencyUnavailable(e)) return e;
  const code = (e as { code?: unknown })?.code;
  const message = (e as Error)?.message ?? "";
  if (code === "PKCS11_ERROR" || code === "TOKEN_NOT_FOUND" || TOKEN_GONE.test(message)) {
    return new DependencyUnavailableError("seal-key", `the seal key cannot be used: ${message}`, 30, { cause: e });
  }
  return e;
}

/** The sealer with "seal key away" classified (the TSA's failures arrive classified already). */
export function classifiedSealer(s: ReceiptSealer): ReceiptSealer {
  return {
    certificateSha256: s.certificateSha256,
    provider: s.provider,
    seal: async (xml, at, canonical) => {
      try {
        return await s.seal(xml, at, canonical);
      } catch (e) {
        throw sealKeyUnavailable(e);
      }
    },
    close: () => s.close(),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A probe whose last answer is kept PROBE_TTL_MS; concurrent polls share one check. */
function cached(name: string, dependency: Dependency, run: () => Promise<void>): DependencyProbe {
  let last: { at: number; result: Promise<void> } | null = null;
  return {
    name,
    dependency,
    check() {
      const now = Date.now();
      if (!last || now - last.at > PROBE_TTL_MS) {
        const result = withTimeout(run(), PROBE_TIMEOUT_MS, name);
        result.catch(() => {});
        last = { at: now, result };
      }
      return last.result;
    },
  };
}

export function dependencyProbes(o: { timestamper: Timestamper; sealKey: KeyProvider }): DependencyProbe[] {
  const probe = Buffer.from("podpis readiness probe");
  return [
    cached("tsa", "tsa", async () => void (await o.timestamper(probe, "sha256"))),
    cached("seal-key", "seal-key", async () => {
      const scheme = o.sealKey.schemes[0] ?? (o.sealKey.keyType === "ec" ? "ecdsa" : "rsa-pkcs1");
      await o.sealKey.sign({ data: probe }, { scheme, hash: "sha256" });
    }),
  ];
}
