import {
  type CertStatus,
  fromHex,
  parseCertificate,
  type RevocationReason,
  toHex,
} from '@staple/ocsp-codec';

/** A certificate named by its serial (hex), its DER or PEM, or anything with a `serialNumber`. */
export type CertificateRef = string | Uint8Array | { readonly serialNumber: string };

export interface RevokeOptions {
  /** CRLReason (RFC 5280 §5.3.1); omitted from the response when not given. */
  readonly reason?: RevocationReason;
  /** Default: the responder's clock at the time of the call. */
  readonly time?: Date;
}

/** What the responder will say about one serial. */
export type StatusEntry =
  | { readonly status: 'good' }
  | { readonly status: 'unknown' }
  | {
      readonly status: 'revoked';
      readonly revocationTime: Date;
      readonly revocationReason?: RevocationReason;
    };

const GOOD: StatusEntry = Object.freeze({ status: 'good' });

/**
 * @internal The responder's revocation list. Anything the issuer signed is `good` until marked
 * otherwise, as with a CA whose responder answers from its CRL.
 */
export class StatusList {
  readonly #entries = new Map<string, StatusEntry>();

  get(serial: string): StatusEntry {
    return this.#entries.get(serial) ?? GOOD;
  }

  set(ref: CertificateRef, status: CertStatus, revokedAt: Date, options: RevokeOptions = {}) {
    const serial = serialOf(ref);
    if (status === 'revoked') {
      this.#entries.set(
        serial,
        Object.freeze({
          status,
          revocationTime: options.time ?? revokedAt,
          ...(options.reason !== undefined ? { revocationReason: options.reason } : {}),
        }),
      );
    } else if (status === 'good' || status === 'unknown') {
      this.#entries.set(serial, status === 'good' ? GOOD : Object.freeze({ status }));
    } else {
      throw new TypeError(`unknown certificate status ${String(status)}`);
    }
  }

  clear(ref: CertificateRef): void {
    this.#entries.delete(serialOf(ref));
  }
}

/**
 * The serial as the codec writes it in a CertID: uppercase hex, no sign byte, no leading zero
 * bytes. Accepts `openssl x509 -serial` output, colon-separated hex, or a certificate.
 */
export function serialOf(ref: CertificateRef): string {
  if (typeof ref === 'object' && !(ref instanceof Uint8Array)) return normalize(ref.serialNumber);
  if (ref instanceof Uint8Array || ref.includes('-----BEGIN')) {
    return parseCertificate(ref).serialNumber;
  }
  return normalize(ref.replace(/^serial=/i, ''));
}

function normalize(hex: string): string {
  const clean = hex.replace(/[\s:]/g, '');
  let bytes: Uint8Array;
  try {
    bytes = fromHex(clean.length % 2 ? `0${clean}` : clean);
  } catch {
    throw new TypeError(`not a serial number: ${JSON.stringify(hex)}`);
  }
  if (bytes.length === 0) throw new TypeError('empty serial number');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return toHex(bytes.subarray(start));
}
