/**
 * One TLS handshake as a diagnostic client (what `openssl s_client -status` does): asks for a
 * staple, accepts any certificate so that a broken chain can still be looked at, and records
 * whether the chain verified, then hangs up.
 */
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { type Address, formatAddress } from './address.js';
import { CliError } from './errors.js';
import { networkReason } from './network-reason.js';

export interface ProbeOptions extends Address {
  /** SNI; by default the host when it is a name (RFC 6066 §3 forbids IP addresses). */
  readonly servername?: string;
  /** PEM CA certificates to verify against instead of Node's default store. */
  readonly ca?: string;
  /** OpenSSL signature algorithm list, to steer a server with RSA and ECDSA certificates. */
  readonly sigalgs?: string;
  /** For the TCP connection and the handshake together. */
  readonly timeoutMs: number;
}

export interface Probe {
  readonly servername?: string;
  readonly protocol: string;
  readonly cipher: string;
  /** The chain verified (to --ca or the default store) and the name matched. */
  readonly authorized: boolean;
  /** OpenSSL's reason when not, e.g. `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`. */
  readonly authorizationError?: string;
  /**
   * DER, the served certificate first, then each one's issuer: from what the server sent,
   * then from the trust store when the server left it out (how Node builds the chain).
   */
  readonly chain: readonly Uint8Array[];
  /** The stapled OCSP response, when the server sent one. */
  readonly staple?: Uint8Array;
}

/**
 * Checks the options a user passes through to OpenSSL before connecting, so that a typo is a
 * usage error and not an OpenSSL error string.
 */
export function checkProbeOptions(options: Pick<ProbeOptions, 'servername' | 'sigalgs'>): void {
  if (options.servername !== undefined && (options.servername === '' || isIP(options.servername))) {
    throw new CliError(
      'ERR_USAGE',
      '--servername must be a host name: SNI cannot carry an IP address (RFC 6066 §3)',
    );
  }
  if (options.sigalgs !== undefined) {
    try {
      tls.createSecureContext({ sigalgs: options.sigalgs });
    } catch (cause) {
      throw new CliError(
        'ERR_USAGE',
        `--sigalgs '${options.sigalgs}' is not a list OpenSSL takes, e.g. ECDSA+SHA256:RSA-PSS+SHA256`,
        { cause },
      );
    }
  }
}

// @types/node declares `requestOCSP` only for TLSSocket's constructor; tls.connect passes it on.
type ConnectOptions = tls.ConnectionOptions & { readonly requestOCSP: boolean };

export function probeTls(options: ProbeOptions): Promise<Probe> {
  const address = formatAddress(options);
  const servername = options.servername ?? (isIP(options.host) ? undefined : options.host);
  return new Promise<Probe>((resolve, reject) => {
    let staple: Uint8Array | undefined;
    let connected = false;
    const connectOptions: ConnectOptions = {
      host: options.host,
      port: options.port,
      // A diagnostic: the certificate is shown whatever it is, and `authorized` says whether
      // it verified.
      rejectUnauthorized: false,
      requestOCSP: true,
      ...(servername !== undefined ? { servername } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.sigalgs !== undefined ? { sigalgs: options.sigalgs } : {}),
    };
    const socket = tls.connect(connectOptions);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new CliError(
            'ERR_TIMEOUT',
            `no TLS handshake with ${address} within ${options.timeoutMs} ms` +
              (connected ? '' : ' (no TCP connection)'),
          ),
        ),
      options.timeoutMs,
    );
    socket.once('connect', () => {
      connected = true;
    });
    // Emitted before secureConnect, with null when the server stapled nothing.
    socket.once('OCSPResponse', (response: Buffer | null) => {
      if (response && response.length > 0) staple = new Uint8Array(response);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cipher = socket.getCipher();
      const probe: Probe = {
        ...(servername !== undefined ? { servername } : {}),
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: cipher.standardName ?? cipher.name,
        authorized: socket.authorized,
        ...(socket.authorized ? {} : { authorizationError: String(socket.authorizationError) }),
        chain: peerChain(socket),
        ...(staple ? { staple } : {}),
      };
      socket.destroy();
      resolve(probe);
    });
    // `on`, not `once`: a second error with no listener would crash the process.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(
        connected
          ? new CliError('ERR_TLS', `TLS handshake with ${address} failed: ${tlsReason(error)}`, {
              cause: error,
            })
          : new CliError('ERR_CONNECT', `cannot connect to ${address}: ${networkReason(error)}`, {
              cause: error,
            }),
      ),
    );
  });
}

function peerChain(socket: tls.TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  const seen = new Set<tls.PeerCertificate>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  // A root's issuerCertificate is itself; a malformed chain could loop anywhere.
  while (cert?.raw && !seen.has(cert)) {
    seen.add(cert);
    chain.push(new Uint8Array(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

/**
 * OpenSSL's message is `<hex>:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:<file>:<line>:`; node puts the useful part in `reason`.
 */
function tlsReason(error: Error & { reason?: unknown }): string {
  if (typeof error.reason === 'string' && error.reason !== '') return error.reason;
  return networkReason(error);
}
