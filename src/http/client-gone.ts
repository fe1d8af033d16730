/**
 * An AbortSignal that fires when the client goes away before its answer is sent (issue 11: a
 * verification nobody waits for stops between references and signatures).
 *
 * Issue 15 (speed): the signal belongs to the connection, not to the request. A client that
 * goes away closes its socket; requests on one keep-alive connection follow one another, so the
 * one controller made the first time a request on the socket asks serves every later request
 * on it, and only the request still at work when the socket closes sees the abort (one that
 * was answered has nobody left to stop). An AbortController and a listener per request cost
 * about as much as the rest of the route's bookkeeping together.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { PodpisError } from "../errors/base.js";

const GONE = Symbol("podpis.clientGone");
type Watched = Socket & { [GONE]?: AbortSignal };

export function clientGone(res: ServerResponse): AbortSignal {
  const socket = res.socket as Watched | null;
  if (!socket || socket.destroyed) return AbortSignal.abort(new ClientGoneError());
  let signal = socket[GONE];
  if (!signal) {
    const c = new AbortController();
    signal = socket[GONE] = c.signal;
    socket.once("close", () => c.abort(new ClientGoneError()));
  }
  return signal;
}

/** The reason of clientGone's signal: nobody to answer, so nothing is sent and nothing is logged as an error. */
export class ClientGoneError extends PodpisError<"CLIENT_GONE"> {
  readonly code = "CLIENT_GONE";
  constructor() {
    super("the client closed the connection before the answer was ready");
  }
}
