/**
 * Exit codes and the CLI's own error. Errors from the codec keep their `OcspError` code; the
 * CLI adds codes only for what happens before decoding (arguments, reading the input).
 */

/** 0: success. 3: any error (bad arguments, unreadable input, malformed OCSP data). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 3;
// Reserved for the commands that check a status: 1 revoked, 2 unknown.

export type CliErrorCode = 'ERR_USAGE' | 'ERR_INPUT';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** `staple: <message> (<code>)`: the one line every failure prints on stderr. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code !== ''
      ? error.code
      : 'ERR_UNEXPECTED';
  return `staple: ${message} (${code})\n`;
}
