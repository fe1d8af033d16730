/**
 * The valid_policy_tree of RFC 5280 §6.1.2 (a), with the certificate-policy steps of §6.1.3 (d)–(e),
 * the policy-mapping step of §6.1.4 (b) and the intersection of §6.1.5 (g).
 *
 * The tree can grow with the product of the policies and mappings along a path (RFC 5280 §6.1.2's
 * note; pyca caps it too), so the node count is bounded: a hostile path ends in PolicyTreeTooLarge.
 */
import { OID, type Certificate } from "./certificate.js";

export const ANY_POLICY = OID.anyPolicy;

export interface PolicyNode {
  validPolicy: string;
  /** DER of the policyQualifiers that were set with this node, if any */
  qualifiers: Uint8Array | null;
  expectedPolicySet: Set<string>;
  parent: PolicyNode | null;
  children: PolicyNode[];
  depth: number;
  deleted: boolean;
}

// (defined in the layer's errors module; re-exported for the modules that import it from here)
import { PolicyTreeTooLarge } from "./errors.js";
export { PolicyTreeTooLarge };

export class PolicyTree {
  /** levels[d]: the live nodes of depth d */
  private levels: PolicyNode[][];
  private nodes = 1;

  constructor(private readonly maxNodes = 10_000) {
    const root: PolicyNode = {
      validPolicy: ANY_POLICY,
      qualifiers: null,
      expectedPolicySet: new Set([ANY_POLICY]),
      parent: null,
      children: [],
      depth: 0,
      deleted: false,
    };
    this.levels = [[root]];
  }

  at(depth: number): readonly PolicyNode[] {
    return this.levels[depth] ?? [];
  }

  get empty(): boolean {
    return (this.levels[0]?.length ?? 0) === 0;
  }

  private add(parent: PolicyNode, validPolicy: string, qualifiers: Uint8Array | null, expected: Set<string>): PolicyNode {
    if (++this.nodes > this.maxNodes) throw new PolicyTreeTooLarge(`the valid_policy_tree grew past ${this.maxNodes} nodes`);
    const node: PolicyNode = { validPolicy, qualifiers, expectedPolicySet: expected, parent, children: [], depth: parent.depth + 1, deleted: false };
    parent.children.push(node);
    (this.levels[node.depth] ??= []).push(node);
    return node;
  }

  /** Deletes a node and everything below it. */
  private remove(node: PolicyNode): void {
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      n.deleted = true;
      stack.push(...n.children);
    }
    if (node.parent) node.parent.children = node.parent.children.filter((c) => c !== node);
    for (let d = node.depth; d < this.levels.length; d++) this.levels[d] = this.levels[d]!.filter((n) => !n.deleted);
  }

  /** Deletes childless nodes of depth `from` and less, repeatedly (§6.1.3 (d)(3), §6.1.4 (b)(2)(ii), §6.1.5 (g)(iii)(4)). */
  private prune(from: number): void {
    for (let d = Math.min(from, this.levels.length - 1); d >= 0; d--) {
      const keep: PolicyNode[] = [];
      for (const n of this.levels[d]!) {
        if (n.children.length > 0) keep.push(n);
        else {
          n.deleted = true;
          if (n.parent) n.parent.children = n.parent.children.filter((c) => c !== n);
        }
      }
      this.levels[d] = keep;
    }
  }

  /**
   * §6.1.3 (d) for certificate i of n. `anyPolicyAllowed` is (d)(2)'s condition: inhibit_anyPolicy
   * > 0, or i < n and the certificate is self-issued.
   */
  processCertificate(cert: Certificate, i: number, anyPolicyAllowed: boolean): void {
    const policies = cert.certificatePolicies ?? [];
    const parents = this.at(i - 1);
    for (const p of policies) {
      if (p.oid === ANY_POLICY) continue;
      let matched = false;
      for (const node of parents) {
        if (node.expectedPolicySet.has(p.oid)) {
          this.add(node, p.oid, p.qualifiers, new Set([p.oid]));
          matched = true;
        }
      }
      if (!matched) {
        for (const node of parents) {
          if (node.validPolicy === ANY_POLICY) this.add(node, p.oid, p.qualifiers, new Set([p.oid]));
        }
      }
    }
    const any = policies.find((p) => p.oid === ANY_POLICY);
    if (any && anyPolicyAllowed) {
      for (const node of parents) {
        const present = new Set(node.children.map((c) => c.validPolicy));
        for (const expected of node.expectedPolicySet) {
          if (!present.has(expected)) this.add(node, expected, any.qualifiers, new Set([expected]));
        }
      }
    }
    this.prune(i - 1);
  }

  /**
   * §6.1.4 (b) for certificate i: with mapping allowed, nodes of depth i expect the mapped policies;
   * with policy_mapping 0, mapped issuer-domain policies are deleted.
   */
  applyMappings(mappings: ReadonlyArray<readonly [string, string]>, i: number, mappingAllowed: boolean): void {
    const byIssuerDomain = new Map<string, Set<string>>();
    for (const [issuerDomain, subjectDomain] of mappings) {
      let s = byIssuerDomain.get(issuerDomain);
      if (!s) byIssuerDomain.set(issuerDomain, (s = new Set()));
      s.add(subjectDomain);
    }
    for (const [idp, subjectPolicies] of byIssuerDomain) {
      const level = this.at(i);
      if (mappingAllowed) {
        const hits = level.filter((n) => n.validPolicy === idp);
        if (hits.length > 0) {
          for (const n of hits) n.expectedPolicySet = new Set(subjectPolicies);
        } else {
          const any = level.find((n) => n.validPolicy === ANY_POLICY);
          if (any && any.parent) this.add(any.parent, idp, any.qualifiers, new Set(subjectPolicies));
        }
      } else {
        for (const n of level.filter((x) => x.validPolicy === idp)) this.remove(n);
        this.prune(i - 1);
      }
    }
  }

  /**
   * §6.1.5 (g): the intersection of the tree with user-initial-policy-set; afterwards the tree is
   * empty (NULL) or holds the authority- and user-constrained policies at depth n.
   */
  intersect(userInitialPolicySet: readonly string[], n: number): void {
    if (this.empty) return;
    const user = new Set(userInitialPolicySet);
    if (user.has(ANY_POLICY)) return;
    // (iii)(1): the valid_policy_node_set, nodes whose parent is anyPolicy.
    const nodeSet: PolicyNode[] = [];
    for (let d = 1; d < this.levels.length; d++) for (const x of this.levels[d]!) if (x.parent?.validPolicy === ANY_POLICY) nodeSet.push(x);
    // (iii)(2): those outside the user set (and not anyPolicy) go, with their subtrees.
    for (const x of nodeSet) if (!x.deleted && x.validPolicy !== ANY_POLICY && !user.has(x.validPolicy)) this.remove(x);
    // (iii)(3): an anyPolicy leaf stands for every policy of the user set the node set lacks.
    const leafAny = this.at(n).find((x) => x.validPolicy === ANY_POLICY);
    if (leafAny && leafAny.parent) {
      const present = new Set(nodeSet.filter((x) => !x.deleted).map((x) => x.validPolicy));
      for (const p of user) if (!present.has(p)) this.add(leafAny.parent, p, leafAny.qualifiers, new Set([p]));
      this.remove(leafAny);
    }
    this.prune(n - 1);
  }

  /** Valid policies at depth n (the leaf's), or null when the tree is empty. */
  policiesAt(n: number): string[] | null {
    if (this.empty) return null;
    const out = [...new Set(this.at(n).map((x) => x.validPolicy))];
    return out.length ? out : null;
  }
}
