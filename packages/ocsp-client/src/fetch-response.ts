import {
  type CertificateInfo,
  type CertificateInput,
  chooseRequestMethod,
  createRequest,
  type HashAlgorithmName,
  isOcspError,
  parseCertificate,
  type RevocationReason,
  type VerifiedResponse,
  verifyResponse,
} from '@staple/ocsp-codec';
import { OcspClientError } from './errors.js';
import { exchange, type HttpAnswer } from './http-exchange.js';

export interface FetchOptions {
  /** Responder URL instead of the certificate's AIA one (Apache's SSLStaplingForceURL). */
  readonly url?: string;
  /** Time to connect to the responder (default 2 s). */
  readonly connectTimeoutMs?: number;
  /** Time for the whole exchange, redirects included (default 5 s). */
  readonly timeoutMs?: number;
  /** Response body cap (default 64 KiB). */
  readonly maxBytes?: number;
  /** Redirects followed at most (default 3). */
  readonly maxRedirects?: number;
  /** Send a nonce (RFC 8954). Off by default: pre-signed responders ignore it. */
  readonly nonce?: boolean;
  /** With `nonce`, refuse a response that does not echo it (default false). */
  readonly requireNonce?: boolean;
  /** CertID hash (default SHA-1, what every responder takes). */
  readonly hashAlgorithm?: HashAlgorithmName;
  /** The clock verification uses (default: now). */
  readonly now?: () => Date;
  /** Cancels the fetch. */
  readonly signal?: AbortSignal;
}

/** A response that was fetched and passed every check of `verifyResponse`. */
export interface FetchedResponse {
  readonly der: Uint8Array;
  readonly certStatus: 'good' | 'revoked' | 'unknown';
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  /** Cache-Control max-age the responder sent (RFC 5019 §6.2), in seconds. */
  readonly maxAgeSeconds?: number;
  /** Where the response finally came from, after redirects. */
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly verified: VerifiedResponse;
}

const DEFAULTS = {
  connectTimeoutMs: 2_000,
  timeoutMs: 5_000,
  maxBytes: 64 * 1024,
  maxRedirects: 3,
};

/**
 * Asks the certificate's OCSP responder about it and verifies the answer: GET when the whole
 * URL is at most 255 bytes (RFC 5019 §5) else POST, bounded in time and size, redirects
 * limited, HTTP status and content type checked, then every check of the codec's
 * `verifyResponse`. A `revoked` or `unknown` answer that verifies is returned, not thrown:
 * what it means is the caller's decision.
 *
 * @example
 * const res = await fetchOcspResponse(leafPem, issuerPem, { timeoutMs: 3000 });
 * if (res.certStatus === 'good') writeFileSync('leaf.ocsp', res.der);
 */
export async function fetchOcspResponse(
  certificate: CertificateInput,
  issuer: CertificateInput,
  options: FetchOptions = {},
): Promise<FetchedResponse> {
  const cert = parseInput(certificate, 'certificate');
  const ca = parseInput(issuer, 'issuer');
  const responder = options.url ?? cert.ocspUrls[0];
  if (!responder) {
    throw new OcspClientError(
      'ERR_OCSP_CLIENT_NO_URL',
      `certificate ${cert.serialNumber} has no OCSP responder URL`,
    );
  }
  checkUrl(responder);
  const { der: request, nonce } = await createRequest([{ certificate: cert, issuer: ca }], {
    ...(options.hashAlgorithm ? { hashAlgorithm: options.hashAlgorithm } : {}),
    ...(options.nonce ? { nonce: true } : {}),
  });
  const how = chooseRequestMethod(responder, request);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;

  let url = how.url;
  let answer: HttpAnswer;
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  for (let redirects = 0; ; redirects++) {
    try {
      answer = await exchange({
        method: how.method,
        url,
        ...(how.method === 'POST' ? { body: how.body } : {}),
        headers: {
          accept: 'application/ocsp-response',
          ...(how.method === 'POST' ? { 'content-type': 'application/ocsp-request' } : {}),
        },
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
        signal,
        maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
      });
    } catch (error) {
      if (deadline.aborted) {
        throw new OcspClientError(
          'ERR_OCSP_CLIENT_TIMEOUT',
          `no answer from ${url} within ${timeoutMs} ms`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const location = answer.headers.location;
    if (answer.status < 300 || answer.status >= 400 || !location) break;
    if (redirects >= maxRedirects) {
      throw new OcspClientError(
        'ERR_OCSP_CLIENT_TOO_MANY_REDIRECTS',
        `more than ${maxRedirects} redirects from ${responder}`,
      );
    }
    url = new URL(location, url).toString();
    checkUrl(url);
  }

  if (answer.status !== 200) {
    throw new OcspClientError(
      'ERR_OCSP_CLIENT_HTTP_STATUS',
      `${url} answered HTTP ${answer.status}`,
      {
        httpStatus: answer.status,
      },
    );
  }
  const type = String(answer.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/ocsp-response') {
    throw new OcspClientError(
      'ERR_OCSP_CLIENT_CONTENT_TYPE',
      `${url} answered ${type || 'no content type'}, not application/ocsp-response`,
    );
  }

  let verified: VerifiedResponse;
  try {
    verified = await verifyResponse(answer.body, {
      certificate: cert,
      issuer: ca,
      ...(options.now ? { now: options.now() } : {}),
      ...(nonce ? { nonce, requireNonce: options.requireNonce ?? false } : {}),
    });
  } catch (cause) {
    const code = isOcspError(cause) ? cause.code : 'unexpected';
    throw new OcspClientError('ERR_OCSP_CLIENT_VERIFY', `response from ${url} refused: ${code}`, {
      cause,
    });
  }
  const maxAgeSeconds = maxAge(answer.headers['cache-control']);
  return Object.freeze({
    der: verified.der,
    certStatus: verified.certStatus,
    thisUpdate: verified.thisUpdate,
    ...(verified.nextUpdate ? { nextUpdate: verified.nextUpdate } : {}),
    producedAt: verified.producedAt,
    ...(verified.revocationTime ? { revocationTime: verified.revocationTime } : {}),
    ...(verified.revocationReason ? { revocationReason: verified.revocationReason } : {}),
    ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
    url,
    method: how.method,
    verified,
  });
}

function parseInput(input: CertificateInput, what: string): CertificateInfo {
  if (input === undefined || input === null) {
    throw new OcspClientError(
      what === 'issuer' ? 'ERR_OCSP_CLIENT_NO_ISSUER' : 'ERR_OCSP_CLIENT_INVALID_ARGUMENT',
      `the ${what} certificate is required`,
    );
  }
  try {
    return parseCertificate(input);
  } catch (cause) {
    throw new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', `the ${what} does not parse`, {
      cause,
    });
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', `bad responder URL ${url}`, {
      cause,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OcspClientError(
      'ERR_OCSP_CLIENT_INVALID_ARGUMENT',
      `responder URL must be http(s), got ${parsed.protocol}`,
    );
  }
}

function maxAge(header: string | undefined): number | undefined {
  const match = header?.match(/(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i);
  return match ? Number(match[1]) : undefined;
}
