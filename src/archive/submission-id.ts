/**
 * Submission ids (issue 15): UUIDv7 (RFC 9562 §5.7) — 48 bits of the receipt time in ms, then 74
 * random bits — instead of UUIDv4. Still a UUID of 36 lowercase characters (the routes' format),
 * still unguessable (74 bits from the CSPRNG), but ids made one after another sort together, so
 * the six B-trees keyed by the id (submissions, contents, material links, evidence, log entries,
 * the audit log's subject index) take each batch's rows on their last pages instead of on a
 * random page each: fewer pages written into the WAL and copied by the checkpoint per commit.
 * The id then tells the time it was made, which the receipt states anyway.
 */
import { pooledRandom } from "../pki/random-pool.js";

const random10 = pooledRandom(10, 256);

/** a UUIDv7 for a submission received at `at` */
export function submissionId(at: Date): string {
  const ms = Math.max(0, Math.min(at.getTime(), 2 ** 48 - 1));
  const t = ms.toString(16).padStart(12, "0");
  const r = random10();
  // version 7 in the 13th digit, variant 0b10 in the top bits of the 17th
  const variant = ((parseInt(r[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}
