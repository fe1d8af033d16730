/**
 * Interop defect (issue 12): with its own `--trust` (the citizens' CAs, as every real deployment
 * runs) the service judged its own receipts against that trust store, which does not hold the
 * seal's CA: a genuine receipt came back `valid: false` (NO_CERTIFICATE_CHAIN_FOUND). The service
 * now knows its seal's chain (key file, token, or --seal-chain) and its built-in TSA's, checks
 * receipts against them plus --trust, archives the seal chain, and /readyz fails with a reason
 * while its own seal does not validate. Seal and TSA are made at run time under an intermediate CA.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Runtime, buildRuntime, defaultConfig } from "../src/http/config.js";
import { readiness } from "../src/http/readiness.js";
import { signCades } from "../src/cades/sign.js";
import { openPkcs12 } from "../src/keys/software.js";
import { type ChainPki, makeChainPki } from "./helpers/chain-pki.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";
import { requirePeer } from "./helpers/peers.js";

const openssl = requirePeer("openssl");
const fx = (p: string): Buffer => readFileSync(join("fixtures", p));
const BUNDLED_ROOT = "certs-test/trust/root-ca.pem";
const BUNDLED_CRLS = "certs-test/crl";
/** the seal's and the TSA's CAs apart, so that neither chain vouches for the other */
let pki: ChainPki;
let tsaPki: ChainPki;

beforeAll(() => {
  if (!openssl.present) return;
  pki = makeChainPki({ seal: "seal" }, "Own Seal");
  tsaPki = makeChainPki({ tsa: "tsa" }, "Own TSA");
  process.env.OWN_SEAL_PASSWORD = pki.password;
  process.env.OWN_TSA_PASSWORD = pki.password;
});

const ownFlags = (seal: string, extra: string[] = []) => [
  "--trust", BUNDLED_ROOT, "--crl", BUNDLED_CRLS, ...[...pki.crls, ...tsaPki.crls].flatMap((c) => ["--crl", c]),
  "--seal-key", seal, "--seal-password-env", "OWN_SEAL_PASSWORD",
  "--tsa-key", tsaPki.p12("tsa"), "--tsa-password-env", "OWN_TSA_PASSWORD", ...extra,
];

function submissionForm(): FormData {
  const f = new FormData();
  // a P-256 citizen signature: valid at the real clock in 2035 too (RSA-2048 retires in 2029)
  f.append("signature", new Blob([fx("cades/p256-sha256.p7m")]), "zayavlenie.p7m");
  f.append("applicant", "Иван Петров Иванов");
  f.append("service", "urn:podpis:service:own-chain");
  return f;
}

openssl.describe("podpis serve with its own --trust, seal and TSA (a real process)", () => {
  let server: ServeProcess;
  let data: ReturnType<typeof tempData>;
  let key: string;
  beforeAll(async () => {
    data = tempData();
    key = await createKey(data.dir, ["submit", "audit"]);
    server = await startServe(data.dir, [...ownFlags(pki.p12("seal")), "--workers", "1"]);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  openssl.it("checks its own receipt as valid, and is ready", async () => {
    const r = await fetch(`${server.base}/api/v1/submissions`, { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: submissionForm() });
    expect(r.status, await r.clone().text()).toBe(201);
    const sub = (await r.json()) as { id: string; receipt: string };
    const check = (await (await fetch(`${server.base}/api/v1/receipts/verify`, { method: "POST", body: sub.receipt })).json()) as { valid: boolean; problems?: unknown; report: { signatures: { indication: string; subIndication: string | null }[] } };
    expect(check.report.signatures.map((s) => `${s.indication}/${s.subIndication}`)).toEqual(["TOTAL_PASSED/null"]);
    expect(check.valid, JSON.stringify(check.problems)).toBe(true);
    const ready = await fetch(`${server.base}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
  });
});

describe("in process: where the seal chain comes from, and readiness", () => {
  const runtimes: Runtime[] = [];
  const dirs: Array<ReturnType<typeof tempData>> = [];
  const runtime = async (seal: string, sealChain: string[] = []): Promise<Runtime> => {
    const d = tempData();
    dirs.push(d);
    const rt = await buildRuntime(
      {
        ...defaultConfig(),
        dataDir: d.dir,
        databaseUrl: undefined,
        offline: true,
        trust: [BUNDLED_ROOT],
        crls: [BUNDLED_CRLS, ...pki.crls, ...tsaPki.crls],
        bundledTrust: false,
        sealKey: seal,
        sealPasswordEnv: "OWN_SEAL_PASSWORD",
        sealChain,
        tsaKey: tsaPki.p12("tsa"),
        tsaPasswordEnv: "OWN_TSA_PASSWORD",
      },
      pino({ level: "silent" }),
    );
    runtimes.push(rt);
    return rt;
  };
  afterAll(async () => {
    for (const rt of runtimes) await rt.close();
    for (const d of dirs) d.remove();
  });
  const submitAndCheck = async (rt: Runtime) => {
    const sub = await rt.service.submit({ document: fx("cades/rsa2048-cades-detached.p7s"), contents: [fx("cades/content.xml")], applicant: "Иван Петров Иванов", service: "urn:podpis:service:own-chain" });
    return { sub, check: await rt.service.checkReceipt(Buffer.from(sub.receipt)) };
  };
  const ready = async (rt: Runtime) => readiness(rt.validator, rt.archive, rt.clock(), rt.dependencies);

  openssl.it("a seal key file without its CA: /readyz not ready, naming the seal chain; receipts not valid", async () => {
    const rt = await runtime(pki.p12Alone("seal"));
    const r = await ready(rt);
    expect(r.ready).toBe(false);
    const seal = r.checks.find((c) => c.name === "seal-chain")!;
    expect(seal.ok).toBe(false);
    expect(seal.detail).toMatch(/seal certificate does not validate.*--seal-chain/);
    expect((await submitAndCheck(rt)).check.valid).toBe(false);
  });

  openssl.it("the same key with --seal-chain INTERMEDIATE,ROOT: ready, receipts valid, the chain archived", async () => {
    const rt = await runtime(pki.p12Alone("seal"), [pki.intermediate, pki.root]);
    const r = await ready(rt);
    expect(r.checks.find((c) => c.name === "seal-chain")).toMatchObject({ ok: true });
    const { sub, check } = await submitAndCheck(rt);
    expect(check.valid, JSON.stringify(check.problems)).toBe(true);
    const material = await rt.archive.getMaterial(sub.record.id);
    const chain = material.find((m) => m.kind === "seal-chain");
    expect(chain).toBeDefined();
    expect((Buffer.from(chain!.bytes).toString().match(/BEGIN CERTIFICATE/g) ?? []).length).toBe(3);
  });

  openssl.it("the citizens' trust store is not widened: a document signed under the seal's root is judged by --trust alone", async () => {
    const rt = await runtime(pki.p12("seal"));
    const key = openPkcs12(readFileSync(pki.p12("seal")), pki.password);
    const signed = await signCades({ key, content: Buffer.from("not a citizen"), packaging: "enveloping" });
    await key.close();
    const r = await rt.validator.verify(signed);
    expect(r.signatures.map((s) => `${s.indication}/${s.subIndication}`)).toEqual(["INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"]);
    const sub = await rt.service.submit({ document: signed, contents: [], applicant: "Иван Петров Иванов", service: "urn:podpis:service:own-chain" });
    expect(sub.record.accepted).toBe(false);
  });
});
