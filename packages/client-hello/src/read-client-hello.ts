import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Duplex } from 'node:stream';
import { ClientHelloError } from './errors.js';
import { parseScannedHello } from './parse.js';
import { scanRecords } from './records.js';
import type { ClientHello } from './types.js';

export interface ReadClientHelloOptions {
  /** The most bytes a hello may take, records included (default 16 KiB). */
  readonly maxBytes?: number;
  /** How long the whole hello may take to arrive (default 10 s); slow clients are dropped. */
  readonly timeoutMs?: number;
  /**
   * The socket goes to TLS afterwards (`socket.unshift(bytes)`, then a tls.Server's
   * 'connection' or a TLSSocket) or is closed, as in a server that reads every hello. The hello
   * is then read straight from the socket's handle into one buffer shared by every connection,
   * the way `net.connect({ onread })` reads: no buffer allocated per read, no stream buffering,
   * no 'data' event. After a hello the handle goes on reading, so that TLS made over the socket
   * in the callback or on the next tick (as a server does) reads on without a stop and a
   * restart of the handle's reading; whatever arrives before TLS takes the handle is kept in the
   * socket's buffer, behind the hello, and the reading stops while that buffer is full. After a
   * refusal, reads are dropped ('end' still comes), so that a refused socket can be drained.
   * Relies on Node internals (the socket's `onread` slots); where they are not as expected, the
   * hello is read as without this option.
   */
  readonly forTls?: boolean;
}

export interface ReadClientHelloResult {
  readonly hello: ClientHello;
  /** Exactly the bytes read from the socket, to replay into TLS (`socket.unshift(bytes)`). */
  readonly bytes: Buffer;
}

/**
 * Called once by {@link readClientHelloWith}: with the parsed hello and exactly the bytes read,
 * or with the ClientHelloError that ended the read. The socket it read from is passed back too.
 */
export type ReadClientHelloCallback = (
  error: ClientHelloError | undefined,
  hello: ClientHello | undefined,
  bytes: Buffer | undefined,
  socket: Socket,
) => void;

/**
 * Reads from a fresh connection until a whole ClientHello has arrived — across TCP segments
 * and TLS records — and parses it. The socket is left paused, with nothing consumed that is not
 * in `bytes`. Rejects with ClientHelloError when the peer is not speaking TLS, sends too much,
 * is too slow, or closes early; the socket is left as it is for the caller to destroy.
 *
 * @example
 * net.createServer(async (socket) => {
 *   const { hello, bytes } = await readClientHello(socket);
 *   socket.unshift(bytes);
 *   pickServerFor(hello).emit('connection', socket);
 * });
 */
export function readClientHello(
  socket: Socket,
  options: ReadClientHelloOptions = {},
): Promise<ReadClientHelloResult> {
  return new Promise((resolve, reject) => {
    readClientHelloWith(socket, options, (error, hello, bytes) => {
      if (error) reject(error);
      else resolve({ hello: hello!, bytes: bytes! });
    });
  });
}

/**
 * {@link readClientHello} with a callback instead of a Promise, for servers that read a hello
 * on every connection: the same limits, errors and guarantees (socket left paused, exactly the
 * bytes read, no listener or timer of its own left once it has called back), with less
 * allocated per connection. The callback is called exactly once, possibly synchronously from
 * the socket's 'data', 'end', 'close' or 'error' event, never from inside this call. Throws a
 * TypeError when a read is in progress on the socket already.
 *
 * @example
 * net.createServer((socket) => {
 *   readClientHelloWith(socket, {}, (error, hello, bytes) => {
 *     if (error) return socket.destroy();
 *     socket.unshift(bytes!);
 *     pickServerFor(hello!).emit('connection', socket);
 *   });
 * });
 */
