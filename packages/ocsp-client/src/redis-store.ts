/**
 * @staple/ocsp-client — the Redis store (`createRedisStore`).
 *
 * A fleet of staplers sharing one Redis asks the responder once per certificate per refresh:
 * the node that wins `lock(key)` fetches, and every node reads the result with `get(key)`.
 * Redis being down must never stall a handshake or a refresh, so every operation has one
 * deadline (`commandTimeoutMs`) covering the wait for a connection and the reply, and rejects
 * at once while the connection is known to be down; the stapler then carries on with its memory
 * copy. The client keeps reconnecting in the background.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { OcspClientError } from './errors.js';
import type { Logger } from './logger.js';
import type { StapleStore } from './store.js';

export interface RedisStoreOptions {
  /**
   * Where Redis is: `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or a unix
   * socket path (`/run/redis/redis.sock`). Default: ioredis' default, localhost:6379.
   */
  url?: string;
  /** A unix socket path (the same as passing the path as `url`). */
  path?: string;
  /**
   * An existing ioredis client, e.g. one already configured for TLS or Sentinel. The store does
   * not change its options and does not close it; its own timeout still bounds every operation.
   */
  client?: Redis;
  /** Prepended to every key the store writes. Default `'staple:ocsp:'`. */
  prefix?: string;
  logger?: Logger;
  /** Deadline for each operation, connecting included. Default 500 ms. */
  commandTimeoutMs?: number;
}

/** A {@link StapleStore} with the optional parts present. */
export interface RedisStore extends StapleStore {
  readonly kind: 'redis';
  lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'staple:ocsp:';
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** How long `close()` waits for QUIT's reply before dropping the connection. */
const QUIT_TIMEOUT_MS = 1000;

/**
 * Deletes the lease only while it still holds our token: a holder whose lease expired (and was
 * taken by another node) must not delete the new holder's lease when it releases late.
 */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Keys: `<prefix>data:<key>` for values and `<prefix>lock:<key>` for leases, so that no value
 * key can ever name a lease (a value stored under `'lock:x'` is `<prefix>data:lock:x`).
 *
 * @example
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379', logger: pino() });
 * const stapler = createStapler({ store });
 * // on shutdown, after the stapler has stopped:
 * await store.close();
 */
export function createRedisStore(options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const logger = options.logger ?? {};
  if (typeof prefix !== 'string') invalid('prefix must be a string');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    invalid('commandTimeoutMs must be a positive number');
  }
  if (options.client && (options.url !== undefined || options.path !== undefined)) {
    invalid('pass either client or url/path, not both');
  }
  if (options.url !== undefined && options.path !== undefined) {
    invalid('pass either url or path, not both');
  }

  const owned = options.client === undefined;
  const client = options.client ?? connect(options, timeoutMs);

  let closed = false;
  /** The connection was lost (or never made) and has not been ready since. */
  let down = false;
  /** An outage was logged; the next 'ready' logs the recovery. */
  let outageLoggedAt: number | undefined;
  /** Shared by every operation waiting for the first connection (one set of listeners). */
  let pendingReady: Promise<void> | undefined;

  const onError = (error: Error) => {
    down = true;
    if (closed || outageLoggedAt !== undefined) return;
    outageLoggedAt = Date.now();
    logger.warn?.(
      { store: 'redis', err: error },
      'redis store unavailable; operations fail until it reconnects',
    );
  };
  const onClose = () => {
    if (closed) return;
    down = true;
  };
  const onReady = () => {
    down = false;
    if (outageLoggedAt === undefined) return;
    logger.info?.(
      { store: 'redis', downMs: Date.now() - outageLoggedAt },
      'redis store reconnected',
    );
    outageLoggedAt = undefined;
  };
  // Without an 'error' listener ioredis prints every connection error to the console.
  client.on('error', onError);
  client.on('close', onClose);
  client.on('ready', onReady);

