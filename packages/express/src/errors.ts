/**
 * @staple/express errors: one class, told apart by `code`.
 */

export type StapleExpressErrorCode =
  /** `statusRoute()` without a server answered a request that our createServer/listen did not serve. */
  'ERR_STAPLE_EXPRESS_NO_SERVER';

/**
 * Thrown (or passed to `next`) by this package. Branch on `code`, never on the message.
 *
 * @example
 * app.use((error, req, res, next) => {
 *   if (error instanceof StapleExpressError && error.code === 'ERR_STAPLE_EXPRESS_NO_SERVER') ...
 * });
 */
export class StapleExpressError extends Error {
  override readonly name = 'StapleExpressError';
  readonly code: StapleExpressErrorCode;

  constructor(code: StapleExpressErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
