/** `podpis sign`: CAdES or XAdES, B-B or B-T, with a PKCS#12 file or a PKCS#11 token. */
import { BUNDLED } from "../bundled.js";
import { writeFileAtomically } from "../io/atomic-file.js";
import { basename, extname, resolve } from "node:path";
import { signCades } from "../cades/sign.js";
import { openKey } from "../keys/index.js";
import type { KeyProvider, SigningHash, SigningScheme } from "../keys/provider.js";
import { readSecret } from "../keys/secret.js";
import { isPkcs11Uri } from "../keys/pkcs11-uri.js";
import { CertificateError, parseCertificate, parseCertificates } from "../pki/certificate.js";
import { InputError } from "../validation/errors.js";
import { nameToString } from "../pki/name.js";
import { TrustStore } from "../pki/trust-store.js";
import { createCrlChecker } from "../revocation/checker.js";
import { CrlStore } from "../revocation/crl-store.js";
import { createCrlFetcher } from "../revocation/fetch.js";
import { createTimestamper, httpTransport } from "../io/tsa-client.js";
import { type ValidationContext, createValidationContext } from "../validation/context.js";
import { withOverrides } from "../validation/policy.js";
import { defaultValidationPolicy } from "../validator.js";
import { signXades } from "../xades/sign.js";
import { UsageError, all, has, one, parseArgs } from "./args.js";
import { readFileOrDir, readInput } from "../io/files.js";
import { type Output, json } from "./output.js";

const FLAGS = {
  key: { value: true },
  "password-env": { value: true },
  format: { value: true },
  packaging: { value: true },
  level: { value: true },
  tsa: { value: true },
  "tsa-timeout": { value: true },
  hash: { value: true },
  "rsa-pss": {},
  "mime-type": { value: true },
  "pkcs11-module": { value: true },
  trust: { value: true, repeat: true },
  crl: { value: true, repeat: true },
  untrusted: { value: true, repeat: true },
  offline: {},
  o: { value: true },
  json: {},
};


