// Measures podpis on the B-LT/B-LTA test files of EU DSS (a bare git mirror; not part of npm test,
// and nothing of DSS is copied into this repository): each file is read from the mirror, its own
// self-signed certificates are taken as the trust anchors (the files chain to DSS's test CAs), and
// it is validated offline at the time of its newest time-stamp plus a minute — a time it covers.
// Prints one line per file: indication, level, and each time-stamp's type/intact/valid.
//   npx tsx scripts/dss-lta.ts [/work/.mirror/esig+dss/repo]
import { execFileSync } from "node:child_process";
import { Tag, children, contentOf, readRoot } from "../src/asn1/der.js";
import { parseCertificate, type Certificate } from "../src/pki/certificate.js";
import { createValidator } from "../src/validator.js";

const repo = process.argv[2] ?? "/work/.mirror/esig+dss/repo";
const list = execFileSync("git", ["-C", repo, "ls-tree", "-r", "--name-only", "HEAD"], { encoding: "utf8", maxBuffer: 1 << 26 })
  .split("\n")
  .filter((p) => /^dss-(cades|xades)\/src\/test\/resources\//.test(p))
  .filter((p) => /(lta|[-_]lt[-_.]|b-lt|-xl|archive|ats)/i.test(p) && /\.(p7m|p7s|pkcs7|sig|xml)$/i.test(p) && !/evidence-record/i.test(p))
  .filter((p) => !process.env.DSS_ONLY || p.includes(process.env.DSS_ONLY));

/** Every certificate anywhere in a DER tree (bags, tokens, OCSP responses), by a walk through constructed nodes and OCTET STRINGs. */
function certificatesIn(der: Uint8Array, out: Map<string, Certificate>, depth = 0): void {
  if (depth > 40) return;
  let root;
  try {
    root = readRoot(der, { ber: true, maxDepth: 64 });
  } catch {
    return;
  }
  const walk = (buf: Uint8Array, n: ReturnType<typeof readRoot>, dep: number) => {
    if (dep > 40) return;
    if (n.tag === Tag.SEQUENCE) {
      try {
        const c = parseCertificate(Buffer.from(buf.subarray(n.start, n.end)));
        out.set(c.sha256, c);
        return;
      } catch {
        /* not a certificate: look inside */
      }
    }
    if (n.tag === Tag.OCTET_STRING) {
      certificatesIn(contentOf(buf, n), out, dep + 1);
      return;
    }
    if (n.tag & 0x20) {
      let kids;
      try {
        kids = children(buf, n, { ber: true, maxDepth: 64 });
      } catch {
        return;
      }
      for (const k of kids) walk(buf, k, dep + 1);
    }
  };
  walk(der, root, depth);
}

function certificatesOf(bytes: Buffer): Certificate[] {
  const out = new Map<string, Certificate>();
  const text = bytes.toString("latin1");
  if (text.trimStart().startsWith("<")) {
    for (const m of text.matchAll(/<(?:[\w-]+:)?(X509Certificate|EncapsulatedX509Certificate|EncapsulatedTimeStamp|EncapsulatedOCSPValue)[^>]*>([^<]+)</g)) {
      certificatesIn(Buffer.from(m[2]!.replace(/\s+/g, ""), "base64"), out);
    }
  } else certificatesIn(bytes, out);
  return [...out.values()];
}

const selfSigned = (c: Certificate) => c.subject.key === c.issuer.key;

for (const path of list) {
  let bytes: Buffer;
  try {
    bytes = execFileSync("git", ["-C", repo, "show", `HEAD:${path}`], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    console.log(`${path}: not in the mirror (a large file left out)`);
    continue;
  }
  const certs = certificatesOf(bytes);
  const v = await createValidator({ trust: certs.filter(selfSigned).map((c) => c.der), untrusted: certs.filter((c) => !selfSigned(c)).map((c) => c.der), offline: true });
  const name = path.replace(/^dss-(\w+)\/src\/test\/resources\/validation\//, "$1: ");
  try {
    const first = await v.verify(bytes, { at: new Date() });
    const times = first.signatures.flatMap((s) => s.timestamps.map((t) => (t.genTime ? Date.parse(t.genTime) : 0)));
    const at = new Date(Math.max(...times, 0) + 60_000);
    const r = times.length ? await v.verify(bytes, { at }) : first;
    for (const s of r.signatures) {
      const ts = s.timestamps.map((t) => `${t.type}:${t.intact ? "intact" : "NOT-INTACT"}/${t.valid ? "valid" : "invalid"}`).join(" ");
      const why = s.indication === "TOTAL_PASSED" ? "" : ` ${s.subIndication} ${s.errors.at(-1)?.message ?? ""}`.slice(0, Number(process.env.DSS_WIDTH ?? 160));
      console.log(`${name} [${s.id}] at ${r.validationTime}: ${s.indication} ${s.level} | ${ts}${why}`);
    }
  } catch (e) {
    console.log(`${name}: error ${(e as Error).message.slice(0, 160)}`);
  }
}
