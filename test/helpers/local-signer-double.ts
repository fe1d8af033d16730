/**
 * A stand-in for the citizen's local signing application, speaking the two protocols the citizen
 * page calls on localhost (domain.md): B-Trust BISS (GET /version, POST /getsigner, POST /sign
 * with a digest) and a NexU-style signer (GET /nexu-info, POST /certificates, POST /sign with the
 * to-be-signed octets). It signs with whatever KeyProvider it is given — a SoftHSM token through
 * podpis's PKCS#11 provider in the browser tests — and answers CORS preflights as the real apps
 * do for portal pages. Every request is recorded, so a test can say what the page sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { KeyProvider, SigningScheme } from "../../src/keys/provider.js";

export interface SignerCall {
  protocol: "biss" | "nexu";
  method: string;
  path: string;
  body: unknown;
}

export interface LocalSignerDouble {
  bissUrl: string;
  nexuUrl: string;
  calls: SignerCall[];
  close(): Promise<void>;
}

const HASHES: Record<string, "sha256" | "sha384" | "sha512"> = { SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" };

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

function serve(protocol: "biss" | "nexu", calls: SignerCall[], handle: (path: string, body: Record<string, unknown>) => Promise<[number, unknown]>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method === "OPTIONS") {
      // a page on another origin POSTs JSON: the preflight the real signers answer too
      res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600" });
      res.end();
      return;
    }
    void (async () => {
      try {
        const body = req.method === "POST" ? await readJson(req) : {};
        const path = (req.url ?? "/").split("?")[0]!;
        calls.push({ protocol, method: req.method ?? "", path, body });
        const [status, answer] = await handle(path, body);
        reply(res, status, answer);
      } catch (e) {
        reply(res, 500, { status: "failed", reasonCode: 500, reasonText: (e as Error).message });
      }
    })();
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

export async function startLocalSignerDouble(key: KeyProvider): Promise<LocalSignerDouble> {
  const calls: SignerCall[] = [];
  const chain = key.chain.map(b64);
  const scheme: SigningScheme = key.keyType === "ec" ? "ecdsa" : "rsa-pkcs1";

  const biss = await serve("biss", calls, async (path, body) => {
    if (path === "/version") return [200, { version: "3.12", httpMethods: "GET, POST", contentTypes: "data,digest", signatureTypes: "signature", selectorAvailable: true, hashAlgorithms: "SHA256,SHA384,SHA512" }];
    if (path === "/getsigner") return [200, { status: "ok", reasonCode: 200, reasonText: "Signer selected", chain }];
    if (path === "/sign") {
      const hash = HASHES[String(body.hashAlgorithm)];
      const contents = body.contents as string[] | undefined;
      if (body.contentType !== "digest" || !hash || !contents?.length) return [400, { status: "failed", reasonCode: 400, reasonText: "contentType digest with hashAlgorithm and contents expected" }];
      if (body.signerCertificateB64 !== chain[0]) return [400, { status: "failed", reasonCode: 400, reasonText: "signerCertificateB64 is not the selected certificate" }];
      const signatures = [];
      for (const c of contents) signatures.push(b64(await key.sign({ digest: Buffer.from(c, "base64") }, { scheme, hash })));
      return [200, { status: "ok", reasonCode: 200, reasonText: "Signed", signatures }];
    }
    return [404, { status: "failed", reasonCode: 404 }];
  });

  const nexu = await serve("nexu", calls, async (path, body) => {
    if (path === "/nexu-info") return [200, { version: "1.23-podpis-double" }];
    if (path === "/certificates") return [200, { response: { tokenId: { id: "token-1" }, keyId: "key-1", certificate: chain[0], certificateChain: chain.slice(1), encryptionAlgorithm: key.keyType === "ec" ? "ECDSA" : "RSA" }, success: true }];
    if (path === "/sign") {
      const hash = HASHES[String(body.digestAlgorithm)];
      const tbs = (body.toBeSigned as { bytes?: string } | undefined)?.bytes;
      if (!hash || !tbs) return [400, { success: false, feedback: "toBeSigned.bytes and digestAlgorithm expected" }];
      const value = await key.sign({ data: Buffer.from(tbs, "base64") }, { scheme, hash });
      return [200, { response: { signatureValue: b64(value), signatureAlgorithm: `${key.keyType === "ec" ? "ECDSA" : "RSA"}_${String(body.digestAlgorithm)}`, certificate: chain[0], certificateChain: chain.slice(1) }, success: true }];
    }
    return [404, { success: false }];
  });

  return {
    bissUrl: biss.url,
    nexuUrl: nexu.url,
    calls,
    close: async () => {
      await Promise.all([biss.server, nexu.server].map((s) => new Promise<void>((ok) => s.close(() => ok()))));
    },
  };
}
