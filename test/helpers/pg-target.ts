/**
 * The archive suites' PostgreSQL: PODPIS_TEST_DATABASE_URL, one schema per store. In CI
 * (CI=true) an unreachable server fails the suite; locally it is skipped with a loud message.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";

export const PG_URL = process.env.PODPIS_TEST_DATABASE_URL ?? "postgres://podpis:podpis@127.0.0.1:5432/podpis_test";

export async function pgProblem(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.query("SELECT 1");
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

export const pgSkipMessage = (problem: string): string =>
  `PostgreSQL not reachable at ${PG_URL.replace(/:[^:@/]*@/, ":***@")} (${problem}); run scripts/ci-postgres.sh or set PODPIS_TEST_DATABASE_URL`;

export const newSchemaName = (): string => `t_${randomUUID().replace(/-/g, "").slice(0, 16)}`;

export async function dropSchemas(names: string[]): Promise<void> {
  if (!names.length) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of names) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
}
