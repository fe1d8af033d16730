/**
 * The XPath 1.0 subset that signatures in the field use in their transforms (XPath Filter 2.0
 * expressions such as `/descendant::ds:Signature`, `id('x')/node()`, `//*[@Id='a']/etsi:X`,
 * `/*\/*[local-name()='SignPolicyDigest']`, `here()/ancestor::ds:Signature[1]`): location paths
 * over the child, descendant(-or-self), self, parent and ancestor(-or-self) axes, name tests with
 * the expression's namespace prefixes, node() and text(), predicates with or/and, = and !=,
 * @attributes, position numbers, and the functions id, here, local-name, name, namespace-uri,
 * starts-with, contains, not, string, normalize-space, count, true, false. Anything else is an
 * unsupported expression (FORMAT_FAILURE), never a guess.
 *
 * Every node an evaluation visits is counted against a cap (the document's node budget times a
 * small factor), so `//*//*//*` on a large form ends with the budget's error, not in minutes.
 */
import { PodpisError } from "../errors/base.js";
import { LimitExceededError } from "../limits/budgets.js";
import type { XmlDocument, XmlElement, XmlNode } from "./xml.js";

/** An expression podpis does not evaluate: the reference that uses it is malformed for podpis (FORMAT_FAILURE). */
export class XPathError extends PodpisError<"FORMAT_FAILURE"> {
  readonly code = "FORMAT_FAILURE";
}

/** A node of the data model: the document (root node), an element, or a text, comment or PI node. */
export type XNode = XmlDocument | XmlNode;

type Axis = "child" | "descendant" | "descendant-or-self" | "self" | "parent" | "ancestor" | "ancestor-or-self" | "attribute";
type Test = { kind: "name"; ns: string; local: string } | { kind: "any" } | { kind: "ns-any"; ns: string } | { kind: "node" } | { kind: "text" };
interface Step {
  axis: Axis;
  test: Test;
  preds: Expr[];
}
interface Path {
  absolute: boolean;
  start: Expr | null;
  steps: Step[];
}
type Expr =
  | { op: "or" | "and" | "=" | "!="; a: Expr; b: Expr }
  | { op: "union"; parts: Expr[] }
  | { op: "fn"; name: string; args: Expr[] }
  | { op: "lit"; v: string }
  | { op: "num"; v: number }
  | { op: "path"; path: Path };

type Value = XNode[] | string[] | string | number | boolean;

const AXES = new Set(["child", "descendant", "descendant-or-self", "self", "parent", "ancestor", "ancestor-or-self", "attribute"]);
const FUNCTIONS = new Set(["id", "here", "local-name", "name", "namespace-uri", "starts-with", "contains", "not", "string", "normalize-space", "count", "true", "false"]);