const MIME: Record<string, string> = {
  ".xml": "text/xml",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".json": "application/json",
  ".html": "text/html",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".odt": "application/vnd.oasis.opendocument.text",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

function choice<T extends string>(v: string | undefined, allowed: readonly T[], flag: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${flag} must be one of ${allowed.join(", ")} (got "${v}")`);
  return v as T;
}

/** Trust for the TSA's certificate: --trust/--crl/--untrusted, or the bundled test trust store and CRLs. */
function tsaContext(a: ReturnType<typeof parseArgs>): ValidationContext {
  const trustPaths = all(a, "trust").length ? all(a, "trust") : [BUNDLED.trust];
  const crlPaths = all(a, "crl").length ? all(a, "crl") : all(a, "trust").length ? [] : [BUNDLED.crls];
  const store = new CrlStore();
  for (const p of crlPaths) for (const f of readFileOrDir(p, "CRL")) if (!f.path.includes("stale")) store.addBytes(f.bytes);
  const offline = has(a, "offline");
  return createValidationContext({
    trustStore: TrustStore.fromBytes(trustPaths.flatMap((p) => readFileOrDir(p, "trust anchor")).map((f) => f.bytes)),
    // intermediates of the TSA's path that its token does not carry (contract: the trust flags)
    untrusted: all(a, "untrusted").flatMap((p) => {
      try {
        return parseCertificates(readInput(p, "untrusted certificate (--untrusted)"));
      } catch (e) {
        if (!(e instanceof CertificateError)) throw e;
        throw new InputError("BAD_CERTIFICATE", `--untrusted ${p}: not a certificate: ${e.message}`);
      }
    }),
    revocation: createCrlChecker({ store, fetcher: offline ? undefined : createCrlFetcher() }),
    policy: offline ? withOverrides(defaultValidationPolicy(), { revocation: { fetch: false } }) : defaultValidationPolicy(),
  });
}

/** Writes the signature so that no partial file is ever seen, and maps a failure to a coded error. */
function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    writeFileAtomically(path, bytes);
  } catch (e) {
    throw Object.assign(new Error(`cannot write ${path}: ${(e as Error).message}`), { code: "OUTPUT_NOT_WRITTEN" });
  }
}

export async function signCommand(argv: string[], out: Output): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.positionals.length !== 1) throw new UsageError("give exactly one file to sign");
  const file = a.positionals[0]!;
  const keyRef = one(a, "key");
  if (!keyRef) throw new UsageError("--key is required (a .p12 file or a pkcs11: URI)");
  const output = one(a, "o");
  if (!output) throw new UsageError("-o OUT is required");
  const format = choice(one(a, "format"), ["cades", "xades"] as const, "format", "cades");
  if (!one(a, "format")) throw new UsageError("--format cades|xades is required");
  const packaging = choice(one(a, "packaging"), format === "cades" ? (["enveloping", "detached"] as const) : (["enveloped", "enveloping", "detached"] as const), "packaging", format === "cades" ? "enveloping" : "enveloped");
  const tsaUrl = one(a, "tsa");
  const level = choice(one(a, "level"), ["B-B", "B-T"] as const, "level", tsaUrl ? "B-T" : "B-B");
  if (level === "B-T" && !tsaUrl) throw new UsageError("--level B-T needs --tsa URL");
  if (level === "B-B" && tsaUrl) throw new UsageError("--tsa is only for --level B-T");
  const hash = choice(one(a, "hash"), ["sha256", "sha384", "sha512"] as const, "hash", "sha256") as SigningHash;
  const timeoutText = one(a, "tsa-timeout");
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError("--tsa-timeout is in milliseconds");
  const content = readInput(file, "file to sign");
  if (resolve(output) === resolve(file)) throw new UsageError("-o must not be the file being signed");
  const pkcs11 = isPkcs11Uri(keyRef);
  if (!pkcs11) readInput(keyRef, "key file");
  const context = tsaUrl ? tsaContext(a) : null;

  const secret = await readSecret({
    envVar: one(a, "password-env"),
    fallbackEnv: pkcs11 ? "PODPIS_PKCS11_PIN" : undefined,
    prompt: pkcs11 ? "Token PIN: " : `Password for ${basename(keyRef)}: `,
  });
  const key: KeyProvider = await openKey({ key: keyRef, secret, pkcs11Module: one(a, "pkcs11-module") ?? process.env.PODPIS_PKCS11_MODULE });
  try {
    let scheme: SigningScheme = key.schemes[0]!;
    if (has(a, "rsa-pss")) {
      if (key.keyType !== "rsa") throw new UsageError("--rsa-pss needs an RSA key");
      scheme = "rsa-pss";
    }
    const timestamper = tsaUrl && context ? createTimestamper({ url: tsaUrl, context, transport: httpTransport({ timeoutMs: timeoutText ? Number(timeoutText) : 15_000 }) }) : undefined;
    const mimeType = one(a, "mime-type") ?? MIME[extname(file).toLowerCase()] ?? "application/octet-stream";
    const signed =
      format === "cades"
        ? await signCades({ key, content, packaging: packaging as "enveloping" | "detached", hash, scheme, timestamper })
        : await signXades({ key, content, packaging, hash, scheme, timestamper, name: basename(file), mimeType });
    writeOutput(output, signed);
    const signer = parseCertificate(key.certificate);
    const summary = {
      output,
      format: format === "cades" ? "CAdES" : "XAdES",
      packaging,
      level,
      hash,
      scheme,
      signer: nameToString(signer.subject),
      bytes: signed.length,
    };
    out.stdout(has(a, "json") ? json(summary) : `signed ${file} → ${output}: ${summary.format}-${level} ${packaging}, ${scheme} with ${hash}, by ${summary.signer}\n`);
    return 0;
  } finally {
    await key.close();
  }
}
