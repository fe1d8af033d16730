/** What `podpis tl inspect` reports of one list (contract: "Trusted list"). */
import type { Certificate } from "../pki/certificate.js";
import { serviceCount, type TrustedList } from "./model.js";
import { parseTrustedList } from "./parse.js";
import { type ListSignature, checkListSignature } from "./signature.js";

export interface ListInspection {
  kind: "TL" | "LOTL";
  schemeTerritory: string;
  sequenceNumber: number;
  version: number;
  issueDate: string;
  nextUpdate: string | null;
  operator: string;
  sha256: string;
  tsps: number;
  services: number;
  pointers: Array<{ territory: string | null; location: string; mimeType: string | null; signers: string[] }>;
  signature: { present: boolean; intact: boolean; signer: { subject: string; sha256: string } | null; trusted: boolean | null; problem: string | null };
  warnings: string[];
}

/** Parses (throws TrustListError NOT_A_TRUSTED_LIST) and checks the signature against `pinned` (null: nothing pinned). */
export function inspectList(bytes: Uint8Array, pinned: readonly Certificate[] | null): { inspection: ListInspection; list: TrustedList; signature: ListSignature } {
  const { list, doc } = parseTrustedList(bytes);
  const signature = checkListSignature(bytes, doc, pinned && pinned.length > 0 ? pinned : null);
  const inspection: ListInspection = {
    kind: list.kind,
    schemeTerritory: list.schemeTerritory,
    sequenceNumber: list.sequenceNumber,
    version: list.version,
    issueDate: list.issueDate.toISOString(),
    nextUpdate: list.nextUpdate?.toISOString() ?? null,
    operator: list.operator,
    sha256: list.sha256,
    tsps: list.providers.length,
    services: serviceCount(list),
    pointers: list.pointers.map((p) => ({ territory: p.territory, location: p.location, mimeType: p.mimeType, signers: p.signers.map((c) => c.sha256) })),
    signature: { present: signature.present, intact: signature.intact, signer: signature.signer, trusted: signature.trusted, problem: signature.problem },
    warnings: list.warnings,
  };
  return { inspection, list, signature };
}
