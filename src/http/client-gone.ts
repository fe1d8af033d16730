/**
 * An AbortSignal that fires when the client goes away before its answer is sent (issue 11: a
 * verification nobody waits for stops between references and signatures). The response's
 * `close` comes both after a normal end and on a dropped connection; only the latter aborts.
 */
import type { ServerResponse } from "node:http";

export function clientGone(res: ServerResponse): AbortSignal {
  const c = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) c.abort(new ClientGoneError());
  });
  return c.signal;
}

/** The reason of clientGone's signal: nobody to answer, so nothing is sent and nothing is logged as an error. */
export class ClientGoneError extends Error {
  readonly code = "CLIENT_GONE";
  constructor() {
    super("the client closed the connection before the answer was ready");
    this.name = "ClientGoneError";
  }
}
