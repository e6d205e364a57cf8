import type { Socket } from 'node:net';
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
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const fail = (error: ClientHelloError) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (chunks.length > 1) {
        chunks.length = 0;
        chunks.push(bytes);
      }
      let scan: ReturnType<typeof scanRecords>;
      try {
        scan = scanRecords(bytes.length > maxBytes ? bytes.subarray(0, maxBytes) : bytes);
      } catch (error) {
        fail(error as ClientHelloError);
        return;
      }
      if (!scan.complete) {
        if (size >= maxBytes) {
          fail(
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
      cleanup();
      try {
        resolve({ hello: parseClientHello(bytes.subarray(0, scan.recordBytes)), bytes });
      } catch (error) {
        reject(error);
      }
    };
    const onEnd = () =>
      fail(
        new ClientHelloError(
          'ERR_CLIENT_HELLO_CLOSED',
          'the connection closed before the ClientHello was complete',
          {
            offset: size,
          },
        ),
      );
    const onError = (cause: Error) =>
      fail(
        new ClientHelloError('ERR_CLIENT_HELLO_CLOSED', `the connection failed: ${cause.message}`, {
          offset: size,
          cause,
        }),
      );
    const timer = setTimeout(
      () =>
        fail(
          new ClientHelloError(
            'ERR_CLIENT_HELLO_TIMEOUT',
            `no complete ClientHello within ${timeoutMs} ms`,
            {
              offset: size,
            },
          ),
        ),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}
