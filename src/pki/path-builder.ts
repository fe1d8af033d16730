/**
 * Path building: from a leaf, through an unordered pool of untrusted certificates, to a trust
 * anchor (RFC 4158 in spirit). Depth-first with backtracking, likeliest issuer first, bounded so
 * that a hostile pool (thousands of certificates, cross-signing cycles) costs a fixed amount.
 *
 * Signatures are checked while building (a candidate whose signature fails is a wrong guess, not
 * yet an error) and their results are kept by `${child.sha256}:${issuer.sha256}`: a validator is
 * long-lived and re-verifying the same intermediates is the hot path's biggest waste.
 */
import { createHash, type KeyObject } from "node:crypto";
import { readRoot, seq, bytesOf } from "../asn1/der.js";
import { oid, sequence } from "../asn1/writer.js";
import { importPublicKey, signatureAlgorithm, verifySignature } from "./algorithms.js";
import { type Certificate, parseCertificate, publicKeyOf } from "./certificate.js";
import type { TrustStore } from "./trust-store.js";

/** A Map that forgets its oldest entries past `max`; content-addressed results only (a validator keeps its own). */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly max = 100_000) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.max && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
  get size(): number {
    return this.map.size;
  }
}

/** Untrusted certificates indexed by subject name (RFC 5280 §7.1 key). */
export class CertificatePool {
  private readonly bySubjectKey = new Map<string, Certificate[]>();
  private readonly bySha = new Set<string>();
  private readonly list: Certificate[] = [];
  private withAnchors = new WeakMap<TrustStore, { version: number; anchors: number; all: readonly Certificate[] }>();
  private version = 0;

  constructor(certs: Iterable<Certificate | Uint8Array> = []) {
    for (const c of certs) this.add(c);
  }

  /** Adds a certificate (parsed, or DER to parse); false for a duplicate or bytes that are no certificate. */
  add(cert: Certificate | Uint8Array): boolean {
    let c: Certificate;
    if (cert instanceof Uint8Array) {
      try {
        c = parseCertificate(cert);
      } catch {
        return false;
      }
    } else c = cert;
    if (this.bySha.has(c.sha256)) return false;
    this.bySha.add(c.sha256);
    this.list.push(c);
    const l = this.bySubjectKey.get(c.subject.key);
    if (l) l.push(c);
    else this.bySubjectKey.set(c.subject.key, [c]);
    this.version++;
    return true;
  }

  bySubject(nameKey: string): readonly Certificate[] {
    return this.bySubjectKey.get(nameKey) ?? NONE;
  }

  get size(): number {
    return this.list.length;
  }

  all(): readonly Certificate[] {
    return this.list;
  }

  /** Pool plus anchors, as one array kept between calls (revocation looks for CRL signers there). */
  candidatesWith(anchors: TrustStore): readonly Certificate[] {
    const hit = this.withAnchors.get(anchors);
    if (hit && hit.version === this.version && hit.anchors === anchors.size) return hit.all;
    const all = [...this.list, ...anchors.certificates().filter((a) => !this.bySha.has(a.sha256))];
    this.withAnchors.set(anchors, { version: this.version, anchors: anchors.size, all });
    return all;
  }
}

const NONE: readonly Certificate[] = Object.freeze([]);
const pools = new WeakMap<readonly Certificate[], { pool: CertificatePool; length: number }>();

