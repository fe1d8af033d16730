/**
 * The page's Sign part. The key is a .p12/.pfx opened here (pkcs12.ts, keys.ts) or a card behind
 * a local signing application (local-signers.ts); either way the service sees the document, the
 * certificate and the signature value only: POST /api/v1/public/signing/prepare gives the octets
 * to sign, /complete assembles the signature. With ?service=CODE the signed file is then
 * submitted (POST /api/v1/public/submissions) and the sealed receipt shown.
 */
import { call, callJson, form } from "./api.js";
import { $, b64, blobOf, el, readFile, say } from "./dom.js";
import { t } from "./i18n.js";
import { browserKey, commonNameOf } from "./keys.js";
import { type LocalSigner, SignerCancelled, findLocalSigners } from "./local-signers.js";
import { openPkcs12 } from "./pkcs12.js";
import { Pkcs12Error } from "./pkcs12-errors.js";
import { checkReceipt, showReceiptCheck } from "./receipt.js";
import { problemText } from "./verify.js";

interface Prepared {
  format: "cades" | "xades";
  packaging: "enveloping" | "enveloped" | "detached";
  toBeSigned: string;
  digest: string;
  digestAlgorithm: string;
  state: string;
}

interface Signed {
  bytes: Uint8Array;
  name: string;
  type: string;
}

interface Choice {
  format: "cades" | "xades";
  packaging: "enveloping" | "enveloped" | "detached";
}

function choice(doc: { name: string; bytes: Uint8Array }, selected: string): Choice {
  if (selected === "xades") return { format: "xades", packaging: "enveloped" };
  if (selected === "cades-detached") return { format: "cades", packaging: "detached" };
  if (selected === "cades-enveloping") return { format: "cades", packaging: "enveloping" };
  // automatic: an XML form gets enveloped XAdES, anything else a detached CAdES .p7s
  const head = new TextDecoder().decode(doc.bytes.subarray(0, 64)).replace(/^\uFEFF/, "").trimStart();
  return /\.xml$/i.test(doc.name) || head.startsWith("<") ? { format: "xades", packaging: "enveloped" } : { format: "cades", packaging: "detached" };
}

function signedName(doc: string, c: Choice): string {
  if (c.format === "xades") return doc.replace(/(\.xml)?$/i, "-signed.xml");
  return `${doc}.${c.packaging === "detached" ? "p7s" : "p7m"}`;
}

/** The two steps with a signing function that holds the key (or reaches the card). */
async function twoStep(doc: { name: string; bytes: Uint8Array }, c: Choice, chain: Uint8Array[], hash: string, signValue: (p: Prepared) => Promise<Uint8Array>, step: (s: string) => void): Promise<Signed> {
  step(t("sign.step.prepare"));
  const parts: Array<[string, Uint8Array | string, string?]> = [
    ["document", doc.bytes, doc.name],
    ["certificate", chain[0]!, "certificate.der"],
    ...chain.slice(1, 8).map((x, i): [string, Uint8Array, string] => ["chain", x, `chain-${i}.der`]),
    ["format", c.format],
    ["packaging", c.packaging],
    ["hash", hash],
  ];
  if (c.format === "xades" && c.packaging === "detached") parts.push(["name", doc.name]);
  const prepared = await callJson<Prepared>("/api/v1/public/signing/prepare", { method: "POST", body: form(parts) });
  const value = await signValue(prepared);
  step(t("sign.step.complete"));
  const needsDocument = prepared.packaging !== "detached";
  const r = await call("/api/v1/public/signing/complete", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ state: prepared.state, signatureValue: b64(value), ...(needsDocument ? { document: b64(doc.bytes) } : {}) }),
  });
  return { bytes: new Uint8Array(await r.arrayBuffer()), name: signedName(doc.name, c), type: r.headers.get("Content-Type") ?? "application/octet-stream" };
}

async function withP12(doc: { name: string; bytes: Uint8Array }, c: Choice, step: (s: string) => void): Promise<Signed> {
  const p12 = await readFile($<HTMLInputElement>("#sign-p12"));
  if (!p12) throw new UserError(t("sign.needP12"), "#sign-p12");
  const password = $<HTMLInputElement>("#sign-password").value;
  step(t("sign.step.open"));
  const contents = await openPkcs12(p12.bytes, password);
  const key = await browserKey(contents.privateKey, contents.certificates);
  const curve = (key.algorithm as EcKeyImportParams).namedCurve;
  const hash = curve === "P-384" ? "sha384" : curve === "P-521" ? "sha512" : "sha256";
  defaultApplicant(key.chain[0]!);
  return twoStep(doc, c, key.chain, hash, (p) => key.sign(Uint8Array.from(atob(p.toBeSigned), (ch) => ch.charCodeAt(0))), step);
}

let signers: LocalSigner[] = [];

async function withCard(doc: { name: string; bytes: Uint8Array }, c: Choice, step: (s: string) => void): Promise<Signed> {
  if (signers.length === 0) await detect();
  const chosen = signers[Number($<HTMLSelectElement>("#sign-signer").value) || 0];
  if (!chosen) throw new UserError(t("sign.noSigner"), "#sign-detect");
  step(t("sign.step.card"));
  const chain = await chosen.certificates();
  defaultApplicant(chain[0]!);
  return twoStep(doc, c, chain, "sha256", (p) => {
    step(t("sign.step.card"));
    return chosen.sign({ toBeSigned: p.toBeSigned, digest: p.digest, hash: p.digestAlgorithm, certificate: b64(chain[0]!) });
  }, step);
}

