/**
 * Which database errors mean "the database is away" rather than "this request is wrong": those
 * become a DependencyUnavailableError (503, Retry-After); anything else passes through unchanged.
 * Applied to every method of the store by `withDependencyErrors` (open.ts), so both adapters and
 * every call site are covered in one place.
 */
import { DependencyUnavailableError } from "../io/dependency.js";
import type { ArchiveStore } from "./port.js";

const NET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "ECONNABORTED"]);
// SQLSTATE class 08 connection exception; 57P01-03 admin/crash shutdown, cannot connect now
// (what pg_terminate_backend and a restart give); 53300 too many connections; 57014 statement
// timeout and 25P03 idle-in-transaction timeout (an overloaded or stalled server); 25006 a
// read-only transaction (a node still talking to a demoted primary after a failover);
// 40001/40P01 serialization failure or deadlock (try again)
const PG_STATES = /^(08...|57P0[123]|53300|57014|25P03|25006|40001|40P01)$/;
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Query read timeout|the database system is (starting up|shutting down|in recovery mode)/i;

export function pgUnavailable(e: unknown): unknown {
  if (e instanceof DependencyUnavailableError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const message = typeof err?.message === "string" ? err.message : "";
  if (NET_CODES.has(code) || PG_STATES.test(code) || PG_MESSAGES.test(message)) {
    return new DependencyUnavailableError("database", `the PostgreSQL archive cannot be reached: ${message || code}`, 5, { cause: e });
  }
  return e;
}

// SQLite: another process holds the write lock past the busy timeout, or the disk fails/is full
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/;

export function sqliteUnavailable(e: unknown): unknown {
  if (e instanceof DependencyUnavailableError) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && SQLITE_CODES.test(code)) {
    return new DependencyUnavailableError("database", `the SQLite archive cannot be used now (${code}): ${(e as Error).message}`, code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") ? 1 : 5, { cause: e });
  }
  return e;
}

/**
 * The store with every method's failure classified. Each method is wrapped once (keyed by the
 * function itself, so a method replaced on the store gets a fresh wrapper, never a stale one):
 * the hot paths read `store.x` per request and used to get a new closure every time.
 */
export function withDependencyErrors<T extends ArchiveStore>(store: T, classify: (e: unknown) => unknown): T {
  const wrapped = new WeakMap<object, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function") return v;
      let w = wrapped.get(v);
      if (w === undefined) {
        const f = v as (...a: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          try {
            const r = f.apply(target, args);
            return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(classify(e))) : r;
          } catch (e) {
            throw classify(e);
          }
        };
        wrapped.set(v, w);
      }
      return w;
    },
  });
}
