/**
 * The independent peers the suite checks podpis against (openssl, xmlsec1, xmllint, faketime,
 * SoftHSM2, iconv). A test that needs one is declared through `requirePeer(...)`, never behind an
 * `if (!tool) return`: with the peer present it is an ordinary test; without it, a local run
 * reports it *skipped* (and says so loudly on stderr), and a run with CI=true reports it *failed*,
 * so a missing tool can never turn into a green result.
 *
 * Bodies passed to `describe` are still collected when skipped, so they must not call a peer
 * while collecting: do the work in `beforeAll` or in the tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe as vDescribe, it as vIt } from "vitest";
import { PEER_TIME } from "./peer.js";

export type PeerName = "openssl" | "xmlsec1" | "xmllint" | "faketime" | "softhsm2" | "iconv";

export const SOFTHSM_MODULES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
];

const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

const PROBES: Record<PeerName, () => boolean> = {
  openssl: () => runs("openssl", ["version"]),
  xmlsec1: () => runs("xmlsec1", ["--version"]),
  xmllint: () => runs("xmllint", ["--version"]),
  faketime: () => runs("faketime", ["-f", `@${PEER_TIME}`, "true"]),
  iconv: () => runs("iconv", ["--version"]),
  // the utility initialises tokens; the module is what podpis loads
  softhsm2: () => runs("softhsm2-util", ["--version"]) && SOFTHSM_MODULES.some((p) => existsSync(p)),
};

const found = new Map<PeerName, boolean>();
const warned = new Set<string>();

export const CI = process.env.CI === "true";

/** Whether the peer is installed (probed once per test file). */
export function havePeer(name: PeerName): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = PROBES[name]();
    found.set(name, ok);
  }
  return ok;
}

type Body = () => unknown;

export interface Peer {
  /** every named peer is installed */
  readonly present: boolean;
  /** the names of the missing ones */
  readonly missing: PeerName[];
  it(name: string, fn: Body, timeout?: number): void;
  describe(name: string, body: () => void): void;
}

/**
 * Tests that need all of `names`. Locally, a missing peer skips them (one loud line per file and
 * set of peers); with CI=true each of them is registered and fails, naming what is missing.
 */
export function requirePeer(...names: PeerName[]): Peer {
  const missing = names.filter((n) => !havePeer(n));
  return requirement(missing.join(", "), missing.length === 0, "not installed", missing);
}

/** The same for test material kept outside the repository (the PKITS suite in shared/pkits). */
export function requireData(name: string, path: string): Peer {
  const present = existsSync(path);
  return requirement(name, present, `missing at ${path}`, []);
}

function requirement(what: string, present: boolean, reason: string, missing: PeerName[]): Peer {
  const why = `${what} ${reason}`;
  const failure = () => {
    throw new Error(`${why}: required when CI=true (.ci/run provides it)`);
  };
  if (!present && !CI && !warned.has(why)) {
    warned.add(why);
    process.stderr.write(`\n*** SKIPPING tests that need ${what}: ${why} (CI=true makes them fail) ***\n\n`);
  }
  const tag = (name: string) => `${name} [needs ${what}]`;
  return {
    present,
    missing,
    it(name, fn, timeout) {
      if (present) vIt(name, fn, timeout);
      else if (CI) vIt(tag(name), failure);
      else vIt.skip(tag(name), fn);
    },
    describe(name, body) {
      if (present) vDescribe(name, body);
      // the body is not collected: it would register tests that call the missing peer
      else if (CI) vDescribe(name, () => vIt(`needs ${what}`, failure));
      else vDescribe.skip(tag(name), body);
    },
  };
}