/** Probes the configured local signers and lists those that answer. */
async function detect(): Promise<void> {
  const status = $("#sign-status");
  say(status, t("sign.detecting"));
  signers = await findLocalSigners();
  const select = $<HTMLSelectElement>("#sign-signer");
  select.replaceChildren(...signers.map((s, i) => el("option", { value: String(i) }, `${s.name} (${s.url})`)));
  $("#sign-signer-field").hidden = signers.length === 0;
  say(status, signers.length ? t("sign.found", { name: signers.map((s) => s.name).join(", ") }) : t("sign.noSigner"), signers.length ? "info" : "error");
}

function defaultApplicant(cert: Uint8Array): void {
  const input = $<HTMLInputElement>("#sign-applicant");
  if (!input.value.trim()) input.value = commonNameOf(cert) ?? "";
}

class UserError extends Error {
  constructor(
    message: string,
    readonly focus: string,
  ) {
    super(message);
  }
}

let downloadUrl: string | null = null;

function offer(a: HTMLAnchorElement, signed: Signed): void {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(blobOf(signed.bytes, signed.type));
  a.href = downloadUrl;
  a.download = signed.name;
  a.textContent = t("sign.download", { name: signed.name });
}

interface Submission {
  registrationNumber: string;
  accepted: boolean;
  receipt: string;
}

async function submit(service: string, signed: Signed, doc: { name: string; bytes: Uint8Array }, c: Choice): Promise<void> {
  const applicant = $<HTMLInputElement>("#sign-applicant").value.trim();
  const parts: Array<[string, Uint8Array | string, string?]> = [["signature", signed.bytes, signed.name]];
  if (c.packaging === "detached") parts.push(["content", doc.bytes, doc.name]);
  parts.push(["applicant", applicant], ["service", service]);
  const r = await callJson<Submission>("/api/v1/public/submissions", { method: "POST", body: form(parts) });
  const target = $("#sign-receipt");
  const check = await checkReceipt(r.receipt);
  const box = el("div", {});
  showReceiptCheck(box, check);
  const url = URL.createObjectURL(new Blob([r.receipt], { type: "application/xml" }));
  const link = el("a", { href: url, download: `receipt-${r.registrationNumber.replace(/[^\w.-]+/g, "_")}.xml`, "data-testid": "sign-receipt-download" }, t("receipt.download"));
  target.replaceChildren(el("h3", {}, t("receipt.issued")), el("p", {}, `${t("receipt.number")}: `, el("strong", {}, r.registrationNumber)), box, el("p", {}, link));
  target.dataset.registrationNumber = r.registrationNumber;
  target.dataset.accepted = String(r.accepted);
  target.dataset.valid = String(check.valid);
  target.hidden = false;
}

export function initSign(): void {
  const service = new URLSearchParams(location.search).get("service")?.trim() || null;
  const status = $("#sign-status");
  const submitButton = $<HTMLButtonElement>("#sign-submit");
  if (service) {
    $("#sign-service-fields").hidden = false;
    $("#sign-service").textContent = t("sign.service", { service });
    submitButton.textContent = t("sign.buttonSubmit");
  }
  const method = (): string => document.querySelector<HTMLInputElement>('input[name="sign-with"]:checked')?.value ?? "p12";
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="sign-with"]')) {
    r.addEventListener("change", () => {
      $("#sign-p12-fields").hidden = method() !== "p12";
      $("#sign-card-fields").hidden = method() !== "card";
    });
  }
  $("#sign-detect").addEventListener("click", () => void detect());
  $<HTMLFormElement>("#sign-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#sign-done").hidden = true;
    $("#sign-receipt").hidden = true;
    const step = (s: string): void => say(status, s);
    submitButton.disabled = true;
    try {
      const doc = await readFile($<HTMLInputElement>("#sign-document"));
      if (!doc) throw new UserError(t("sign.needDocument"), "#sign-document");
      const c = choice(doc, $<HTMLSelectElement>("#sign-format").value);
      const signed = method() === "card" ? await withCard(doc, c, step) : await withP12(doc, c, step);
      offer($<HTMLAnchorElement>("#sign-download"), signed);
      // the password is not kept in the page once the key has signed
      $<HTMLInputElement>("#sign-password").value = "";
      $("#sign-done").hidden = false;
      if (service) {
        if (!$<HTMLInputElement>("#sign-applicant").value.trim()) throw new UserError(t("sign.needApplicant"), "#sign-applicant");
        step(t("sign.step.submit"));
        await submit(service, signed, doc, c);
      }
      say(status, "");
      $("#sign-done").focus();
    } catch (e) {
      if (e instanceof UserError) {
        say(status, e.message, "error");
        document.querySelector<HTMLElement>(e.focus)?.focus();
      } else if (e instanceof Pkcs12Error) {
        say(status, t(`p12.${e.code}`), "error");
        $<HTMLInputElement>(e.code === "BAD_PASSWORD" ? "#sign-password" : "#sign-p12").focus();
      } else if (e instanceof SignerCancelled) say(status, t("sign.cancelled"), "error");
      else say(status, problemText(e), "error");
    } finally {
      submitButton.disabled = false;
    }
  });
}
