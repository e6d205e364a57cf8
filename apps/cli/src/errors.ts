/**
 * Exit codes and the CLI's own error. Errors from the libraries keep their codes (`ERR_OCSP_*`
 * from the codec, `ERR_OCSP_CLIENT_*` from the client, `ERR_CLIENT_HELLO_*` from the parser);
 * the CLI adds codes only for what is its own: arguments, files, connections.
 */

/** The certificate is good / the command did what it was asked. */
export const EXIT_OK = 0;
/** A verified OCSP response says the certificate is revoked. */
export const EXIT_REVOKED = 1;
/** A verified OCSP response says unknown, or (`inspect`) the server stapled nothing. */
export const EXIT_UNKNOWN = 2;
/** Any error: bad arguments, unreadable input, unreachable responder or server, a refused response. */
export const EXIT_ERROR = 3;

export type CliErrorCode =
  /** Bad arguments. */
  | 'ERR_USAGE'
  /** A file cannot be read, is too large, or does not hold what it should. */
  | 'ERR_INPUT'
  /** The output file cannot be written. */
  | 'ERR_OUTPUT'
  /** No issuer certificate: not in the bundle, and no --issuer (or the server sent none). */
  | 'ERR_NO_ISSUER'
  /** The --issuer file holds no certificate that issued the certificate asked about. */
  | 'ERR_ISSUER_MISMATCH'
  /** The certificate has no OCSP URL (AIA) and no --url was given. */
  | 'ERR_NO_OCSP_URL'
  /** The server could not be reached: refused, reset, no such host. */
  | 'ERR_CONNECT'
  /** No TLS handshake within --timeout. */
  | 'ERR_TIMEOUT'
  /** The TLS handshake failed. */
  | 'ERR_TLS';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** The `code` of any error that has one: ours or a library's. */
export function errorCode(error: unknown): string {
  return typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code !== ''
    ? error.code
    : 'ERR_UNEXPECTED';
}

/**
 * `staple: <message> (<code>)`: the one line every failure prints on stderr; `context`, when
 * given, goes before the message (`staple: <context>: <message> (<code>)`).
 */
export function errorLine(error: unknown, context?: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const message = context === undefined ? text : `${context}: ${text}`;
  // One line, whatever a library put in its message: scripts read stderr line by line.
  return `staple: ${message.replace(/\s*\n\s*/g, ' ').trim()} (${errorCode(error)})\n`;
}
