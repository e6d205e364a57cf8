import type { CertificateDescription } from '@staple/client-hello';
import { type CertificateInfo, decodePem, parseCertificate } from '@staple/ocsp-codec';
import { StapleServerError } from './errors.js';

/** One certificate as the user gives it. */
export interface CertificateOptions {
  /** Private key (PEM). */
  readonly key: string | Buffer;
  readonly passphrase?: string;
  /** Certificate chain (PEM): the leaf first, then its issuer (and any further intermediates). */
  readonly cert: string | Buffer;
  /** Responder URL instead of the certificate's AIA one. */
  readonly ocspUrl?: string;
  /** Served to clients that send no SNI or an SNI no certificate matches (default: the first). */
  readonly default?: boolean;
}

/** A certificate ready to serve: parsed once at start-up, never in the handshake path. */
export interface PreparedCertificate {
  readonly index: number;
  readonly options: CertificateOptions;
  readonly chainPem: string;
  readonly leaf: CertificateInfo;
  readonly issuer?: CertificateInfo;
  readonly description: CertificateDescription;
  readonly isDefault: boolean;
  /** For logs: `ecdsa P-256 serial 1A2B… (CN=example.com)`. */
  readonly label: string;
}

/**
 * Parses and checks every certificate. `reuse` may hand back an earlier preparation of the same
 * options (setCertificates: an unchanged certificate is not parsed again); its default flag is
 * worked out again here, since it depends on the whole list.
 */
export function prepareCertificates(
  list: readonly CertificateOptions[],
  reuse?: (options: CertificateOptions, index: number) => PreparedCertificate | undefined,
): PreparedCertificate[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new StapleServerError(
      'ERR_STAPLE_SERVER_INVALID_OPTIONS',
      'certificates: give at least one',
    );
  }
  // Issuers by DER: chains usually share an intermediate or two, parsed once for all of them.
  const issuers = new Map<string, CertificateInfo>();
  const prepared = list.map((options, index): PreparedCertificate => {
    const earlier = reuse?.(options, index);
    return earlier
      ? { ...earlier, index, options, isDefault: options.default === true }
      : prepare(options, index, issuers);
  });
  if (!prepared.some((c) => c.isDefault)) {
    // Without an explicit default, the first certificate's names are the default host.
    const first = prepared[0]!;
    for (const c of prepared) {
      if (sameNames(c.leaf, first.leaf)) (c as { isDefault: boolean }).isDefault = true;
    }
  }
  return prepared;
}

function prepare(
  options: CertificateOptions,
  index: number,
  issuers: Map<string, CertificateInfo>,
): PreparedCertificate {
  const chainPem = typeof options.cert === 'string' ? options.cert : options.cert.toString('utf8');
  let chain: CertificateInfo[];
  try {
    // What parseCertificates(chainPem) does, with every certificate after the leaf looked up
    // by its DER first. The leaf is always parsed: it is the stapler's key for this entry.
    chain = decodePem(chainPem)
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b, i) => {
        if (i === 0) return parseCertificate(b.der);
        const der = Buffer.from(b.der.buffer, b.der.byteOffset, b.der.byteLength).toString(
          'latin1',
        );
        let issuer = issuers.get(der);
        if (!issuer) {
          issuer = parseCertificate(b.der);
          issuers.set(der, issuer);
        }
        return issuer;
      });
  } catch (cause) {
    throw new StapleServerError(
      'ERR_STAPLE_SERVER_INVALID_OPTIONS',
      `certificates[${index}].cert does not parse`,
      {
        cause,
      },
    );
  }
  const leaf = chain[0];
  if (!leaf) {
    throw new StapleServerError(
      'ERR_STAPLE_SERVER_INVALID_OPTIONS',
      `certificates[${index}].cert has no certificate`,
    );
  }
  const key = leaf.key;
  let description: CertificateDescription;
  if (key.type === 'rsa') {
    description = {
      keyType: 'rsa',
      rsaBits: key.bits,
      dnsNames: leaf.dnsNames,
      ipAddresses: leaf.ipAddresses,
    };
  } else if (
    key.type === 'ec' &&
    (key.curve === 'P-256' || key.curve === 'P-384' || key.curve === 'P-521')
  ) {
    description = {
      keyType: 'ecdsa',
      curve: key.curve,
      dnsNames: leaf.dnsNames,
      ipAddresses: leaf.ipAddresses,
    };
  } else if (key.type === 'ed25519') {
    description = { keyType: 'ed25519', dnsNames: leaf.dnsNames, ipAddresses: leaf.ipAddresses };
  } else {
    throw new StapleServerError(
      'ERR_STAPLE_SERVER_INVALID_OPTIONS',
      `certificates[${index}]: unsupported key type ${key.type}`,
    );
  }
  const kind =
    key.type === 'ec' ? `ecdsa ${key.curve}` : key.type === 'rsa' ? `rsa ${key.bits}` : key.type;
  return {
    index,
    options,
    chainPem,
    leaf,
    ...(chain[1] ? { issuer: chain[1] } : {}),
    description,
    isDefault: options.default === true,
    label: `${kind} serial ${leaf.serialNumber} (${leaf.subject})`,
  };
}

function sameNames(a: CertificateInfo, b: CertificateInfo): boolean {
  const key = (c: CertificateInfo) =>
    [...c.dnsNames, ...c.ipAddresses]
      .map((n) => n.toLowerCase())
      .sort()
      .join(',');
  return key(a) === key(b);
}
