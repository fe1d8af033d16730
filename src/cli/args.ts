/**
 * A small, strict argument parser: every command declares its flags, so an unknown flag or a
 * missing value is a usage error (exit 64) rather than something silently ignored.
 */
import { PodpisError } from "../errors/base.js";

export class UsageError extends PodpisError<"USAGE"> {
  readonly code = "USAGE";
}

export interface FlagSpec {
  /** takes a value; repeatable flags collect every value */
  value?: boolean;
  repeat?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    let name = a.replace(/^--?/, "");
    let inline: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (a === "-o") name = "o";
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option ${a}`);
    let v = "true";
    if (s.value) {
      if (inline !== undefined) v = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`option --${name} needs a value`);
        v = next;
        i++;
      }
    } else if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
    const prev = flags.get(name);
    if (prev && !s.repeat) throw new UsageError(`option --${name} given more than once`);
    flags.set(name, [...(prev ?? []), v]);
  }
  return { positionals, flags };
}

export const one = (a: ParsedArgs, name: string): string | undefined => a.flags.get(name)?.[0];
export const all = (a: ParsedArgs, name: string): string[] => a.flags.get(name) ?? [];
export const has = (a: ParsedArgs, name: string): boolean => a.flags.has(name);

/** `--at` as ISO-8601; a date without time is midnight UTC. */
export function parseAt(v: string | undefined): Date {
  if (v === undefined) return new Date();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    throw new UsageError(`--at must be an ISO-8601 date or date-time, e.g. 2026-06-01T00:00:00Z (got "${v}")`);
  }
  const d = new Date(/T|\s/.test(v) && !/Z|[+-]\d{2}:?\d{2}$/.test(v) ? v + "Z" : v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--at is not a valid date: "${v}"`);
  return d;
}
