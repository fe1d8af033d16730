/**
 * Values of the CAdES-only signed attributes (ETSI EN 319 122-1 §5.2): signature policy, content
 * hints, commitment type. Each reader takes the DER of one attribute value; the attributes every
 * CMS signer has are read in cms/attributes.ts.
 */
import { Asn1Error, Tag, children, contentOf, readOid, readRoot, readString } from "../asn1/der.js";
import { hashName, parseAlgorithmIdentifier } from "../pki/algorithms.js";

export interface SignaturePolicy {
  /** the policy OID, or null for signaturePolicyImplied */
  oid: string | null;
  hashAlgorithm: string | null;
  hash: Uint8Array | null;
  /** SPuri qualifier (ETSI EN 319 122-1 §5.2.9.2) */
  uri: string | null;
}

const SPURI = "1.2.840.113549.1.9.16.5.1";

export function readSignaturePolicy(v: Uint8Array): SignaturePolicy {
  const root = readRoot(v);
  if (root.tag === Tag.NULL) return { oid: null, hashAlgorithm: null, hash: null, uri: null };
  if (root.tag !== Tag.SEQUENCE) throw new Asn1Error("SignaturePolicyIdentifier malformed");
  const [idNode, hashNode, qualifiers] = children(v, root);
  if (!idNode || !hashNode) throw new Asn1Error("SignaturePolicyId malformed");
  const oid = readOid(v, idNode);
  const [algNode, valueNode] = children(v, hashNode);
  if (!algNode || !valueNode || valueNode.tag !== Tag.OCTET_STRING) throw new Asn1Error("sigPolicyHash malformed");
  const alg = parseAlgorithmIdentifier(v, algNode);
  let uri: string | null = null;
  if (qualifiers) {
    const inner = children(v, qualifiers);
    // SEQUENCE OF SigPolicyQualifierInfo (EN 319 122-1 §5.2.9); some producers write one
    // SigPolicyQualifierInfo without the SEQUENCE OF around it
    const list = inner[0]?.tag === Tag.OID ? [qualifiers] : inner;
    for (const q of list) {
      if (q.tag !== Tag.SEQUENCE) throw new Asn1Error("SigPolicyQualifierInfo malformed");
      const [qid, qv] = children(v, q);
      if (qid?.tag === Tag.OID && qv && readOid(v, qid) === SPURI) uri = readString(v, qv);
    }
  }
  let hashAlgorithm: string | null;
  try {
    hashAlgorithm = hashName(alg.oid);
  } catch {
    hashAlgorithm = alg.oid;
  }
  return { oid, hashAlgorithm, hash: contentOf(v, valueNode), uri };
}

export interface ContentHints {
  description: string | null;
  contentType: string;
}

export function readContentHints(v: Uint8Array): ContentHints {
  const root = readRoot(v);
  const f = children(v, root);
  let description: string | null = null;
  let i = 0;
  if (f[0] && f[0].tag !== Tag.OID) description = readString(v, f[i++]!);
  const ct = f[i];
  if (!ct) throw new Asn1Error("ContentHints.contentType missing");
  return { description, contentType: readOid(v, ct) };
}

/** CommitmentTypeIndication's commitmentTypeId (ETSI EN 319 122-1 §5.2.3). */
export function readCommitmentType(v: Uint8Array): string {
  const root = readRoot(v);
  const [id] = children(v, root);
  if (!id) throw new Asn1Error("CommitmentTypeIndication malformed");
  return readOid(v, id);
}
