/**
 * The keys layer's errors: a key file or token that cannot be opened or used, and a password or
 * PIN that cannot be obtained (SecretError: the keys layer's own, not the CLI's UsageError; the
 * edge answers it as a usage error on the command line).
 */
import { PodpisError } from "../errors/base.js";

export type KeyErrorCode =
  | "BAD_PASSWORD"
  | "NO_PRIVATE_KEY"
  | "NO_CERTIFICATE"
  | "KEY_CERTIFICATE_MISMATCH"
  | "BAD_KEY_FILE"
  | "UNSUPPORTED_KEY_ENCRYPTION"
  | "UNSUPPORTED_ALGORITHM"
  | "PKCS11_MODULE"
  | "TOKEN_NOT_FOUND"
  | "TOKEN_LOCKED"
  | "BAD_PIN"
  | "KEY_NOT_FOUND"
  | "BAD_PKCS11_URI"
  | "PKCS11_ERROR";

/** The keys layer's one error type; `code` is stable, the message is one line for a person. */
export class KeyError extends PodpisError<KeyErrorCode> {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type SecretErrorCode = "SECRET_ENV_UNSET" | "SECRET_UNAVAILABLE" | "SECRET_CANCELLED";

export class SecretError extends PodpisError<SecretErrorCode> {
  constructor(
    readonly code: SecretErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type KeysErrorCode = KeyErrorCode | SecretErrorCode;
