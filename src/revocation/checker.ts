/**
 * Certificate status from CRLs (RFC 5280 §6.3): for each distribution point of the certificate
 * (or, without the extension, the CRLs of its issuer), the complete CRLs in scope, their delta
 * CRLs, the CRL signer, until every reason code is covered or a revocation is found.
 *
 * Never "good" without a CRL that covers the certificate for all reasons: a missing, stale,
 * unverifiable or out-of-scope CRL makes the status "unknown" with a code saying why.
 */
import { createHash, type KeyObject } from "node:crypto";
import { children, readRoot } from "../asn1/der.js";
import { signatureAlgorithm, verifySignature } from "../pki/algorithms.js";
import { type Certificate, KeyUsage, publicKeyOf } from "../pki/certificate.js";
import { ALL_REASONS, type DistributionPoint, type DistributionPointName, type GeneralName } from "../pki/general-name.js";
import { type Name, appendRdn } from "../pki/name.js";
import { DEFAULT_VALIDATION_BUDGET } from "../limits/budgets.js";
import { BoundedCache, bytesEqual } from "../pki/path-builder.js";
import type { Crl, IssuingDistributionPoint, RevokedEntry } from "./crl-types.js";
import { CrlFetchError, type CrlFetcher } from "./fetch.js";
import { FetchBudget } from "../limits/fetch-budget.js";
import type { RevocationChecker, RevocationContext, RevocationErrorCode, RevocationResult } from "./types.js";
import { type OcspCheckerOptions, createOcspChecker } from "./ocsp-checker.js";

/** What the checker needs of a CRL store (CrlStore provides it). */
export interface CrlSource {
  /** CRLs, complete and delta, whose issuer has this Name key, newest first */
  byIssuer(nameKey: string): readonly Crl[];
  add(crl: Crl): Crl;
  /** drops a CRL (a fetched one superseded by a newer fetch) */
  remove?(sha256: string): boolean;
  /** the stored CRL with this DER hash */
  bySha256?(sha256: string): Crl | undefined;
}

export interface CrlCheckerOptions {
  store: CrlSource;
  /** fetches distribution points when `ctx.allowFetch` and the store has no usable CRL */
  fetcher?: CrlFetcher;
  /** RFC 5280 §6.3.3 use-deltas; default true */
  useDeltas?: boolean;
  /** CRL signature results by `${crl.sha256}:${signer.sha256}` (default: this checker's own) */
  signatureCache?: BoundedCache<boolean>;
  /** most certificates tried as the signer of one CRL */
  maxSignerCandidates?: number;
  /**
   * DER bytes of fetched CRLs kept in the store, the least recently fetched dropped first
   * (configured CRLs are not counted and never dropped); default 256 MiB
   */
  maxFetchedBytes?: number;
}

/** A certificate without cRLDistributionPoints: one implicit point, the CRLs of its issuer. */
const IMPLICIT_DP: DistributionPoint = { name: null, reasons: null, crlIssuer: null };

/** Which reason to report when several CRLs could not be used; lower is more telling. */
const PROBLEM_ORDER: RevocationErrorCode[] = [
  "CRL_UNSUPPORTED",
  "CRL_SIGNATURE_INVALID",
  "CRL_ISSUER_INVALID",
  "CRL_STALE",
  "CRL_NOT_YET_VALID",
  "FETCH_LIMIT",
  "CRL_FETCH_FAILED",
  "CRL_MALFORMED",
  "REASONS_NOT_COVERED",
  "CRL_MISSING",
];

interface Problem {
  code: RevocationErrorCode;
  message: string;
}

/** The state of §6.3.2 for one certificate. */
class Check {
  reasons = 0;
  readonly consulted = new Set<string>();
  problem: Problem | null = null;
  revoked: RevokedEntry | null = null;
  /** the newest thisUpdate among the CRLs used (the report's revocation.thisUpdate) */
  thisUpdate: Date | null = null;

