/**
 * API keys: `pdp_<id>_<secret>`. The id finds the record; only SHA-256 of the 256-bit random
 * secret is stored (a key that random needs no slow hash), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type ApiKeyRecord, SCOPES, type Scope } from "./port.js";

export function newApiKey(name: string, scopes: Scope[], at: Date): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return {
    key: `pdp_${id}_${secret}`,
    record: { id, name, secretHash: sha256(secret), scopes: [...new Set(scopes)], createdAt: at.toISOString() },
  };
}

export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = /^pdp_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$/.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function secretMatches(record: ApiKeyRecord, secret: string): boolean {
  const a = Buffer.from(record.secretHash, "hex");
  const b = Buffer.from(sha256(secret), "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseScopes(list: string[]): Scope[] {
  const out: Scope[] = [];
  for (const s of list.flatMap((x) => x.split(","))) {
    const v = s.trim();
    if (!SCOPES.includes(v as Scope)) throw new Error(`unknown scope "${v}" (one of ${SCOPES.join(", ")})`);
    out.push(v as Scope);
  }
  return out;
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");
