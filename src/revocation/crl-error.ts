/** The CRL layer's one error type (style.md: one error type per layer with a stable code). */
export class CrlError extends Error {
  readonly code = "CRL_MALFORMED";
  constructor(message: string) {
    super(message);
    this.name = "CrlError";
  }
}
