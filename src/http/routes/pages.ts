/**
 * The citizen page (`GET /`), the auditor's console (`GET /audit`) and their static files
 * (`GET /web/:file`): HTML and CSS from the package's web/ folder, the browser modules that
 * `npm run build` compiled from web/src/ into dist/web/. Nothing is rendered per request but the
 * page language and the local signers the page may probe; no inline script, so the
 * Content-Security-Policy can forbid them all.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { HttpProblem } from "../problem.js";
import { type Router, problem, send } from "./route.js";

/** The package root: three levels above this module, from src/http/routes/ and dist/http/routes/ alike. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SOURCE = join(ROOT, "web");
const BUILT = join(ROOT, "dist", "web");

/**
 * Where the page looks for a citizen's local signing app (domain.md): B-Trust BISS on HTTPS
 * localhost 53952–53955, a NexU-style signer on HTTP localhost:9795. PODPIS_LOCAL_SIGNERS
 * (`kind=URL,…`, loopback URLs only) replaces the list: tests point it at their doubles.
 */
export const DEFAULT_LOCAL_SIGNERS = [
  ...[53952, 53953, 53954, 53955].map((p) => `biss=https://localhost:${p}`),
  "nexu=http://localhost:9795",
].join(",");

export function localSigners(spec = process.env.PODPIS_LOCAL_SIGNERS || DEFAULT_LOCAL_SIGNERS): Array<{ kind: "biss" | "nexu"; url: string }> {
  const out: Array<{ kind: "biss" | "nexu"; url: string }> = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(biss|nexu)=(https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\]):\d{1,5})\/?$/.exec(item);
    // a signer elsewhere than this machine would receive what the citizen signs: refused
    if (m) out.push({ kind: m[1] as "biss" | "nexu", url: m[2]! });
  }
  return out;
}

/**
 * No inline script or style, nothing from elsewhere; connect-src adds only the local signers.
 * frame-ancestors: the pages cannot be framed (a signing page inside another site's frame).
 */
export function contentSecurityPolicy(signers = localSigners()): string {
  const connect = ["'self'", ...new Set(signers.map((s) => s.url))].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** a flat file name of a known kind: no path, no dot files */
const FILE = /^[a-z0-9][a-z0-9-]*\.(css|js|svg)$/;

const cache = new Map<string, Buffer>();
function read(path: string): Buffer | null {
  // cached once read: the files change only with a new build and a restart
  let b = cache.get(path);
  if (!b) {
    if (!existsSync(path)) return null;
    b = readFileSync(path);
    cache.set(path, b);
  }
  return b;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function securityHeaders(res: import("node:http").ServerResponse): void {
  res.setHeader("Content-Security-Policy", contentSecurityPolicy());
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("X-Frame-Options", "DENY");
}

/** An HTML page with its language and the local-signer list filled in. */
function page(name: string, lang: string): string {
  const html = read(join(SOURCE, name));
  if (!html) throw new HttpProblem("NOT_FOUND", `the page ${name} is not installed (run npm run build)`);
  const signers = localSigners().map((s) => `${s.kind}=${s.url}`).join(",");
  return html.toString("utf8").replaceAll("{{lang}}", lang).replaceAll("{{signers}}", esc(signers));
}

const langOf = (q: string | undefined): string => (q === "en" ? "en" : "bg");
const html = { description: "the page", content: { "text/html": {} } };
const langParam = [{ name: "lang", in: "query", required: false, schema: { enum: ["bg", "en"], default: "bg" } }];

export const pagesRouter: Router = {
  name: "pages",
  scope: null,
  rateLimited: false,
  routes: [
    {
      method: "GET",
      path: "/",
      doc: { summary: "The citizen page: verify, sign, submit, check a receipt (Bulgarian; ?lang=en English; ?service=CODE submits)", parameters: [...langParam, { name: "service", in: "query", required: false, schema: { type: "string" } }], responses: { "200": html } },
      handler: async ({ res, query }) => {
        securityHeaders(res);
        send(res, 200, TYPES[".html"]!, page("index.html", langOf(query.lang)));
      },
    },
    {
      method: "GET",
      path: "/audit",
      doc: { summary: "The auditor's console (needs an API key of scope audit, typed into the page)", parameters: langParam, responses: { "200": html } },
      handler: async ({ res, query }) => {
        securityHeaders(res);
        send(res, 200, TYPES[".html"]!, page("audit.html", langOf(query.lang)));
      },
    },
    {
      method: "GET",
      path: "/web/:file",
      doc: {
        summary: "The pages' style sheets and browser modules",
        parameters: [{ name: "file", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "the file", content: { "text/css": {}, "text/javascript": {}, "image/svg+xml": {} } }, "404": problem("no such file") },
      },
      handler: async ({ res, params }) => {
        const file = params.file ?? "";
        if (!FILE.test(file)) throw new HttpProblem("NOT_FOUND", "no such file");
        const ext = file.slice(file.lastIndexOf("."));
        const body = read(join(ext === ".js" ? BUILT : SOURCE, file));
        if (!body) throw new HttpProblem("NOT_FOUND", "no such file");
        securityHeaders(res);
        res.setHeader("Cache-Control", "no-cache");
        send(res, 200, TYPES[ext]!, body);
      },
    },
  ],
};
