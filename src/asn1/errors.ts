/** The ASN.1 layer's error: bytes that are no valid DER/BER for what was expected. */
import { PodpisError } from "../errors/base.js";

export type Asn1ErrorCode = "MALFORMED_ASN1";

export class Asn1Error extends PodpisError<Asn1ErrorCode> {
  readonly code = "MALFORMED_ASN1";
}