/** The pool for an array of certificates, indexed once per array object (rebuilt if its length changes). */
export function poolOf(untrusted: readonly Certificate[] | CertificatePool): CertificatePool {
  if (untrusted instanceof CertificatePool) return untrusted;
  const hit = pools.get(untrusted);
  if (hit && hit.length === untrusted.length) return hit.pool;
  const pool = new CertificatePool(untrusted);
  pools.set(untrusted, { pool, length: untrusted.length });
  return pool;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

// ---------------------------------------------------------------------------------------------
// Working public keys: RFC 5280 §6.1.4 (f) DSA parameter inheritance (PKITS 4.1.5)

const DSA = "1.2.840.10040.4.1";

/** A DSA key whose parameters are absent (or NULL) takes them from the issuer's key. */
export function inheritsParameters(cert: Certificate): boolean {
  const alg = cert.publicKeyAlgorithm;
  return alg.oid === DSA && (alg.params === null || (alg.params.length === 2 && alg.params[0] === 0x05));
}

const inheritedKeys = new BoundedCache<KeyObject | null>(10_000);

/** The certificate's key with the DSA parameters it inherits, built as a SubjectPublicKeyInfo. */
export function keyWithParameters(cert: Certificate, params: Uint8Array): KeyObject | null {
  const id = `${cert.sha256}:${digest(params)}`;
  const hit = inheritedKeys.get(id);
  if (hit !== undefined) return hit;
  let key: KeyObject | null = null;
  try {
    const [, bits] = seq(cert.spki, readRoot(cert.spki), "SubjectPublicKeyInfo");
    key = importPublicKey(sequence(sequence(oid(DSA), params), bytesOf(cert.spki, bits!)));
  } catch {
    key = null;
  }
  inheritedKeys.set(id, key);
  return key;
}

function digest(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex").slice(0, 32);
}

function ownKey(cert: Certificate): KeyObject | null {
  try {
    return publicKeyOf(cert);
  } catch {
    return null;
  }
}

/**
 * Working public keys down a path (anchor last): each certificate's own key, or, for a DSA key
 * without parameters, the key with the parameters of the working key above it (§6.1.4 (d)–(f)).
 * `tags[j]` tells inherited keys apart in the signature cache ("" for a certificate's own key).
 */
export function workingKeys(path: readonly Certificate[]): { keys: (KeyObject | null)[]; tags: string[] } {
  const keys: (KeyObject | null)[] = new Array(path.length).fill(null);
  const tags: string[] = new Array(path.length).fill("");
  let workingAlg: string | null = null;
  let workingParams: Uint8Array | null = null;
  for (let j = path.length - 1; j >= 0; j--) {
    const c = path[j]!;
    if (inheritsParameters(c)) {
      if (workingAlg === DSA && workingParams) {
        keys[j] = keyWithParameters(c, workingParams);
        tags[j] = `:p${digest(workingParams)}`;
      }
    } else {
      keys[j] = ownKey(c);
      workingAlg = c.publicKeyAlgorithm.oid;
      workingParams = c.publicKeyAlgorithm.params;
    }
  }
  return { keys, tags };
}

// ---------------------------------------------------------------------------------------------
// Signatures

/** RFC 5280 §4.1.1.2: the outer signatureAlgorithm must equal the one inside TBSCertificate. */
function algorithmsAgree(c: Certificate): boolean {
  const a = c.signatureAlgorithm;
  const b = c.tbsSignatureAlgorithm;
  if (a.oid !== b.oid) return false;
  if (a.params === null || b.params === null) return a.params === b.params || isNull(a.params) || isNull(b.params);
  return bytesEqual(a.params, b.params);
}

const isNull = (p: Uint8Array | null): boolean => p === null || (p.length === 2 && p[0] === 0x05 && p[1] === 0);

/**
 * Limits on one search (pyca's Budget idea): signature checks not answered by the cache, and
 * candidate edges looked at (cached results cost nothing, so a cyclic pool whose signatures are
 * all cached still has to end). Signature checks may be drawn from a `shared` budget, so nested
 * searches (CRL signers' paths) spend from the same allowance as the search that caused them.
 */
export class PathBudget {
  /** set when a limit stopped the search, so "no path" can say it was not exhaustive */
  exhausted = false;
  constructor(
    public signatureChecks = 128,
    public steps = 1024,
    private readonly shared: PathBudget | null = null,
  ) {}
  /** Takes one signature check; false when none are left. */
  takeSignature(): boolean {
    if (this.shared) {
      if (this.shared.takeSignature()) return true;
      this.exhausted = true;
      return false;
    }
    if (this.signatureChecks <= 0) {
      this.exhausted = true;
      return false;
    }
    this.signatureChecks--;
    return true;
  }
  takeStep(): boolean {
    if (this.steps <= 0) {
      this.exhausted = true;
      return false;
    }
    this.steps--;
    return true;
  }
}

/**
 * Whether `child`'s signature verifies with `key` (the working key of its issuer `issuer`);
 * null when the budget is spent before an uncached check. Malformed keys and unsupported
 * algorithms count as a signature that does not verify.
 */
export function checkSignature(
  child: Certificate,
  issuer: Certificate,
  key: KeyObject | null,
  budget: PathBudget | null,
  cache: BoundedCache<boolean> | null = null,
  keyTag = "",
): boolean | null {
  const id = `${child.sha256}:${issuer.sha256}${keyTag}`;
  const hit = cache?.get(id);
  if (hit !== undefined) return hit;
  if (budget && !budget.takeSignature()) return null;
  let ok = false;
  // A signature BIT STRING with unused bits is no signature value the algorithm defines.
  if (key && algorithmsAgree(child) && child.signatureUnusedBits === 0) {
    try {
      ok = verifySignature(signatureAlgorithm(child.signatureAlgorithm), key, child.tbs, child.signatureValue);
    } catch {
      ok = false;
    }
  }
  cache?.set(id, ok);
  return ok;
}

/** Self-signed: self-issued and its signature verifies with its own key. */
export function isSelfSigned(cert: Certificate, cache: BoundedCache<boolean> | null = null): boolean {
  return cert.selfIssued && checkSignature(cert, cert, ownKey(cert), null, cache) === true;
}

// ---------------------------------------------------------------------------------------------
// The search

export interface CandidatePath {
  /** leaf first, the trust anchor last */
  certificates: Certificate[];
  /** signatureValid[i]: certificates[i] verifies with the working key of certificates[i + 1]; the anchor's is true */
  signatureValid: boolean[];
  /** working public key of each certificate (DSA parameters inherited where absent); null if unusable */
  publicKeys: (KeyObject | null)[];
}

export interface BuildOptions {
  anchors: TrustStore;
  pool: CertificatePool;
  /** validation time: issuers valid then are tried before others of equal likelihood */
  at: Date;
  budget: PathBudget;
  /** also yield paths with a signature that does not verify (to report why none is valid) */
  allowInvalidSignatures?: boolean;
  /** most certificates in a path, leaf and anchor included */
  maxLength?: number;
  cache?: BoundedCache<boolean>;
}

export interface BuildProgress {
  /** the top of the longest partial chain reached, for "no issuer found for …" */
  deepest: Certificate | null;
  deepestLength: number;
}

export const DEFAULT_MAX_PATH_LENGTH = 16;

type Edge = "ok" | "bad" | "deferred";

/**
 * Candidate paths from `leaf` to an anchor, likeliest first. Paths are yielded lazily: the caller
 * validates each and stops at the first that passes.
 */
export function* buildPaths(leaf: Certificate, opts: BuildOptions, progress?: BuildProgress): Generator<CandidatePath, void, undefined> {
  const cache = opts.cache ?? new BoundedCache<boolean>(10_000);
  const maxLength = opts.maxLength ?? DEFAULT_MAX_PATH_LENGTH;
  const path: Certificate[] = [leaf];
  const edges: Edge[] = [];
  const seen = new Set<string>([leaf.sha256, keyIdentity(leaf)]);
  // The same certificate is met again and again on different branches; order its issuers once.
  const ordered = new Map<Certificate, { anchors: readonly Certificate[]; parents: readonly Certificate[] }>();

  function* complete(anchor: Certificate, last: Edge): Generator<CandidatePath, void, undefined> {
    const certificates = [...path, anchor];
    const all: Edge[] = [...edges, last];
    const { keys: publicKeys, tags } = workingKeys(certificates);
    const signatureValid: boolean[] = [];
    for (let i = 0; i < all.length; i++) {
      let ok = all[i] === "ok";
      if (all[i] === "deferred") {
        ok = checkSignature(certificates[i]!, certificates[i + 1]!, publicKeys[i + 1]!, opts.budget, cache, tags[i + 1]) === true;
      }
      signatureValid.push(ok);
    }
    signatureValid.push(true);
    if (!opts.allowInvalidSignatures && signatureValid.includes(false)) return;
    yield { certificates, signatureValid, publicKeys };
  }

  function* extend(): Generator<CandidatePath, void, undefined> {
    const child = path[path.length - 1]!;
    if (progress && path.length > progress.deepestLength) {
      progress.deepest = child;
      progress.deepestLength = path.length;
    }
    if (path.length + 1 > maxLength) return;
    let issuers = ordered.get(child);
    if (!issuers) {
      issuers = {
        anchors: order(child, opts.anchors.bySubject(child.issuer.key), opts.at),
        parents: order(child, opts.pool.bySubject(child.issuer.key).filter((p) => !opts.anchors.anchorFor(p)), opts.at),
      };
      ordered.set(child, issuers);
    }
    // Anchors first: the shortest path wins, and an anchor ends the search on this branch.
    const anchors = issuers.anchors;
    const bad: Certificate[] = [];
    for (const a of anchors) {
      if (!opts.budget.takeStep()) return;
      const e = edge(child, a);
      if (e === null) return;
      if (e === "bad") {
        bad.push(a);
        continue;
      }
      yield* complete(a, e);
    }
    // (A copy of an anchor, same name and key, adds nothing the anchor did not: filtered above.)
    const badParents: Certificate[] = [];
    // A candidate with the name and key of one whose signature over `child` already failed here
    // fails the same way: look-alikes cost a step, not a signature check (issue 11.6). (One that
    // verified is still tried: its extensions and validity may differ.)
    const failedKeys = new Set<string>();
    for (const p of issuers.parents) {
      // Every candidate looked at costs a step, skipped ones too: that bounds the whole walk.
      if (!opts.budget.takeStep()) return;
      if (seen.has(p.sha256)) continue;
      const kid = keyIdentity(p);
      if (seen.has(kid) || failedKeys.has(kid)) continue;
      const e = edge(child, p);
      if (e === null) return;
      if (e === "bad") {
        badParents.push(p);
        failedKeys.add(kid);
        continue;
      }
      yield* descend(p, kid, e);
      if (opts.budget.exhausted) return;
    }
    if (!opts.allowInvalidSignatures) return;
    for (const a of bad) yield* complete(a, "bad");
    for (const p of badParents) {
      yield* descend(p, keyIdentity(p), "bad");
      if (opts.budget.exhausted) return;
    }
  }

  function* descend(p: Certificate, kid: string, e: Edge): Generator<CandidatePath, void, undefined> {
    path.push(p);
    edges.push(e);
    seen.add(p.sha256);
    seen.add(kid);
    yield* extend();
    seen.delete(kid);
    seen.delete(p.sha256);
    edges.pop();
    path.pop();
  }

  function edge(child: Certificate, issuer: Certificate): Edge | null {
    // The working key of a DSA issuer without parameters depends on the rest of the path.
    if (inheritsParameters(issuer)) return "deferred";
    const ok = checkSignature(child, issuer, ownKey(issuer), opts.budget, cache);
    return ok === null ? null : ok ? "ok" : "bad";
  }

  const top = opts.anchors.anchorFor(leaf);
  if (top) {
    yield { certificates: [leaf], signatureValid: [true], publicKeys: workingKeys([leaf]).keys };
    return;
  }
  yield* extend();
}

const keyIds = new WeakMap<Certificate, string>();

/** Subject name + key: a path never needs the same pair twice, so cross-signing cycles end here. */
function keyIdentity(c: Certificate): string {
  let id = keyIds.get(c);
  if (!id) {
    id = `k:${c.subject.key}\u0000${digest(c.spki)}`;
    keyIds.set(c, id);
  }
  return id;
}

/**
 * Likeliest issuers first, the idea of Go's findPotentialParents: an AKI that names the
 * candidate's SKI, then candidates with nothing to compare, then a mismatch; among equals, one
 * valid at the validation time first.
 */
function order(child: Certificate, candidates: readonly Certificate[], at: Date): readonly Certificate[] {
  if (candidates.length <= 1) return candidates;
  const t = at.getTime();
  const aki = child.authorityKeyIdentifier;
  const rank = (c: Certificate): number => {
    let r = 1;
    if (aki?.keyIdentifier && c.subjectKeyIdentifier) r = aki.keyIdentifier === c.subjectKeyIdentifier ? 0 : 2;
    else if (aki?.serialNumber) r = aki.serialNumber === c.serialNumber ? 0 : 2;
    const current = c.notBefore.getTime() <= t && t <= c.notAfter.getTime();
    return r * 2 + (current ? 0 : 1);
  };
  return candidates
    .map((c, i) => ({ c, r: rank(c), i }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}
