/**
 * PostgreSQL arrays in the binary wire format (the format array_recv reads), and multi-row
 * INSERTs that take one array per column through unnest() (issue 15).
 *
 * Why. A batch's rows used to go as `VALUES ($1, …), ($17, …)`: hundreds of parameters, a
 * statement text that changed with the batch's size, so PostgreSQL parsed, analysed and planned
 * every batch anew (16 % of its CPU in the submissions load: GetCachedPlan, copying and
 * walking a query tree as large as the batch). With one array per column the text is the same
 * for every batch, so it is prepared once per connection and runs on its generic plan. The
 * arrays go in binary, which pg does for a Buffer: text-format arrays would escape every quote
 * of a report and hex-encode every byte of a document.
 *
 * Format (src/backend/utils/adt/arrayfuncs.c, array_recv): int32 ndim, int32 has-nulls flag,
 * int32 element type OID, per dimension int32 length and int32 lower bound, then per element an
 * int32 length (-1 for NULL) and its bytes in the type's binary form: text as UTF-8 (the
 * connection's client_encoding, which pg sets to UTF8), bytea as is, int4/int8 big-endian.
 */
import { createHash } from "node:crypto";
import type pg from "pg";

export type PgType = "text" | "bytea" | "int4" | "int8";

const OID: Record<PgType, number> = { text: 25, bytea: 17, int4: 23, int8: 20 };
const WIDTH: Partial<Record<PgType, number>> = { int4: 4, int8: 8 };

function fail(type: PgType, v: unknown): never {
  throw new TypeError(`a ${type} array element cannot be ${typeof v === "object" ? Object.prototype.toString.call(v) : typeof v}`);
}

/** one-dimensional array of `type` in PostgreSQL's binary format; null elements allowed */
export function binaryArray(type: PgType, values: readonly unknown[]): Buffer {
  const fixed = WIDTH[type];
  let size = values.length ? 20 : 12;
  let nulls = 0;
  for (const v of values) {
    if (v === null || v === undefined) nulls = 1;
    else if (fixed) size += fixed;
    else if (type === "text") size += typeof v === "string" ? Buffer.byteLength(v, "utf8") : fail(type, v);
    else size += v instanceof Uint8Array ? v.length : fail(type, v);
    size += 4;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(values.length ? 1 : 0, 0);
  out.writeInt32BE(nulls, 4);
  out.writeUInt32BE(OID[type], 8);
  if (!values.length) return out;
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let at = 20;
  for (const v of values) {
    if (v === null || v === undefined) {
      at = out.writeInt32BE(-1, at);
    } else if (type === "int4" || type === "int8") {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(type, v);
      at = out.writeInt32BE(fixed!, at);
      at = type === "int4" ? out.writeInt32BE(v, at) : out.writeBigInt64BE(BigInt(v), at);
    } else if (type === "text") {
      const len = out.write(v as string, at + 4, "utf8");
      out.writeInt32BE(len, at);
      at += 4 + len;
    } else {
      const b = v as Uint8Array;
      at = out.writeInt32BE(b.length, at);
      out.set(b, at);
      at += b.length;
    }
  }
  return out;
}

/** a table's columns in order, with their types, and what follows the INSERT (ON CONFLICT …) */
export interface Table {
  name: string;
  columns: ReadonlyArray<readonly [string, PgType]>;
  suffix?: string;
}

/**
 * A statement of fixed text: each table's INSERT … SELECT * FROM unnest(one array a column) as a
 * data-modifying WITH clause, then `head` (whose own parameters are $1…$headParams). Data-
 * modifying WITH clauses all run, and foreign keys are checked at the end of the statement, so
 * parents and children may share one. Prepared under a name derived from its text.
 */
export class UnnestStatement {
  readonly text: string;
  readonly name: string;

  constructor(
    head: string,
    private readonly headParams: number,
    private readonly tables: readonly Table[],
  ) {
    let n = headParams;
    const clauses = tables.map((t, i) => {
      const arrays = t.columns.map(([, type]) => `$${++n}::${type}[]`);
      return `w${i} AS (INSERT INTO ${t.name} (${t.columns.map(([c]) => c).join(", ")}) SELECT * FROM unnest(${arrays.join(", ")}) ${t.suffix ?? ""} RETURNING 1)`;
    });
    this.text = `WITH ${clauses.join(",\n")}\n${head}`;
    this.name = `podpis_${createHash("sha256").update(this.text).digest("hex").slice(0, 16)}`;
  }

  /** runs it with the head's parameters and each table's rows (in the tables' order; a table may have none) */
  async run<R extends pg.QueryResultRow>(c: pg.PoolClient, headValues: readonly unknown[], rows: ReadonlyArray<ReadonlyArray<readonly unknown[]>>): Promise<R[]> {
    if (headValues.length !== this.headParams || rows.length !== this.tables.length) throw new Error("UnnestStatement: parameters do not match the statement");
    const values: unknown[] = [...headValues];
    this.tables.forEach((t, i) => t.columns.forEach(([, type], j) => values.push(binaryArray(type, rows[i]!.map((r) => r[j])))));
    return (await c.query<R>({ name: this.name, text: this.text, values })).rows;
  }
}
