import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  CertificateIndex,
  type ClientHello,
  ClientHelloError,
  isClientHelloError,
  parseClientHello,
  type ReadClientHelloOptions,
  readClientHelloWith,
  selectCertificate,
} from '@staple/client-hello';
import {
  createStapler,
  type Logger,
  Stapler,
  type StaplerOptions,
  type StapleStatus,
} from '@staple/ocsp-client';
import type { CertificateInfo } from '@staple/ocsp-codec';
import {
  type CertificateOptions,
  type PreparedCertificate,
  prepareCertificates,
} from './certificates.js';
import { setDeferAccept } from './defer-accept.js';
import { StapleServerError } from './errors.js';
import { canHandOff, type HandoffOptions, handOff } from './handoff.js';
import { readWaiting } from './read-waiting.js';

/** A certificate as selection policies see it. */
export interface CertificateChoice {
  readonly certificate: CertificateInfo;
  readonly description: PreparedCertificate['description'];
  readonly isDefault: boolean;
  /** The certificate asks clients to require a staple (RFC 7633). */
  readonly mustStaple: boolean;
  /** A valid staple is ready for it right now. */
  readonly stapled: boolean;
  readonly label: string;
}

type TlsPassThrough = Omit<tls.TlsOptions, 'key' | 'cert' | 'pfx' | 'passphrase' | 'SNICallback'>;

export interface StapleServerOptions extends TlsPassThrough {
  /** Any number of certificates, RSA and ECDSA mixed, for one or several hostnames. */
  readonly certificates: readonly CertificateOptions[];
  /**
   * A stapler you own (the server never closes it), options to create one that the server owns,
   * or `false` for no stapling. Default: a stapler with default options.
   */
  readonly stapling?: Stapler | StaplerOptions | false;
  /**
   * Your own choice; `undefined` refuses the client. `candidates`: for a client that sent a
   * server name, every certificate (whatever its names); for one that did not, the default
   * host's. When it returns `undefined` for a name no certificate is valid for, it is asked
   * again with the default host's and the hello without its server name. Must-Staple
   * certificates without a valid staple are left out (mustStaple 'enforce'). Without `select`,
   * the certificate is found by name (exact, then wildcard, then the default host) and then by
   * what the client supports (ECDSA before RSA).
   */
  readonly select?: (
    hello: ClientHello,
    candidates: readonly CertificateChoice[],
  ) => CertificateChoice | undefined;
  /**
   * 'enforce' (default): a Must-Staple certificate is not served until it has a valid staple,
   * since every client that honours Must-Staple would fail. 'warn': serve it, and log.
   */
  readonly mustStaple?: 'enforce' | 'warn';
  /**
   * Limits for reading the ClientHello (default 16 KiB, 10 s), or `false` not to read it: for a
   * server with exactly one certificate and no `select`, where there is nothing to choose. The
   * connection then goes straight to TLS, stapled as ever, at about the CPU cost of a plain
   * `node:tls` server; what needs the hello is not there: `getStapleInfo().hello` is undefined,
   * malformed hellos are refused by TLS with its own errors, and slow or oversized ones are left
   * to TLS (`handshakeTimeout`). A plain HTTP request still gets the `400`, for the requests
   * OpenSSL recognises (GET, POST, HEAD, PUT, CONNECT), as in nginx.
   */
  readonly clientHello?: ReadClientHelloOptions | false;
  /**
   * TCP_DEFER_ACCEPT on the listening socket (Linux; nginx's `listen … deferred`): the kernel
   * hands a connection over only once its ClientHello has arrived, so the server does not wake
   * up once for the connection and again for its hello, and reads the hello as it accepts the
   * connection, without a read callback (about 3% less CPU per handshake, measured). `true` is
   * 1 second, or give seconds: a client silent for that long is handed over anyway (and then
   * meets the hello's time limit). Needs koffi, an optional peer dependency (`npm install koffi`); where it cannot be
   * set (not Linux, no koffi, a Unix socket, a cluster worker) the server logs a warning and
   * accepts as usual: `deferringAccept` tells which. Default false.
   */
  readonly deferAccept?: boolean | number;
  readonly logger?: Logger;
}

/** StapleServerOptions and Node's HTTP/2 server options (settings, allowHTTP1, ...). */
export type StapleHttp2ServerOptions = StapleServerOptions &
  Omit<http2.SecureServerOptions, keyof tls.TlsOptions>;

type ServerKind = 'tls' | 'https' | 'http2';

/** What the server knows about one connection; see `getStapleInfo`. */
export interface StapleInfo {
  readonly certificate: CertificateInfo;
  readonly keyType: 'rsa' | 'ecdsa' | 'ed25519';
  /** The parsed ClientHello; undefined when the server does not read it (`clientHello: false`). */
  readonly hello: ClientHello | undefined;
  /**
   * The client asked for a staple (status_request), one was ready when it connected, and the
   * handshake was a full one (a resumed session gets no certificate and no staple). Asked of the
   * raw socket instead of the TLS one, resumption is not known and is taken as not resumed.
   * Without the hello (`clientHello: false`) whether the client asked is not known: true when a
   * staple was ready for a full handshake (OpenSSL sends it to the clients that ask).
   */
  readonly stapled: boolean;
  /** The stapler's state for the served certificate, now. */
  readonly staple: StapleStatus | undefined;
}

