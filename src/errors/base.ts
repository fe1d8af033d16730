/**
 * The one base of podpis's errors (style.md: one error type per layer with a stable code; the
 * edge maps codes to HTTP status and exit code). Each layer's errors.ts names its codes as a
 * union, so a mistyped code is a compile error and src/edge/errors.ts can be checked to cover
 * every one of them. A leaf: it imports nothing, so every folder may use it.
 */
export abstract class PodpisError<C extends string = string> extends Error {
  /** stable, machine-readable; the message is one line for a person */
  abstract readonly code: C;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isPodpisError(e: unknown): e is PodpisError {
  return e instanceof PodpisError;
}
