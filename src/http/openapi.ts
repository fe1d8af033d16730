/**
 * The OpenAPI 3.1 description served at /openapi.json, built from the routers (./routes/): their
 * paths, methods and operation docs, and — from each router's one scope — the security
 * requirement and the 401/403 answers. test/http-openapi.test.ts drives every route without a
 * key and with a key of the wrong scope and compares what is enforced with this document.
 */
import { SCOPES } from "../archive/port.js";
import { SCHEMAS } from "./openapi-schemas.js";
import { ROUTERS } from "./routes/index.js";
import type { Router } from "./routes/route.js";
import { problem } from "./routes/route.js";

/** What any route may answer besides its own responses. */
const ANY = { "405": problem("another method on this path"), "500": problem("internal error (the request id identifies it in the log)") };
const KEYED = { "401": problem("no or invalid API key"), "403": problem("the key lacks the scope (requiredScope names it)") };
const LIMITED = { "429": { ...problem("rate limited (retryAfter, and the Retry-After header)"), headers: { "Retry-After": { schema: { type: "integer" } } } } };
const UNAVAILABLE = { "503": { ...problem("a dependency cannot be used now: urn:podpis:problem:dependency-unavailable, `dependency` is database, tsa or seal-key; retry after Retry-After seconds"), headers: { "Retry-After": { schema: { type: "integer" } } } } };

/** `/api/v1/submissions/:id` → `/api/v1/submissions/{id}` */
export const openApiPath = (path: string): string => path.replace(/[:*](\w+)/g, "{$1}");

export function openApiDocument(routers: readonly Router[] = ROUTERS): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const router of routers) {
    for (const r of router.routes) {
      const op: Record<string, unknown> = { ...r.doc, tags: [router.name] };
      const responses: Record<string, unknown> = { ...ANY, ...(r.path.startsWith("/api/") ? UNAVAILABLE : {}), ...r.doc.responses };
      if (router.scope) {
        op.security = [{ apiKey: [router.scope] }];
        op["x-scope"] = router.scope;
        Object.assign(responses, KEYED);
      }
      if (router.scope || router.rateLimited) Object.assign(responses, LIMITED);
      op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
      (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = op;
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "podpis", version: "0.1.0", description: "Qualified electronic signature validation, durable archive and signed receipts." },
    tags: routers.map((r) => ({ name: r.name, description: r.scope ? `API key scope "${r.scope}"` : "public" })),
    paths,
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: `\`podpis keys create --name NAME --scope ${SCOPES.join("|")}\`` } },
      schemas: SCHEMAS,
    },
  };
}