  note(code: RevocationErrorCode, message: string): void {
    if (!this.problem || PROBLEM_ORDER.indexOf(code) < PROBLEM_ORDER.indexOf(this.problem.code)) this.problem = { code, message };
  }
}

interface Signer {
  cert: Certificate;
  key: KeyObject;
  tag: string;
}

export function createCrlChecker(opts: CrlCheckerOptions): RevocationChecker {
  return new CrlChecker(opts);
}

export interface RevocationCheckerOptions extends CrlCheckerOptions {
  /** the sources per certificate, in order (the policy's revocation.order); default CRL only */
  order?: readonly ("ocsp" | "crl")[];
  /** OCSP settings (fetcher, supplied responses, nonce, hash, clock skew) */
  ocsp?: Omit<OcspCheckerOptions, "responderStatus">;
}

/**
 * CRL and OCSP per the policy's order: the next source is asked only when the one before left
 * the status unknown, and all share the validation's fetch budget. Without "ocsp" in the order
 * this is the CRL checker itself, so the CRL path pays nothing for OCSP.
 */
export function createRevocationChecker(opts: RevocationCheckerOptions): RevocationChecker {
  const crl = new CrlChecker(opts);
  const order = opts.order ?? ["crl"];
  if (!order.includes("ocsp")) return crl;
  const ocsp = createOcspChecker({
    ...opts.ocsp,
    // RFC 6960 §4.2.2.2.1: a delegated responder's certificate without id-pkix-ocsp-nocheck is
    // checked by its CA's CRLs (not by OCSP: its own responder would vouch for itself).
    async responderStatus(responder, ctx) {
      const r = await crl.check(responder, ctx);
      if (r.status === "good") return null;
      if (r.status === "revoked") return `revoked (CRL) at ${r.revocationDate!.toISOString()}`;
      return `unknown by CRL: ${r.message ?? r.errorCode}`;
    },
  });
  const supplied = (opts.ocsp?.supplied?.length ?? 0) > 0;
  const hasCrl = order.includes("crl");
  return {
    async check(cert, ctx) {
      // a certificate that names no responder, with no response supplied: the CRL path, unchanged
      if (!supplied && hasCrl && cert.ocspUris.length === 0) return crl.check(cert, ctx);
      const unknowns: RevocationResult[] = [];
      for (const name of order) {
        const source = name === "ocsp" ? ocsp : crl;
        const r = await source.check(cert, ctx);
        if (r.status !== "unknown") return unknowns.length ? { ...r, crls: [...new Set([...unknowns.flatMap((u) => u.crls), ...r.crls])] } : r;
        unknowns.push(r);
      }
      // every source failed: the most telling code (not "nothing there"), every reason in the message
      const telling = unknowns.find((u) => u.errorCode !== "OCSP_MISSING" && u.errorCode !== "CRL_MISSING") ?? unknowns[0]!;
      const message = unknowns.map((u, i) => `${order[i] === "ocsp" ? "OCSP" : "CRL"}: ${u.message ?? u.errorCode}`).join("; ");
      return { status: "unknown", source: null, ...(telling.errorCode ? { errorCode: telling.errorCode } : {}), message, crls: [...new Set(unknowns.flatMap((u) => u.crls))] };
    },
  };
}

class CrlChecker implements RevocationChecker {
  private readonly store: CrlSource;
  private readonly useDeltas: boolean;
  private readonly cache: BoundedCache<boolean>;
  private readonly maxSigners: number;
  private readonly bySubject = new WeakMap<readonly Certificate[], Map<string, Certificate[]>>();
  /** the CRL last fetched from each URL, least recently fetched first */
  private readonly fetched = new Map<string, { sha256: string; bytes: number }>();
  private fetchedBytes = 0;

  constructor(private readonly opts: CrlCheckerOptions) {
    this.store = opts.store;
    this.useDeltas = opts.useDeltas ?? true;
    // The key names the exact CRL and signer bytes, so a result never goes stale.
    this.cache = opts.signatureCache ?? new BoundedCache<boolean>(50_000);
    this.maxSigners = opts.maxSignerCandidates ?? 16;
  }

