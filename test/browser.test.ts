/**
 * Issue 17: the citizen page and the auditor's console in a real Chromium (Debian's, through
 * playwright-core), against one real `podpis serve` — one browser and one server for the file.
 * Verify (valid, tampered, untrusted, detached); sign with a .p12 (modern and legacy) while every
 * request is watched for the key file and the password; sign through a BISS and a NexU double
 * holding a SoftHSM key; submit with ?service= and check the receipt; switch language; the
 * auditor's console finds, replays, verifies the audit log and refuses without a key; nothing
 * leaves loopback; no console error; axe-core finds no serious violation.
 *
 * PODPIS_SCREENSHOTS=DIR saves the main states as PNG (docs/screenshots/ in the README).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { openKey } from "../src/keys/index.js";
import type { KeyProvider } from "../src/keys/provider.js";
import { type Browser, contains, launchBrowser, withChromium } from "./helpers/browser.js";
import { type LocalSignerDouble, startLocalSignerDouble } from "./helpers/local-signer-double.js";
import { havePeer } from "./helpers/peers.js";
import { Relay } from "./helpers/tcp-relay.js";
import { type ServeProcess, createKey, startServe, tempData } from "./helpers/serve-process.js";
import { P12_PASSWORD, PIN, PKI, type SoftHsm, setupSoftHsm } from "./helpers/sign-tools.js";
import { openPkcs12 } from "../src/keys/software.js";

const AT = "2026-06-01T00:00:00Z";
const fx = (p: string): string => join("fixtures", "cades", p);
const SHOTS = process.env.PODPIS_SCREENSHOTS;
const chrome = withChromium();

let b: Browser;
let s: ServeProcess;
let data: ReturnType<typeof tempData>;
let signer: LocalSignerDouble;
let key: KeyProvider;
let hsm: SoftHsm | null = null;
let auditKey: string;
/** the pages' origin: a relay in front of the server that keeps every byte the browser sends */
let web: string;
let relay: Relay;
const wire: Buffer[] = [];
const sentSince = (n: number): Buffer => Buffer.concat(wire.slice(n));
let verifyKey: string;
const signedForAudit: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** The report the keyed API gives for a signed file (and content): what the page offered is checked independently of the page. */
async function serverVerdict(signed: Buffer, content?: Buffer): Promise<{ indication: string; signatures: Array<{ signer: { commonName: string } }> }> {
  const f = new FormData();
  f.append("signature", new Blob([signed]), "s");
  if (content) f.append("content", new Blob([content]), "c");
  const r = await fetch(`${s.base}/api/v1/verify`, { method: "POST", body: f, headers: { Authorization: `Bearer ${verifyKey}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as never;
}

async function download(page: Page, testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

async function verifyOnPage(page: Page, file: string, content?: string): Promise<string> {
  await page.getByTestId("verify-file").setInputFiles(file);
  if (content) await page.getByTestId("verify-content").setInputFiles(content);
  else await page.getByTestId("verify-content").setInputFiles([]);
  await page.locator("#verify-form button[type=submit]").click();
  const result = page.locator("[data-testid=verify-result][data-indication]");
  await result.waitFor({ timeout: 30_000 });
  return (await result.getAttribute("data-indication"))!;
}

/** Signs a document on the page; returns the downloaded file and the requests made meanwhile. */
async function signOnPage(page: Page, doc: { name: string; bytes: Buffer }, how: { p12?: string; password?: string; signer?: "biss" | "nexu" }) {
  const before = b.requests.length;
  const sent = wire.length;
  await page.getByTestId("sign-document").setInputFiles({ name: doc.name, mimeType: "application/octet-stream", buffer: doc.bytes });
  if (how.p12) {
    await page.locator("#sign-with-p12").check();
    await page.getByTestId("sign-p12").setInputFiles(how.p12);
    await page.getByTestId("sign-password").fill(how.password ?? "");
  } else {
    await page.getByTestId("sign-with-card").check();
    await page.getByTestId("sign-detect").click();
    await page.locator("#sign-signer-field:not([hidden])").waitFor();
    const options = await page.locator("#sign-signer option").allTextContents();
    const i = options.findIndex((o) => o.toLowerCase().includes(how.signer === "biss" ? "bISS".toLowerCase() : "nexu"));
    expect(i, options.join(" | ")).toBeGreaterThanOrEqual(0);
    await page.getByTestId("sign-signer").selectOption(String(i));
  }
  await page.getByTestId("sign-submit").click();
  // a failure says what the page said
  await page.locator("#sign-done:not([hidden])").waitFor({ timeout: 60_000 }).catch(async (e: Error) => {
    throw new Error(`${e.message}\npage status: ${await page.locator("#sign-status").innerText()}`);
  });
  const file = await download(page, "sign-download");
  return { file, requests: b.requests.slice(before), wire: sentSince(sent) };
}

chrome.describe("the pages in Chromium (issue 17)", () => {
  beforeAll(async () => {
    // the smart card: a SoftHSM token through podpis's PKCS#11 provider (a software key without SoftHSM)
    if (havePeer("softhsm2")) {
      hsm = setupSoftHsm();
      key = await openKey({ key: hsm.rsa, pkcs11Module: hsm.module, secret: PIN });
    } else key = openPkcs12(readFileSync(join(PKI, "keys", "citizen-rsa2048.p12")), P12_PASSWORD);
    signer = await startLocalSignerDouble(key);
    process.env.PODPIS_LOCAL_SIGNERS = `biss=${signer.bissUrl},nexu=${signer.nexuUrl}`;
    data = tempData();
    auditKey = await createKey(data.dir, ["audit"], "auditor");
    verifyKey = await createKey(data.dir, ["verify"], "checker");
    s = await startServe(data.dir, ["--clock", AT]);
    relay = new Relay({ host: "127.0.0.1", port: s.port }, (chunk) => wire.push(Buffer.from(chunk)));
    await relay.open();
    web = `http://127.0.0.1:${relay.port}`;
    b = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await relay?.cut();
    await s?.stop();
    await signer?.close();
    await key?.close();
    hsm?.restoreEnv();
    data?.remove();
    delete process.env.PODPIS_LOCAL_SIGNERS;
  }, 180_000);

  chrome.it("serves the pages with a strict CSP, nosniff and no referrer; Bulgarian by default, English with ?lang=en", async () => {
    const r = await fetch(`${s.base}/`);
    expect(r.status).toBe(200);
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain(signer.bissUrl);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await r.text();
    expect(html).toContain('<html lang="bg">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(await (await fetch(`${s.base}/?lang=en`)).text()).toContain('<html lang="en">');
    const js = await fetch(`${s.base}/web/citizen.js`);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(`${s.base}/web/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${s.base}/web/nothing.js`)).status).toBe(404);
  });

  chrome.it("verifies a valid, a tampered, an untrusted and a detached signature, in plain words", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/`);
    expect(await page.locator("html").getAttribute("lang")).toBe("bg");
    expect(await verifyOnPage(page, fx("rsa2048-cades-attached.p7m"))).toBe("TOTAL_PASSED");
    const valid = await page.getByTestId("verify-result").innerText();
    expect(valid).toContain("Подписът е валиден");
    expect(valid).toContain("квалифициран електронен подпис");
    // the EGN is masked
    expect(valid).toMatch(/ЕГН \d{5}\*{5}/);
    await shot(page, "verify-valid");
    expect(await verifyOnPage(page, fx("tampered-content.p7m"))).toBe("TOTAL_FAILED");
    expect(await page.getByTestId("verify-result").innerText()).toContain("подписаното съдържание е променено след подписването");
    await shot(page, "verify-tampered");
    expect(await verifyOnPage(page, fx("untrusted-root.p7m"))).toBe("INDETERMINATE");
    expect(await page.getByTestId("verify-result").innerText()).toContain("удостоверението не води до доверен доставчик");
    expect(await verifyOnPage(page, fx("rsa2048-cades-detached.p7s"), fx("content.xml"))).toBe("TOTAL_PASSED");
    await page.close();
  }, 180_000);

  chrome.it("signs with a .p12 in the browser (RSA and ECDSA, modern and legacy encryption): the key file and the password never leave it", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/`);
    const cases: Array<{ p12: string; password: string; doc: { name: string; bytes: Buffer }; ext: string; cert?: string }> = [
      { p12: join(PKI, "keys", "citizen-rsa2048.p12"), password: P12_PASSWORD, doc: { name: "заявление.txt", bytes: Buffer.from("Моля да ми бъде издадено удостоверение.\n") }, ext: ".p7s" },
      { p12: join(PKI, "keys", "citizen-p256.p12"), password: P12_PASSWORD, doc: { name: "молба.txt", bytes: Buffer.from("ECDSA P-256\n") }, ext: ".p7s", cert: "citizen-p256.der" },
      { p12: join(PKI, "keys", "citizen-rsa2048.legacy.p12"), password: "podpis-legacy", doc: { name: "form.xml", bytes: Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Заявление><Име>Иван</Име></Заявление>\n') }, ext: ".xml" },
    ];
    for (const c of cases) {
      const { file, requests, wire: sent } = await signOnPage(page, c.doc, c);
      expect(file.name.endsWith(c.ext)).toBe(true);
      const report = await serverVerdict(file.bytes, c.ext === ".p7s" ? c.doc.bytes : undefined);
      expect(report.indication).toBe("TOTAL_PASSED");
      expect(requests.some((r) => r.url.includes("/api/v1/public/signing/prepare"))).toBe(true);
      expect(requests.some((r) => r.url.includes("/api/v1/public/signing/complete"))).toBe(true);
      // every byte the page sent to the service while signing (the relay's record): the document
      // and the certificate are there — so the watch sees what is sent — and the key file (whole,
      // any of its 64-octet pieces, its base64) and the password (UTF-8, UTF-16, base64) are not
      expect(contains(sent, c.doc.bytes)).toBe(true);
      expect(contains(sent, readFileSync(join(PKI, c.cert ?? "citizen-rsa2048.der")))).toBe(true);
      const p12 = readFileSync(c.p12);
      const pieces: Buffer[] = [Buffer.from(p12.toString("base64").slice(0, 64)), Buffer.from(p12.toString("base64url").slice(0, 64))];
      for (let i = 0; i + 64 <= p12.length; i += 32) pieces.push(p12.subarray(i, i + 64));
      const secrets = [Buffer.from(c.password), Buffer.from(c.password, "utf16le"), Buffer.from(Buffer.from(c.password).toString("base64").replace(/=+$/, ""))];
      for (const n of pieces) expect(contains(sent, n), "a piece of the .p12 was sent").toBe(false);
      for (const n of secrets) expect(contains(sent, n), "the password was sent").toBe(false);
      for (const call of signer.calls) expect(JSON.stringify(call.body)).not.toContain(c.password);
    }
    await shot(page, "sign-done");
    await page.close();
  }, 180_000);

  chrome.it("a wrong password is said in plain words and nothing is sent", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/?lang=en`);
    const before = b.requests.length;
    await page.getByTestId("sign-document").setInputFiles({ name: "a.txt", mimeType: "text/plain", buffer: Buffer.from("a") });
    await page.getByTestId("sign-p12").setInputFiles(join(PKI, "keys", "citizen-rsa2048.legacy.p12"));
    await page.getByTestId("sign-password").fill("wrong");
    await page.getByTestId("sign-submit").click();
    await expect.poll(() => page.locator("#sign-status").innerText()).toContain("The password is not right");
    expect(b.requests.slice(before).filter((r) => r.url.includes("/api/"))).toEqual([]);
    await page.close();
  });

  for (const kind of ["biss", "nexu"] as const) {
    chrome.it(`signs through a ${kind === "biss" ? "B-Trust BISS" : "NexU-style"} local signer (double with a SoftHSM key; a software key without SoftHSM)`, async () => {
      const page = await b.newPage();
      await page.goto(`${web}/`);
      const calls = signer.calls.length;
      const doc = { name: "искане.pdf", bytes: Buffer.from("%PDF-1.4\n% not really a PDF, but any file can be signed\n") };
      const { file } = await signOnPage(page, doc, { signer: kind });
      expect(file.name).toBe("искане.pdf.p7s");
      const report = await serverVerdict(file.bytes, doc.bytes);
      expect(report.indication).toBe("TOTAL_PASSED");
      const mine = signer.calls.slice(calls).filter((c) => c.protocol === kind).map((c) => `${c.method} ${c.path}`);
      expect(mine).toEqual(kind === "biss" ? ["GET /version", "POST /getsigner", "POST /sign"] : ["GET /nexu-info", "POST /certificates", "POST /sign"]);
      if (kind === "biss") {
        const sign = signer.calls.slice(calls).find((c) => c.protocol === "biss" && c.path === "/sign")!.body as { contentType: string; hashAlgorithm: string };
        expect(sign).toMatchObject({ contentType: "digest", hashAlgorithm: "SHA256" });
      }
      await page.close();
    }, 180_000);
  }

  chrome.it("with ?service= the signed file is submitted, the sealed receipt shown, offered, and checked genuine; an altered one is not", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/?service=${encodeURIComponent("urn:podpis:service:certificate")}`);
    const doc = { name: "заявление.xml", bytes: Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Заявление><Услуга>удостоверение</Услуга></Заявление>\n') };
    await signOnPage(page, doc, { p12: join(PKI, "keys", "citizen-rsa2048.p12"), password: P12_PASSWORD });
    const receipt = page.locator("[data-testid=sign-receipt][data-valid]");
    await receipt.waitFor({ timeout: 60_000 });
    expect(await receipt.getAttribute("data-valid")).toBe("true");
    expect(await receipt.getAttribute("data-accepted")).toBe("true");
    const number = (await receipt.getAttribute("data-registration-number"))!;
    signedForAudit.push(number);
    await shot(page, "submitted-receipt");
    const r = await download(page, "sign-receipt-download");
    expect(r.bytes.toString("utf8")).toContain(number);

    await page.getByTestId("receipt-file").setInputFiles({ name: r.name, mimeType: "application/xml", buffer: r.bytes });
    await page.locator("#receipt-form button[type=submit]").click();
    await page.locator("[data-testid=receipt-result][data-valid]").waitFor();
    expect(await page.getByTestId("receipt-result").getAttribute("data-valid")).toBe("true");
    expect(await page.getByTestId("receipt-result").innerText()).toContain(number);

    const altered = r.bytes.toString("utf8").replace(number, number.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10)));
    expect(altered).not.toBe(r.bytes.toString("utf8"));
    await page.getByTestId("receipt-file").setInputFiles([]);
    await page.getByTestId("receipt-text").fill(altered);
    await page.locator("#receipt-form button[type=submit]").click();
    await page.locator("[data-testid=receipt-result][data-valid]").waitFor();
    expect(await page.getByTestId("receipt-result").getAttribute("data-valid")).toBe("false");
    await page.close();
  }, 180_000);

  chrome.it("switches language with the visible switch: <html lang>, the texts and the verdicts", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/`);
    expect(await page.locator("h1").innerText()).toContain("Проверка");
    await page.getByTestId("lang-switch").click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.locator("h1").innerText()).toBe("Verify, sign and submit electronic documents");
    expect(await verifyOnPage(page, fx("tampered-content.p7m"))).toBe("TOTAL_FAILED");
    expect(await page.getByTestId("verify-result").innerText()).toContain("the signed content was changed after signing");
    await shot(page, "english");
    await page.getByTestId("lang-switch").click();
    await page.waitForURL(/lang=bg/);
    expect(await page.locator("html").getAttribute("lang")).toBe("bg");
    await page.close();
  });

  chrome.it("the auditor's console refuses without a key, then finds, shows, replays and verifies the audit log", async () => {
    // the routes themselves without a key
    expect((await fetch(`${s.base}/api/v1/submissions`)).status).toBe(401);
    expect((await fetch(`${s.base}/api/v1/audit/verify`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${s.base}/api/v1/audit/verify`, { method: "POST", headers: { Authorization: `Bearer ${verifyKey}` } })).status).toBe(403);

    const page = await b.newPage();
    const before = b.requests.length;
    await page.goto(`${web}/audit`);
    await expect.poll(() => page.getByTestId("audit-key-status").innerText()).toContain("API ключ");
    expect(await page.locator("#audit-console").isHidden()).toBe(true);
    // nothing of the archive was asked for without a key
    expect(b.requests.slice(before).filter((r) => r.url.includes("/api/"))).toEqual([]);

    // a key without the audit scope is refused (its 403 is the one expected console error)
    const errors = b.errors.length;
    await page.getByTestId("audit-key").fill(verifyKey);
    await page.getByTestId("audit-sign-in").click();
    await expect.poll(() => page.getByTestId("audit-key-status").innerText()).toContain("Ключът е отказан");
    expect(await page.locator("#audit-console").isHidden()).toBe(true);
    const unexpected = b.errors.splice(errors).filter((e) => !/status of 403/.test(e));
    expect(unexpected).toEqual([]);

    await page.getByTestId("audit-key").fill(auditKey);
    await page.getByTestId("audit-sign-in").click();
    await page.locator("#audit-console:not([hidden])").waitFor();
    expect(await page.evaluate('[sessionStorage.getItem("podpis.auditKey") !== null, localStorage.length]')).toEqual([true, 0]);

    const number = signedForAudit[0];
    expect(number, "the submission test ran first").toBeTruthy();
    await page.getByTestId("audit-number").fill(number!);
    await page.getByTestId("audit-search").click();
    await page.getByTestId("audit-open").first().waitFor();
    expect(await page.getByTestId("audit-open").count()).toBe(1);
    await page.getByTestId("audit-open").click();
    await page.locator("#audit-one:not([hidden])").waitFor();
    expect(await page.getByTestId("audit-integrity").getAttribute("data-ok")).toBe("true");
    expect(await page.locator("#audit-report").getAttribute("data-indication")).toBe("TOTAL_PASSED");
    expect(await page.getByTestId("audit-receipt").textContent()).toContain(number);
    expect(await page.getByTestId("audit-entries").locator("tbody tr").count()).toBeGreaterThanOrEqual(2);

    await page.getByTestId("audit-replay").click();
    await page.locator("[data-testid=audit-replay-now][data-indication]").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("audit-replay-received").getAttribute("data-indication")).toBe("TOTAL_PASSED");
    expect(await page.getByTestId("audit-reproduced").getAttribute("data-reproduced")).toBe("true");
    expect(await page.getByTestId("audit-changes").getAttribute("data-changes")).toBe("0");
    await page.getByTestId("audit-replays").scrollIntoViewIfNeeded();
    await shot(page, "audit-replay");

    await page.getByTestId("audit-verify").click();
    await page.locator("[data-testid=audit-verify-result][data-valid]").waitFor();
    expect(await page.getByTestId("audit-verify-result").getAttribute("data-valid")).toBe("true");

    // by applicant and by date too
    await page.getByTestId("audit-number").fill("");
    await page.getByTestId("audit-applicant").fill("nobody at all");
    await page.getByTestId("audit-search").click();
    await expect.poll(() => page.getByTestId("audit-results").innerText()).toContain("Няма намерени");
    await page.getByTestId("audit-applicant").fill("");
    await page.getByTestId("audit-from").fill("2026-06-01");
    await page.getByTestId("audit-search").click();
    await expect.poll(() => page.getByTestId("audit-open").count()).toBeGreaterThanOrEqual(1);

    await page.getByTestId("audit-sign-out").click();
    expect(await page.evaluate('sessionStorage.getItem("podpis.auditKey")')).toBeNull();
    expect(await page.locator("#audit-console").isHidden()).toBe(true);
    await page.close();
  }, 180_000);

  chrome.it("axe-core finds no serious or critical violation on either page", async () => {
    const axe = readFileSync(join("node_modules", "axe-core", "axe.min.js"), "utf8");
    const scan = async (page: Page): Promise<string[]> => {
      // evaluated through the DevTools protocol, which the page's CSP does not govern
      await page.evaluate(axe);
      const r = await page.evaluate(async () => (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run({ resultTypes: ["violations"] }));
      return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`);
    };
    const page = await b.newPage();
    for (const lang of ["bg", "en"]) {
      await page.goto(`${web}/?lang=${lang}&service=x`);
      await verifyOnPage(page, fx("untrusted-root.p7m"));
      await page.locator("#verify-result details").first().evaluate((d) => d.setAttribute("open", ""));
      expect(await scan(page), `citizen page (${lang})`).toEqual([]);
    }
    await page.goto(`${web}/audit`);
    expect(await scan(page), "auditor console, locked").toEqual([]);
    await page.getByTestId("audit-key").fill(auditKey);
    await page.getByTestId("audit-sign-in").click();
    await page.locator("#audit-console:not([hidden])").waitFor();
    expect(await scan(page), "auditor console").toEqual([]);
    await page.close();
  });

  chrome.it("is usable by keyboard: the skip link first, then the controls in reading order", async () => {
    const page = await b.newPage();
    await page.goto(`${web}/`);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate<string>('document.activeElement.dataset.testid ?? document.activeElement.className'));
    }
    expect(order.slice(0, 4)).toEqual(["skip", "lang-switch", "verify-file", "verify-content"]);
    await page.close();
  });

  chrome.it("no request left loopback, and no page logged an error", () => {
    expect(b.requests.length).toBeGreaterThan(20);
    const outside = b.requests.map((r) => new URL(r.url)).filter((u) => !["blob:", "data:"].includes(u.protocol) && !["127.0.0.1", "localhost", "[::1]"].includes(u.hostname));
    expect(outside.map(String)).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
