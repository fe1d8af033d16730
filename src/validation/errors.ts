/**
 * The validation layer's errors: an algorithm policy that does not load, inputs of a validator
 * that are not what they claim (trust anchors, CRLs, certificates), and an XML input that holds
 * no signature. A signature that is merely invalid is no error: it is a report.
 */
import { NotASignatureError } from "../cms/errors.js";
import { PodpisError } from "../errors/base.js";

export class PolicyError extends PodpisError<"POLICY_INVALID"> {
  readonly code = "POLICY_INVALID";
}

/** Thrown when the bytes are not an XML document carrying a ds:Signature (the service's 422). */
export class NotXmlSignatureError extends NotASignatureError {}

export type InputErrorCode = "BAD_CERTIFICATE" | "BAD_CRL" | "BAD_OCSP_RESPONSE" | "BAD_POLICY" | "BAD_TRUST_ANCHOR";

/** createValidator's inputs (library callers, the CLI's files, the service's configuration). */
export class InputError extends PodpisError<InputErrorCode> {
  constructor(
    readonly code: InputErrorCode,
    message: string,
    /** which input of its kind (0-based), so a caller that read files can name the file */
    readonly index?: number,
  ) {
    super(message);
  }
}

export type ValidationErrorCode = PolicyError["code"] | NotXmlSignatureError["code"] | InputErrorCode;