  async check(cert: Certificate, ctx: RevocationContext): Promise<RevocationResult> {
    const state = new Check();
    const dps = cert.crlDistributionPoints?.length ? cert.crlDistributionPoints : [IMPLICIT_DP];
    const unsettled: DistributionPoint[] = [];
    for (const dp of dps) {
      if (state.reasons === ALL_REASONS || state.revoked) break;
      if (!(await this.fromStore(cert, dp, ctx, state))) unsettled.push(dp);
    }
    // Nothing usable stored for some points (none, stale, unusable): fetch them all at once
    // (within the validation's budget), then look again.
    if (!state.revoked && state.reasons !== ALL_REASONS && unsettled.length > 0 && ctx.allowFetch && this.opts.fetcher) {
      await this.fetchAll(unsettled, ctx, state);
      for (const dp of unsettled) {
        if (state.reasons === ALL_REASONS || state.revoked) break;
        await this.fromStore(cert, dp, ctx, state);
      }
    }
    const crls = [...state.consulted];
    if (state.revoked) {
      const entry = state.revoked;
      return {
        status: "revoked",
        source: "CRL",
        revocationDate: entry.revocationDate,
        ...(entry.reason ? { reason: entry.reason } : {}),
        crls,
        ...(state.thisUpdate ? { thisUpdate: state.thisUpdate } : {}),
      };
    }
    if (state.reasons === ALL_REASONS) return { status: "good", source: "CRL", crls, ...(state.thisUpdate ? { thisUpdate: state.thisUpdate } : {}) };
    const problem =
      state.problem ??
      (state.reasons !== 0
        ? { code: "REASONS_NOT_COVERED" as const, message: "the CRLs in scope do not cover every revocation reason" }
        : { code: "CRL_MISSING" as const, message: "no CRL in scope for this certificate" });
    return { status: "unknown", source: null, errorCode: problem.code, message: problem.message, crls };
  }

  /**
   * §6.3.3 (a)–(l) for one distribution point over the CRLs in the store; true when some complete
   * CRL in scope was usable for it.
   */
  private async fromStore(cert: Certificate, dp: DistributionPoint, ctx: RevocationContext, state: Check): Promise<boolean> {
    let used = false;
    const at = ctx.at.getTime();
    for (const crl of this.completeCrls(cert, dp)) {
      if (state.reasons === ALL_REASONS || state.revoked) break;
      const idp = crl.issuingDistributionPoint;
      // (b)(1): a cRLIssuer in the distribution point means an indirect CRL from that issuer
      if (dp.crlIssuer && !idp?.indirectCRL) continue;
      if (!inScope(cert, dp, crl, idp)) continue;
      state.consulted.add(crl.sha256);
      if (crl.unknownCriticalExtensions.length > 0) {
        state.note("CRL_UNSUPPORTED", `CRL ${crl.sha256.slice(0, 16)} has unrecognised critical extension(s) ${crl.unknownCriticalExtensions.join(", ")}`);
        continue;
      }
      if (crl.thisUpdate.getTime() > at) {
        state.note("CRL_NOT_YET_VALID", `CRL ${crl.sha256.slice(0, 16)} was issued after the validation time (thisUpdate ${crl.thisUpdate.toISOString()})`);
        continue;
      }
      // (c)–(d): the reasons this CRL adds
      const interim = (idp?.onlySomeReasons ?? ALL_REASONS) & (dp.reasons ?? ALL_REASONS) & ALL_REASONS;
      if ((interim & ~state.reasons) === 0) continue;
      // (f)–(g)
      const signer = await this.signerOf(crl, ctx, state);
      if (!signer) continue;
      // (a)(1)(i), (c), (h): a current delta CRL
      const delta = this.useDeltas ? this.deltaFor(crl, signer, ctx, state) : null;
      const stale = crl.nextUpdate !== null && crl.nextUpdate.getTime() < at;
      if (stale && !delta) {
        state.note("CRL_STALE", `the newest CRL in scope was due for replacement at ${crl.nextUpdate!.toISOString()}`);
        continue;
      }
      // (i)–(k)
      let entry: RevokedEntry | null = null;
      if (delta) {
        const e = entryFor(delta, cert);
        if (e?.unknownCriticalExtension) {
          state.note("CRL_UNSUPPORTED", `the delta CRL entry has unrecognised critical extension ${e.unknownCriticalExtension}`);
          continue;
        }
        entry = e;
      }
      if (!entry) {
        const e = entryFor(crl, cert);
        if (e?.unknownCriticalExtension) {
          state.note("CRL_UNSUPPORTED", `the CRL entry has unrecognised critical extension ${e.unknownCriticalExtension}`);
          continue;
        }
        entry = e;
      }
      used = true;
      if (delta) state.consulted.add(delta.sha256);
      const tu = delta ? delta.thisUpdate : crl.thisUpdate;
      if (!state.thisUpdate || tu > state.thisUpdate) state.thisUpdate = tu;
      // (l)
      state.reasons |= interim;
      if (entry && entry.reason !== "removeFromCRL") {
        state.revoked = entry;
        break;
      }
    }
    return used;
  }

