/**
 * From `--tl` locations to the lists podpis trusts (TS 119 615 §4.1): each list is read, its
 * signature checked, and only a list signed by a certificate it may be signed by is accepted —
 * a pinned `--tl-signer`, or for a national list reached through the LOTL one of the certificates
 * of the LOTL's pointer to it. A list that fails contributes nothing and is reported with the
 * reason. A LOTL whose signer is not pinned is followed through its pivots (the SchemeInformationURI
 * entries naming earlier LOTL versions, oldest first): each pivot signed by the certificates
 * trusted so far hands trust on to the signers its own EU pointer names, which is how the
 * signing certificates announced in the Official Journal lead to the current ones.
 */
import type { Certificate } from "../pki/certificate.js";
import { TrustListError } from "./errors.js";
import { type AcceptedList, TrustedListIndex, type UsedList, usedList } from "./list-index.js";
import type { TrustedList } from "./model.js";
import { parseTrustedList } from "./parse.js";
import { checkListSignature } from "./signature.js";
import type { FetchedList, ListSource } from "./source.js";

export interface LoadOptions {
  /** `--tl` values: files or URLs of national lists or of a LOTL */
  locations: readonly string[];
  /** `--tl-signer`: certificates allowed to sign the lists given (and the LOTL) */
  signers: readonly Certificate[];
  source: ListSource;
  /** the time staleness is judged at */
  at: Date;
  /** pivots followed at most (each is a download) */
  maxPivots?: number;
}

export interface ListProblem {
  location: string;
  territory: string | null;
  sequenceNumber: number | null;
  reason: string;
  /** unavailable: could not be had; format: no list; signature: not intact or not by an allowed signer */
  kind: "unavailable" | "format" | "signature";
}

export interface StaleList {
  list: UsedList;
  /** how long past NextUpdate, in whole days */
  daysStale: number;
}

export interface TrustState {
  accepted: AcceptedList[];
  problems: ListProblem[];
  stale: StaleList[];
  index: TrustedListIndex;
  /** when this state was loaded */
  loadedAt: Date;
}

const XML_MIME = /xml/i;

interface Read {
  location: string;
  fetched: FetchedList;
  list: TrustedList;
  doc: ReturnType<typeof parseTrustedList>["doc"];
}

async function read(source: ListSource, location: string, problems: ListProblem[]): Promise<Read | null> {
  try {
    const fetched = await source.get(location);
    const { list, doc } = parseTrustedList(fetched.bytes);
    return { location, fetched, list, doc };
  } catch (e) {
    if (!(e instanceof TrustListError)) throw e;
    problems.push({ location, territory: null, sequenceNumber: null, reason: e.message, kind: e.code === "TL_UNAVAILABLE" ? "unavailable" : "format" });
    return null;
  }
}

function accept(r: Read, allowed: readonly Certificate[], accepted: AcceptedList[], problems: ListProblem[], via: string): boolean {
  const signature = checkListSignature(r.fetched.bytes, r.doc, allowed);
  if (signature.intact && signature.trusted) {
    accepted.push({ list: r.list, location: r.location, fetchedAt: r.fetched.fetchedAt, bytes: r.fetched.bytes, signature });
    return true;
  }
  problems.push({ location: r.location, territory: r.list.schemeTerritory, sequenceNumber: r.list.sequenceNumber, reason: `${signature.problem ?? "the signature is not trusted"} (${via})`, kind: "signature" });
  return false;
}

