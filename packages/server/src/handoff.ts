import type * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * Hands a connection whose ClientHello has been read to an inner tls.Server or https.Server,
 * with the staple already set on the TLS handle, so OpenSSL sends it from its own status
 * callback while it answers the hello, and the hello's bytes given to the handle directly.
 *
 * Node's public way to staple is the server's 'OCSPRequest' event. Listening to it turns on
 * OpenSSL's certificate callback for every handshake: the handshake stops, JS is called, the
 * certificate and its issuer are DER-encoded into fresh Buffers, and the handshake resumes.
 * Measured here that costs about 5-8% of the server's CPU per handshake. We already know
 * the certificate and its staple before TLS starts, so none of that is needed.
 *
 * This does what tls.Server does with a connection (lib/_tls_wrap.js: tlsConnectionListener
 * and its listeners), plus the staple. It relies on Node internals, read from Node 20's
 * source: the server's `_sharedCreds`, the handle's `setOCSPResponse` (what Node's own
 * OCSPRequest callback calls) and `receive` (what Node's initRead feeds buffered bytes to),
 * TLSSocket's `_releaseControl` and `_controlReleased`, and its
 * '_tlsError' event. `canHandOff` checks what can be checked; when it says no, the caller
 * falls back to `inner.emit('connection')` with an 'OCSPRequest' listener.
 */

/** The TLSSocket internals used here. */
interface TlsSocketInternals {
  _handle: {
    setOCSPResponse?: (response: Buffer) => void;
    receive?: (bytes: Buffer) => void;
  } | null;
  _controlReleased: boolean;
  _releaseControl(): boolean;
  secureConnecting: boolean;
}

/** Per-connection options tls.Server reads from itself for each TLSSocket it makes. */
export interface HandoffOptions {
  readonly handshakeTimeout?: number | undefined;
  readonly enableTrace?: boolean | undefined;
  readonly pskCallback?: tls.TlsOptions['pskCallback'] | undefined;
  readonly pskIdentityHint?: string | undefined;
}

type InnerServer = tls.Server & {
  _sharedCreds?: tls.SecureContext;
  ALPNProtocols?: Buffer;
  ALPNCallback?: tls.TlsOptions['ALPNCallback'];
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  pauseOnConnect?: boolean;
};

let handleStapling: boolean | undefined;

/** This Node's TLS handles take a staple directly (probed once, on a socket never connected). */
function supportsHandleStapling(): boolean {
  if (handleStapling === undefined) {
    try {
      const probe = new tls.TLSSocket(undefined as unknown as net.Socket, {
        isServer: true,
        secureContext: tls.createSecureContext(),
      }) as unknown as tls.TLSSocket & TlsSocketInternals;
      handleStapling =
        typeof probe._handle?.setOCSPResponse === 'function' &&
        typeof probe._handle?.receive === 'function' &&
        typeof probe._releaseControl === 'function' &&
        probe._controlReleased === false;
      probe.destroy();
    } catch {
      handleStapling = false;
    }
  }
  return handleStapling;
}

/**
 * Whether `handOff` can serve connections for this inner server. Not when it asks for client
 * certificates: Node's own listener also checks them, which is left to Node.
 */
export function canHandOff(inner: tls.Server): boolean {
  const server = inner as InnerServer;
  return (
    server.requestCert !== true &&
    typeof server._sharedCreds === 'object' &&
    server._sharedCreds !== null &&
    supportsHandleStapling()
  );
}

// A TLSSocket's server is set by the constructor (`options.server`) and read back from there.
type ServerSocket = tls.TLSSocket & TlsSocketInternals & { server: tls.Server };

const errorEmitted = new WeakSet<tls.TLSSocket>();

function onSecure(this: ServerSocket): void {
  if (!this.destroyed && this._releaseControl()) {
    this.secureConnecting = false;
    this.server.emit('secureConnection', this);
  }
}

function onTlsError(this: ServerSocket, error: Error): void {
  if (!this._controlReleased && !errorEmitted.has(this)) {
    errorEmitted.add(this);
    this.server.emit('tlsClientError', error, this);
  }
}

function onClose(this: ServerSocket, hadError: boolean): void {
  // Closed because of an error: that was reported already.
  if (hadError || this._controlReleased || errorEmitted.has(this)) return;
  errorEmitted.add(this);
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  this.server.emit('tlsClientError', reset, this);
}

function onKeylog(this: ServerSocket, line: Buffer): void {
  this.server.emit('keylog', line, this);
}

/**
 * Starts TLS on `socket` for `inner`, stapling `staple` when given, and hands it `hello`: the
 * bytes read from the socket so far, if any. Only for servers `canHandOff` accepted.
 */
export function handOff(
  inner: tls.Server,
  socket: net.Socket,
  staple: Buffer | undefined,
  hello: Buffer | undefined,
  options: HandoffOptions,
): tls.TLSSocket {
  const server = inner as InnerServer;
  const tlsOptions = {
    secureContext: server._sharedCreds,
    isServer: true,
    server: inner,
    requestCert: false,
    rejectUnauthorized: server.rejectUnauthorized,
    handshakeTimeout: options.handshakeTimeout || 120_000,
    ALPNProtocols: server.ALPNProtocols,
    ALPNCallback: server.ALPNCallback,
    enableTrace: options.enableTrace,
    pauseOnConnect: server.pauseOnConnect,
    pskCallback: options.pskCallback,
    pskIdentityHint: options.pskIdentityHint,
  } as tls.TLSSocketOptions;
  const tlsSocket = new tls.TLSSocket(socket, tlsOptions) as ServerSocket;
  // In place before OpenSSL reads the hello; it sends it only to a client that asked
  // (status_request).
  if (staple) tlsSocket._handle?.setOCSPResponse?.(staple);
  tlsSocket.on('secure', onSecure);
  if (inner.listenerCount('keylog') > 0) tlsSocket.on('keylog', onKeylog);
  tlsSocket.on('close', onClose);
  tlsSocket.on('_tlsError', onTlsError);
  tlsSocket.on('error', onTlsError);
  // Straight to OpenSSL, now that the listeners are on (what Node's initRead does on the next
  // tick with bytes put back into the socket's buffer, without the round trip through the
  // socket's stream: unshift, then read back out). Anything the socket has buffered besides
  // still follows on the next tick, after these bytes.
  if (hello) tlsSocket._handle?.receive?.(hello);
  return tlsSocket;
}