  /** Complete CRLs whose issuer is the one the distribution point names (§6.3.3 (b)(1)). */
  private completeCrls(cert: Certificate, dp: DistributionPoint): Crl[] {
    const issuers = dp.crlIssuer ? directoryNames(dp.crlIssuer) : [cert.issuer];
    const out: Crl[] = [];
    for (const name of issuers) for (const c of this.store.byIssuer(name.key)) if (c.deltaCrlIndicator === null) out.push(c);
    if (issuers.length > 1) out.sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
    return out;
  }

  /**
   * §6.3.3 (f): the CRL's signer. Usually the certificate's issuer itself; otherwise another
   * certificate under the CRL issuer's name (a separate CRL-signing key, a rolled-over key, an
   * indirect CRL issuer), which must carry cRLSign and have a valid path to the same anchor.
   */
  private async signerOf(crl: Crl, ctx: RevocationContext, state: Check): Promise<Signer | null> {
    const issuer = ctx.issuer;
    let problem: Problem | null = null;
    if (crl.issuer.key === issuer.subject.key) {
      const key = ctx.issuerPublicKey ?? ownKey(issuer);
      const tag = ctx.issuerPublicKey ? keyTag(ctx.issuerPublicKey) : "";
      if (key && this.verify(crl, issuer, key, tag)) {
        if (canSignCrls(issuer)) return { cert: issuer, key, tag };
        problem = { code: "CRL_ISSUER_INVALID", message: "the CRL issuer's certificate does not allow CRL signing (keyUsage without cRLSign)" };
      }
    }
    const candidates = this.candidatesNamed(ctx.candidates, crl.issuer, crl);
    let tried = 0;
    for (const c of candidates) {
      if (c === issuer || c.sha256 === issuer.sha256) continue;
      if (++tried > this.maxSigners) break;
      const key = ownKey(c);
      if (!key || !this.verify(crl, c, key, "")) continue;
      if (!canSignCrls(c)) {
        problem ??= { code: "CRL_ISSUER_INVALID", message: "the certificate that signed the CRL does not allow CRL signing (keyUsage without cRLSign)" };
        continue;
      }
      if (await ctx.validateCrlSigner(c)) return { cert: c, key, tag: "" };
      problem = { code: "CRL_ISSUER_INVALID", message: "the certificate that signed the CRL has no valid path to the trust anchor" };
    }
    if (problem) state.note(problem.code, problem.message);
    else state.note("CRL_SIGNATURE_INVALID", `the signature of CRL ${crl.sha256.slice(0, 16)} does not verify with any key of its issuer`);
    return null;
  }

