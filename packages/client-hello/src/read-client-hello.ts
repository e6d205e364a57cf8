import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClientHelloError } from './errors.js';
import { parseClientHello } from './parse.js';
import { scanRecords } from './records.js';
import type { ClientHello } from './types.js';

export interface ReadClientHelloOptions {
  /** The most bytes a hello may take, records included (default 16 KiB). */
  readonly maxBytes?: number;
  /** How long the whole hello may take to arrive (default 10 s); slow clients are dropped. */
  readonly timeoutMs?: number;
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
 * the socket's 'data', 'end', 'close' or 'error' event, never from inside this call.
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
  const reader = new Reader(
    socket,
    options.maxBytes ?? 16 * 1024,
    options.timeoutMs ?? 10_000,
    callback,
  );
  socket.on('data', reader.onData);
  socket.on('end', reader.onEnd);
  socket.on('close', reader.onEnd);
  socket.on('error', reader.onError);
  track(reader);
  socket.resume();
}

class Reader {
  /** The bytes read so far (one buffer: later chunks are concatenated onto it). */
  bytes: Buffer | undefined = undefined;
  readonly deadline: number;

  readonly socket: Socket;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly callback: ReadClientHelloCallback;

  constructor(
    socket: Socket,
    maxBytes: number,
    timeoutMs: number,
    callback: ReadClientHelloCallback,
  ) {
    this.socket = socket;
    this.maxBytes = maxBytes;
    this.timeoutMs = timeoutMs;
    this.callback = callback;
    this.deadline = performance.now() + timeoutMs;
  }

  get size(): number {
    return this.bytes?.length ?? 0;
  }

  cleanup(): void {
    pending.delete(this);
    const socket = this.socket;
    socket.pause();
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
    socket.off('error', this.onError);
  }

  fail(error: ClientHelloError): void {
    this.cleanup();
    this.callback(error, undefined, undefined, this.socket);
  }

  readonly onData = (chunk: Buffer): void => {
    const maxBytes = this.maxBytes;
    const bytes =
      this.bytes === undefined
        ? chunk
        : Buffer.concat([this.bytes, chunk], this.bytes.length + chunk.length);
    this.bytes = bytes;
    let scan: ReturnType<typeof scanRecords>;
    try {
      scan = scanRecords(bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes);
    } catch (error) {
      this.fail(error as ClientHelloError);
      return;
    }
    if (!scan.complete) {
      if (bytes.length >= maxBytes) {
        this.fail(
          new ClientHelloError(
            'ERR_CLIENT_HELLO_TOO_LARGE',
            `no complete ClientHello in ${maxBytes} bytes`,
            {
              offset: maxBytes,
            },
          ),
        );
      }
      return;
    }
    this.cleanup();
    let hello: ClientHello;
    try {
      hello = parseClientHello(bytes.subarray(0, scan.recordBytes));
    } catch (error) {
      this.callback(error as ClientHelloError, undefined, undefined, this.socket);
      return;
    }
    this.callback(undefined, hello, bytes, this.socket);
  };

  readonly onEnd = (): void => {
    this.fail(
      new ClientHelloError(
        'ERR_CLIENT_HELLO_CLOSED',
        'the connection closed before the ClientHello was complete',
        {
          offset: this.size,
        },
      ),
    );
  };

  readonly onError = (cause: Error): void => {
    this.fail(
      new ClientHelloError('ERR_CLIENT_HELLO_CLOSED', `the connection failed: ${cause.message}`, {
        offset: this.size,
        cause,
      }),
    );
  };

  timeout(): void {
    this.fail(
      new ClientHelloError(
        'ERR_CLIENT_HELLO_TIMEOUT',
        `no complete ClientHello within ${this.timeoutMs} ms`,
        {
          offset: this.size,
        },
      ),
    );
  }
}

// One timer for every read in progress instead of one per connection: it is armed for the
// earliest deadline, and when it fires it drops the readers that are out of time and re-arms
// for the next one, or stops when none is left. Unref'd: the sockets keep the process alive.
const pending = new Set<Reader>();
let sweepTimer: ReturnType<typeof setTimeout> | undefined;
let sweepAt = Number.POSITIVE_INFINITY;

function track(reader: Reader): void {
  pending.add(reader);
  if (reader.deadline < sweepAt) arm(reader.deadline);
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
  let next = Number.POSITIVE_INFINITY;
  for (const reader of pending) {
    if (reader.deadline <= now) reader.timeout();
    else if (reader.deadline < next) next = reader.deadline;
  }
  if (next !== Number.POSITIVE_INFINITY && next < sweepAt) arm(next);
}
