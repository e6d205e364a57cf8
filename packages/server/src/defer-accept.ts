import { createRequire } from 'node:module';
import type * as net from 'node:net';

/**
 * TCP_DEFER_ACCEPT on a listening socket (Linux; nginx's `listen … deferred`, HAProxy's
 * `defer-accept`): the kernel hands a connection over once the client's first bytes, its
 * ClientHello, have arrived, instead of as soon as the TCP handshake is done.
 *
 * The server reads the hello before anything else. Without this, a connection is accepted,
 * its read is started, and the event loop goes to sleep until the hello follows (a client
 * makes its key share between the two): one wake-up per connection more than a plain
 * `node:tls` server, which builds its TLS socket in that gap. With it the process is woken once,
 * with the hello there, and connections that never send anything never reach it. Node cannot
 * set the option (nodejs/node#7861), so it is set through koffi, a C FFI, when the application
 * has installed it.
 */

const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;

interface Libc {
  readonly setsockopt: (
    fd: number,
    level: number,
    name: number,
    value: readonly number[],
    length: number,
  ) => number;
  readonly errno: () => number;
}

/** The C functions, or why they cannot be had; loaded on first use. */
let libc: Libc | string | undefined;

function loadLibc(): Libc | string {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') {
    libc = `TCP_DEFER_ACCEPT is Linux's, and this is ${process.platform}`;
    return libc;
  }
  try {
    // koffi is an optional peer dependency: loaded only here, synchronously (it is CommonJS),
    // so that the option is set before the first poll for connections.
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: null): { func(prototype: string): Libc['setsockopt'] };
      errno(): number;
    };
    const self = koffi.load(null);
    libc = {
      setsockopt: self.func(
        'int setsockopt(int fd, int level, int name, const int *value, uint32_t length)',
      ),
      errno: () => koffi.errno(),
    };
  } catch (error) {
    libc = `koffi could not be loaded (it is an optional peer dependency: npm install koffi): ${
      (error as Error).message
    }`;
  }
  return libc;
}

/**
 * Sets TCP_DEFER_ACCEPT to `seconds` on the socket `server` listens on. Returns undefined when
 * it is set, else why it is not: not Linux, koffi not installed, not a TCP socket of this
 * process (a Unix socket path, or a cluster worker whose primary accepts). Never throws.
 */
export function setDeferAccept(server: net.Server, seconds: number): string | undefined {
  const address = server.address();
  if (address === null || typeof address === 'string') return 'not listening on a TCP port';
  const fd = (server as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    return 'the listening socket is not this process’s (a cluster worker?)';
  }
  const c = loadLibc();
  if (typeof c === 'string') return c;
  if (c.setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, [seconds], 4) !== 0) {
    return `setsockopt(TCP_DEFER_ACCEPT) failed with errno ${c.errno()}`;
  }
  return undefined;
}
