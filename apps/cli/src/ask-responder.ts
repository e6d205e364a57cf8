/**
 * One OCSP exchange for `status` and `fetch`: the request, the HTTP (with its limits and
 * timeouts) and the verification are @staple/ocsp-client's; this adds the CLI's errors.
 */

import {
  type FetchedResponse,
  fetchOcspResponse,
  isOcspClientError,
  OcspClientError,
} from '@staple/ocsp-client';
import type { CertStatus } from '@staple/ocsp-codec';
import { isOcspError, OcspError } from '@staple/ocsp-codec';
import type { Target } from './certificates.js';
import { CliError, EXIT_OK, EXIT_REVOKED, EXIT_UNKNOWN } from './errors.js';
import { networkReason } from './network-reason.js';

export interface AskOptions {
  /** Instead of the certificate's AIA URL. */
  readonly url?: string;
  /** For the whole exchange, redirects included. */
  readonly timeoutMs: number;
}

/** The client's default connect timeout, unless the whole exchange must be shorter. */
const CONNECT_TIMEOUT_MS = 2_000;

export interface Answer extends FetchedResponse {
  /** The responder asked: --url or the certificate's AIA URL (`url` is the request's own). */
  readonly responder: string;
}

/** Resolves with a response that passed every check; a revoked or unknown one included. */
export async function askResponder(target: Target, options: AskOptions): Promise<Answer> {
  const url = options.url ?? target.certificate.ocspUrls[0];
  if (url === undefined) {
    throw new CliError(
      'ERR_NO_OCSP_URL',
      `${target.certificate.subject} has no OCSP responder URL (AIA); pass --url`,
    );
  }
  try {
    const response = await fetchOcspResponse(target.certificate, target.issuer, {
      url,
      timeoutMs: options.timeoutMs,
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, options.timeoutMs),
    });
    return { ...response, responder: url };
  } catch (error) {
    throw explain(error, url);
  }
}

/** 0 good, 1 revoked, 2 unknown: what a script needs without parsing output. */
export function exitCodeFor(status: CertStatus): number {
  return status === 'good' ? EXIT_OK : status === 'revoked' ? EXIT_REVOKED : EXIT_UNKNOWN;
}

/**
 * A refused response is reported with the codec's code (`ERR_OCSP_EXPIRED`, ...), which says
 * why, rather than the client's `ERR_OCSP_CLIENT_VERIFY`, which only says that.
 */
function explain(error: unknown, url: string): unknown {
  if (isOcspClientError(error, 'ERR_OCSP_CLIENT_VERIFY') && isOcspError(error.cause)) {
    const cause = error.cause;
    return new OcspError(cause.code, `the response from ${url} was refused: ${cause.message}`, {
      cause: error,
      ...(cause.responseStatus !== undefined ? { responseStatus: cause.responseStatus } : {}),
    });
  }
  if (isOcspClientError(error, 'ERR_OCSP_CLIENT_NETWORK')) {
    const reason = networkReason(error.cause ?? error);
    return new OcspClientError(error.code, `cannot reach the OCSP responder ${url}: ${reason}`, {
      cause: error,
    });
  }
  return error;
}
