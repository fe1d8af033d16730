// The one edge table (src/edge/errors.ts): every code of every layer's union has a row (checked by
// the compiler: EDGE is a Record over ErrorCode), each error class lands on its row, and the same
// errors go through both the command line's exit path (cli/main.ts) and the service's error
// handler (http/app.ts), which answers problem+json from the same row.
import { readFileSync, readdirSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Server } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { ArchiveStore } from "../src/archive/port.js";
import { ArchiveError } from "../src/archive/port.js";
import { Asn1Error } from "../src/asn1/errors.js";
import { UsageError } from "../src/cli/args.js";
import { run, runCommand } from "../src/cli/main.js";
import { CmsFormatError, NotASignatureError, NotSignedDataError } from "../src/cms/errors.js";
import { EDGE, type EdgeEntry, type ErrorCode, EXIT_INTERNAL, RETRY_AFTER_SECONDS, edgeEntryOf, exitCodeFor, problemFor } from "../src/edge/errors.js";
import { PodpisError } from "../src/errors/base.js";
import { createApp } from "../src/http/app.js";
import { ConfigError } from "../src/http/config.js";
import { HttpProblem, PROBLEMS } from "../src/http/problem.js";
import type { PodpisService } from "../src/http/service.js";
import { SigningStateError } from "../src/http/signing-state.js";
import { DependencyUnavailableError } from "../src/io/dependency.js";
import { InputFileError, SerialStoreError } from "../src/io/errors.js";
import { KeyError, SecretError } from "../src/keys/errors.js";
import { LimitExceededError } from "../src/limits/budgets.js";
import { CertificateError, type PathErrorCode, PolicyTreeTooLarge, SigningError, UnsupportedAlgorithmError } from "../src/pki/errors.js";
import { CrlError, CrlFetchError } from "../src/revocation/errors.js";
import { OcspError } from "../src/revocation/ocsp-response.js";
import { TimestampError } from "../src/timestamp/errors.js";
import { InputError, NotXmlSignatureError, PolicyError } from "../src/validation/errors.js";
import { XmlDsigFormatError, XmlError } from "../src/xades/errors.js";

/** One instance of every error class podpis throws (each with a code the class can carry). */
const SAMPLES: PodpisError[] = [
  new Asn1Error("x"),
  new CertificateError("x"),
  new UnsupportedAlgorithmError("x"),
  new PolicyTreeTooLarge("x"),
  new SigningError("CONTENT_REQUIRED", "x"),
  new CrlError("x"),
  new CrlFetchError("http://crl.example/x.crl", "timeout", "x"),
  new CmsFormatError("x"),
  new NotSignedDataError("x"),
  new XmlError("XML_DTD_FORBIDDEN", "x"),
  new XmlDsigFormatError("x"),
  new TimestampError("TSA_UNREACHABLE", "x"),
  new PolicyError("x"),
  new NotXmlSignatureError("x"),
  new InputError("BAD_CRL", "x", 0),
  new LimitExceededError("xmlNodes", 1000, 1001),
  new KeyError("BAD_PASSWORD", "x"),
  new SecretError("SECRET_ENV_UNSET", "x"),
  new InputFileError("INPUT_NOT_FOUND", "x"),
  new SerialStoreError("x"),
  new ArchiveError("STORAGE_UNAVAILABLE", "x"),
  new UsageError("x"),
  new HttpProblem("RATE_LIMITED", "x", { retryAfter: 3 }),
  new SigningStateError("EXPIRED", "x"),
  new DependencyUnavailableError("seal-key", "x", 30),
  new ConfigError("x"),
  new OcspError("x"),
];