  /** Candidates whose subject is the CRL issuer, those whose SKI the CRL's AKI names first. */
  private candidatesNamed(all: readonly Certificate[], name: Name, crl: Crl): Certificate[] {
    let index = this.bySubject.get(all);
    if (!index) {
      index = new Map();
      for (const c of all) {
        const l = index.get(c.subject.key);
        if (l) l.push(c);
        else index.set(c.subject.key, [c]);
      }
      this.bySubject.set(all, index);
    }
    const list = index.get(name.key) ?? [];
    const kid = crl.authorityKeyIdentifier?.keyIdentifier;
    if (!kid || list.length < 2) return list;
    return [...list].sort((a, b) => Number(b.subjectKeyIdentifier === kid) - Number(a.subjectKeyIdentifier === kid));
  }

  private verify(crl: Crl, signer: Certificate, key: KeyObject, tag: string): boolean {
    const id = `${crl.sha256}:${signer.sha256}${tag}`;
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    let ok = false;
    if (sameAlgorithm(crl)) {
      try {
        ok = verifySignature(signatureAlgorithm(crl.signatureAlgorithm), key, crl.tbs, crl.signatureValue);
      } catch {
        ok = false;
      }
    }
    this.cache.set(id, ok);
    return ok;
  }

  /**
   * The newest usable delta CRL for a complete CRL (RFC 5280 §5.2.4, §6.3.3 (c), (h)): same issuer,
   * same scope, same key, a base CRL number not beyond the complete CRL's number, newer than it,
   * current at the validation time, signed by the same signer.
   */
  private deltaFor(complete: Crl, signer: Signer, ctx: RevocationContext, state: Check): Crl | null {
    if (complete.crlNumber === null) return null;
    const at = ctx.at.getTime();
    let best: Crl | null = null;
    for (const d of this.store.byIssuer(complete.issuer.key)) {
      if (d.deltaCrlIndicator === null || d.deltaCrlIndicator > complete.crlNumber) continue;
      if (d.crlNumber !== null && d.crlNumber <= complete.crlNumber) continue;
      if (!sameScope(d, complete)) continue;
      const ka = d.authorityKeyIdentifier?.keyIdentifier;
      const kb = complete.authorityKeyIdentifier?.keyIdentifier;
      if (ka && kb && ka !== kb) continue;
      if (d.thisUpdate.getTime() > at || (d.nextUpdate !== null && d.nextUpdate.getTime() < at)) continue;
      if (d.unknownCriticalExtensions.length > 0) {
        state.note("CRL_UNSUPPORTED", `delta CRL ${d.sha256.slice(0, 16)} has unrecognised critical extension(s) ${d.unknownCriticalExtensions.join(", ")}`);
        continue;
      }
      if (!this.verify(d, signer.cert, signer.key, signer.tag)) continue;
      if (!best || (d.crlNumber ?? 0n) > (best.crlNumber ?? 0n)) best = d;
    }
    return best;
  }

  /**
   * Remembers the CRL fetched from `url`. A long-running service refetches a distribution point
   * as its CRLs age: only the newest per URL is kept, so a 45 MB national CRL is held once, not
   * once per nextUpdate; and fetched CRLs together stay under maxFetchedBytes (a CRL is stored
   * before its signature is checked, so hostile distribution points must not fill memory).
   */
  private keepFetched(url: string, crl: Crl): void {
    const previous = this.fetched.get(url);
    if (previous) this.forgetFetched(url, previous.sha256 !== crl.sha256);
    this.fetched.set(url, { sha256: crl.sha256, bytes: crl.der.length });
    this.fetchedBytes += crl.der.length;
    const max = this.opts.maxFetchedBytes ?? 256 * 1024 * 1024;
    while (this.fetched.size > 1 && (this.fetchedBytes > max || this.fetched.size > MAX_FETCHED_URLS)) this.forgetFetched(this.fetched.keys().next().value!, true);
  }

  private isFetched(sha256: string): boolean {
    for (const e of this.fetched.values()) if (e.sha256 === sha256) return true;
    return false;
  }

  private forgetFetched(url: string, dropCrl: boolean): void {
    const e = this.fetched.get(url)!;
    this.fetched.delete(url);
    this.fetchedBytes -= e.bytes;
    // (the same CRL may also have come from another URL, or from the configuration: keep it then)
    if (dropCrl && this.store.remove && ![...this.fetched.values()].some((o) => o.sha256 === e.sha256)) this.store.remove(e.sha256);
  }

