import type { ResponseStatus } from '@staple/ocsp-codec';

/**
 * Ways the responder can misbehave, one at a time, set with `setFault`. Each mimics something
 * real responders have done, so that clients can be tested against it.
 */
export type ResponderFault =
  /** Answers correctly, but only after `delayMs`. */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Accepts the request and never answers (until the client gives up or `close()`). */
  | { readonly kind: 'hang' }
  /** An HTTP error status (default 500) with a short text body. */
  | { readonly kind: 'http-error'; readonly status?: number }
  /** 200 with the right content type and random bytes that are not ASN.1. */
  | { readonly kind: 'garbage' }
  /** A valid response cut in half. */
  | { readonly kind: 'truncated' }
  /** Signed by a key the issuer never authorized (a self-signed stranger, embedded). */
  | { readonly kind: 'wrong-signer' }
  /** nextUpdate an hour in the past. */
  | { readonly kind: 'expired' }
  /** thisUpdate an hour in the future, far beyond any clock-skew allowance. */
  | { readonly kind: 'not-yet-valid' }
  /** A valid, signed `good` response about a different serial. */
  | { readonly kind: 'other-certificate' }
  /** An unsigned OCSP error status (RFC 6960 §4.2.1), e.g. tryLater. */
  | { readonly kind: 'status'; readonly status: Exclude<ResponseStatus, 'successful'> }
  /** A nonce that is not the one sent (random when none was sent). */
  | { readonly kind: 'wrong-nonce' }
  /** A valid response labelled with another content type (default `text/html`). */
  | { readonly kind: 'wrong-content-type'; readonly contentType?: string };

export type ResponderFaultKind = ResponderFault['kind'];

const ERROR_STATUSES = new Set<string>([
  'malformedRequest',
  'internalError',
  'tryLater',
  'sigRequired',
  'unauthorized',
]);

/** @internal checks a fault when it is set, so that a typo fails the test that made it. */
export function checkFault(fault: ResponderFault): ResponderFault {
  switch (fault.kind) {
    case 'slow':
      if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0) {
        throw new RangeError('slow: delayMs must be a non-negative number');
      }
      break;
    case 'http-error': {
      const status = fault.status ?? 500;
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new RangeError('http-error: status must be 400..599');
      }
      break;
    }
    case 'status':
      if (!ERROR_STATUSES.has(fault.status)) {
        throw new TypeError(`status: not an OCSP error status: ${String(fault.status)}`);
      }
      break;
    case 'hang':
    case 'garbage':
    case 'truncated':
    case 'wrong-signer':
    case 'expired':
    case 'not-yet-valid':
    case 'other-certificate':
    case 'wrong-nonce':
    case 'wrong-content-type':
      break;
    default:
      throw new TypeError(`unknown fault ${JSON.stringify(fault)}`);
  }
  return Object.freeze({ ...fault });
}

/**
 * @internal Random bytes that no DER parser takes for an OCSPResponse: the first byte is never
 * 0x30 (SEQUENCE), so the failure is certain rather than merely likely.
 */
export function garbageBytes(length = 256): Uint8Array {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
  bytes[0] = 0xff;
  return bytes;
}