describe("the edge table", () => {
  it("has a row for every code of every layer's union (type level) and nothing else", () => {
    expectTypeOf(EDGE).toEqualTypeOf<Readonly<Record<ErrorCode, EdgeEntry>>>();
    expectTypeOf<keyof typeof EDGE>().toEqualTypeOf<ErrorCode>();
    // every HTTP-native problem code is in it with its own status
    for (const [code, p] of Object.entries(PROBLEMS)) expect(EDGE[code as ErrorCode].status).toBe(p.status);
  });

  it("path report codes are a closed union too (a typo is a compile error, no longer a silent CHAIN_CONSTRAINTS_FAILURE)", () => {
    // type level: checked by tsc over the tests
    expectTypeOf<"NOT_A_CA" | "CERT_EXPIRED" | "MALFORMED_CERTIFICATE">().toMatchTypeOf<PathErrorCode>();
    // @ts-expect-error a mistyped code does not type-check
    const typo: PathErrorCode = "NOT_A_CA_";
    expect(typo).toBe("NOT_A_CA_");
  });

  it("every row is a sane answer: a 4xx/5xx status, exit 2 or 64 (1 for a refusal because something is only INDETERMINATE, as verify ends), and a dependency only with 503", () => {
    for (const [code, row] of Object.entries(EDGE)) {
      expect(row.status, code).toBeGreaterThanOrEqual(400);
      expect(row.status, code).toBeLessThan(600);
      expect(code.endsWith("_INDETERMINATE") ? [1] : [2, 64], code).toContain(row.exit);
      expect(row.title.length, code).toBeGreaterThan(0);
      if (row.dependency) expect(row.status, code).toBe(503);
    }
  });

  it("no exported error class of src/ bypasses the base (a new one must extend PodpisError and get a row)", () => {
    const bypass: string[] = [];
    const rowless: string[] = [];
    let classes = 0;
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith(".ts") && !p.endsWith(join("errors", "base.ts"))) {
          const text = readFileSync(p, "utf8");
          for (const m of text.matchAll(/export\s+(?:abstract\s+)?class\s+(\w+)\s+extends\s+(?:Error|TypeError|RangeError)\b/g)) bypass.push(`${p}: ${m[1]}`);
          // a class with a literal code: that code needs a row (its union may not have been added to ErrorCode)
          for (const m of text.matchAll(/class\s+(\w+)\s+extends\s+PodpisError<"(\w+)">/g)) {
            classes++;
            if (!(m[2]! in EDGE)) rowless.push(`${p}: ${m[1]} (${m[2]})`);
          }
        }
      }
    };
    walk(join(import.meta.dirname, "..", "src"));
    expect(bypass).toEqual([]);
    expect(classes).toBeGreaterThanOrEqual(15);
    expect(rowless).toEqual([]);
  });

  it("every error class has one base and lands on a row of its code", () => {
    expect(SAMPLES).toHaveLength(27);
    for (const e of SAMPLES) {
      expect(e, e.name).toBeInstanceOf(PodpisError);
      expect(e, e.name).toBeInstanceOf(Error);
      expect(edgeEntryOf(e), e.name).toBe(EDGE[e.code as ErrorCode]);
    }
    // one code, one meaning: the two "no signature" classes share one base and one row
    expect(new NotSignedDataError("x")).toBeInstanceOf(NotASignatureError);
    expect(new NotXmlSignatureError("x")).toBeInstanceOf(NotASignatureError);
    expect(edgeEntryOf(new NotSignedDataError("x"))).toBe(edgeEntryOf(new NotXmlSignatureError("x")));
  });

  it("maps the families as the contract asks", () => {
    const lim = problemFor(new LimitExceededError("signatureChecks", 128, 129));
    expect(lim.status).toBe(422);
    expect(lim.extra).toEqual({ limit: "signatureChecks", max: 128, used: 129 });
    const tsa = problemFor(new TimestampError("TSA_TIMEOUT", "slow"));
    expect(tsa.status).toBe(503);
    expect(tsa.headers["Retry-After"]).toBe(String(RETRY_AFTER_SECONDS.tsa));
    expect(tsa.extra).toEqual({ family: "DEPENDENCY_UNAVAILABLE", dependency: "tsa", retryAfter: RETRY_AFTER_SECONDS.tsa });
    // classified by the adapter that met it: its own Retry-After
    const db = problemFor(new DependencyUnavailableError("database", "the PostgreSQL archive cannot be reached", 7));
    expect([db.status, db.body.code, db.headers["Retry-After"]]).toEqual([503, "DEPENDENCY_UNAVAILABLE", "7"]);
    expect(db.extra).toEqual({ dependency: "database", retryAfter: 7 });
    expect(problemFor(new ArchiveError("STORAGE_UNAVAILABLE", "down")).extra).toMatchObject({ dependency: "database" });
    expect(problemFor(new CrlFetchError("http://x/", "timeout", "t")).extra).toMatchObject({ dependency: "crl-distribution-point" });
    // a bug: 500, and nothing of it reaches the client
    const bug = problemFor(new TypeError("secret internals at /srv/podpis/x.js"));
    expect(bug.status).toBe(500);
    expect(bug.body.code).toBe("INTERNAL");
    expect(JSON.stringify(bug)).not.toContain("secret internals");
    // a misconfiguration: 500 with its code, without the message (it may name server paths)
    const conf = problemFor(new PolicyError("/etc/podpis/policy.json: bad"));
    expect(conf.status).toBe(500);
    expect(conf.body.code).toBe("POLICY_INVALID");
    expect(JSON.stringify(conf)).not.toContain("/etc/podpis");
    expect(exitCodeFor(new TypeError("bug"))).toBe(EXIT_INTERNAL);
  });
});