  /**
   * Fetches the http(s) URIs of these distribution points into the store, in parallel, as far as
   * the validation's fetch budget allows (issue 11.5); failures and a spent budget are noted.
   */
  private async fetchAll(dps: readonly DistributionPoint[], ctx: RevocationContext, state: Check): Promise<void> {
    const fetcher = this.opts.fetcher!;
    const budget = ctx.fetchBudget ?? new FetchBudget(DEFAULT_VALIDATION_BUDGET);
    const urls = new Set<string>();
    for (const dp of dps) {
      if (!dp.name || !("fullName" in dp.name)) continue;
      for (const g of dp.name.fullName) if (g.type === "uniformResourceIdentifier" && /^https?:\/\//i.test(g.value)) urls.add(g.value);
    }
    const started: Array<Promise<void>> = [];
    for (const url of urls) {
      const signal = budget.take();
      if (!signal) break;
      const opts = { signal, maxRedirects: budget.limits.fetchRedirects, allowHost: (h: string) => budget.allowsHost(h) };
      started.push(
        fetcher.fetch(url, ctx.at, opts).then(
          (fetched) => {
            // A CRL the store already held (configured, or fetched before) is not this fetch's to drop later.
            const known = this.store.bySha256?.(fetched.sha256) !== undefined && !this.isFetched(fetched.sha256);
            const crl = this.store.add(fetched);
            if (!known) this.keepFetched(url, crl);
          },
          (e: unknown) => {
            if (e instanceof CrlFetchError && e.reason === "aborted" && budget.spent) return;
            state.note("CRL_FETCH_FAILED", e instanceof Error ? e.message : String(e));
          },
        ),
      );
    }
    await Promise.all(started);
    if (budget.spent) state.note("FETCH_LIMIT", `revocation not fully checked: ${budget.spent.message}`);
  }
}

/** URLs whose last fetched CRL the checker remembers (to drop the previous one from the store). */
const MAX_FETCHED_URLS = 4096;

function ownKey(c: Certificate): KeyObject | null {
  try {
    return publicKeyOf(c);
  } catch {
    return null;
  }
}

const keyTags = new WeakMap<KeyObject, string>();

/** Tells a working key that differs from the certificate's own apart in the signature cache. */
function keyTag(key: KeyObject): string {
  let t = keyTags.get(key);
  if (!t) {
    t = ":k" + createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex").slice(0, 32);
    keyTags.set(key, t);
  }
  return t;
}

function canSignCrls(c: Certificate): boolean {
  return c.keyUsage === null || (c.keyUsage & (1 << KeyUsage.cRLSign)) !== 0;
}

function sameAlgorithm(crl: Crl): boolean {
  const a = crl.signatureAlgorithm;
  const b = crl.tbsSignatureAlgorithm;
  if (a.oid !== b.oid) return false;
  const isNull = (p: Uint8Array | null) => p === null || (p.length === 2 && p[0] === 0x05 && p[1] === 0);
  if (a.params === null || b.params === null) return isNull(a.params) && isNull(b.params);
  return bytesEqual(a.params, b.params);
}

function directoryNames(names: readonly GeneralName[]): Name[] {
  return names.flatMap((g) => (g.type === "directoryName" ? [g.name] : []));
}

/**
 * The entry of `crl` about `cert`: same serial and, in an indirect CRL, the same certificate
 * issuer (§5.3.3). A direct CRL speaks only of its issuer's certificates, so a stray
 * certificateIssuer there cannot hide an entry.
 */
function entryFor(crl: Crl, cert: Certificate): RevokedEntry | null {
  const indirect = crl.issuingDistributionPoint?.indirectCRL === true;
  for (const e of crl.lookup(serialKeyOf(cert))) {
    if (!indirect) return e;
    const issuers = e.certificateIssuer ? directoryNames(e.certificateIssuer) : [crl.issuer];
    if (issuers.some((n) => n.key === cert.issuer.key)) return e;
  }
  return null;
}

const serialKeys = new WeakMap<Certificate, string>();

/**
 * The serial as its minimal two's-complement octets in hex: unlike Certificate.serialNumber
 * (leading zero octets dropped, for display), 00 FF (255) and FF (-1) stay apart (PKITS 4.4.14/15).
 */
export function serialKeyOf(cert: Certificate): string {
  let k = serialKeys.get(cert);
  if (k === undefined) {
    const tbs = children(cert.tbs, readRoot(cert.tbs));
    const serial = tbs[0]?.tag === 0xa0 ? tbs[1]! : tbs[0]!;
    let i = serial.cs;
    const end = serial.ce;
    const b = cert.tbs;
    // drop sign-extension octets only: 00 before a clear high bit, FF before a set one
    while (i < end - 1 && ((b[i] === 0x00 && b[i + 1]! < 0x80) || (b[i] === 0xff && b[i + 1]! >= 0x80))) i++;
    k = Buffer.from(b.buffer, b.byteOffset + i, end - i).toString("hex");
    serialKeys.set(cert, k);
  }
  return k;
}

/** §6.3.3 (b)(2): the issuing distribution point of the CRL covers this certificate. */
function inScope(cert: Certificate, dp: DistributionPoint, crl: Crl, idp: IssuingDistributionPoint | null): boolean {
  if (!idp) return true;
  if (idp.distributionPoint) {
    const crlNames = dpNameKeys(idp.distributionPoint, crl.issuer);
    let certNames: Set<string>;
    if (dp.name) {
      const base = dp.crlIssuer ? (directoryNames(dp.crlIssuer)[0] ?? cert.issuer) : cert.issuer;
      certNames = dpNameKeys(dp.name, base);
    } else if (dp.crlIssuer) certNames = new Set(dp.crlIssuer.map(generalNameKey));
    else return false; // a partitioned CRL does not cover a certificate that names no distribution point
    let match = false;
    for (const k of crlNames) if (certNames.has(k)) match = true;
    if (!match) return false;
  }
  const isCa = cert.basicConstraints?.ca === true;
  if (idp.onlyContainsUserCerts && isCa) return false;
  if (idp.onlyContainsCACerts && !isCa) return false;
  if (idp.onlyContainsAttributeCerts) return false;
  return true;
}

/** Comparable keys of a DistributionPointName; a relative name is appended to `base` (§4.2.1.13, §5.2.5). */
function dpNameKeys(name: DistributionPointName, base: Name): Set<string> {
  if ("fullName" in name) return new Set(name.fullName.map(generalNameKey));
  return new Set([`dn:${appendRdn(base, name.relativeName).key}`]);
}

function generalNameKey(g: GeneralName): string {
  switch (g.type) {
    case "directoryName":
      return `dn:${g.name.key}`;
    case "rfc822Name":
    case "dNSName":
    case "uniformResourceIdentifier":
      return `${g.type}:${g.value}`;
    case "iPAddress":
      return `ip:${Buffer.from(g.bytes).toString("hex")}`;
    case "registeredID":
      return `oid:${g.oid}`;
    default:
      return `${g.type}:${Buffer.from(g.der).toString("hex")}`;
  }
}

/** Same issuing distribution point (§6.3.3 (c): a delta must have the complete CRL's scope). */
function sameScope(a: Crl, b: Crl): boolean {
  return idpKey(a) === idpKey(b);
}

function idpKey(crl: Crl): string {
  const idp = crl.issuingDistributionPoint;
  if (!idp) return "";
  const names = idp.distributionPoint ? [...dpNameKeys(idp.distributionPoint, crl.issuer)].sort().join("|") : "";
  return [
    names,
    idp.onlyContainsUserCerts,
    idp.onlyContainsCACerts,
    idp.onlySomeReasons ?? "all",
    idp.indirectCRL,
    idp.onlyContainsAttributeCerts,
  ].join(";");
}
