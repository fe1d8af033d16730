/**
 * The podpis command line (contract: "Command line"). Commands are thin: parse the arguments,
 * call one library function, render. Exit codes: 0 passed, 1 indeterminate, 2 failed (or bad
 * input), 64 usage, 70 internal (a bug); errors map to them through src/edge/errors.ts.
 */
import { chainCommand } from "./chain.js";
import { extendCommand } from "./extend.js";
import { archiveCommand } from "./archive.js";
import { auditCommand } from "./audit.js";
import { keysCommand } from "./keys.js";
import { logCommand } from "./log.js";
import { serveCommand } from "./serve.js";
import { signCommand } from "./sign.js";
import { tsaCommand } from "./tsa.js";
import { tlCommand } from "./tl.js";
import { verifyCommand } from "./verify.js";
import { EXIT_INTERNAL, exitCodeFor } from "../edge/errors.js";
import { EXIT_USAGE, type Output, stdio } from "./output.js";

const HELP = `podpis — qualified electronic signature validation (CAdES, XAdES) for e-government

Usage:
  podpis verify FILE [--content FILE]… [--trust PEM-or-DIR]… [--crl FILE-or-DIR]… [--untrusted FILE]…
                [--at ISO-8601] [--offline] [--policy FILE] [--json]
      Validates every CAdES (.p7s/.p7m, DER/BER/PEM) or XAdES (.xml) signature in FILE
      (ETSI EN 319 102-1). --content gives detached content. Without --trust, the bundled
      TEST trust store and its CRLs are used (with a warning).

  podpis chain CERT [--untrusted FILE]… --trust PEM-or-DIR… [--crl FILE-or-DIR]… [--at ISO-8601]
               [--offline] [--initial-policy OID]… [--require-explicit-policy]
               [--inhibit-policy-mapping] [--inhibit-any-policy] [--json]
      Validates one certificate path (RFC 5280 §6) with CRL revocation for every certificate.

  podpis sign FILE --key KEY.p12|pkcs11:URI [--password-env VAR] --format cades|xades
              [--packaging enveloping|enveloped|detached] [--level B-B|B-T] [--tsa URL]
              [--hash sha256|sha384|sha512] [--rsa-pss] [--mime-type TYPE] [--pkcs11-module PATH]
              [--tsa-timeout MS] [--trust PEM-or-DIR]… [--crl FILE-or-DIR]… [--untrusted FILE]… [--offline] [--json] -o OUT
      Signs FILE (CAdES .p7m/.p7s or XAdES). The password (or PKCS#11 PIN) comes from the
      environment variable --password-env names, or a prompt on a terminal; never the command line.
      B-T asks the RFC 3161 TSA at --tsa and checks its answer against --trust (default: test PKI);
      --untrusted adds intermediates of the TSA's path that its token does not carry.

  podpis extend FILE [--content FILE]… --level B-T|B-LT|B-LTA --tsa URL [--trust PEM-or-DIR]…
                [--crl FILE-or-DIR]… [--ocsp FILE]… [--untrusted FILE]… [--offline] [--tsa-timeout MS] [--json] -o OUT
      Adds to every signature what the level needs: a signature time-stamp (B-T), the certificates
      and revocation data of its paths (B-LT), an archive time-stamp (B-LTA; again: renewal).
      Signed bytes are untouched. A signature that does not validate now is refused (exit 1 or 2).

  podpis tsa [--port 3161] [--host 127.0.0.1] [--key KEY.p12|pkcs11:URI] [--password-env VAR]
             [--data DIR] [--policy OID] [--accuracy-ms N]
      Runs an RFC 3161 timestamp authority over HTTP (POST application/timestamp-query).
      Without --key, the bundled TEST TSA key.

  podpis serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--database-url URL] [--trust …]… [--crl …]…
               [--untrusted …]… [--offline] [--policy FILE] [--workers N] [--max-body BYTES]
               [--max-public-body BYTES] [--rate N] [--rate-burst N] [--seal-key KEY.p12|pkcs11:URI] [--seal-password-env VAR]
               [--tsa URL | --tsa-key KEY.p12 --tsa-password-env VAR] [--register CODE]
               [--number-format FORMAT] [--log-level LEVEL] [--allow-test-material]
      Runs the HTTP service (README: "The service"). Without --trust, the bundled TEST trust store;
      without --database-url (or DATABASE_URL), SQLite under --data (default ./data).

  podpis keys create --name NAME --scope verify|submit|audit… [--init] [--data DIR | --database-url URL] [--json]
      Makes an API key (shown only this once; stored hashed).
  podpis keys list | revoke --name NAME | rotate --name NAME [--grace 24h]  [--data DIR | --database-url URL] [--json]
      Lists keys (names, scopes, created, last used; never a secret), revokes one (refused from
      the next request on), or gives it a new secret (shown once; the old one works --grace long).

  podpis audit verify [--data DIR | --database-url URL] [--expect-head HASH] [--json]
      Walks the archive's audit log, names the first entry changed, removed or reordered, compares
      every archived object and row with the log, and prints the head; --expect-head checks a
      head kept earlier is still in the log.

  podpis log verify [RECEIPT.xml] --key VKEY-FILE (--log URL | --proof FILE) [--checkpoint OLD]
                    [--save-checkpoint FILE] [--json]
      Proves the receipt is in the service's public transparency log (C2SP tlog-tiles; URL is
      https://host/api/v1/log), or offline from a tlog-proof; --checkpoint OLD proves the log only
      grew since a checkpoint you kept. Exit 0 proven, 2 not in the log or altered, 1 unreachable.

  podpis archive backup DIR | restore DIR  [--data DIR | --database-url URL] [--json]
      A consistent copy of the archive while the service runs (SQLite's online backup; pg_dump),
      with a manifest; restore checks the copy (hash, audit log, objects) before and after writing
      it into an empty data directory or database.

  podpis tl inspect FILE-or-URL [--tl-signer CERT]… [--tl-cache DIR] [--offline] [--json]
      Reads an ETSI TS 119 612 trusted list or the EU LOTL and checks its signature: exit 0 intact
      and made by a --tl-signer certificate, 1 intact but the signer not pinned (or unsigned), 2 not intact
      or no trusted list. verify, chain and serve take --tl FILE-or-URL… [--tl-signer CERT]… [--tl-cache DIR].

  podpis archive renew --before DATE --tsa URL [--data DIR | --database-url URL] [--trust PEM-or-DIR]…
               [--crl FILE-or-DIR]… [--ocsp FILE]… [--untrusted FILE]… [--offline] [--json]
      Re-time-stamps archived evidence whose newest archive time-stamp's TSA certificate or
      algorithm expires before DATE (a new version of the evidence, audit-logged).

  podpis help
      This text.

Every command takes --json (machine output on stdout); "podpis serve|keys|audit --help" tells more. Exit codes: 0 TOTAL_PASSED,
1 INDETERMINATE, 2 TOTAL_FAILED or unusable input, 64 usage error.
Without --at, the validation time is now; tests and audits pass a fixed --at.
`;