function tokenize(s: string): string[] {
  const out: string[] = [];
  // (names are XML names: letters of any script, as the forms' element names are)
  const re = /\s*(\/\/|\/|::|\[|\]|\(|\)|@|,|\*|!=|=|\||\.\.|\.|'[^']*'|"[^"]*"|[0-9]+(?:\.[0-9]+)?|[\p{L}_][\p{L}\p{N}_.\-\u00B7]*(?::(?!:)(?:[\p{L}_][\p{L}\p{N}_.\-\u00B7]*|\*))?)/uy;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new XPathError(`unsupported XPath near "${s.slice(pos, pos + 20)}"`);
    out.push(m[1]!);
    pos = re.lastIndex;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly t: string[],
    private readonly ns: (prefix: string) => string | null,
  ) {}
  private peek(): string | undefined {
    return this.t[this.i];
  }
  private take(want?: string): string {
    const v = this.t[this.i++];
    if (v === undefined || (want !== undefined && v !== want)) throw new XPathError(`XPath: expected ${want ?? "more"}, found ${v ?? "the end"}`);
    return v;
  }
  parse(): Expr {
    const e = this.or();
    if (this.i !== this.t.length) throw new XPathError(`XPath: unexpected "${this.peek()}"`);
    return e;
  }
  private or(): Expr {
    let e = this.and();
    while (this.peek() === "or") {
      this.i++;
      e = { op: "or", a: e, b: this.and() };
    }
    return e;
  }
  private and(): Expr {
    let e = this.eq();
    while (this.peek() === "and") {
      this.i++;
      e = { op: "and", a: e, b: this.eq() };
    }
    return e;
  }
  private eq(): Expr {
    const a = this.union();
    const p = this.peek();
    if (p === "=" || p === "!=") {
      this.i++;
      return { op: p, a, b: this.union() };
    }
    return a;
  }
  private union(): Expr {
    const first = this.primary();
    if (this.peek() !== "|") return first;
    const parts = [first];
    while (this.peek() === "|") {
      this.i++;
      parts.push(this.primary());
    }
    return { op: "union", parts };
  }
  private primary(): Expr {
    const p = this.peek();
    if (p === undefined) throw new XPathError("XPath: unexpected end");
    if (p.startsWith("'") || p.startsWith('"')) {
      this.i++;
      return { op: "lit", v: p.slice(1, -1) };
    }
    if (/^[0-9]/.test(p)) {
      this.i++;
      return { op: "num", v: Number(p) };
    }
    if (p === "(") {
      this.i++;
      const e = this.or();
      this.take(")");
      return e;
    }
    if (FUNCTIONS.has(p) && this.t[this.i + 1] === "(") {
      const fn = this.call();
      if (fn.name === "id" || fn.name === "here") {
        // a path may continue from id(...) or here()
        if (this.peek() === "/" || this.peek() === "//") return { op: "path", path: { absolute: false, start: fn, steps: this.steps(true) } };
      }
      return fn;
    }
    return { op: "path", path: this.path() };
  }
  private call(): Expr & { op: "fn" } {
    const name = this.take();
    this.take("(");
    const args: Expr[] = [];
    if (this.peek() !== ")") {
      args.push(this.or());
      while (this.peek() === ",") {
        this.i++;
        args.push(this.or());
      }
    }
    this.take(")");
    return { op: "fn", name, args };
  }
  private path(): Path {
    const p = this.peek();
    if (p === "/" || p === "//") {
      // "/" alone is the root node
      const next = this.t[this.i + 1];
      if (p === "/" && (next === undefined || next === "]" || next === ")" || next === "|" || next === "=" || next === "!=" || next === "or" || next === "and")) {
        this.i++;
        return { absolute: true, start: null, steps: [] };
      }
      return { absolute: true, start: null, steps: this.steps(true) };
    }
    return { absolute: false, start: null, steps: this.steps(false) };
  }
  /** Steps; `leading` when the first step is introduced by / or //. */
  private steps(leading: boolean): Step[] {
    const steps: Step[] = [];
    let sep = leading ? this.take() : "/";
    for (;;) {
      if (sep === "//") steps.push({ axis: "descendant-or-self", test: { kind: "node" }, preds: [] });
      steps.push(this.step());
      const n = this.peek();
      if (n !== "/" && n !== "//") return steps;
      sep = this.take();
    }
  }
  private step(): Step {
    const p = this.take();
    if (p === ".") return { axis: "self", test: { kind: "node" }, preds: [] };
    if (p === "..") return { axis: "parent", test: { kind: "node" }, preds: [] };
    let axis: Axis = "child";
    let name = p;
    if (p === "@") {
      axis = "attribute";
      name = this.take();
    } else if (this.peek() === "::") {
      if (!AXES.has(p)) throw new XPathError(`XPath: unsupported axis ${p}`);
      axis = p as Axis;
      this.i++;
      name = this.take();
    }
    let test: Test;
    if (name === "*") test = { kind: "any" };
    else if ((name === "node" || name === "text") && this.peek() === "(") {
      this.take("(");
      this.take(")");
      test = { kind: name };
    } else if (/^[\p{L}_]/u.test(name)) {
      const c = name.indexOf(":");
      if (c === -1) test = { kind: "name", ns: "", local: name };
      else {
        const prefix = name.slice(0, c);
        const uri = this.ns(prefix);
        if (uri === null) throw new XPathError(`XPath: prefix ${prefix} is not declared`);
        const local = name.slice(c + 1);
        test = local === "*" ? { kind: "ns-any", ns: uri } : { kind: "name", ns: uri, local };
      }
    } else throw new XPathError(`XPath: unexpected "${name}"`);
    const preds: Expr[] = [];
    while (this.peek() === "[") {
      this.i++;
      preds.push(this.or());
      this.take("]");
    }
    return { axis, test, preds };
  }
}

export interface XPathContext {
  doc: XmlDocument;
  /** the element holding the expression (here()) */
  here: XmlElement;
  /** nodes an evaluation may visit before it is stopped */
  maxVisits: number;
}

export class XPathEvaluator {
  private visits = 0;
  constructor(private readonly ctx: XPathContext) {}

  /** Parses an expression whose prefixes resolve against the element that holds it. */
  static parse(expr: string, holder: XmlElement): Expr {
    return new Parser(tokenize(expr), (p) => holder.lookupNamespace(p)).parse();
  }