export interface StapleServerStats {
  readonly accepted: number;
  readonly handedToTls: number;
  readonly plainHttp: number;
  readonly badHello: number;
  readonly noCertificate: number;
  readonly mustStapleRefused: number;
  /**
   * Connections whose whole ClientHello had come when they were accepted (deferAccept), read
   * there and then.
   */
  readonly helloAtAccept: number;
}

/**
 * What is recorded per connection on the handshake path; the StapleInfo is built when asked.
 * The hello is kept as the bytes it came in, and parsed again only if the application asks for
 * it: a parsed hello is some sixty objects, which a live connection would carry through every
 * garbage collection.
 */
interface Handed {
  readonly entry: Entry;
  /** What was read before TLS started (the hello's records, perhaps more). */
  readonly bytes: Buffer | undefined;
  readonly stapled: boolean;
  info: StapleInfo | undefined;
}

// Kept on the socket itself rather than in a WeakMap: a WeakMap entry per connection is work for
// every garbage collection while the connection lives.
const HANDED = Symbol('stapleHanded');

type HandedSocket = net.Socket & { [HANDED]?: Handed };

/**
 * The chosen certificate, the staple state and the parsed ClientHello of a connection: give it
 * the TLSSocket (`req.socket` in a request handler) or the raw socket.
 */
export function getStapleInfo(socket: net.Socket): StapleInfo | undefined {
  // A TLSSocket made by a tls.Server keeps the TCP socket it wraps as `_parent`; the info was
  // recorded on that one before TLS started.
  const handed =
    (socket as HandedSocket)[HANDED] ??
    ((socket as { _parent?: net.Socket })._parent as HandedSocket | undefined)?.[HANDED];
  if (!handed) return undefined;
  // A resumed handshake sends no certificate, so no staple either, though one was ready.
  handed.info ??= makeInfo(handed, isResumed(socket));
  return handed.info;
}

function isResumed(socket: net.Socket): boolean {
  // Duck-typed: an HTTP/2 request's socket is a Proxy that forwards to the TLSSocket.
  const tlsSocket = socket as Partial<Pick<tls.TLSSocket, 'isSessionReused'>>;
  return typeof tlsSocket.isSessionReused === 'function' && tlsSocket.isSessionReused();
}

function makeInfo({ entry, bytes, stapled }: Handed, resumed: boolean): StapleInfo {
  const stapler = entry.stapler;
  const leaf = entry.prepared.leaf;
  let hello: ClientHello | undefined | null = null;
  return {
    certificate: leaf,
    keyType: entry.prepared.description.keyType,
    get hello() {
      // These bytes parsed once already, on the way in: the same parse cannot fail now.
      hello ??= bytes ? parseClientHello(bytes, { allowTrailingBytes: true }) : undefined;
      return hello;
    },
    stapled: stapled && !resumed,
    get staple() {
      return stapler?.statusOf(leaf);
    },
  };
}

/** 'close' of a socket handed to an inner server (`this` is the socket). */
function onHandedClose(this: HandedSocket): void {
  this[HANDED]?.entry.release();
}

const ignore = () => {};
const OCSP_STATUS_TYPE = 1;
/** ReadClientHelloOptions' default maxBytes. */
const DEFAULT_HELLO_BYTES = 16 * 1024;
const ALLOW_TRAILING = { allowTrailingBytes: true } as const;
const NO_SELECT_OPTIONS = {};

/** Not a Must-Staple certificate waiting for its first valid staple. */
function isServable(choice: CertificateChoice): boolean {
  return !choice.mustStaple || choice.stapled;
}

let dispatchLater: (
  server: StapleServer,
  socket: net.Socket,
  hello: ClientHello,
  bytes: Buffer,
) => void;
let refuseLater: (server: StapleServer, socket: net.Socket, error: ClientHelloError) => void;

// Events of the per-certificate TLS servers that users listen for on the server they hold.
// Each is forwarded only while the server they hold has a listener for it: for several of them
// Node does something itself when nobody listens (clientError: a 400/408 answer and a close;
// checkContinue: 100 Continue, then 'request'; checkExpectation: 417; upgrade: an ordinary
// request; keylog: not computed at all), which a forwarder that is always there would prevent.
// (tlsClientError is not among them: the server always listens, see #onTlsClientError.)
const FORWARDED: ReadonlySet<string> = new Set([
  // HTTP/2 (unknownProtocol: without a listener Node answers 403 and closes).
  'session',
  'stream',
  'sessionError',
  'unknownProtocol',
  'secureConnection',
  'request',
  'upgrade',
  'connect',
  'checkContinue',
  'checkExpectation',
  'clientError',
  'keylog',
  'dropRequest',
]);