export type Command = (argv: string[], out: Output) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  chain: chainCommand,
  verify: verifyCommand,
  sign: signCommand,
  extend: extendCommand,
  tsa: tsaCommand,
  serve: serveCommand,
  keys: keysCommand,
  audit: auditCommand,
  log: logCommand,
  archive: archiveCommand,
  tl: tlCommand,
};

export async function run(argv: string[], out: Output = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    out.stdout(HELP);
    return name ? 0 : EXIT_USAGE;
  }
  // own keys only: "constructor" or "__proto__" is an unknown command, not a member of Object
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    out.stderr(`podpis: unknown command "${name}"\n\n${HELP}`);
    return EXIT_USAGE;
  }
  return runCommand(name, cmd, rest, out);
}

/** One command, its errors turned into one stderr line (never a stack) and the edge table's exit code. */
export async function runCommand(name: string, cmd: Command, argv: string[], out: Output): Promise<number> {
  try {
    return await cmd(argv, out);
  } catch (e) {
    // The exit code comes from the one edge table (src/edge/errors.ts), as the service's status does.
    const exit = exitCodeFor(e);
    const message = (e as Error)?.message ?? String(e);
    if (exit === EXIT_USAGE) {
      out.stderr(`podpis ${name}: ${message}\n(see \`podpis help\`)\n`);
      return EXIT_USAGE;
    }
    if (exit === EXIT_INTERNAL) {
      out.stderr(`podpis ${name}: internal error: ${message}\n`);
      return EXIT_INTERNAL;
    }
    out.stderr(`podpis ${name}: ${(e as { code: string }).code}: ${message}\n`);
    return exit;
  }
}
