/**
 * A PostgreSQL archive node in a process of its own, for postgres-reserve.test.ts to kill -9 at a
 * chosen step of one submission: `seal` (numbers reserved, the receipt being sealed: it never
 * finishes), `commit` (sealed; the batch's transaction then waits on the audit head the test
 * holds), `answered` (committed and acknowledged). Argv: URL SCHEMA STEP. Lines on stdout:
 * `sealing <registration number> <log index>`, `answered <id> <registration number>`.
 */
import { PostgresArchive } from "../../src/archive/postgres.js";
import { newSubmission } from "./new-submission.js";

const [url, schema, step] = process.argv.slice(2) as [string, string, "seal" | "commit" | "answered"];
const archive = new PostgresArchive({ url, schema, numberFormat: "{register}-{seq}" });
await archive.migrate();
setInterval(() => {}, 1 << 30); // alive until killed
const r = await archive.submit(newSubmission("child"), async (x) => {
  process.stdout.write(`sealing ${x.registrationNumber} ${x.logIndex}\n`);
  if (step === "seal") await new Promise(() => {});
  return `<Receipt n="${x.registrationNumber}" log="${x.logIndex}"/>`;
});
process.stdout.write(`answered ${r.id} ${r.registrationNumber}\n`);
