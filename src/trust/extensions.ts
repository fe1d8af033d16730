/**
 * Service information extensions (TS 119 612 §5.5.9): Qualifications (§5.5.9.2, with its
 * CriteriaList of KeyUsage, PolicySet and otherCriteriaList), AdditionalServiceInformation
 * (§5.5.9.4 / §5.8.2), and ExpiredCertsRevocationInfo (§5.5.9.1). Other extensions are kept out.
 */
import type { XmlElement } from "../xades/xml.js";
import { type Criteria, type QualificationElement, TSL_ADDITIONAL_NS, TSL_NS, TSL_SIE_NS, XADES_NS_132 } from "./model.js";

export interface ServiceExtensions {
  qualifications: QualificationElement[];
  additionalInformation: string[];
  expiredCertsRevocationInfo: Date | null;
}

export function readServiceExtensions(sie: XmlElement | null): ServiceExtensions {
  const out: ServiceExtensions = { qualifications: [], additionalInformation: [], expiredCertsRevocationInfo: null };
  for (const ext of sie?.elements(TSL_NS, "Extension") ?? []) {
    for (const q of ext.elements(TSL_SIE_NS, "Qualifications")) {
      for (const qe of q.elements(TSL_SIE_NS, "QualificationElement")) out.qualifications.push(qualificationElement(qe));
    }
    for (const asi of ext.elements(TSL_NS, "AdditionalServiceInformation")) {
      const uri = asi.first(TSL_NS, "URI")?.text().trim();
      if (uri) out.additionalInformation.push(uri);
    }
    const ecri = ext.first(TSL_NS, "ExpiredCertsRevocationInfo");
    if (ecri) {
      const d = new Date(ecri.text().trim());
      if (!Number.isNaN(d.getTime())) out.expiredCertsRevocationInfo = d;
    }
  }
  return out;
}

function qualificationElement(qe: XmlElement): QualificationElement {
  const qualifiers = (qe.first(TSL_SIE_NS, "Qualifiers")?.elements(TSL_SIE_NS, "Qualifier") ?? []).map((q) => q.attr("uri") ?? "").filter(Boolean);
  const cl = qe.first(TSL_SIE_NS, "CriteriaList");
  return { qualifiers, criteria: cl ? criteria(cl) : { assert: "all", keyUsage: [], policySets: [], extendedKeyUsage: [], nested: [], unknown: 1 } };
}

/** xades:Identifier, with or without the OIDAsURN qualifier ("urn:oid:1.2.3"). */
function oid(idParent: XmlElement): string | null {
  const id = idParent.first(XADES_NS_132, "Identifier");
  const t = id?.text().trim();
  return t ? t.replace(/^urn:oid:/i, "") : null;
}

function criteria(cl: XmlElement): Criteria {
  const a = cl.attr("assert");
  const c: Criteria = { assert: a === "atLeastOne" || a === "none" ? a : "all", keyUsage: [], policySets: [], extendedKeyUsage: [], nested: [], unknown: 0 };
  if (a !== null && a !== "all" && a !== "atLeastOne" && a !== "none") c.unknown++;
  for (const e of cl.elements()) {
    if (e.ns === TSL_SIE_NS && e.local === "KeyUsage") {
      const bits = new Map<string, boolean>();
      for (const b of e.elements(TSL_SIE_NS, "KeyUsageBit")) bits.set(b.attr("name") ?? "", b.text().trim() === "true");
      c.keyUsage.push(bits);
    } else if (e.ns === TSL_SIE_NS && e.local === "PolicySet") {
      c.policySets.push(e.elements(TSL_SIE_NS, "PolicyIdentifier").map(oid).filter((x): x is string => x !== null));
    } else if (e.ns === TSL_SIE_NS && e.local === "CriteriaList") {
      c.nested.push(criteria(e));
    } else if (e.ns === TSL_SIE_NS && e.local === "otherCriteriaList") {
      for (const o of e.elements()) {
        if (o.ns === TSL_ADDITIONAL_NS && o.local === "ExtendedKeyUsage") {
          for (const k of o.elements(TSL_ADDITIONAL_NS, "KeyPurposeId")) {
            const v = oid(k);
            if (v) c.extendedKeyUsage.push(v);
          }
        } else c.unknown++;
      }
    } else if (e.ns === TSL_SIE_NS && e.local === "Description") {
      // free text
    } else c.unknown++;
  }
  return c;
}
