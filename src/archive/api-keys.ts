/**
 * API keys: `pdp_<id>_<secret>`. The id finds the record; only SHA-256 of the 256-bit random
 * secret is stored (a key that random needs no slow hash), compared in constant time.
 */
import { createHash, hash, randomBytes, timingSafeEqual } from "node:crypto";
import { type ApiKeyRecord, SCOPES, type Scope } from "./port.js";

export function newApiKey(name: string, scopes: Scope[], at: Date): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(8).toString("hex");
  const { key, secretHash } = newSecret(id);
  return { key, record: { id, name, secretHash, scopes: [...new Set(scopes)], createdAt: at.toISOString() } };
}

/** A fresh secret for key `id` (rotation keeps the id, so logs and the last-used time carry on). */
export function newSecret(id: string): { key: string; secretHash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { key: `pdp_${id}_${secret}`, secretHash: sha256(secret) };
}

export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = /^pdp_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$/.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function secretMatches(record: ApiKeyRecord, secret: string): boolean {
  return hashMatches(record.secretHash, secret);
}

function hashMatches(stored: string, secret: string): boolean {
  const a = Buffer.from(stored, "hex");
  // one-shot, and the digest's bytes rather than its hex read back (issue 15: every request passes here)
  const b = hash("sha256", secret, "buffer");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether `secret` opens the key at `now`: never once revoked; the current secret; after a
 * rotation the previous one too, until its grace period ends.
 */
export function keyAccepts(record: ApiKeyRecord, secret: string, now: Date): boolean {
  if (record.revokedAt) return false;
  if (hashMatches(record.secretHash, secret)) return true;
  const until = record.previousValidUntil ? Date.parse(record.previousValidUntil) : NaN;
  return !!record.previousSecretHash && now.getTime() < until && hashMatches(record.previousSecretHash, secret);
}

/** `--grace 24h`: a duration in s, m, h or d (0 ends the old secret at once). */
export function parseDuration(text: string): number {
  const m = /^(\d{1,9})(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (e.g. 90s, 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "s"];
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