const PLAIN_HTTP_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 50\r\n\r\n' +
  'This port speaks HTTPS: a plain HTTP request came.';

interface Entry {
  readonly prepared: PreparedCertificate;
  /**
   * Its options as given (optionsKey), taken when it was built: what setCertificates compares,
   * so an options object changed in place afterwards is not mistaken for an unchanged one.
   */
  readonly optionsKey: string | undefined;
  readonly choice: CertificateChoice;
  readonly inner: tls.Server;
  /**
   * Connections are started with handOff (staple set on the TLS handle), not with
   * `inner.emit('connection')` and an 'OCSPRequest' listener.
   */
  readonly handOff: boolean;
  readonly stapler: Stapler | undefined;
  /** Called when a connection handed to `inner` closes. */
  readonly release: () => void;
  /** Connections handed to `inner` that have not closed yet. */
  live: number;
  /** Replaced by setCertificates: forgotten once its last connection closes. */
  retired: boolean;
  /** mustStaple 'warn' has logged that this Must-Staple certificate went out unstapled. */
  warnedUnstapled: boolean;
  /** The listeners on `inner` that re-emit its events on the server users hold. */
  readonly forwarders: Map<string, (...args: unknown[]) => void>;
  /** HTTP/2: the open sessions, which close() ends (Node's http2 server leaves them open). */
  readonly sessions: Set<http2.ServerHttp2Session> | undefined;
}

/**
 * A TLS (or HTTPS) server that reads each ClientHello first, picks the certificate the client
 * can use (ECDSA before RSA), and hands the connection to a TLS server holding only that
 * certificate, with exactly that certificate's staple set on the connection (handoff.ts). One
 * certificate per SecureContext is the point: with several in one, Node hands OCSPRequest the
 * last-loaded certificate and half the clients get the wrong staple.
 */
