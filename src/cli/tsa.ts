/**
 * `podpis tsa`: the RFC 3161 time-stamping authority over HTTP (RFC 3161 §3.4): POST an
 * application/timestamp-query, get an application/timestamp-reply. The core is
 * timestamp/tsa.ts; this is the HTTP and file-system adapter.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { openKey } from "../keys/index.js";
import type { KeyProvider } from "../keys/provider.js";
import { readSecret } from "../keys/secret.js";
import { isPkcs11Uri } from "../keys/pkcs11-uri.js";
import { parseCertificate } from "../pki/certificate.js";
import { nameToString } from "../pki/name.js";
import { tsaUsageProblem } from "../validation/timestamp.js";
import { TimestampAuthority } from "../timestamp/tsa.js";
import { type SerialSource, fileSerialSource } from "../io/tsa-serial.js";
import { UsageError, has, one, parseArgs } from "./args.js";
import { stopWithParent } from "./parent-watch.js";
import { type Output, json } from "./output.js";
import { BUNDLED } from "../bundled.js";

const FLAGS = {
  port: { value: true },
  host: { value: true },
  key: { value: true },
  "password-env": { value: true },
  "pkcs11-module": { value: true },
  data: { value: true },
  policy: { value: true },
  "accuracy-ms": { value: true },
  json: {},
};

const MAX_REQUEST_BYTES = 64 * 1024;

export interface TsaServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `tsa` on host:port (port 0: any free port). */
export function startTsaServer(tsa: TimestampAuthority, opts: { port: number; host?: string; log?: (line: string) => void }): Promise<TsaServer> {
  const log = opts.log ?? (() => undefined);
  const server = createServer((req, res) => void handle(tsa, req, res, log));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : opts.port;
      resolve({
        url: `http://${opts.host ?? "127.0.0.1"}:${port}/`,
        server,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

async function handle(tsa: TimestampAuthority, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const plain = (status: number, text: string) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
    res.end(text + "\n");
  };
  if (req.method === "GET" && (req.url === "/healthz" || req.url === "/")) return plain(200, "podpis TSA: POST application/timestamp-query here");
  if (req.method !== "POST") return plain(405, "method not allowed");
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/timestamp-query") return plain(415, "expected application/timestamp-query");
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_REQUEST_BYTES) return plain(413, "request too large");
      parts.push(c as Buffer);
    }
  } catch {
    return;
  }
  try {
    const r = await tsa.respond(Buffer.concat(parts));
    log(r.serial !== null ? `granted serial ${r.serial}` : `rejected: ${r.failure}`);
    res.writeHead(200, { "content-type": "application/timestamp-reply", "content-length": r.response.length });
    res.end(r.response);
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    plain(500, "the TSA failed");
  }
}

export async function tsaCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length) throw new UsageError(`unexpected argument "${a.positionals[0]}"`);
  const portText = one(a, "port") ?? "3161";
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new UsageError("--port must be a port number");
  const policy = one(a, "policy") ?? BUNDLED.tsaPolicy;
  if (!/^\d+(\.\d+)+$/.test(policy)) throw new UsageError("--policy must be an OID");
  const accText = one(a, "accuracy-ms") ?? "1000";
  if (!/^\d+$/.test(accText)) throw new UsageError("--accuracy-ms must be a whole number");
  const keyRef = one(a, "key");
  let key: KeyProvider;
  if (keyRef) {
    const secret = await readSecret({
      envVar: one(a, "password-env"),
      fallbackEnv: isPkcs11Uri(keyRef) ? "PODPIS_PKCS11_PIN" : undefined,
      prompt: isPkcs11Uri(keyRef) ? "Token PIN: " : "TSA key password: ",
    });
    key = await openKey({ key: keyRef, secret, pkcs11Module: one(a, "pkcs11-module") ?? process.env.PODPIS_PKCS11_MODULE });
  } else {
    out.stderr("podpis tsa: no --key: using the bundled TEST TSA key (certs-test/keys/tsa.p12) — never for real use\n");
    key = await openKey({ key: BUNDLED.tsaKey, secret: BUNDLED.password });
  }
  const cert = parseCertificate(key.certificate);
  const usage = tsaUsageProblem(cert);
  if (usage) {
    await key.close();
    throw Object.assign(new Error(usage), { code: "NOT_A_TSA_CERTIFICATE" });
  }
  let serials: SerialSource;
  try {
    serials = fileSerialSource(one(a, "data") ?? "./data");
  } catch (e) {
    await key.close();
    throw e;
  }
  const tsa = new TimestampAuthority({ key, policy, serials, accuracyMs: Number(accText) });
  const server = await startTsaServer(tsa, { port: Number(portText), host: one(a, "host"), log: (l) => out.stderr(`podpis tsa: ${l}\n`) });
  const info = { url: server.url, policy, tsa: nameToString(cert.subject) };
  out.stdout(has(a, "json") ? json(info) : `podpis tsa: listening on ${server.url} (policy ${policy}, ${info.tsa})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    // `on`, not `once`: a second signal (a wrapper forwarding the one the terminal also sent)
    // must not fall through to the default action and skip the orderly close below
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    server.server.once("close", stop);
    stopWithParent();
  });
  await server.close();
  serials.close();
  await key.close();
  return 0;
}