  function waitForReady(): Promise<void> {
    pendingReady ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        client.off('ready', ready);
        client.off('error', settle);
        client.off('close', closedEarly);
        client.off('end', closedEarly);
        pendingReady = undefined;
        if (error) reject(error);
        else resolve();
      };
      const ready = () => settle();
      const closedEarly = () => settle(new Error('connection closed'));
      client.once('ready', ready);
      client.once('error', settle);
      client.once('close', closedEarly);
      client.once('end', closedEarly);
    });
    return pendingReady;
  }

  /** Resolves once commands can be sent; rejects at once while Redis is known to be down. */
  function usable(): Promise<void> {
    switch (client.status) {
      case 'ready':
        return Promise.resolve();
      case 'end':
        return Promise.reject(new Error('connection closed'));
      case 'wait':
        // A lazyConnect client that was given to us.
        client.connect().catch(() => {});
        break;
    }
    if (down) return Promise.reject(new Error(`not connected (${client.status})`));
    return waitForReady();
  }

  async function run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (closed) throw new Error(`redis store: ${operation} after close()`);
    let late = false;
    const work = usable().then(() => {
      // The caller has been told it failed: doing it now would surprise everyone.
      if (late) throw new Error('deadline passed');
      return command();
    });
    try {
      return await withTimeout(work, timeoutMs, () => {
        late = true;
        return new Error(`timed out after ${timeoutMs} ms`);
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`redis store: ${operation} failed: ${reason}`, { cause: error });
    }
  }

  const dataKey = (key: string) => `${prefix}data:${key}`;
  const lockKey = (key: string) => `${prefix}lock:${key}`;

  return {
    kind: 'redis',

    async get(key) {
      return run('get', async () => {
        const value = await client.getBuffer(dataKey(key));
        // ioredis may hand back a view into its socket buffer: copy into a fresh Uint8Array.
        return value === null ? undefined : new Uint8Array(value);
      });
    },

    async set(key, value, ttlMs) {
      const px = ttl(ttlMs);
      // A copy taken now: the caller may reuse its array before the command is written.
      const bytes = Buffer.from(value);
      return run('set', async () => {
        await client.set(dataKey(key), bytes, 'PX', px);
      });
    },

    async delete(key) {
      return run('delete', async () => {
        await client.del(dataKey(key));
      });
    },

    async lock(key, ttlMs) {
      const px = ttl(ttlMs);
      const name = lockKey(key);
      const token = randomBytes(16).toString('hex');
      // If the reply is lost to a timeout after Redis took the lease, nobody holds it and it
      // ends by itself after ttlMs: the cost is one skipped refresh, never two fetchers.
      return run('lock', async () => {
        const taken = await client.set(name, token, 'PX', px, 'NX');
        if (taken !== 'OK') return undefined;
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          try {
            await run('release', () => client.eval(RELEASE_SCRIPT, 1, name, token));
          } catch (error) {
            // Best effort: a lease that cannot be released ends by itself after its ttl.
            logger.debug?.({ store: 'redis', key, err: error }, 'redis store: lease not released');
          }
        };
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      client.off('error', onError);
      client.off('close', onClose);
      client.off('ready', onReady);
      if (!owned) return;
      // Errors while closing (the server is gone, say) are of no interest to anyone.
      client.on('error', () => {});
      if (client.status === 'ready') {
        const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
        try {
          await withTimeout(
            client.quit().then(() => ended),
            QUIT_TIMEOUT_MS,
            () => new Error('quit timed out'),
          );
          return;
        } catch {
          // fall through: drop the connection
        }
      }
      // Also cancels a pending reconnection timer, so no handle is left behind.
      client.disconnect();
    },
  };
}

/** A client that fails fast while Redis is down and reconnects by itself when it is back. */
// ioredis takes about 90 ms and 2.6 MB of heap to load: loaded by the first store that makes its
// own connection, not by every program that imports this package (servers without Redis, the
// CLI).
let RedisClient: typeof import('ioredis')['Redis'] | undefined;

function redisClient(): typeof import('ioredis')['Redis'] {
  RedisClient ??= (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
  return RedisClient;
}

function connect(options: RedisStoreOptions, timeoutMs: number): Redis {
  const Redis = redisClient();
  const settings: RedisOptions = {
    // Fail fast instead of queueing: a command issued while disconnected rejects at once.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops reject at once rather than after retries…
    maxRetriesPerRequest: 0,
    // …and are never replayed later: a replayed SET NX would take a lease nobody holds.
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(2000, timeoutMs),
    // Reconnect forever, at most every 2 s, so the store comes back with Redis.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  if (options.url !== undefined) return new Redis(options.url, settings);
  if (options.path !== undefined) return new Redis({ ...settings, path: options.path });
  return new Redis(settings);
}

/** Redis refuses PX 0 and fractions: keep at least 1 ms, as the contract allows longer. */
function ttl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs)) invalid('ttlMs must be a number');
  return Math.max(1, Math.ceil(Math.min(ttlMs, Number.MAX_SAFE_INTEGER)));
}

function invalid(message: string): never {
  throw new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', `createRedisStore: ${message}`);
}

function withTimeout<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}
