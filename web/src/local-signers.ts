/**
 * The citizen's local signing application, reached on localhost (domain.md):
 * - B-Trust BISS: GET /version, POST /getsigner → { chain: [base64 DER, leaf first] },
 *   POST /sign with the digest → { signatures: [base64] }; reasonCode 202: cancelled by the user;
 * - a NexU-style signer: GET /nexu-info, POST /certificates → { tokenId, keyId, certificate,
 *   certificateChain }, POST /sign { tokenId, keyId, toBeSigned, digestAlgorithm } → { signatureValue }.
 * Which URLs to probe the server writes into the page (<meta name="podpis-local-signers">).
 */
import { unb64 } from "./dom.js";

export class SignerCancelled extends Error {}

export interface LocalSigner {
  kind: "biss" | "nexu";
  url: string;
  name: string;
  /** the signer's certificate, then its chain (DER) */
  certificates: () => Promise<Uint8Array[]>;
  /** the signature value: over the digest (BISS) or the to-be-signed octets (NexU) */
  sign: (p: { toBeSigned: string; digest: string; hash: string; certificate: string }) => Promise<Uint8Array>;
}

const HASH_NAMES: Record<string, string> = { sha256: "SHA256", sha384: "SHA384", sha512: "SHA512" };

function configured(): Array<{ kind: "biss" | "nexu"; url: string }> {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="podpis-local-signers"]');
  return (meta?.content ?? "")
    .split(",")
    .map((s) => /^(biss|nexu)=(.+)$/.exec(s.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ kind: m[1] as "biss" | "nexu", url: m[2]! }));
}

async function post<T>(url: string, body: unknown, timeoutMs = 120_000): Promise<T> {
  const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs), credentials: "omit" });
  if (!r.ok) throw new Error(`the signing application answered ${r.status}`);
  return (await r.json()) as T;
}

async function probe(c: { kind: "biss" | "nexu"; url: string }): Promise<LocalSigner | null> {
  try {
    const r = await fetch(c.url + (c.kind === "biss" ? "/version" : "/nexu-info"), { signal: AbortSignal.timeout(2500), credentials: "omit" });
    if (!r.ok) return null;
    const info = (await r.json()) as { version?: string };
    return c.kind === "biss" ? biss(c.url, info.version ?? "") : nexu(c.url, info.version ?? "");
  } catch {
    return null;
  }
}

function biss(url: string, version: string): LocalSigner {
  let chain: string[] = [];
  return {
    kind: "biss",
    url,
    name: `B-Trust BISS ${version}`.trim(),
    certificates: async () => {
      const r = await post<{ status?: string; reasonCode?: number; chain?: string[] }>(url + "/getsigner", { showValidCerts: true, selector: { keyUsages: ["digitalSignature", "nonRepudiation"] } });
      if (r.reasonCode === 202) throw new SignerCancelled();
      if (!r.chain?.length) throw new Error("the signing application gave no certificate");
      chain = r.chain;
      return chain.map(unb64);
    },
    sign: async (p) => {
      const r = await post<{ status?: string; reasonCode?: number; signatures?: string[] }>(url + "/sign", {
        version: "1.0",
        signatureType: "signature",
        contentType: "digest",
        hashAlgorithm: HASH_NAMES[p.hash] ?? "SHA256",
        contents: [p.digest],
        // a portal's own signature over each content; podpis does not sign what it hands out (README)
        signedContents: [],
        signedContentsCert: [],
        signerCertificateB64: p.certificate,
        confirmText: [],
      });
      if (r.reasonCode === 202) throw new SignerCancelled();
      if (!r.signatures?.[0]) throw new Error("the signing application gave no signature");
      return unb64(r.signatures[0]);
    },
  };
}

function nexu(url: string, version: string): LocalSigner {
  let token: { tokenId?: unknown; keyId?: unknown } = {};
  return {
    kind: "nexu",
    url,
    name: `NexU ${version}`.trim(),
    certificates: async () => {
      const r = await post<{ response?: NexuCert } & NexuCert>(url + "/certificates", {});
      const c = r.response ?? r;
      if (!c.certificate) throw new Error("the signing application gave no certificate");
      token = { tokenId: c.tokenId, keyId: c.keyId };
      return [c.certificate, ...(c.certificateChain ?? [])].map(unb64);
    },
    sign: async (p) => {
      const r = await post<{ response?: { signatureValue?: string }; signatureValue?: string; feedback?: unknown }>(url + "/sign", { ...token, toBeSigned: { bytes: p.toBeSigned }, digestAlgorithm: HASH_NAMES[p.hash] ?? "SHA256" });
      const v = r.response?.signatureValue ?? r.signatureValue;
      if (!v) throw new SignerCancelled();
      return unb64(v);
    },
  };
}
interface NexuCert {
  tokenId?: unknown;
  keyId?: unknown;
  certificate?: string;
  certificateChain?: string[];
}

/** Every configured signer that answers, probed at once. */
export async function findLocalSigners(): Promise<LocalSigner[]> {
  const found = await Promise.all(configured().map(probe));
  return found.filter((s): s is LocalSigner => s !== null);
}
