/**
 * One Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
 * browser download), headless, a fresh profile, nothing of Google's background traffic. Every
 * request any page makes and every console error is recorded, so a test can assert that nothing
 * left loopback, that no key material was sent, and that the pages logged no error.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { requireData } from "./peers.js";

export const CHROMIUM = "/usr/bin/chromium";

/** Skipped locally without Chromium, failing with CI=true (peers.ts). */
export const withChromium = (): ReturnType<typeof requireData> => requireData("chromium", CHROMIUM);

export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

export interface Browser {
  context: BrowserContext;
  requests: SeenRequest[];
  /** console errors and uncaught page errors, with the page URL */
  errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The browser modules (npm run build's second step), compiled when web/src is newer than dist/web. */
export function buildWeb(): void {
  if (existsSync("dist/web/citizen.js") && newest("web/src") <= newest("dist/web")) return;
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.web.json"], { stdio: ["ignore", "pipe", "pipe"] });
}

export async function launchBrowser(): Promise<Browser> {
  buildWeb();
  const profile = mkdtempSync(join(tmpdir(), "podpis-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    acceptDownloads: true,
    // under `npm run test:2035` the browser keeps the real clock: libfaketime is for podpis's processes
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "LD_PRELOAD" && !k.startsWith("FAKETIME")).map(([k, v]) => [k, v ?? ""])),
    viewport: { width: 1000, height: 900 },
    locale: "bg-BG",
    timezoneId: "Europe/Sofia",
  });
  const requests: SeenRequest[] = [];
  const errors: string[] = [];
  context.on("request", (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postDataBuffer() }));
  const watch = (page: Page): void => {
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
  };
  for (const p of context.pages()) watch(p);
  context.on("page", watch);
  return {
    context,
    requests,
    errors,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Whether `needle` occurs in `hay` (bytes). */
export const contains = (hay: Buffer | null, needle: Buffer): boolean => hay !== null && needle.length > 0 && hay.indexOf(needle) >= 0;
