/**
 * TS 119 612 §5.5.9.2.2 KeyUsage criteria, read from a list's XML and matched against a
 * certificate: bit names are names, never members of a JavaScript object. Before, a
 * KeyUsageBit named "__proto__" vanished on reading (so a criterion of only that bit matched
 * every certificate) and "constructor" resolved to Object's constructor (read as bit 0).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "../src/pki/certificate.js";
import { readServiceExtensions } from "../src/trust/extensions.js";
import { TSL_NS, TSL_SIE_NS } from "../src/trust/model.js";
import { criteriaMatch } from "../src/trust/qualify.js";
import { parseXml } from "../src/xades/xml.js";

// the test citizen certificate: keyUsage digitalSignature and nonRepudiation
const cert = parseCertificate(readFileSync("certs-test/citizen-rsa2048.der"));

/** one QualificationElement whose CriteriaList holds one KeyUsage of these bits; does it match? */
function matches(...bits: Array<[string, boolean]>): boolean {
  const xml = `<tsl:ServiceInformationExtensions xmlns:tsl="${TSL_NS}" xmlns:q="${TSL_SIE_NS}"><tsl:Extension Critical="true"><q:Qualifications><q:QualificationElement>` +
    `<q:Qualifiers><q:Qualifier uri="http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithQSCD"/></q:Qualifiers>` +
    `<q:CriteriaList assert="all"><q:KeyUsage>${bits.map(([n, v]) => `<q:KeyUsageBit name="${n}">${v}</q:KeyUsageBit>`).join("")}</q:KeyUsage></q:CriteriaList>` +
    `</q:QualificationElement></q:Qualifications></tsl:Extension></tsl:ServiceInformationExtensions>`;
  const ext = readServiceExtensions(parseXml(Buffer.from(xml)).root);
  expect(ext.qualifications).toHaveLength(1);
  return criteriaMatch(ext.qualifications[0]!.criteria, cert);
}

describe("trusted-list KeyUsage criteria", () => {
  it("named bits match as the certificate has them", () => {
    expect(matches(["nonRepudiation", true])).toBe(true);
    expect(matches(["contentCommitment", true], ["digitalSignature", true])).toBe(true);
    expect(matches(["keyCertSign", true])).toBe(false);
    expect(matches(["keyCertSign", false], ["nonRepudiation", true])).toBe(true);
  });

  it("names that are members of Object are unknown bits: the criterion does not hold", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(matches([name, true]), `${name} true`).toBe(false);
      expect(matches([name, false]), `${name} false`).toBe(false);
      expect(matches(["digitalSignature", true], [name, true]), `digitalSignature and ${name}`).toBe(false);
    }
  });

  it("a KeyUsage with no bit (the schema requires one) matches nothing", () => {
    expect(matches()).toBe(false);
  });
});