export function readClientHelloWith(
  socket: Socket,
  options: ReadClientHelloOptions,
  callback: ReadClientHelloCallback,
): void {
  if ((socket as ReaderSocket)[READER] !== undefined) {
    throw new TypeError('a ClientHello is being read from this socket already');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fromHandle = options.forTls === true && readFromHandle(socket);
  const reader: Reader = {
    socket,
    maxBytes: options.maxBytes ?? 16 * 1024,
    timeoutMs,
    callback,
    bytes: undefined,
    fromHandle,
    deadline: performance.now() + timeoutMs,
    prev: undefined,
    next: undefined,
  };
  // The handlers are shared by every connection and find their reader on the socket: a
  // server reads a hello on every connection, and closures per connection are garbage per
  // connection.
  (socket as ReaderSocket)[READER] = reader;
  if (!fromHandle) socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  track(reader);
  if (!fromHandle) socket.resume();
}

// --- forTls: reading from the handle ------------------------------------------------------------

/**
 * What `net.connect({ onread: { buffer, callback } })` sets up, done for a socket that exists
 * already: the handle reads into `buffer` (`useUserBuffer`), and net's read handler passes each
 * read to `socket[kBufferCb](nread, buffer)` instead of making a Buffer and pushing it into the
 * stream (lib/net.js, lib/internal/stream_base_commons.js: onStreamRead).
 */
interface HandleSocket {
  _handle?: { useUserBuffer?: (buffer: Uint8Array) => void; reading?: boolean } | null;
}

/**
 * Every connection's reads land here, one at a time, and are copied out at once. Made on the
 * first `forTls` read; never freed (the handles keep a pointer into it).
 */
let shared: Buffer | undefined;

/** net's private symbols for the `onread` slots, found on the first socket that has them. */
let slots: { readonly buffer: symbol; readonly callback: symbol } | undefined;

function slotsOf(socket: Socket): typeof slots {
  if (slots === undefined) {
    let buffer: symbol | undefined;
    let callback: symbol | undefined;
    for (const key of Object.getOwnPropertySymbols(socket)) {
      if (key.description === 'kBuffer') buffer = key;
      else if (key.description === 'kBufferCb') callback = key;
    }
    if (buffer !== undefined && callback !== undefined) slots = { buffer, callback };
  }
  return slots;
}

/** Points the socket's reads at `shared` and onHandleRead; false where that cannot be done. */
function readFromHandle(socket: Socket): boolean {
  const handle = (socket as HandleSocket)._handle;
  if (typeof handle?.useUserBuffer !== 'function') return false;
  // Read as a stream already, or something is buffered: not ours to redirect.
  if (socket.readableFlowing === true || socket.readableLength > 0) return false;
  const keys = slotsOf(socket);
  if (keys === undefined) return false;
  const held = socket as unknown as Record<symbol, unknown>;
  shared ??= Buffer.allocUnsafeSlow(64 * 1024);
  if (held[keys.buffer] !== shared) {
    if (held[keys.buffer] !== null || held[keys.callback] !== null) return false;
    try {
      handle.useUserBuffer(shared);
    } catch {
      return false;
    }
    held[keys.buffer] = shared;
    held[keys.callback] = onHandleRead;
  }
  // A server's sockets read from the start; one accepted paused starts now.
  if (handle.reading !== true) socket.read(0);
  return true;
}

/** One read in progress, linked into the list of reads in progress (see `track`). */
interface Reader {
  readonly socket: Socket;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly callback: ReadClientHelloCallback;
  /** The bytes read so far (one buffer: later chunks are concatenated onto it). */
  bytes: Buffer | undefined;
  /** `forTls` and read from the handle (see readFromHandle). */
  readonly fromHandle: boolean;
  readonly deadline: number;
  prev: Reader | undefined;
  next: Reader | undefined;
}

const READER = Symbol('clientHelloReader');
/** Set on a `forTls` socket after its hello: later reads are kept, not dropped. */
const KEEP = Symbol('clientHelloKeep');

type ReaderSocket = Socket & { [READER]?: Reader | undefined; [KEEP]?: boolean };

function cleanup(reader: Reader, read: boolean): void {
  untrack(reader);
  const socket = reader.socket as ReaderSocket;
  socket[READER] = undefined;
  if (read && reader.fromHandle) {
    // Paused as a stream, but the handle reads on (net's pause() would stop it): TLS made over
    // the socket next takes the reads from there.
    socket[KEEP] = true;
    Duplex.prototype.pause.call(socket);
  } else {
    socket.pause();
  }
  socket.off('data', onData);
  socket.off('end', onEnd);
  socket.off('close', onEnd);
  socket.off('error', onError);
}

function fail(reader: Reader, error: ClientHelloError): void {
  cleanup(reader, false);
  reader.callback(error, undefined, undefined, reader.socket);
}

function onData(this: ReaderSocket, chunk: Buffer): void {
  const reader = this[READER];
  if (reader !== undefined) receive(reader, chunk);
}

/**
 * `forTls`: Node's net calls this (as `socket[kBufferCb]`) with what a read put in `shared`;
 * returning false stops the handle's reading.
 */
function onHandleRead(this: ReaderSocket, nread: number, buffer: Uint8Array): boolean {
  if (shared === undefined || buffer !== shared) return true;
  const reader = this[READER];
  // After a refusal, what the socket still reads is dropped (a refused socket being drained).
  if (reader === undefined && this[KEEP] !== true) return true;
  // The buffer is every connection's: what is kept is copied out now (small copies come from
  // Node's shared pool, not an allocation of their own).
  const chunk = Buffer.allocUnsafe(nread);
  shared.copy(chunk, 0, 0, nread);
  // After the hello, nobody has taken the handle yet: kept for whoever reads the socket next.
  if (reader === undefined) return this.push(chunk);
  receive(reader, chunk);
  return true;
}

function receive(reader: Reader, chunk: Buffer): void {
  const maxBytes = reader.maxBytes;
  const bytes =
    reader.bytes === undefined
      ? chunk
      : Buffer.concat([reader.bytes, chunk], reader.bytes.length + chunk.length);
  reader.bytes = bytes;
  let scan: ReturnType<typeof scanRecords>;
  try {
    scan = scanRecords(bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes);
  } catch (error) {
    fail(reader, error as ClientHelloError);
    return;
  }
  if (!scan.complete) {
    if (bytes.length >= maxBytes) {
      fail(
        reader,
        new ClientHelloError(
          'ERR_CLIENT_HELLO_TOO_LARGE',
          `no complete ClientHello in ${maxBytes} bytes`,
          { offset: maxBytes },
        ),
      );
    }
    return;
  }
  cleanup(reader, true);
  let hello: ClientHello;
  try {
    hello = parseScannedHello(bytes, scan.message);
  } catch (error) {
    reader.callback(error as ClientHelloError, undefined, undefined, reader.socket);
    return;
  }
  reader.callback(undefined, hello, bytes, reader.socket);
}

function onEnd(this: ReaderSocket): void {
  const reader = this[READER];
  if (reader === undefined) return;
  fail(
    reader,
    new ClientHelloError(
      'ERR_CLIENT_HELLO_CLOSED',
      'the connection closed before the ClientHello was complete',
      { offset: reader.bytes?.length ?? 0 },
    ),
  );
}

function onError(this: ReaderSocket, cause: Error): void {
  const reader = this[READER];
  if (reader === undefined) return;
  fail(
    reader,
    new ClientHelloError('ERR_CLIENT_HELLO_CLOSED', `the connection failed: ${cause.message}`, {
      offset: reader.bytes?.length ?? 0,
      cause,
    }),
  );
}

function timeout(reader: Reader): void {
  fail(
    reader,
    new ClientHelloError(
      'ERR_CLIENT_HELLO_TIMEOUT',
      `no complete ClientHello within ${reader.timeoutMs} ms`,
      { offset: reader.bytes?.length ?? 0 },
    ),
  );
}

// One timer for every read in progress instead of one per connection: it is armed for the
// earliest deadline, and when it fires it drops the readers that are out of time and re-arms
// for the next one, or stops when none is left. Unref'd: the sockets keep the process alive.
// The reads in progress are a linked list through the readers themselves, so that starting
// and ending one allocates nothing.
let first: Reader | undefined;
let sweepTimer: ReturnType<typeof setTimeout> | undefined;
let sweepAt = Number.POSITIVE_INFINITY;

function track(reader: Reader): void {
  reader.next = first;
  if (first !== undefined) first.prev = reader;
  first = reader;
  if (reader.deadline < sweepAt) arm(reader.deadline);
}

function untrack(reader: Reader): void {
  if (reader.prev !== undefined) reader.prev.next = reader.next;
  else if (first === reader) first = reader.next;
  if (reader.next !== undefined) reader.next.prev = reader.prev;
  reader.prev = undefined;
  reader.next = undefined;
}

function arm(at: number): void {
  if (sweepTimer !== undefined) clearTimeout(sweepTimer);
  sweepAt = at;
  sweepTimer = setTimeout(sweep, Math.max(0, Math.ceil(at - performance.now())));
  sweepTimer.unref();
}

function sweep(): void {
  sweepTimer = undefined;
  sweepAt = Number.POSITIVE_INFINITY;
  // Timers may fire a little early by this clock: a millisecond of slack.
  const now = performance.now() + 1;
  // Collected first, then failed: a callback may start or end other reads, which relinks the
  // list under a walk.
  let late: Reader[] | undefined;
  for (let reader = first; reader !== undefined; reader = reader.next) {
    if (reader.deadline <= now) {
      late ??= [];
      late.push(reader);
    }
  }
  for (const reader of late ?? []) {
    if ((reader.socket as ReaderSocket)[READER] === reader) timeout(reader);
  }
  let next = Number.POSITIVE_INFINITY;
  for (let reader = first; reader !== undefined; reader = reader.next) {
    if (reader.deadline < next) next = reader.deadline;
  }
  if (next !== Number.POSITIVE_INFINITY && next < sweepAt) arm(next);
}