  /** The node-set an expression selects, in document order; XPathError when it is not one. */
  select(expr: Expr): XNode[] {
    const v = this.eval(expr, this.ctx.doc, 1, 1);
    if (!Array.isArray(v) || (v.length > 0 && typeof v[0] === "string")) throw new XPathError("XPath: the expression is not a node-set");
    return v as XNode[];
  }

  private visit(n: number): void {
    this.visits += n;
    if (this.visits > this.ctx.maxVisits) throw new LimitExceededError("xmlNodes", this.ctx.maxVisits, this.visits, `an XPath transform would visit more than ${this.ctx.maxVisits} nodes`);
  }

  private eval(e: Expr, node: XNode, pos: number, size: number): Value {
    switch (e.op) {
      case "lit":
        return e.v;
      case "num":
        return e.v;
      case "or":
        return bool(this.eval(e.a, node, pos, size)) || bool(this.eval(e.b, node, pos, size));
      case "and":
        return bool(this.eval(e.a, node, pos, size)) && bool(this.eval(e.b, node, pos, size));
      case "=":
      case "!=":
        return compare(this.eval(e.a, node, pos, size), this.eval(e.b, node, pos, size), e.op);
      case "union": {
        const all = new Set<XNode>();
        for (const p of e.parts) {
          const v = this.eval(p, node, pos, size);
          if (!Array.isArray(v) || (v.length && typeof v[0] === "string")) throw new XPathError("XPath: | of something other than node-sets");
          for (const n of v as XNode[]) all.add(n);
        }
        return inDocumentOrder([...all]);
      }
      case "path":
        return this.path(e.path, node, pos, size);
      case "fn":
        return this.fn(e, node, pos, size);
    }
  }

  private fn(e: Expr & { op: "fn" }, node: XNode, pos: number, size: number): Value {
    const arg = (i: number): Value => this.eval(e.args[i]!, node, pos, size);
    const target = (): XNode | null => {
      if (e.args.length === 0) return node;
      const v = arg(0);
      return Array.isArray(v) && v.length && typeof v[0] !== "string" ? (v[0] as XNode) : null;
    };
    switch (e.name) {
      case "id": {
        const ids = str(arg(0)).split(/\s+/).filter(Boolean);
        const out: XNode[] = [];
        for (const id of ids) {
          const hits = this.ctx.doc.ids.get(id) ?? [];
          // the same Id twice: no telling which element was meant (signature wrapping)
          if (hits.length > 1) throw new XPathError(`XPath id('${id}'): the ID occurs ${hits.length} times (possible signature wrapping)`);
          out.push(...hits);
        }
        return inDocumentOrder(out);
      }
      case "here":
        return [this.ctx.here];
      case "local-name": {
        const t = target();
        return t && !("root" in t) && t.type === 1 ? t.local : "";
      }
      case "name": {
        const t = target();
        return t && !("root" in t) && t.type === 1 ? t.name : "";
      }
      case "namespace-uri": {
        const t = target();
        return t && !("root" in t) && t.type === 1 ? t.ns : "";
      }
      case "starts-with":
        return str(arg(0)).startsWith(str(arg(1)));
      case "contains":
        return str(arg(0)).includes(str(arg(1)));
      case "not":
        return !bool(arg(0));
      case "string":
        return e.args.length ? str(arg(0)) : stringOf(node);
      case "normalize-space":
        return (e.args.length ? str(arg(0)) : stringOf(node)).replace(/\s+/g, " ").trim();
      case "count": {
        const v = arg(0);
        if (!Array.isArray(v)) throw new XPathError("XPath count() of something other than a node-set");
        return v.length;
      }
      case "true":
        return true;
      case "false":
        return false;
    }
    throw new XPathError(`XPath: unsupported function ${e.name}()`);
  }

  private path(p: Path, node: XNode, pos: number, size: number): Value {
    let set: XNode[];
    if (p.start) {
      const v = this.eval(p.start, node, pos, size);
      if (!Array.isArray(v) || (v.length && typeof v[0] === "string")) throw new XPathError("XPath: a path from something other than a node-set");
      set = v as XNode[];
    } else set = [p.absolute ? this.ctx.doc : node];
    for (let i = 0; i < p.steps.length; i++) {
      const step = p.steps[i]!;
      if (step.axis === "attribute") {
        if (i !== p.steps.length - 1) throw new XPathError("XPath: a step after an attribute step");
        const out: string[] = [];
        for (const n of set) {
          if ("root" in n || n.type !== 1) continue;
          for (const a of n.attrs) if (matchesAttr(step.test, a.local, a.ns)) out.push(a.value);
        }
        return out;
      }
      const next = new Set<XNode>();
      for (const n of set) {
        const cands = this.axis(step.axis, n).filter((c) => matches(step.test, c, step.axis));
        let kept = cands;
        for (const pred of step.preds) {
          const k = kept.length;
          kept = kept.filter((c, j) => {
            const v = this.eval(pred, c, j + 1, k);
            return typeof v === "number" ? v === j + 1 : bool(v);
          });
        }
        for (const c of kept) next.add(c);
      }
      set = inDocumentOrder([...next]);
    }
    return set;
  }

