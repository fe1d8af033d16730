/**
 * The model's server (bench/service.ts): bare node:http on a node:cluster of N workers — the same
 * shape as `podpis serve` (a primary, workers sharing the listening socket) — that reads the
 * whole request body and answers with about 1 KB of JSON, stringified per request. Nothing else:
 * no routing, no authentication, no logging. What it costs per request is what any HTTP service
 * on this machine pays before it does its own work.
 *
 * Run as a child: `node --import tsx bench/lib/bare-http.ts N`; prints `listening on URL` on stderr
 * (N = 0: one process, no cluster).
 */
import cluster from "node:cluster";
import { createServer } from "node:http";

const workers = Number(process.argv[2] ?? 2);
const PORT_ENV = "PODPIS_BARE_PORT";

// about 1 KB once stringified, shaped like a small report
const answer = {
  validationTime: "2026-06-01T00:00:00.000Z",
  indication: "TOTAL_PASSED",
  document: { sha256: "bacb6c0f37aef55cd73f8f936eb857152e3ed54290631a395735a48156b4e056", format: "CAdES", packaging: "enveloping" },
  signatures: [
    {
      id: "S1",
      indication: "TOTAL_PASSED",
      subIndication: null,
      signer: { subject: "CN=Ivan Petrov Ivanov,SERIALNUMBER=PNOBG-8503154023,C=BG", serialNumber: "7e570300000000000001", sha256: "6aa30246180acc213cc53221474334f50d727a78182f4cc2502a7f0ec502d611" },
      chain: [
        { sha256: "6aa30246180acc213cc53221474334f50d727a78182f4cc2502a7f0ec502d611", revocation: { status: "good", source: "CRL", thisUpdate: "2026-04-01T00:00:00.000Z" } },
        { sha256: "9b1d407caf4316d1cc19317dd54f1234fc96193d2c7c0395e319fd0d6cd25316", revocation: { status: "good", source: "CRL", thisUpdate: "2026-01-01T00:00:00.000Z" } },
        { sha256: "7b0ad4607f7c58fc9e280a670943d8e8e4f5a9e22fbc928611ecf5893cb58b47", revocation: { status: "good", source: null } },
      ],
      warnings: [{ code: "QUALIFICATION_NOT_CONFIRMED", message: "no trusted list was given to confirm the qualification" }],
    },
  ],
};

if (cluster.isPrimary && workers > 0) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on("listening", (addr) => {
      if (++listening === workers) process.stderr.write(`listening on http://127.0.0.1:${addr.port}\n`);
    });
  }
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      res.statusCode = body.length > 0 ? 200 : 400;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.end(JSON.stringify(answer));
    });
  });
  server.keepAliveTimeout = 5_000;
  process.on("SIGTERM", () => process.exit(0));
  // every worker listens on port 0: the cluster primary gives them one shared socket
  server.listen(Number(process.env[PORT_ENV] ?? 0), "127.0.0.1", () => {
    const a = server.address();
    if (!cluster.isWorker && a && typeof a === "object") process.stderr.write(`listening on http://127.0.0.1:${a.port}\n`);
  });
}