export class StapleServer extends net.Server {
  readonly #kind: ServerKind;
  readonly #options: StapleServerOptions;
  readonly #stapler: Stapler | undefined;
  readonly #ownsStapler: boolean;
  readonly #logger: Logger;
  readonly #ticketKeys: Buffer;
  readonly #handoffOptions: HandoffOptions;
  /** The hello's limits as given, read straight into TLS's hands (`forTls`). */
  readonly #helloOptions: ReadClientHelloOptions;
  readonly #reading = new Set<net.Socket>();
  /** The current entries and the retired ones that still have connections. */
  readonly #inners = new Set<Entry>();
  #entries: Entry[] = [];
  // Derived from #entries once per setCertificates, so the handshake path only reads them: a
  // handshake looks up its server name in #index and considers those few certificates alone.
  #index = new CertificateIndex<CertificateChoice>([]);
  #byChoice = new Map<CertificateChoice, Entry>();
  #anyMustStaple = false;
  /** deferAccept in seconds, when asked for. */
  readonly #deferSeconds: number | undefined;
  #deferring = false;
  #stats = {
    accepted: 0,
    handedToTls: 0,
    plainHttp: 0,
    badHello: 0,
    noCertificate: 0,
    mustStapleRefused: 0,
    helloAtAccept: 0,
  };

  constructor(kind: ServerKind, options: StapleServerOptions) {
    if (!options || typeof options !== 'object') {
      throw new StapleServerError('ERR_STAPLE_SERVER_INVALID_OPTIONS', 'options are required');
    }
    // This server accepts the connections, so it applies the socket options a tls.Server or
    // https.Server would at accept: TCP_NODELAY (on by default for HTTPS, as in https.Server),
    // keep-alive, and allowHalfOpen, which the TLS socket takes from the TCP one. pauseOnConnect
    // is left to the TLS socket handed to the application.
    super({
      noDelay: options.noDelay ?? kind === 'https',
      keepAlive: options.keepAlive ?? false,
      keepAliveInitialDelay: options.keepAliveInitialDelay ?? 0,
      allowHalfOpen: options.allowHalfOpen ?? false,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    });
    if (options.clientHello === false && options.select) {
      throw new StapleServerError(
        'ERR_STAPLE_SERVER_INVALID_OPTIONS',
        'clientHello: false and select: a policy needs the hello',
      );
    }
    const defer = options.deferAccept;
    if (
      defer !== undefined &&
      typeof defer !== 'boolean' &&
      !(Number.isInteger(defer) && defer >= 1 && defer <= 3600)
    ) {
      throw new StapleServerError(
        'ERR_STAPLE_SERVER_INVALID_OPTIONS',
        'deferAccept: true, false or whole seconds from 1 to 3600',
      );
    }
    this.#deferSeconds = defer === true ? 1 : defer || undefined;
    this.#kind = kind;
    this.#options = options;
    this.#logger = options.logger ?? {};
    // One ticket key for every internal context, so a session resumes whichever serves it.
    this.#ticketKeys = options.ticketKeys ?? randomBytes(48);
    this.#helloOptions = { ...(options.clientHello || {}), forTls: true };
    this.#handoffOptions = {
      handshakeTimeout: options.handshakeTimeout,
      enableTrace: options.enableTrace,
      pskCallback: options.pskCallback,
      pskIdentityHint: options.pskIdentityHint,
    };
    if (options.stapling instanceof Stapler) {
      this.#stapler = options.stapling;
      this.#ownsStapler = false;
    } else if (options.stapling === false) {
      this.#stapler = undefined;
      this.#ownsStapler = false;
    } else {
      this.#stapler = createStapler({ logger: this.#logger, ...options.stapling });
      this.#ownsStapler = true;
    }
    // 'newListener' comes before the listener is added, 'removeListener' after it is gone.
    this.on('newListener', (event: string | symbol) => {
      if (typeof event !== 'string' || !FORWARDED.has(event)) return;
      for (const entry of this.#inners) this.#forward(entry, event);
    });
    this.on('removeListener', (event: string | symbol) => {
      if (typeof event === 'string' && FORWARDED.has(event) && this.listenerCount(event) === 0) {
        for (const entry of this.#inners) this.#unforward(entry, event);
      }
    });
    this.setCertificates(options.certificates);
    this.on('connection', (socket: net.Socket) => this.#accept(socket));
    // Before the application's own 'listening' listeners (listen's callback among them), and
    // before the first poll for connections.
    this.on('listening', () => {
      this.#deferAccept();
      // HTTPS, HTTP/2: listening again after close() restarts the connection checks close()
      // stopped.
      if (kind !== 'tls') for (const { inner } of this.#inners) inner.emit('listening');
    });
  }

  #forward(entry: Entry, event: string): void {
    if (entry.forwarders.has(event)) return;
    const forwarder = (...args: unknown[]) => this.emit(event, ...args);
    entry.forwarders.set(event, forwarder);
    entry.inner.on(event, forwarder);
  }

  #unforward(entry: Entry, event: string): void {
    const forwarder = entry.forwarders.get(event);
    if (!forwarder) return;
    entry.forwarders.delete(event);
    entry.inner.off(event, forwarder);
  }

  /** The leaves of the certificates served now (as of the latest `setCertificates`). */
  get certificates(): readonly CertificateInfo[] {
    return this.#entries.map((e) => e.prepared.leaf);
  }

  /** The stapler this server uses (to watch events or read `status()`). */
  get stapler(): Stapler | undefined {
    return this.#stapler;
  }

  /**
   * The kernel holds connections back until their first bytes (`deferAccept`) on the socket
   * this server listens on now.
   */
  get deferringAccept(): boolean {
    return this.#deferring;
  }

  #deferAccept(): void {
    this.#deferring = false;
    if (this.#deferSeconds === undefined) return;
    const why = setDeferAccept(this, this.#deferSeconds);
    this.#deferring = why === undefined;
    if (why !== undefined) {
      this.#logger.warn?.({ reason: why }, 'deferAccept: connections are accepted as usual');
    }
  }

  stats(): StapleServerStats {
    return { ...this.#stats };
  }

  /** Resolves when every certificate has had its first OCSP fetch (good or failed). */
  async ready(): Promise<void> {
    await this.#stapler?.ready();
  }

  /**
   * Replaces the certificates (renewal) without dropping live connections: new handshakes use
   * the new ones, connections already made carry on; the stapler follows. A certificate given
   * exactly as before (same key, chain, passphrase, ocspUrl and default flag) keeps what was
   * built for it (parsed chain, TLS context, staple): only new and changed ones cost anything.
   */
  setCertificates(certificates: readonly CertificateOptions[]): void {
    if (
      this.#options.clientHello === false &&
      Array.isArray(certificates) &&
      certificates.length > 1
    ) {
      throw new StapleServerError(
        'ERR_STAPLE_SERVER_INVALID_OPTIONS',
        'clientHello: false serves one certificate: without the hello there is no choosing',
      );
    }
    const previous = this.#entries;
    // Unchanged certificates, found by their options' exact text. Each earlier entry serves at
    // most one new certificate (one listed twice gets a second entry, as before).
    const unchanged = new Map<string, Entry[]>();
    for (const e of previous) {
      if (e.optionsKey === undefined) continue;
      const same = unchanged.get(e.optionsKey);
      if (same) same.push(e);
      else unchanged.set(e.optionsKey, [e]);
    }
    const keys: (string | undefined)[] = [];
    const reused: (Entry | undefined)[] = [];
    const prepared = prepareCertificates(certificates, (options, index) => {
      const key = optionsKey(options);
      const entry = key === undefined ? undefined : unchanged.get(key)?.shift();
      keys[index] = key;
      reused[index] = entry;
      return entry?.prepared;
    });
    // A changed certificate whose chain and responder stay (a new key file, a passphrase) keeps
    // its parsed leaf, which is the stapler's key for it: the stapler carries on with its
    // current staple instead of starting a second entry for the same certificate (a fetch, and
    // no staple until it lands; Must-Staple ones refused). A new ocspUrl makes a new entry.
    let before: Map<string, PreparedCertificate> | undefined;
    const entries = prepared.map((p, index): Entry => {
      const entry = reused[index];
      // The default flag depends on the whole list: an entry whose flag changed is rebuilt.
      if (entry && entry.prepared.isDefault === p.isDefault) return entry;
      if (entry) return this.#makeEntry(p, keys[index]);
      before ??= new Map(previous.map((e) => [stapleKey(e.prepared), e.prepared] as const));
      const old = before.get(stapleKey(p));
      return this.#makeEntry(
        old ? { ...p, leaf: old.leaf, ...(old.issuer ? { issuer: old.issuer } : {}) } : p,
        keys[index],
      );
    });
    this.#entries = entries;
    this.#index = new CertificateIndex(
      entries.map((e) => e.choice),
      { isDefault: (c) => c.isDefault },
    );
    this.#byChoice = new Map(entries.map((e) => [e.choice, e] as const));
    this.#anyMustStaple = entries.some((e) => e.choice.mustStaple);
    if (this.#stapler) {
      const kept = new Set(entries.map((e) => e.prepared.leaf));
      for (const old of previous) {
        if (!kept.has(old.prepared.leaf)) this.#stapler.remove(old.prepared.leaf);
      }
    }
    const current = new Set(entries);
    for (const old of previous) if (!current.has(old)) this.#retire(old);
  }

  #makeEntry(prepared: PreparedCertificate, optionsKey: string | undefined): Entry {
    const stapler = this.#stapler;
    if (stapler && prepared.issuer) {
      stapler.add({
        certificate: prepared.leaf,
        issuer: prepared.issuer,
        ...(prepared.options.ocspUrl ? { url: prepared.options.ocspUrl } : {}),
      });
    } else if (stapler) {
      this.#logger.warn?.(
        { certificate: prepared.label },
        'no issuer in the chain: cannot staple this certificate',
      );
    }
    const {
      certificates: _c,
      stapling: _s,
      select: _sel,
      mustStaple: _m,
      clientHello: _h,
      deferAccept: _d,
      logger: _l,
      ...tlsOptions
    } = this.#options;
    const secure: tls.TlsOptions = {
      ...tlsOptions,
      key: prepared.options.key,
      cert: prepared.chainPem,
      ...(prepared.options.passphrase ? { passphrase: prepared.options.passphrase } : {}),
      ticketKeys: this.#ticketKeys,
    };
    const inner =
      this.#kind === 'https'
        ? https.createServer(secure)
        : this.#kind === 'http2'
          ? http2.createSecureServer({ allowHTTP1: true, ...secure })
          : tls.createServer(secure);
    if (this.#kind !== 'tls') {
      // An http.Server tracks its connections (what closeIdleConnections, closeAllConnections
      // and the headersTimeout/requestTimeout checks work on) from its 'listening' event on.
      // An inner server is handed sockets and never listens, so start the tracking here; its
      // (unref'd) check interval is cleared by inner.close() in #forget and close().
      inner.emit('listening');
    }
    const leaf = prepared.leaf;
    const direct = canHandOff(inner);
    if (stapler && !direct) {
      // The handshake path: a synchronous map lookup for exactly this certificate; nothing when
      // no valid response is ready (Node's callback must be called exactly once).
      inner.on(
        'OCSPRequest',
        (
          _certificate: Buffer,
          _issuer: Buffer,
          done: (error: Error | null, response?: Buffer | null) => void,
        ) => {
          done(null, (stapler.get(leaf) as Buffer | undefined) ?? null);
        },
      );
    }
    const choice: CertificateChoice = {
      certificate: leaf,
      description: prepared.description,
      isDefault: prepared.isDefault,
      mustStaple: leaf.mustStaple,
      get stapled() {
        return stapler?.get(leaf) !== undefined;
      },
      label: prepared.label,
    };
    const entry: Entry = {
      prepared,
      optionsKey,
      choice,
      inner,
      handOff: direct,
      stapler,
      release: () => {
        if (--entry.live === 0 && entry.retired) this.#forget(entry);
      },
      live: 0,
      retired: false,
      warnedUnstapled: false,
      forwarders: new Map(),
      sessions:
        this.#kind === 'http2' ? trackSessions(inner as http2.Http2SecureServer) : undefined,
    };
    for (const event of FORWARDED) {
      if (this.listenerCount(event) > 0) this.#forward(entry, event);
    }
    inner.on('tlsClientError', this.#onTlsClientError);
    this.#inners.add(entry);
    return entry;
  }

  /** mustStaple 'warn': say so (once per certificate) when one is served without a staple. */
  #warnUnstapled(entry: Entry): void {
    if (entry.warnedUnstapled || !entry.choice.mustStaple || entry.choice.stapled) return;
    entry.warnedUnstapled = true;
    this.#logger.warn?.(
      { certificate: entry.prepared.label },
      'serving a Must-Staple certificate without a valid staple: clients that honour Must-Staple will refuse it',
    );
  }

  #retire(entry: Entry): void {
    // Its connections (idle keep-alive ones too) go on with the certificate they negotiated;
    // close() and closeAllConnections() still reach them; it is forgotten after the last one.
    entry.retired = true;
    if (entry.live === 0) this.#forget(entry);
  }

  #forget(entry: Entry): void {
    this.#inners.delete(entry);
    // Not listening: this only clears an HTTPS inner's connection-check interval.
    entry.inner.close();
  }

  #accept(socket: net.Socket): void {
    this.#stats.accepted++;
    if (this.#options.clientHello === false) {
      this.#handDirect(socket);
      return;
    }
    if (this.#deferring && this.#acceptWaiting(socket)) return;
    this.#reading.add(socket);
    // A socket error during the read is reported by the reader; afterwards TLS owns it.
    readClientHelloWith(socket, this.#helloOptions, this.#onHello);
  }

  /**
   * deferAccept: the hello has (almost always) come by the time the connection is accepted; read
   * and parsed here, it is dispatched at once, in 'connection', as tls.Server does (so `select`
   * and the refusals run inside it too). False when it is not all there: whatever was read is
   * put back, and the ordinary read goes on from it.
   */
  #acceptWaiting(socket: net.Socket): boolean {
    // Only a socket this server accepted, untouched: libuv has not read from it yet. One emitted
    // into 'connection' by other code may have been read from, or have bytes buffered.
    if (
      (socket as { server?: unknown }).server !== this ||
      socket.readableLength !== 0 ||
      socket.bytesRead !== 0
    ) {
      return false;
    }
    let bytes: Buffer | undefined;
    try {
      bytes = readWaiting(socket, this.#helloOptions.maxBytes ?? DEFAULT_HELLO_BYTES);
    } catch (cause) {
      const error = new ClientHelloError(
        'ERR_CLIENT_HELLO_CLOSED',
        `the connection failed: ${(cause as Error).message}`,
        { offset: 0, cause },
      );
      process.nextTick(refuseLater, this, socket, error);
      return true;
    }
    if (bytes === undefined) return false;
    let hello: ClientHello;
    try {
      hello = parseClientHello(bytes, ALLOW_TRAILING);
    } catch (error) {
      if (isClientHelloError(error, 'ERR_CLIENT_HELLO_TRUNCATED')) {
        socket.unshift(bytes);
        return false;
      }
      process.nextTick(refuseLater, this, socket, error as ClientHelloError);
      return true;
    }
    this.#stats.helloAtAccept++;
    this.#dispatch(socket, hello, bytes);
    return true;
  }

  /**
   * clientHello: false: the one certificate, straight to TLS, as tls.Server does with a
   * connection (synchronously, in 'connection'); OpenSSL staples for clients that ask.
   */
  #handDirect(socket: net.Socket): void {
    const entry = this.#entries[0]!;
    if (entry.choice.mustStaple && !entry.choice.stapled) {
      if ((this.#options.mustStaple ?? 'enforce') === 'enforce') {
        this.#stats.mustStapleRefused++;
        const error = new StapleServerError(
          'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY',
          'the certificate is Must-Staple and has no valid staple yet',
        );
        this.#logger.info?.({ code: error.code }, error.message);
        this.#emitClientError(error, socket);
        socket.destroy();
        return;
      }
      this.#warnUnstapled(entry);
    }
    this.#start(
      socket,
      entry,
      undefined,
      entry.stapler?.get(entry.prepared.leaf) as Buffer | undefined,
    );
  }

  // One function for every connection; what follows runs on the next tick, as it did after a
  // Promise, outside the socket's event.
  readonly #onHello = (
    error: ClientHelloError | undefined,
    hello: ClientHello | undefined,
    bytes: Buffer | undefined,
    socket: net.Socket,
  ): void => {
    this.#reading.delete(socket);
    if (error) process.nextTick(refuseLater, this, socket, error);
    else process.nextTick(dispatchLater, this, socket, hello!, bytes!);
  };

  static {
    dispatchLater = (server, socket, hello, bytes) => server.#dispatch(socket, hello, bytes);
    refuseLater = (server, socket, error) => server.#refuse(socket, error);
  }

  #dispatch(socket: net.Socket, hello: ClientHello, bytes: Buffer): void {
    if (socket.destroyed) return;
    const entry = this.#choose(hello, socket);
    if (!entry) return;
    // OpenSSL staples only for status_type ocsp (1, RFC 6066 §8) and ignores any other type.
    const staple =
      hello.statusRequest?.statusType === OCSP_STATUS_TYPE
        ? (entry.stapler?.get(entry.prepared.leaf) as Buffer | undefined)
        : undefined;
    this.#start(socket, entry, bytes, staple);
  }

  /** Starts TLS on `socket` for `entry`, with `staple` when one is to be sent. */
  #start(
    socket: net.Socket,
    entry: Entry,
    bytes: Buffer | undefined,
    staple: Buffer | undefined,
  ): void {
    (socket as HandedSocket)[HANDED] = {
      entry,
      bytes,
      stapled: staple !== undefined,
      info: undefined,
    };
    this.#stats.handedToTls++;
    entry.live++;
    socket.on('close', onHandedClose);
    if (entry.handOff) {
      handOff(entry.inner, socket, staple, bytes, this.#handoffOptions);
    } else {
      // Node's own listener reads the hello back out of the socket's buffer.
      if (bytes) socket.unshift(bytes);
      entry.inner.emit('connection', socket);
    }
  }

  #choose(hello: ClientHello, socket: net.Socket): Entry | undefined {
    const enforce = (this.#options.mustStaple ?? 'enforce') === 'enforce';
    // Must-Staple certificates without a valid staple are left out, as if not held.
    const usable = enforce && this.#anyMustStaple ? isServable : undefined;
    const chosen = this.#options.select
      ? this.#choosePolicy(this.#options.select, hello, usable)
      : this.#index.select(hello, usable ? { usable } : NO_SELECT_OPTIONS);
    if (chosen) {
      const entry = this.#byChoice.get(chosen);
      if (entry) {
        if (!enforce && this.#anyMustStaple) this.#warnUnstapled(entry);
        return entry;
      }
    }
    // Refused: only now is every certificate looked at, for the reasons.
    const mustStapleOnly =
      usable !== undefined && !chosen && this.#entries.some((e) => !usable(e.choice));
    const rejected = selectCertificate(hello, this.#index.candidates).rejected.map((r) => ({
      certificate: r.candidate.label,
      reason: r.reason,
    }));
    const error = mustStapleOnly
      ? new StapleServerError(
          'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY',
          'the certificate for this client is Must-Staple and has no valid staple yet',
          { rejected },
        )
      : new StapleServerError(
          'ERR_STAPLE_SERVER_NO_CERTIFICATE',
          'no certificate this client can use',
          {
            rejected,
          },
        );
    if (mustStapleOnly) this.#stats.mustStapleRefused++;
    else this.#stats.noCertificate++;
    this.#logger.info?.(
      { code: error.code, serverName: hello.serverName, rejected },
      error.message,
    );
    this.#emitClientError(error, socket);
    socket.destroy();
    return undefined;
  }

  /**
   * The user's `select`: given every usable certificate for a client with a server name (the
   * default host's for one without), and the default host's when it picks none and no usable
   * certificate is valid for the name. These lists are built only for a policy.
   */
  #choosePolicy(
    select: NonNullable<StapleServerOptions['select']>,
    hello: ClientHello,
    usable: ((choice: CertificateChoice) => boolean) | undefined,
  ): CertificateChoice | undefined {
    const { candidates, defaults } = this.#index;
    const usableDefaults = () => (usable ? defaults.filter(usable) : defaults);
    const name = hello.serverName;
    if (name === undefined) return select(hello, usableDefaults());
    const chosen = select(hello, usable ? candidates.filter(usable) : candidates);
    if (chosen) return chosen;
    // SNI that no certificate is valid for: the default host (nginx's default_server), which the
    // client will judge.
    if (this.#index.covers(name, usable)) return undefined;
    return select({ ...hello, serverName: undefined }, usableDefaults());
  }

  #refuse(socket: net.Socket, error: ClientHelloError): void {
    if (isClientHelloError(error, 'ERR_CLIENT_HELLO_NOT_TLS') && /HTTP/.test(error.message)) {
      this.#answerPlainHttp(socket, error, true);
      return;
    }
    this.#stats.badHello++;
    this.#emitClientError(error, socket);
    socket.destroy();
  }

  /**
   * A TLS error of a connection handed to TLS. Where the hello was not read (`clientHello:
   * false`), a plain HTTP request reaches OpenSSL, which recognises it (GET, POST, HEAD, PUT and
   * CONNECT; nginx answers from the same error) and fails the handshake without sending
   * anything: the TCP socket underneath is still open to answer on.
   */
  readonly #onTlsClientError = (error: Error, tlsSocket: tls.TLSSocket): void => {
    const code = (error as { code?: unknown }).code;
    const raw = (tlsSocket as { _parent?: net.Socket })._parent;
    if ((code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_HTTPS_PROXY_REQUEST') && raw) {
      this.#answerPlainHttp(raw, error, false);
      return;
    }
    this.#emitClientError(error, tlsSocket);
  };

  /**
   * Like nginx's "The plain HTTP request was sent to HTTPS port": a readable answer, then close.
   * `drain`: the request is read and dropped until the client closes (2 s at most), so that the
   * answer is not cut off by a reset for unread bytes. Not where TLS has taken the socket (a
   * plain HTTP request that reached TLS): TLS closes it right after the answer is written.
   */
  #answerPlainHttp(socket: net.Socket, cause: Error, drain: boolean): void {
    this.#stats.plainHttp++;
    this.#emitClientError(
      new StapleServerError(
        'ERR_STAPLE_SERVER_PLAIN_HTTP',
        'a plain HTTP request on the TLS port',
        {
          cause,
        },
      ),
      socket,
    );
    if (socket.destroyed) return;
    // The reader's listeners are gone: a client that resets now must not be an unhandled 'error'.
    socket.on('error', ignore);
    socket.end(PLAIN_HTTP_RESPONSE);
    if (drain) {
      socket.resume();
      socket.setTimeout(2_000, () => socket.destroy());
    }
  }

  #emitClientError(error: Error, socket: net.Socket): void {
    if (this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', error, socket);
  }

  /**
   * Stops accepting, closes connections still sending their hello and idle keep-alive ones,
   * ends HTTP/2 sessions once their open streams are done (GOAWAY), stops the stapler it owns,
   * and calls back when every connection has ended.
   */
  override close(callback?: (error?: Error) => void): this {
    this.#deferring = false;
    for (const socket of this.#reading) socket.destroy();
    this.#reading.clear();
    for (const { sessions } of this.#inners) for (const session of sessions ?? []) session.close();
    // HTTPS: like http.Server's close(), closes idle keep-alive connections and stops the
    // connection checks. Not listening, the inner servers have nothing else to close.
    for (const { inner } of this.#inners) inner.close();
    if (this.#ownsStapler) void this.#stapler?.close();
    return super.close(callback);
  }

  /** Closes every connection now (HTTPS: like http.Server's; HTTP/2: every session too). */
  closeAllConnections(): void {
    for (const { inner, sessions } of this.#inners) {
      (inner as { closeAllConnections?: () => void }).closeAllConnections?.();
      for (const session of sessions ?? []) session.destroy();
    }
  }
}

function trackSessions(inner: http2.Http2SecureServer): Set<http2.ServerHttp2Session> {
  const sessions = new Set<http2.ServerHttp2Session>();
  inner.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return sessions;
}

/**
 * Identifies a certificate with its issuer and responder across setCertificates calls: what the
 * stapler's entry for it depends on.
 */
function stapleKey(prepared: PreparedCertificate): string {
  const der = (bytes: Uint8Array | undefined) =>
    bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : '';
  return `${der(prepared.leaf.der)}|${der(prepared.issuer?.der)}|${prepared.options.ocspUrl ?? ''}`;
}

/**
 * A digest of everything a certificate's inner server and stapler entry are built from, taken
 * from the exact text and bytes given; undefined for input of another shape (never taken as
 * unchanged).
 */
function optionsKey(options: CertificateOptions): string | undefined {
  const text = (value: unknown) =>
    typeof value === 'string'
      ? `s${value}`
      : Buffer.isBuffer(value)
        ? `b${value.toString('base64')}`
        : undefined;
  const key = text(options.key);
  const cert = text(options.cert);
  if (key === undefined || cert === undefined) return undefined;
  const given = [key, cert, options.passphrase, options.ocspUrl, options.default === true];
  return createHash('sha256').update(JSON.stringify(given)).digest('base64');
}

/**
 * An HTTPS server with stapling and certificate selection.
 *
 * @example
 * const server = createServer({ certificates: [{ key, cert: rsaChain }, { key: ecKey, cert: ecChain }] }, app);
 * server.listen(443);
 */
export function createServer(
  options: StapleServerOptions,
  requestListener?: (req: IncomingMessage, res: ServerResponse) => void,
): StapleServer {
  const server = new StapleServer('https', options);
  if (requestListener) server.on('request', requestListener);
  return server;
}

/**
 * An HTTP/2 server (`http2.createSecureServer`) with stapling and certificate selection. HTTP/1.1
 * clients are served too (`allowHTTP1` is true unless you set it false): `request` gets Node's
 * HTTP/2 compatibility objects for `h2` and http's for HTTP/1.1; `stream` and `session` are
 * emitted as Node's HTTP/2 server emits them.
 */
export function createHttp2Server(
  options: StapleHttp2ServerOptions,
  requestListener?: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): StapleServer {
  const server = new StapleServer('http2', options);
  if (requestListener) server.on('request', requestListener);
  return server;
}

/** A raw TLS server with stapling and certificate selection. */
export function createTlsServer(
  options: StapleServerOptions,
  secureConnectionListener?: (socket: tls.TLSSocket) => void,
): StapleServer {
  const server = new StapleServer('tls', options);
  if (secureConnectionListener) server.on('secureConnection', secureConnectionListener);
  return server;
}
