/** Stable codes for everything the codec can reject. Users branch on `code`, never on messages. */
export type OcspErrorCode =
  | 'ERR_OCSP_MALFORMED'
  | 'ERR_OCSP_CERTIFICATE'
  | 'ERR_OCSP_INVALID_ARGUMENT'
  | 'ERR_OCSP_UNSUCCESSFUL'
  | 'ERR_OCSP_UNSUPPORTED_RESPONSE_TYPE'
  | 'ERR_OCSP_UNSUPPORTED_ALGORITHM'
  | 'ERR_OCSP_UNSUPPORTED_CRITICAL_EXTENSION'
  | 'ERR_OCSP_SIGNATURE'
  | 'ERR_OCSP_UNAUTHORIZED_SIGNER'
  | 'ERR_OCSP_CERTID_MISMATCH'
  | 'ERR_OCSP_EXPIRED'
  | 'ERR_OCSP_NOT_YET_VALID'
  | 'ERR_OCSP_NO_NEXT_UPDATE'
  | 'ERR_OCSP_NONCE_MISMATCH'
  | 'ERR_OCSP_NONCE_MISSING';

/**
 * The one error the codec throws. `code` is stable; `offset`/`responseStatus` are set where
 * they apply; the underlying error (from asn1js, pkijs or WebCrypto) is kept as `cause`.
 */
export class OcspError extends Error {
  override readonly name = 'OcspError';
  readonly code: OcspErrorCode;
  /** For ERR_OCSP_UNSUCCESSFUL: the responder's responseStatus. */
  readonly responseStatus?: string;

  constructor(
    code: OcspErrorCode,
    message: string,
    options?: { cause?: unknown; responseStatus?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.responseStatus !== undefined) this.responseStatus = options.responseStatus;
  }
}

export function isOcspError(error: unknown, code?: OcspErrorCode): error is OcspError {
  return error instanceof OcspError && (code === undefined || error.code === code);
}
