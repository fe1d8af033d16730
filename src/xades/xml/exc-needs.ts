/**
 * Exclusive-c14n facts the parser gathers while it reads (XmlElement.excNeeds, C14N_EXC), and
 * whether text source is already in canonical form: what lets c14n.ts copy a subtree's source.
 */

import { C14N_EXC, NO_NEEDS, type NsDecl, type XmlAttribute, type XmlElement } from "./nodes.js";

/** excNeeds of an element that declares nothing and uses only the prefix of its name, by that prefix */
const USES_ONLY = new Map<string, readonly (string | null)[]>();
const USES_DEFAULT: readonly (string | null)[] = ["", null];

/**
 * The excNeeds of one element on its own (see XmlElement.excNeeds): its visibly utilized prefixes
 * (exc-c14n §3: the element's, and its attributes' but xml), each with the URI it declares for it
 * or null; null when it declares a prefix it does not use (exc-c14n would leave that out).
 */
export function ownExcNeeds(prefix: string, attrs: readonly XmlAttribute[], nsDecls: readonly NsDecl[] | null): readonly (string | null)[] | null {
  let extra: string[] | null = null;
  for (const a of attrs) {
    const p = a.bprefix;
    if (p !== "" && p !== "xml" && p !== prefix && (extra === null || !extra.includes(p))) (extra ??= []).push(p);
  }
  if (nsDecls === null && extra === null) {
    if (prefix === "") return USES_DEFAULT;
    if (prefix === "xml") return NO_NEEDS;
    let n = USES_ONLY.get(prefix);
    if (n === undefined) {
      if (USES_ONLY.size >= 1_000) USES_ONLY.clear();
      n = [prefix, null];
      USES_ONLY.set(prefix, n);
    }
    return n;
  }
  const used = prefix === "xml" ? [] : [prefix];
  if (extra) used.push(...extra);
  if (nsDecls) for (const d of nsDecls) if (!used.includes(d.bp)) return null;
  const needs: (string | null)[] = [];
  for (const p of used) needs.push(p, nsDecls?.find((d) => d.bp === p)?.bu ?? null);
  return needs;
}

/**
 * Adds a closed child's excNeeds to its parent's (which has C14N_EXC): a need for a prefix the
 * parent declares is settled here — the parent's declaration is what the child's part of the
 * output sees rendered — and clears C14N_EXC when it is not met; the others become the parent's.
 */
export function mergeExcNeeds(parent: XmlElement, child: readonly (string | null)[]): void {
  let list = parent.excNeeds;
  let copied = false;
  for (let i = 0; i < child.length; i += 2) {
    const p = child[i]!;
    const u = child[i + 1] as string | null;
    const decl = parent.nsDecls?.find((d) => d.bp === p);
    if (decl !== undefined) {
      if (u !== null && u === decl.bu) {
        parent.c14n &= ~C14N_EXC;
        return;
      }
      continue;
    }
    let known = false;
    for (let j = 0; j < list.length; j += 2) {
      if (list[j] === p && list[j + 1] === u) {
        known = true;
        break;
      }
    }
    if (!known) {
      if (!copied) {
        list = list.slice();
        copied = true;
      }
      (list as (string | null)[]).push(p, u);
    }
  }
  parent.excNeeds = list;
}

/**
 * Whether text source without a literal `>` is written as canonical XML writes its value (c14n 1.0
 * §2.3; c14n.ts escapeText): then its only references are the four c14n writes (`&amp;` `&lt;`
 * `&gt;` `&#xD;`), since every `&` `<` `>` and CR of the value came from one of its references.
 */
export function canonicalReferences(raw: string): boolean {
  for (let amp = raw.indexOf("&"); amp !== -1; amp = raw.indexOf("&", amp + 1)) {
    if (!(raw.startsWith("amp;", amp + 1) || raw.startsWith("lt;", amp + 1) || raw.startsWith("gt;", amp + 1) || raw.startsWith("#xD;", amp + 1))) return false;
  }
  return true;
}