/** Errors to drive through both edges, with what each edge must answer. */
const DRIVEN: Array<{ error: () => Error; exit: number; status: number; code: string; retryAfter?: string }> = [
  { error: () => new NotSignedDataError("not CMS SignedData: truncated"), exit: 2, status: 422, code: "NOT_A_SIGNATURE" },
  { error: () => new InputFileError("INPUT_NOT_FOUND", "signature not found: /x"), exit: 64, status: 400, code: "INPUT_NOT_FOUND" },
  { error: () => new TimestampError("TSA_UNREACHABLE", "cannot reach the TSA"), exit: 2, status: 503, code: "TSA_UNREACHABLE", retryAfter: String(RETRY_AFTER_SECONDS.tsa) },
  { error: () => new LimitExceededError("xmlNodes", 10, 11), exit: 2, status: 422, code: "LIMIT_EXCEEDED" },
  { error: () => new Asn1Error("length runs past the end"), exit: 2, status: 422, code: "MALFORMED_ASN1" },
  { error: () => new DependencyUnavailableError("tsa", "the time-stamping authority is unavailable", 10), exit: 2, status: 503, code: "DEPENDENCY_UNAVAILABLE", retryAfter: "10" },
  { error: () => new RangeError("a bug"), exit: 70, status: 500, code: "INTERNAL" },
];

describe("the command line's exit path (cli/main.ts run)", () => {
  for (const d of DRIVEN) {
    it(`${d.code} → exit ${d.exit}`, async () => {
      let err = "";
      // main.ts's own dispatch (the real catch, the real table) around a command that throws this error
      const exit = await runCommand("verify", async () => {
        throw d.error();
      }, [], { stdout: () => undefined, stderr: (t) => void (err += t) });
      expect(exit).toBe(d.exit);
      expect(err).not.toMatch(/\n\s+at /); // no stack trace
      if (d.exit === 2) expect(err).toContain(`${d.code}: `);
      if (d.exit === 64) expect(err).toContain("(see `podpis help`)");
      if (d.exit === 70) expect(err).toContain("internal error");
    });
  }
});

it("a real command's usage error still ends in exit 64 through the same path", async () => {
  let err = "";
  expect(await run(["verify", "/nonexistent/podpis-edge-test.p7s"], { stdout: () => undefined, stderr: (t) => void (err += t) })).toBe(64);
  expect(err).toContain("not found");
});

describe("the service's error path (http/app.ts fail)", () => {
  let server: Server;
  let base: string;
  let next: () => Error = () => new Error("unset");
  beforeAll(async () => {
    const service = { checkReceipt: async () => { throw next(); } } as unknown as PodpisService;
    const app = createApp({ service, archive: {} as ArchiveStore, log: pino({ level: "silent" }), maxBodyBytes: 1 << 20, ratePerSecond: 1000, rateBurst: 1000 });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  for (const d of DRIVEN) {
    it(`${d.code} → ${d.status} problem+json`, async () => {
      next = d.error;
      const res = await fetch(`${base}/api/v1/receipts/verify`, { method: "POST", body: "<receipt/>" });
      expect(res.status).toBe(d.status);
      expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(res.headers.get("retry-after")).toBe(d.retryAfter ?? null);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.code).toBe(d.code);
      expect(body.status).toBe(d.status);
      expect(body.type).toBe(`urn:podpis:problem:${d.code.toLowerCase().replace(/_/g, "-")}`);
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/); // no stack
      if (d.code === "LIMIT_EXCEEDED") expect(body).toMatchObject({ limit: "xmlNodes", max: 10, used: 11 });
      if (d.code === "INTERNAL") expect(JSON.stringify(body)).not.toContain("a bug");
    });
  }
});
