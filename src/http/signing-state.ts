/**
 * The opaque state of two-step signing: everything `complete` needs to rebuild the exact
 * to-be-signed octets, carried by the client instead of kept in a session, so any worker (or
 * machine sharing the key) can finish what another prepared. HMAC-SHA256 with the service's key
 * makes it tamper-evident; an expiry bounds how long a prepared signature can be finished.
 *
 * Token: "v1." base64url(JSON payload) "." base64url(HMAC over everything before the last dot).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PodpisError } from "../errors/base.js";
import { createPrivateFileOnce, ensurePrivateDir } from "../io/private-files.js";
import type { SigningHash, SigningScheme } from "../keys/provider.js";

export interface SigningState {
  format: "cades" | "xades";
  packaging: "enveloping" | "enveloped" | "detached";
  level: "B-B" | "B-T";
  hash: SigningHash;
  scheme: SigningScheme;
  /** ISO instant: the claimed signing time inside the signed attributes / properties */
  signingTime: string;
  /** the signer's certificate first, then the chain to embed (base64 DER) */
  chain: string[];
  /** digest of the document under `hash` (base64): a re-sent document must match it */
  documentDigest: string;
  /** XAdES: the Id suffix, the MIME type and the detached reference name */
  idTag?: string;
  mimeType?: string;
  name?: string;
  /** seconds since the epoch after which the state is refused */
  expires: number;
}

export type StateProblem = "MALFORMED" | "FORGED" | "EXPIRED";

export class SigningStateError extends PodpisError<"INVALID_SIGNING_STATE" | "SIGNING_STATE_EXPIRED"> {
  constructor(
    readonly problem: StateProblem,
    message: string,
  ) {
    super(message);
  }
  get code(): "INVALID_SIGNING_STATE" | "SIGNING_STATE_EXPIRED" {
    return this.problem === "EXPIRED" ? "SIGNING_STATE_EXPIRED" : "INVALID_SIGNING_STATE";
  }
}

const VERSION = "v1";

export class SigningStateCodec {
  constructor(private readonly key: Uint8Array) {
    if (key.length < 32) throw new Error("the signing-state key must be at least 32 octets");
  }

  private mac(text: string): Buffer {
    return createHmac("sha256", this.key).update(text).digest();
  }

  seal(state: SigningState): string {
    const body = `${VERSION}.${Buffer.from(JSON.stringify(state), "utf8").toString("base64url")}`;
    return `${body}.${this.mac(body).toString("base64url")}`;
  }

  /** The state, if this service issued it unaltered and it has not expired at `now`. */
  open(token: string, now: Date): SigningState {
    const parts = token.trim().split(".");
    if (parts.length !== 3 || parts[0] !== VERSION || !/^[\w-]+$/.test(parts[1]!) || !/^[\w-]+$/.test(parts[2]!)) {
      throw new SigningStateError("MALFORMED", "the signing state is not one this service issues");
    }
    const given = Buffer.from(parts[2]!, "base64url");
    const expected = this.mac(`${parts[0]}.${parts[1]}`);
    // The MAC is checked before the payload is even parsed: nothing the client wrote is trusted.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SigningStateError("FORGED", "the signing state was altered or was not issued by this service");
    }
    let state: SigningState;
    try {
      state = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as SigningState;
    } catch {
      throw new SigningStateError("MALFORMED", "the signing state cannot be read");
    }
    if (!(typeof state.expires === "number" && now.getTime() / 1000 <= state.expires)) {
      throw new SigningStateError("EXPIRED", `the signing state expired at ${new Date(state.expires * 1000).toISOString()}; prepare again`);
    }
    return state;
  }
}

/**
 * The HMAC key from `dataDir/signing-state.key`, made on first use (32 random octets, mode 0600).
 * Created through a temporary file and a hard link, so workers racing at start all end up with
 * the one key that won. Services on several machines share a key through configuration instead.
 */
export function loadStateKey(dataDir: string): Buffer {
  const path = join(dataDir, "signing-state.key");
  try {
    return readKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  ensurePrivateDir(dataDir);
  createPrivateFileOnce(path, randomBytes(32));
  return readKey(path);
}

function readKey(path: string): Buffer {
  const key = readFileSync(path);
  if (key.length < 32) throw new Error(`${path} holds no usable key (fewer than 32 octets)`);
  return key;
}
