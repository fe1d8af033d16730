/**
 * XML-Signature XPath Filter 2.0 (W3C Recommendation 2002, http://www.w3.org/2002/06/xmldsig-filter2):
 * each XPath element selects nodes whose subtrees are intersected with, subtracted from or
 * united with the node-set so far (§3.1–3.3). Belgian, Austrian and other member states' XAdES
 * use it for "the document minus the signatures" and "this element" (§2 examples).
 *
 * The node-sets podpis canonicalizes are one subtree (an apex) less some subtrees, optionally
 * without the apex's own tags; a filter sequence is folded into that shape. A sequence whose
 * result is no such shape (a union that adds nodes back, an intersect with several disjoint
 * subtrees) is refused as unsupported rather than approximated.
 */
import { type XNode, XPathError, XPathEvaluator } from "./xpath.js";
import type { XmlDocument, XmlElement } from "./xml.js";

export const FILTER2_NS = "http://www.w3.org/2002/06/xmldsig-filter2";

export type Filter = "intersect" | "subtract" | "union";

export interface FilterStep {
  filter: Filter;
  expr: ReturnType<typeof XPathEvaluator.parse>;
  holder: XmlElement;
}

/** The node-set as podpis canonicalizes it. */
export interface FilterNodeSet {
  apex: XmlDocument | XmlElement;
  exclude: Set<XmlElement>;
  /** the apex's own tags are not in the set, only its content */
  contentOnly: boolean;
  /** nothing is left (canonicalizes to no octets) */
  empty: boolean;
}

/** Reads the ds:Transform's dsig-xpath:XPath children (§3: at least one, each with a Filter). */
export function readFilterSteps(transform: XmlElement): FilterStep[] {
  const steps: FilterStep[] = [];
  for (const x of transform.elements()) {
    if (x.ns !== FILTER2_NS || x.local !== "XPath") throw new XPathError(`unexpected ${x.name} in an XPath Filter 2.0 transform`);
    const filter = x.attr("Filter");
    if (filter !== "intersect" && filter !== "subtract" && filter !== "union") throw new XPathError(`XPath Filter 2.0 Filter="${filter ?? ""}" is none of intersect, subtract, union`);
    steps.push({ filter, expr: XPathEvaluator.parse(x.text(), x), holder: x });
  }
  if (steps.length === 0) throw new XPathError("XPath Filter 2.0 transform without an XPath element");
  return steps;
}

function isAncestorOrSelf(a: XmlDocument | XmlElement, n: XmlElement | XmlDocument): boolean {
  if ("root" in a) return true;
  if ("root" in n) return false;
  return n === a || n.isDescendantOf(a);
}

/** Whether element or text node n lies in the node-set. */
function contains(set: FilterNodeSet, n: XNode): boolean {
  if (set.empty) return false;
  if ("root" in n) return "root" in set.apex && !set.contentOnly;
  const el = n.type === 1 ? n : n.parent;
  if (!el) return "root" in set.apex;
  if (n === set.apex && set.contentOnly) return false;
  if (!isAncestorOrSelf(set.apex, el)) return false;
  for (let e: XmlElement | null = el; e && e !== set.apex; e = e.parent) if (set.exclude.has(e)) return false;
  return true;
}

/** Applies the filter steps to a node-set, in place (§3.1 processing model folded into an apex and exclusions). */
export function applyFilters(doc: XmlDocument, set: FilterNodeSet, steps: readonly FilterStep[], maxVisits: number): void {
  for (const step of steps) {
    if (set.empty) return;
    const selected = new XPathEvaluator({ doc, here: step.holder, maxVisits }).select(step.expr);
    if (step.filter === "subtract") subtract(set, selected);
    else if (step.filter === "intersect") intersect(set, selected);
    else if (!selected.every((n) => "root" in n ? contains(set, n) : contains(set, n))) {
      throw new XPathError("an XPath Filter 2.0 union that adds nodes back is not supported");
    }
  }
}

function subtract(set: FilterNodeSet, selected: readonly XNode[]): void {
  for (const n of selected) {
    if ("root" in n) {
      set.empty = true;
      return;
    }
    if (n.type !== 1) {
      if (contains(set, n)) throw new XPathError("an XPath Filter 2.0 subtract of text nodes is not supported");
      continue;
    }
    if (isAncestorOrSelf(n, set.apex)) {
      set.empty = true;
      return;
    }
    if (isAncestorOrSelf(set.apex, n)) set.exclude.add(n);
  }
}

function intersect(set: FilterNodeSet, selected: readonly XNode[]): void {
  if (selected.length === 0) {
    set.empty = true;
    return;
  }
  // a selected ancestor-or-self of the apex keeps everything
  for (const n of selected) if ("root" in n || (n.type === 1 && isAncestorOrSelf(n, set.apex) && !(n === set.apex && set.contentOnly))) return;
  if (set.contentOnly) throw new XPathError("an XPath Filter 2.0 intersect inside an element's content is not supported");
  let target: XmlElement;
  let contentOnly = false;
  const first = selected[0]!;
  if (selected.length === 1 && !("root" in first) && first.type === 1) target = first;
  else {
    // all children of one element: that element's content (`id('x')/node()`)
    const parent = "root" in first ? null : first.parent;
    if (!parent || parent.children.length !== selected.length || !parent.children.every((c, i) => c === selected[i])) {
      throw new XPathError("an XPath Filter 2.0 intersect with several subtrees is not supported");
    }
    target = parent;
    contentOnly = true;
  }
  if (!contains(set, target) && !(contentOnly && set.apex === target)) {
    set.empty = true;
    return;
  }
  set.apex = target;
  set.contentOnly = contentOnly;
  for (const x of [...set.exclude]) if (!x.isDescendantOf(target)) set.exclude.delete(x);
}
