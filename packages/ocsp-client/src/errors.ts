/** Stable codes: transport failures, responder answers and verification failures apart. */
export type OcspClientErrorCode =
  /** The certificate has no OCSP URL (AIA) and no override was given. */
  | 'ERR_OCSP_CLIENT_NO_URL'
  /** No issuer certificate: a CertID cannot be built without it. */
  | 'ERR_OCSP_CLIENT_NO_ISSUER'
  | 'ERR_OCSP_CLIENT_INVALID_ARGUMENT'
  /** Connecting took longer than `connectTimeoutMs`. */
  | 'ERR_OCSP_CLIENT_CONNECT_TIMEOUT'
  /** The whole exchange took longer than `timeoutMs`. */
  | 'ERR_OCSP_CLIENT_TIMEOUT'
  /** Connection refused, reset, DNS failure: the responder could not be reached. */
  | 'ERR_OCSP_CLIENT_NETWORK'
  | 'ERR_OCSP_CLIENT_HTTP_STATUS'
  | 'ERR_OCSP_CLIENT_CONTENT_TYPE'
  /** The body is larger than `maxBytes`. */
  | 'ERR_OCSP_CLIENT_TOO_LARGE'
  | 'ERR_OCSP_CLIENT_TOO_MANY_REDIRECTS'
  /** The responder answered, but the response failed the codec's checks (`cause` is the OcspError). */
  | 'ERR_OCSP_CLIENT_VERIFY'
  /** The responder answered with a valid response whose status is `unknown`: never stapled. */
  | 'ERR_OCSP_CLIENT_UNKNOWN_STATUS'
  /**
   * The responder's answer verifies but is of no use: it ends too soon to staple (nextUpdate
   * minus the stapler's margin is past, or less than `minDelayMs` away), or, when a refresh
   * was due, it is older than the response being served.
   */
  | 'ERR_OCSP_CLIENT_STALE'
  | 'ERR_OCSP_CLIENT_ABORTED'
  | 'ERR_OCSP_CLIENT_CLOSED';

export class OcspClientError extends Error {
  override readonly name = 'OcspClientError';
  readonly code: OcspClientErrorCode;
  /** For ERR_OCSP_CLIENT_HTTP_STATUS. */
  readonly httpStatus?: number;

  constructor(
    code: OcspClientErrorCode,
    message: string,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

export function isOcspClientError(
  error: unknown,
  code?: OcspClientErrorCode,
): error is OcspClientError {
  return error instanceof OcspClientError && (code === undefined || error.code === code);
}
