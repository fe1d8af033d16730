/** What the log tests with real `podpis serve` processes share: a submission over HTTP and waiting for a checkpoint. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const fx = (p: string): Buffer => readFileSync(join("fixtures", p));

/** One CAdES submission; the receipt and its log index from the 201 (throws on another status). */
export async function submitOverHttp(base: string, apiKey: string, applicant: string): Promise<{ receipt: string; index: number }> {
  const f = new FormData();
  f.append("signature", new Blob([fx("cades/rsa2048-cades-detached.p7s")]), "a.p7s");
  f.append("content", new Blob([fx("cades/content.xml")]), "content.xml");
  f.append("applicant", applicant);
  f.append("service", "urn:podpis:service:test");
  const r = await fetch(`${base}/api/v1/submissions`, { method: "POST", body: f, headers: { Authorization: `Bearer ${apiKey}` } });
  if (r.status !== 201) throw new Error(`submission: ${r.status} ${await r.text()}`);
  const b = (await r.json()) as { receipt: string; log: { index: number } };
  return { receipt: b.receipt, index: b.log.index };
}

/** The server's checkpoint once it covers `size` entries (hang guard of a minute, not a timing assertion). */
export async function checkpointCovering(base: string, size: number): Promise<string> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${base}/api/v1/log/checkpoint`).catch(() => null);
    const note = r?.status === 200 ? await r.text() : "";
    if (note && Number(note.split("\n")[1]) >= size) return note;
    if (Date.now() > until) throw new Error(`no checkpoint of ${size} entries: ${note}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
