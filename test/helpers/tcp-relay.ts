/**
 * A TCP relay (to PostgreSQL, in the outage tests) that can be cut — listener closed, every
 * connection destroyed, as a stopped server would look — and restored on the same port, without
 * touching the server others use.
 */
import { type Server, type Socket, connect, createServer } from "node:net";

export class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** `onClientData`: every chunk a client sends (the browser tests read what a page sent on the wire) */
  constructor(
    private readonly target: { host: string; port: number },
    private readonly onClientData?: (chunk: Buffer) => void,
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => this.sockets.delete(s));
      }
      if (this.onClientData) client.on("data", this.onClientData);
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

