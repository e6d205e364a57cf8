import { readSync } from 'node:fs';
import type * as net from 'node:net';

/**
 * What a just-accepted connection has sent already, read at once from its file descriptor, or
 * undefined when nothing is there (or the descriptor is not to be had); throws the read's
 * error (ECONNRESET) when it failed. These bytes are not in the socket's `bytesRead`.
 *
 * For a server whose kernel hands connections over only once their first bytes have come
 * (TCP_DEFER_ACCEPT): the ClientHello is then waiting at accept, and reading it here, in
 * 'connection', spares the round through the event loop and a JavaScript read callback per
 * connection, which measured here costs more than the parsing. libuv has not read from the
 * socket yet (it reads when the poll says so), so nothing is read twice or out of order.
 */
export function readWaiting(socket: net.Socket, maxBytes: number): Buffer | undefined {
  const fd = (socket as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  shared ??= Buffer.allocUnsafeSlow(SHARED_BYTES);
  let read: number;
  try {
    read = readSync(fd, shared, 0, Math.min(maxBytes, SHARED_BYTES), null);
  } catch (error) {
    // The socket is non-blocking: EAGAIN when nothing has come yet. Anything else (a reset) is
    // the caller's: the kernel reports it once, and the ordinary read would see only an end.
    if ((error as { code?: unknown }).code === 'EAGAIN') return undefined;
    throw error;
  }
  // 0 is the end of the stream, which stays readable: the ordinary read will see it too.
  if (read <= 0) return undefined;
  const bytes = Buffer.allocUnsafe(read);
  shared.copy(bytes, 0, 0, read);
  return bytes;
}

const SHARED_BYTES = 64 * 1024;
/** Every connection's first read lands here and is copied out at once. */
let shared: Buffer | undefined;
