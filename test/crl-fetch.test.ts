import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrlFetchError, type CrlFetchReason, createCrlFetcher } from "../src/revocation/fetch.js";
import { makeCrl } from "./helpers/make-crl.js";

const nextUpdate = new Date("2026-02-01T00:00:00Z");
const crlDer = makeCrl({ crlNumber: 42n, thisUpdate: new Date("2026-01-01T00:00:00Z"), nextUpdate });
const noNextUpdate = makeCrl({ crlNumber: 43n, nextUpdate: null });
const before = new Date("2026-01-15T00:00:00Z");
const after = new Date("2026-02-01T00:00:01Z");

const hits = new Map<string, number>();
let bigWritten = 0;
let bigClosed: Promise<void> = Promise.resolve();
let server: Server;
let base = "";

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  hits.set(url, (hits.get(url) ?? 0) + 1);
  switch (url.replace(/\?.*$/, "")) {
    case "/ca.crl":
      res.writeHead(200, { "content-type": "application/pkix-crl" }).end(crlDer);
      return;
    case "/ca.pem":
      res.writeHead(200).end(`-----BEGIN X509 CRL-----\n${crlDer.toString("base64")}\n-----END X509 CRL-----\n`);
      return;
    case "/no-next-update.crl":
      res.writeHead(200).end(noNextUpdate);
      return;
    case "/delayed.crl":
      setTimeout(() => res.writeHead(200).end(crlDer), 150);
      return;
    case "/never":
      return; // no answer at all
    case "/slow-body":
      res.writeHead(200);
      res.write(crlDer.subarray(0, 10)); // and never the rest
      return;
    case "/big": {
      // a body without Content-Length that would go on for 200 MB
      res.writeHead(200, { "content-type": "application/pkix-crl" });
      bigWritten = 0;
      bigClosed = new Promise((resolve) => res.on("close", () => resolve()));
      const chunk = Buffer.alloc(64 * 1024, 0x30);
      const pump = (): void => {
        while (bigWritten < 200 * 1024 * 1024 && !res.destroyed) {
          bigWritten += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
      return;
    }
    case "/big-declared":
      res.writeHead(200, { "content-length": String(100 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
      return;
    case "/garbage":
      res.writeHead(200).end("<html>this is no CRL</html>");
      return;
    case "/empty":
      res.writeHead(200).end();
      return;
    case "/two.pem":
      res.writeHead(200).end(
        [crlDer, noNextUpdate].map((d) => `-----BEGIN X509 CRL-----\n${d.toString("base64")}\n-----END X509 CRL-----\n`).join(""),
      );
      return;
    case "/moved":
      res.writeHead(302, { location: "/ca.crl" }).end();
      return;
    default:
      res.writeHead(404).end("not found");
  }
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(p: Promise<unknown>): Promise<CrlFetchError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CrlFetchError);
    expect((e as CrlFetchError).code).toBe("CRL_FETCH_FAILED");
    return e as CrlFetchError;
  }
  throw new Error("expected the fetch to fail");
}

const reasonOf = async (p: Promise<unknown>): Promise<CrlFetchReason> => (await failure(p)).reason;

describe("createCrlFetcher", () => {
  it("fetches a DER CRL, and a PEM one, and follows a redirect", async () => {
    const f = createCrlFetcher();
    expect((await f.fetch(`${base}/ca.crl`, before)).crlNumber).toBe(42n);
    expect((await f.fetch(`${base}/ca.pem`, before)).crlNumber).toBe(42n);
    expect((await f.fetch(`${base}/moved`, before)).crlNumber).toBe(42n);
  });

  it("reuses the cached CRL before nextUpdate and fetches again after it", async () => {
    const f = createCrlFetcher();
    const url = `${base}/ca.crl?cache`;
    const first = await f.fetch(url, before);
    expect(await f.fetch(url, before)).toBe(first);
    expect(await f.fetch(url, new Date(nextUpdate.getTime() - 1))).toBe(first);
    expect(hits.get("/ca.crl?cache")).toBe(1);
    await f.fetch(url, after);
    expect(hits.get("/ca.crl?cache")).toBe(2);
    await f.fetch(url, before);
    expect(hits.get("/ca.crl?cache")).toBe(2);
  });

  it("does not cache a CRL without nextUpdate", async () => {
    const f = createCrlFetcher();
    await f.fetch(`${base}/no-next-update.crl`, before);
    await f.fetch(`${base}/no-next-update.crl`, before);
    expect(hits.get("/no-next-update.crl")).toBe(2);
  });

  it("shares one download between concurrent requests for a URL", async () => {
    const f = createCrlFetcher();
    const all = await Promise.all(Array.from({ length: 5 }, () => f.fetch(`${base}/delayed.crl`, before)));
    expect(new Set(all).size).toBe(1);
    expect(hits.get("/delayed.crl")).toBe(1);
  });

  it("times out on a server that never answers, and on a body that never ends", async () => {
    const f = createCrlFetcher({ timeoutMs: 200 });
    for (const p of ["/never", "/slow-body"]) {
      const t = performance.now();
      const e = await failure(f.fetch(`${base}${p}`, before));
      expect(e.reason).toBe("timeout");
      expect(e.message).toMatch(/200 ms/);
      // the 200 ms timeout fired: without it the request would hang until the test's own timeout
      expect(performance.now() - t).toBeLessThan(20_000);
    }
  });

  it("stops reading a body past the size limit", async () => {
    const f = createCrlFetcher({ maxBytes: 1024 * 1024 });
    const e = await failure(f.fetch(`${base}/big`, before));
    expect(e.reason).toBe("too-large");
    await bigClosed;
    // aborted early: the server got nowhere near its 200 MB
    expect(bigWritten).toBeLessThan(32 * 1024 * 1024);
    expect(await reasonOf(f.fetch(`${base}/big-declared`, before))).toBe("too-large");
  });

  it("reports HTTP errors, bodies that are no CRL, and refused connections", async () => {
    const f = createCrlFetcher();
    const e404 = await failure(f.fetch(`${base}/missing.crl`, before));
    expect([e404.reason, e404.status]).toEqual(["http-status", 404]);
    expect(e404.message).toMatch(/HTTP 404/);
    expect(await reasonOf(f.fetch(`${base}/garbage`, before))).toBe("malformed");
    expect(await reasonOf(f.fetch(`${base}/empty`, before))).toBe("malformed");
    expect((await failure(f.fetch(`${base}/two.pem`, before))).message).toMatch(/expected one CRL, found 2/);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(f.fetch(`http://127.0.0.1:${port}/ca.crl`, before));
    expect(refused.reason).toBe("connection-refused");
    expect(refused.message).toContain(`127.0.0.1:${port}`);
  });

  it("fetches nothing but http and https", async () => {
    const calls: string[] = [];
    const f = createCrlFetcher({
      fetchImpl: (async (u: string) => {
        calls.push(u);
        throw new Error("must not be called");
      }) as unknown as typeof fetch,
    });
    const ldap = await failure(f.fetch("ldap://ldap.example.test/cn=CA?certificateRevocationList", before));
    expect(ldap.reason).toBe("unsupported-scheme");
    expect(ldap.message).toMatch(/LDAP/);
    expect(await reasonOf(f.fetch("file:///etc/passwd", before))).toBe("unsupported-scheme");
    expect(await reasonOf(f.fetch("not a url", before))).toBe("invalid-url");
    expect(calls).toEqual([]);
  });

  it("uses the given fetch implementation and does not cache failures", async () => {
    let n = 0;
    const f = createCrlFetcher({
      fetchImpl: (async () => {
        n++;
        return n === 1 ? new Response("down", { status: 503, statusText: "Service Unavailable" }) : new Response(crlDer);
      }) as unknown as typeof fetch,
    });
    const e = await failure(f.fetch("https://crl.example.test/ca.crl", before));
    expect(e.message).toMatch(/HTTP 503 Service Unavailable/);
    expect((await f.fetch("https://crl.example.test/ca.crl", before)).crlNumber).toBe(42n);
    expect(n).toBe(2);
  });
});
