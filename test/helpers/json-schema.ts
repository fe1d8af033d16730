/**
 * A small JSON Schema validator for the subset the OpenAPI document uses — type (one or a list,
 * "null" included, "integer" as a whole number), properties, required, items, enum, const,
 * nullable, oneOf, anyOf, additionalProperties, minimum/maximum and local `$ref`s — written from
 * JSON Schema 2020-12 (Validation §6, Core §10). ajv is not installed; with it, `validate` below
 * becomes `ajv.compile(schema)` plus its errors, and nothing else in the tests changes.
 *
 * Two additions for testing a service against its own description:
 * - `closed`: an object schema that lists properties but says nothing of additionalProperties
 *   is taken as closed, so a field the service returns without documenting it is reported;
 * - coverage: every documented property location ("Component.prop.sub") a valid value used is
 *   recorded, so the test can show that no documented field is one the service never returns.
 */
export type Schema = Record<string, unknown>;

export interface Issue {
  at: string;
  message: string;
}

const typeOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function hasType(v: unknown, t: string): boolean {
  if (t === "integer") return typeof v === "number" && Number.isInteger(v);
  if (t === "number") return typeof v === "number" && Number.isFinite(v);
  return typeOf(v) === t;
}

export class SchemaChecker {
  /** documented property locations that some valid value used */
  readonly covered = new Set<string>();

  constructor(
    private readonly components: Record<string, Schema>,
    private readonly opts: { closed: boolean } = { closed: true },
  ) {}

  /** Issues of `value` against `schema` (empty: valid); coverage is recorded only when valid. */
  validate(schema: Schema, value: unknown, at = "$"): Issue[] {
    const seen = new Set<string>();
    const issues = this.check(schema, value, at, "", seen);
    if (issues.length === 0) for (const s of seen) this.covered.add(s);
    return issues;
  }

  /** Every property location the components declare (refs not followed: each component once). */
  documented(): Set<string> {
    const out = new Set<string>();
    const walk = (s: Schema, loc: string): void => {
      for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        out.add(`${loc}.${k}`);
        walk(sub, `${loc}.${k}`);
      }
      if (s.items) walk(s.items as Schema, `${loc}[]`);
      for (const key of ["oneOf", "anyOf"] as const) ((s[key] ?? []) as Schema[]).forEach((b) => walk(b, loc));
    };
    for (const [name, s] of Object.entries(this.components)) walk(s, name);
    return out;
  }

  private resolve(ref: string): { schema: Schema; loc: string } {
    const m = /^#\/components\/schemas\/([\w.-]+)$/.exec(ref);
    const schema = m ? this.components[m[1]!] : undefined;
    if (!schema) throw new Error(`unresolvable $ref ${ref}`);
    return { schema, loc: m![1]! };
  }

  private check(schema: Schema, v: unknown, at: string, loc: string, seen: Set<string>): Issue[] {
    if (typeof schema.$ref === "string") {
      const r = this.resolve(schema.$ref);
      return this.check(r.schema, v, at, r.loc, seen);
    }
    const issues: Issue[] = [];
    const fail = (message: string): Issue[] => (issues.push({ at, message }), issues);

    if (v === null && schema.nullable === true) return issues;
    for (const key of ["oneOf", "anyOf"] as const) {
      const branches = schema[key] as Schema[] | undefined;
      if (!branches) continue;
      const results = branches.map(() => new Set<string>()).map((s, i) => ({ s, issues: this.check(branches[i]!, v, at, loc, s) }));
      const ok = results.filter((r) => r.issues.length === 0);
      if (key === "oneOf" ? ok.length !== 1 : ok.length === 0) {
        return fail(`${key}: ${ok.length} of ${branches.length} alternatives match (${results.flatMap((r) => r.issues.map((i) => i.message)).slice(0, 3).join("; ")})`);
      }
      for (const s of ok[0]!.s) seen.add(s);
    }
    if (schema.enum && !(schema.enum as unknown[]).some((e) => e === v)) return fail(`${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if ("const" in schema && schema.const !== v) return fail(`${JSON.stringify(v)} is not ${JSON.stringify(schema.const)}`);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => hasType(v, t))) return fail(`${typeOf(v)} where ${types.join(" or ")} is documented`);
    }
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum) fail(`${v} < minimum ${schema.minimum}`);
      if (typeof schema.maximum === "number" && v > schema.maximum) fail(`${v} > maximum ${schema.maximum}`);
    }
    if (Array.isArray(v) && schema.items) v.forEach((x, i) => issues.push(...this.check(schema.items as Schema, x, `${at}[${i}]`, `${loc}[]`, seen)));
    if (typeOf(v) === "object" && (schema.properties || schema.required || schema.additionalProperties !== undefined)) {
      const o = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[]) if (!(r in o)) fail(`required property "${r}" is missing`);
      for (const [k, x] of Object.entries(o)) {
        if (k in props) {
          seen.add(`${loc}.${k}`);
          issues.push(...this.check(props[k]!, x, `${at}.${k}`, `${loc}.${k}`, seen));
        } else if (schema.additionalProperties === false || (schema.additionalProperties === undefined && this.opts.closed && schema.properties)) {
          fail(`property "${k}" is not documented`);
        } else if (typeof schema.additionalProperties === "object") {
          issues.push(...this.check(schema.additionalProperties as Schema, x, `${at}.${k}`, `${loc}.*`, seen));
        }
      }
    }
    return issues;
  }
}
