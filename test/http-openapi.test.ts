/** /openapi.json against the routes express really has, both ways, and against the scopes enforced. */
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ArchiveStore } from "../src/archive/port.js";
import { createApp } from "../src/http/app.js";
import { openApiDocument } from "../src/http/openapi.js";
import type { PodpisService } from "../src/http/service.js";

function expressRoutes(): Set<string> {
  const app = createApp({ service: {} as PodpisService, archive: {} as ArchiveStore, log: pino({ level: "silent" }), maxBodyBytes: 1, ratePerSecond: 0, rateBurst: 0 });
  const out = new Set<string>();
  for (const layer of app.router.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, "{$1}");
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== "_all") out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

function documented(): Set<string> {
  const out = new Set<string>();
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  for (const [p, ops] of Object.entries(paths)) for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${p}`);
  return out;
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1", () => {
    expect(openApiDocument().openapi).toMatch(/^3\.1\./);
  });
  it("documents every express route", () => {
    const doc = documented();
    expect([...expressRoutes()].filter((r) => !doc.has(r))).toEqual([]);
  });
  it("has no path or method express does not serve", () => {
    const real = expressRoutes();
    expect([...documented()].filter((r) => !real.has(r))).toEqual([]);
  });
  it("declares the contract's routes with their scopes", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { "x-scope"?: string }>>;
    expect(paths["/api/v1/verify"]!.post!["x-scope"]).toBe("verify");
    expect(paths["/api/v1/submissions"]!.post!["x-scope"]).toBe("submit");
    expect(paths["/api/v1/submissions/{id}/revalidate"]!.post!["x-scope"]).toBe("audit");
    expect(paths["/api/v1/receipts/verify"]!.post!["x-scope"]).toBeUndefined();
  });
});
