/**
 * Turns what the server and the stapler know (CertificateInfo, StapleStatus: Dates, bytes) into
 * the plain JSON facts that `req.tls` and the status route share, so both say the same thing in
 * the same words. Times are ISO 8601 strings; what is not known is `null`, never absent, so the
 * shape of the JSON does not depend on the state.
 */
import type { StapleState, StapleStatus } from '@staple/ocsp-client';
import type { CertificateInfo, RevocationReason } from '@staple/ocsp-codec';

export type KeyType = 'rsa' | 'ecdsa' | 'ed25519';

/** The certificate served (or configured). */
export interface CertificateFacts {
  readonly keyType: KeyType;
  /** One-line distinguished name, e.g. `CN=localhost`. */
  readonly subject: string;
  readonly issuer: string;
  /** Uppercase hex without a sign byte, as `openssl x509 -serial` prints it. */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Subject alternative names: DNS names, then IP addresses. */
  readonly names: readonly string[];
  /** The certificate carries the TLS feature extension with status_request (RFC 7633). */
  readonly mustStaple: boolean;
}

/** The stapler's state for one certificate, now. */
export interface StapleFacts {
  /**
   * The status of the response being stapled now: `'none'` when no valid response is ready
   * (stapling off, no OCSP URL, first fetch pending or failed, response expired).
   */
  readonly status: 'good' | 'revoked' | 'none';
  /** The stapler's finer state; `'off'` when this certificate is not stapled at all. */
  readonly state: StapleState | 'off';
  /** A response is ready to staple now. */
  readonly stapling: boolean;
  /** Of the last verified response (which may be past use: see `status`). */
  readonly thisUpdate: string | null;
  readonly nextUpdate: string | null;
  readonly producedAt: string | null;
  readonly revocationTime: string | null;
  readonly revocationReason: RevocationReason | null;
  /** The OCSP responder URL asked. */
  readonly responderUrl: string | null;
  readonly nextRefresh: string | null;
  /** Until when the current response is stapled (nextUpdate less a safety margin). */
  readonly servedUntil: string | null;
  readonly source: 'responder' | 'store' | null;
  readonly lastError: {
    readonly code: string;
    readonly message: string;
    readonly at: string;
  } | null;
}

export function keyTypeOf(certificate: CertificateInfo): KeyType | undefined {
  switch (certificate.key.type) {
    case 'rsa':
      return 'rsa';
    case 'ec':
      return 'ecdsa';
    case 'ed25519':
      return 'ed25519';
    default:
      return undefined;
  }
}

/** As @staple/server labels certificates in its logs: `ecdsa P-256 serial 1A2B… (CN=…)`. */
export function labelOf(certificate: CertificateInfo): string {
  const key = certificate.key;
  const kind =
    key.type === 'ec' ? `ecdsa ${key.curve}` : key.type === 'rsa' ? `rsa ${key.bits}` : key.type;
  return `${kind} serial ${certificate.serialNumber} (${certificate.subject})`;
}

export function describeCertificate(
  certificate: CertificateInfo,
  keyType: KeyType,
): CertificateFacts {
  return Object.freeze({
    keyType,
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    names: Object.freeze([...certificate.dnsNames, ...certificate.ipAddresses]),
    mustStaple: certificate.mustStaple,
  });
}

/** `status` undefined: the certificate is not stapled (stapling off, or not in the stapler). */
export function describeStaple(status: StapleStatus | undefined): StapleFacts {
  if (!status) return OFF;
  return {
    status: status.stapling && status.certStatus ? status.certStatus : 'none',
    state: status.state,
    stapling: status.stapling,
    thisUpdate: iso(status.thisUpdate),
    nextUpdate: iso(status.nextUpdate),
    producedAt: iso(status.producedAt),
    revocationTime: iso(status.revocationTime),
    revocationReason: status.revocationReason ?? null,
    responderUrl: status.url ?? null,
    nextRefresh: iso(status.nextRefresh),
    servedUntil: iso(status.servedUntil),
    source: status.source ?? null,
    lastError: status.lastError
      ? {
          code: status.lastError.code,
          message: status.lastError.message,
          at: status.lastError.at.toISOString(),
        }
      : null,
  };
}

const OFF: StapleFacts = Object.freeze({
  status: 'none',
  state: 'off',
  stapling: false,
  thisUpdate: null,
  nextUpdate: null,
  producedAt: null,
  revocationTime: null,
  revocationReason: null,
  responderUrl: null,
  nextRefresh: null,
  servedUntil: null,
  source: null,
  lastError: null,
});

function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}