  /** The nodes on an axis, in axis order (reverse document order for the ancestor axes). */
  private axis(axis: Axis, n: XNode): XNode[] {
    const kids = (x: XNode): readonly XNode[] => ("root" in x ? x.children : x.type === 1 ? x.children : []);
    const parentOf = (x: XNode): XNode | null => ("root" in x ? null : (x.parent ?? this.ctx.doc));
    switch (axis) {
      case "self":
        return [n];
      case "child": {
        const k = kids(n);
        this.visit(k.length);
        return [...k];
      }
      case "parent": {
        const p = parentOf(n);
        return p ? [p] : [];
      }
      case "ancestor":
      case "ancestor-or-self": {
        const out: XNode[] = axis === "ancestor-or-self" ? [n] : [];
        for (let p = parentOf(n); p; p = parentOf(p)) out.push(p);
        this.visit(out.length);
        return out;
      }
      case "descendant":
      case "descendant-or-self": {
        const out: XNode[] = axis === "descendant-or-self" ? [n] : [];
        const walk = (x: XNode): void => {
          const k = kids(x);
          this.visit(k.length);
          for (const c of k) {
            out.push(c);
            walk(c);
          }
        };
        walk(n);
        return out;
      }
      default:
        throw new XPathError(`XPath: unsupported axis ${axis}`);
    }
  }
}

function matches(t: Test, n: XNode, axis: Axis): boolean {
  if (t.kind === "node") return true;
  if ("root" in n) return false;
  if (t.kind === "text") return n.type === 3;
  // the principal node type of these axes is element
  void axis;
  if (n.type !== 1) return false;
  if (t.kind === "any") return true;
  if (t.kind === "ns-any") return n.ns === t.ns;
  return n.local === t.local && n.ns === t.ns;
}

function matchesAttr(t: Test, local: string, ns: string): boolean {
  if (t.kind === "any" || t.kind === "node") return ns !== "http://www.w3.org/2000/xmlns/";
  if (t.kind === "ns-any") return ns === t.ns;
  if (t.kind === "text") return false;
  return local === t.local && ns === t.ns;
}

function startOf(n: XNode): number {
  return "root" in n ? -1 : n.start;
}

function inDocumentOrder(nodes: XNode[]): XNode[] {
  return nodes.length > 1 ? nodes.sort((a, b) => startOf(a) - startOf(b)) : nodes;
}

function stringOf(n: XNode): string {
  if ("root" in n) return stringOf(n.root);
  if (n.type === 3) return n.value;
  if (n.type !== 1) return "";
  return n.text();
}

function str(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return String(v);
  if (v.length === 0) return "";
  const f = v[0]!;
  return typeof f === "string" ? f : stringOf(f);
}

function bool(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string") return v.length > 0;
  return v.length > 0;
}

/** XPath 1.0 §3.4: a node-set equals a string when some member's string-value does. */
function compare(a: Value, b: Value, op: "=" | "!="): boolean {
  const strings = (v: Value): string[] | null => (Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : stringOf(x))) : null);
  const as = strings(a);
  const bs = strings(b);
  if (as && bs) return as.some((x) => bs.some((y) => (op === "=" ? x === y : x !== y)));
  if (as || bs) {
    const list = (as ?? bs)!;
    const other = as ? b : a;
    if (typeof other === "boolean") return op === "=" ? bool(list) === other : bool(list) !== other;
    if (typeof other === "number") return list.some((x) => (op === "=" ? Number(x) === other : Number(x) !== other));
    const s = str(other);
    return list.some((x) => (op === "=" ? x === s : x !== s));
  }
  if (typeof a === "boolean" || typeof b === "boolean") return op === "=" ? bool(a) === bool(b) : bool(a) !== bool(b);
  if (typeof a === "number" || typeof b === "number") return op === "=" ? Number(a) === Number(b) : Number(a) !== Number(b);
  return op === "=" ? str(a) === str(b) : str(a) !== str(b);
}
