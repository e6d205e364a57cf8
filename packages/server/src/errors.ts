export type StapleServerErrorCode =
  | 'ERR_STAPLE_SERVER_INVALID_OPTIONS'
  /** No certificate the client can use (reasons per candidate in `rejected`). */
  | 'ERR_STAPLE_SERVER_NO_CERTIFICATE'
  /** Only a Must-Staple certificate fits, and it has no valid staple yet (policy 'enforce'). */
  | 'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY'
  /** A plain HTTP request arrived on the TLS port; it got a 400. */
  | 'ERR_STAPLE_SERVER_PLAIN_HTTP';

export class StapleServerError extends Error {
  override readonly name = 'StapleServerError';
  readonly code: StapleServerErrorCode;
  readonly rejected?: readonly { readonly certificate: string; readonly reason: string }[];

  constructor(
    code: StapleServerErrorCode,
    message: string,
    options?: { cause?: unknown; rejected?: readonly { certificate: string; reason: string }[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.rejected) this.rejected = options.rejected;
  }
}
