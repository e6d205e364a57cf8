/**
 * @staple/client-hello — `selectCertificate`: of the certificates a server holds for a host,
 * the one to serve this client, and why each of the others could not be served.
 */

import {
  type CertificateDescription,
  type CertificateKeyType,
  type SupportsCertificateOptions,
  supportsCertificate,
  type UnsupportedCertificateReason,
} from './capabilities.js';
import type { ClientHello } from './types.js';

/** Anything that carries a certificate description; the rest is the caller's (keys, stapler ids). */
export interface CertificateCandidate {
  readonly description: CertificateDescription;
}

export interface SelectCertificateOptions<T extends CertificateCandidate> {
  /**
   * Which supported candidate wins: key types in order of preference (default ecdsa, ed25519,
   * rsa — ECDSA is smaller and faster; key types left out come after those listed), or a
   * comparator (negative when `a` should win). Ties go to the candidate given first.
   */
  readonly prefer?: ((a: T, b: T) => number) | readonly CertificateKeyType[];
  /** The versions the server accepts (default TLS 1.2 to 1.3). */
  readonly versions?: SupportsCertificateOptions;
}

export interface CertificateRejection<T extends CertificateCandidate> {
  readonly candidate: T;
  readonly reason: UnsupportedCertificateReason;
}

export interface CertificateSelection<T extends CertificateCandidate> {
  /** The candidate to serve, or undefined when the client supports none of them. */
  readonly selected: T | undefined;
  /** Every candidate the client cannot take, in the given order, with the reason. */
  readonly rejected: readonly CertificateRejection<T>[];
}

const DEFAULT_PREFERENCE: readonly CertificateKeyType[] = Object.freeze([
  'ecdsa',
  'ed25519',
  'rsa',
]);

/**
 * Picks the certificate to serve: of the candidates the client supports (`supportsCertificate`),
 * the most preferred, ties broken by the given order — so with the default preference a client
 * that can take both gets ECDSA and one that cannot (say, RSA-only signature algorithms) gets
 * RSA. Go and certmagic fall back to the first certificate when the client supports none; here
 * nothing is selected, and `rejected` says why, so the caller decides whether to try one
 * anyway or to refuse the connection.
 *
 * @example
 * const { selected, rejected } = selectCertificate(hello, [
 *   { description: { keyType: 'rsa', rsaBits: 2048, dnsNames: ['example.com'] }, context: rsa },
 *   { description: { keyType: 'ecdsa', curve: 'P-256', dnsNames: ['example.com'] }, context: ec },
 * ]);
 * if (selected === undefined) socket.destroy();
 */
export function selectCertificate<T extends CertificateCandidate>(
  hello: ClientHello,
  candidates: readonly T[],
  options: SelectCertificateOptions<T> = {},
): CertificateSelection<T> {
  const compare = comparator(options.prefer);
  let selected: T | undefined;
  const rejected: CertificateRejection<T>[] = [];
  for (const candidate of candidates) {
    const reason = supportsCertificate(hello, candidate.description, options.versions);
    if (reason !== null) {
      rejected.push({ candidate, reason });
    } else if (selected === undefined || compare(candidate, selected) < 0) {
      // Strictly better only, so the first of equals stays.
      selected = candidate;
    }
  }
  return { selected, rejected };
}

/** The order of `SelectCertificateOptions.prefer`: negative when `a` should win. */
export function comparator<T extends CertificateCandidate>(
  prefer: SelectCertificateOptions<T>['prefer'] = DEFAULT_PREFERENCE,
): (a: T, b: T) => number {
  if (typeof prefer === 'function') return prefer;
  if (prefer === DEFAULT_PREFERENCE) return byDefaultPreference;
  return (a, b) => rank(prefer, a) - rank(prefer, b);
}

function byDefaultPreference(a: CertificateCandidate, b: CertificateCandidate): number {
  return rank(DEFAULT_PREFERENCE, a) - rank(DEFAULT_PREFERENCE, b);
}

function rank(order: readonly CertificateKeyType[], candidate: CertificateCandidate): number {
  const index = order.indexOf(candidate.description.keyType);
  return index === -1 ? order.length : index;
}
