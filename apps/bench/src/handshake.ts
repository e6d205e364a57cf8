/**
 * One full TLS handshake to 127.0.0.1 asking for a staple (status_request), never offering a
 * session; the connection is ended as soon as the handshake is done. Bounded by `timeoutMs`.
 */
import * as tls from 'node:tls';

export interface HandshakeOptions {
  readonly port: number;
  readonly servername: string;
  readonly timeoutMs: number;
  /** Offer only these signature algorithms (to make the server pick, say, its RSA certificate). */
  readonly sigalgs?: string;
  /** Verify the chain and name against this root; default: no verification (load only). */
  readonly ca?: string;
  /** Keep the served certificate's serial (and DER, when `ca` is given). */
  readonly peer?: boolean;
}

export type HandshakeOutcome =
  | {
      readonly ok: true;
      /** tls.connect() call → secureConnect, ms. */
      readonly ms: number;
      readonly end: number;
      readonly staple: Buffer | undefined;
      readonly serial?: string;
      readonly peerDer?: Buffer;
      readonly subjectAltName?: string;
    }
  | { readonly ok: false; readonly ms: number; readonly end: number; readonly error: string };

/** Calls back exactly once with the outcome. */
export function handshake(
  options: HandshakeOptions,
  callback: (outcome: HandshakeOutcome) => void,
): void {
  const begin = performance.now();
  let staple: Buffer | undefined;
  let settled = false;
  const settle = (outcome: HandshakeOutcome) => {
    if (settled) return;
    settled = true;
    callback(outcome);
  };
  // requestOCSP is a real tls.connect option that @types/node does not declare.
  const connectOptions: tls.ConnectionOptions & { requestOCSP: boolean } = {
    host: '127.0.0.1',
    port: options.port,
    servername: options.servername,
    requestOCSP: true,
    ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
    ...(options.sigalgs ? { sigalgs: options.sigalgs } : {}),
  };
  const socket = tls.connect(connectOptions);
  socket.setTimeout(options.timeoutMs, () => socket.destroy(new Error('handshake timeout')));
  socket.on('OCSPResponse', (response: Buffer | null) => {
    if (response && response.length > 0) staple = response;
  });
  socket.once('secureConnect', () => {
    const end = performance.now();
    let peer: { serial?: string; peerDer?: Buffer; subjectAltName?: string } = {};
    if (options.peer) {
      const certificate = socket.getPeerCertificate();
      peer = {
        serial: certificate.serialNumber,
        peerDer: certificate.raw,
        ...(certificate.subjectaltname ? { subjectAltName: certificate.subjectaltname } : {}),
      };
    }
    socket.setTimeout(0);
    socket.resume();
    socket.end();
    settle({ ok: true, ms: end - begin, end, staple, ...peer });
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    const end = performance.now();
    settle({ ok: false, ms: end - begin, end, error: error.code ?? error.message });
  });
  socket.once('close', () => {
    const end = performance.now();
    settle({ ok: false, ms: end - begin, end, error: 'CLOSED_BEFORE_HANDSHAKE' });
  });
}

export function handshakeAsync(options: HandshakeOptions): Promise<HandshakeOutcome> {
  return new Promise((resolve) => handshake(options, resolve));
}