/** The certificates the LOTL may be signed by, after following its pivots from the pinned ones. */
async function lotlSigners(lotl: Read, pinned: readonly Certificate[], source: ListSource, max: number, problems: ListProblem[]): Promise<readonly Certificate[]> {
  const first = checkListSignature(lotl.fetched.bytes, lotl.doc, pinned);
  if (first.trusted || !first.intact) return pinned;
  const pivots = lotl.list.schemeInformationUris.filter((u) => /\.xml$/i.test(u) && u !== lotl.location).slice(0, max).reverse();
  let trusted = pinned;
  for (const url of pivots) {
    const p = await read(source, url, problems);
    if (!p) continue;
    const s = checkListSignature(p.fetched.bytes, p.doc, trusted);
    if (!s.intact || !s.trusted) {
      problems.push({ location: url, territory: p.list.schemeTerritory, sequenceNumber: p.list.sequenceNumber, reason: `pivot not signed by the LOTL signers trusted so far: ${s.problem ?? "untrusted signer"}`, kind: "signature" });
      continue;
    }
    const self = p.list.pointers.find((x) => x.territory === p.list.schemeTerritory && XML_MIME.test(x.mimeType ?? "xml"));
    if (self && self.signers.length) trusted = self.signers;
  }
  return trusted;
}

export async function loadTrustedLists(opts: LoadOptions): Promise<TrustState> {
  const accepted: AcceptedList[] = [];
  const problems: ListProblem[] = [];
  const reads: Read[] = [];
  for (const location of opts.locations) {
    const r = await read(opts.source, location, problems);
    if (r) reads.push(r);
  }
  const lotls = reads.filter((r) => r.list.kind === "LOTL");
  const tls = reads.filter((r) => r.list.kind === "TL");
  const consumed = new Set<Read>();
  for (const lotl of lotls) {
    const signers = await lotlSigners(lotl, opts.signers, opts.source, opts.maxPivots ?? 8, problems);
    if (!accept(lotl, signers, accepted, problems, "LOTL: --tl-signer or its pivots")) continue;
    for (const ptr of lotl.list.pointers) {
      if (ptr.territory === lotl.list.schemeTerritory || !XML_MIME.test(ptr.mimeType ?? "xml")) continue;
      // a national list given with --tl stands in for the download (offline use); else it is fetched
      const given = tls.find((t) => t.list.schemeTerritory === ptr.territory);
      const r = given ?? (await read(opts.source, ptr.location, problems));
      if (!r) continue;
      if (given) consumed.add(given);
      if (r.list.schemeTerritory !== ptr.territory) {
        problems.push({ location: r.location, territory: r.list.schemeTerritory, sequenceNumber: r.list.sequenceNumber, reason: `the LOTL points here for ${ptr.territory}, but the list is ${r.list.schemeTerritory}'s`, kind: "format" });
        continue;
      }
      accept(r, [...ptr.signers, ...opts.signers], accepted, problems, `signers from the LOTL's ${ptr.territory} pointer`);
    }
  }
  for (const t of tls) if (!consumed.has(t)) accept(t, opts.signers, accepted, problems, "--tl-signer");
  const stale: StaleList[] = [];
  for (const a of accepted) {
    const nu = a.list.nextUpdate;
    if (nu && nu.getTime() < opts.at.getTime()) stale.push({ list: usedList(a), daysStale: Math.floor((opts.at.getTime() - nu.getTime()) / 86_400_000) });
  }
  return { accepted, problems, stale, index: new TrustedListIndex(accepted), loadedAt: opts.at };
}

/**
 * The state of archived lists (revalidate?at=received): the exact bytes used then, read back from
 * the archive, whose audit chain protects them; their signatures were checked when they were used.
 */
export function archivedTrustState(lists: readonly Uint8Array[], used: readonly UsedList[]): TrustState {
  const accepted: AcceptedList[] = [];
  for (const bytes of lists) {
    const { list } = parseTrustedList(bytes);
    // where and when it was fetched, as the original report named it
    const u = used.find((x) => x.sha256 === list.sha256);
    accepted.push({
      list,
      location: u?.location ?? `archive:${list.sha256}`,
      fetchedAt: u ? new Date(u.fetchedAt) : list.issueDate,
      bytes,
      signature: { present: true, intact: true, signer: null, trusted: true, problem: null, signingCertificate: null, signingTime: null },
    });
  }
  // in the order the report named them
  accepted.sort((a, b) => used.findIndex((u) => u.sha256 === a.list.sha256) - used.findIndex((u) => u.sha256 === b.list.sha256));
  return { accepted, problems: [], stale: [], index: new TrustedListIndex(accepted), loadedAt: new Date(0) };
}
