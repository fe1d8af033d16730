/**
 * Where two JSON values differ, as paths (`signatures[0].chain[1].revocation.status`): what a
 * replay that did not reproduce the archived report shows the auditor (issue 10.2). Bounded, so a
 * report that differs everywhere still gives a readable answer.
 */
export interface Difference {
  path: string;
  archived: unknown;
  replayed: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const brief = (v: unknown): unknown => (typeof v === "object" && v !== null ? (Array.isArray(v) ? `[${v.length} item(s)]` : "{…}") : v);

export function jsonDifferences(archived: unknown, replayed: unknown, limit = 50): Difference[] {
  const out: Difference[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= limit) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (i >= a.length || i >= b.length) out.push({ path: `${path}[${i}]`, archived: i < a.length ? brief(a[i]) : undefined, replayed: i < b.length ? brief(b[i]) : undefined });
        else walk(a[i], b[i], `${path}[${i}]`);
        if (out.length >= limit) return;
      }
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const p = path ? `${path}.${k}` : k;
        if (!(k in a) || !(k in b)) out.push({ path: p, archived: k in a ? brief(a[k]) : undefined, replayed: k in b ? brief(b[k]) : undefined });
        else walk(a[k], b[k], p);
        if (out.length >= limit) return;
      }
      return;
    }
    if (a !== b) out.push({ path: path || "(the whole report)", archived: brief(a), replayed: brief(b) });
  };
  walk(archived, replayed, "");
  return out;
}
