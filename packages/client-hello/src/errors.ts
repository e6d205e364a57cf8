/** Stable codes for everything the ClientHello reader and parser refuse. */
export type ClientHelloErrorCode =
  /** The bytes are not a TLS record at all (e.g. an HTTP request on the TLS port). */
  | 'ERR_CLIENT_HELLO_NOT_TLS'
  /** An SSLv2-style (or SSLv2-compatible) hello, which no supported TLS version sends. */
  | 'ERR_CLIENT_HELLO_SSLV2'
  /** A TLS record other than handshake (22) before the ClientHello was complete. */
  | 'ERR_CLIENT_HELLO_NOT_HANDSHAKE'
  /** A handshake message other than ClientHello (1). */
  | 'ERR_CLIENT_HELLO_UNEXPECTED_MESSAGE'
  /** The input ended before the ClientHello did. */
  | 'ERR_CLIENT_HELLO_TRUNCATED'
  /** Lengths that do not add up, a field too short, an invalid value. */
  | 'ERR_CLIENT_HELLO_MALFORMED'
  /** An extension type appears twice (RFC 8446 §4.2). */
  | 'ERR_CLIENT_HELLO_DUPLICATE_EXTENSION'
  /** Bytes after the ClientHello message inside what should hold only it. */
  | 'ERR_CLIENT_HELLO_TRAILING_BYTES'
  /** The hello is larger than the reader's `maxBytes`. */
  | 'ERR_CLIENT_HELLO_TOO_LARGE'
  /** The hello did not arrive within the reader's `timeoutMs`. */
  | 'ERR_CLIENT_HELLO_TIMEOUT'
  /** The connection closed (or failed) before the hello was complete. */
  | 'ERR_CLIENT_HELLO_CLOSED';

export class ClientHelloError extends Error {
  override readonly name = 'ClientHelloError';
  readonly code: ClientHelloErrorCode;
  /** Byte offset in the input where the problem is, when there is one. */
  readonly offset?: number;

  constructor(
    code: ClientHelloErrorCode,
    message: string,
    options?: { offset?: number; cause?: unknown },
  ) {
    super(
      options?.offset === undefined ? message : `${message} (at byte ${options.offset})`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    if (options?.offset !== undefined) this.offset = options.offset;
  }
}

export function isClientHelloError(
  error: unknown,
  code?: ClientHelloErrorCode,
): error is ClientHelloError {
  return error instanceof ClientHelloError && (code === undefined || error.code === code);
}
