/** Why a PKCS#12 file could not be opened in the browser; the page words each code (text-*.ts). */
export type Pkcs12Code = "BAD_FILE" | "BAD_PASSWORD" | "UNSUPPORTED" | "NO_KEY" | "NO_CERTIFICATE";

export class Pkcs12Error extends Error {
  constructor(
    readonly code: Pkcs12Code,
    message: string,
  ) {
    super(message);
  }
}
