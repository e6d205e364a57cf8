import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isOcspClientError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { createRedisStore, type RedisStore } from '../src/redis-store.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { describeStoreContract } from './store-contract.js';

const TTL = 60_000;
const bytes = (text: string) => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let prefixes = 0;
const uniquePrefix = () => `test:${process.pid}:${++prefixes}:`;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

describeStoreContract(
  'redis',
  async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({ url: server.url, prefix });
    return {
      store,
      peer: async () => createRedisStore({ path: server.path, prefix }),
      cleanup: () => store.close(),
    };
  },
  { lock: true, sharedAcrossInstances: true, ttlExact: true },
);

/** A raw client for looking at what the store wrote. */
async function rawClient(): Promise<Redis> {
  const client = new Redis(server.url, { lazyConnect: true });
  await client.connect();
  return client;
}

async function allKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** How many clients other than the asking one are connected to `target`. */
async function otherClients(target: RedisServer): Promise<number> {
  const client = new Redis(target.url, { lazyConnect: true });
  await client.connect();
  try {
    const self = await client.client('ID');
    const list = (await client.client('LIST')) as string;
    return list
      .split('\n')
      .filter((line) => line.startsWith('id=') && !line.startsWith(`id=${self} `)).length;
  } finally {
    client.disconnect();
  }
}

/** Records what a store logs. */
function recordingLogger() {
  const calls: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const logger: Required<Logger> = {
    debug: (fields, message) => calls.push({ level: 'debug', fields, message }),
    info: (fields, message) => calls.push({ level: 'info', fields, message }),
    warn: (fields, message) => calls.push({ level: 'warn', fields, message }),
    error: (fields, message) => calls.push({ level: 'error', fields, message }),
  };
  return { logger, calls, at: (level: string) => calls.filter((call) => call.level === level) };
}

describe('createRedisStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  function track<T extends { close(): Promise<void> } | Redis>(thing: T): T {
    cleanups.push(async () => {
      if (thing instanceof Redis) thing.disconnect();
      else await thing.close();
    });
    return thing;
  }

  it('namespaces every key it writes under the prefix, values and leases apart', async () => {
    const prefix = uniquePrefix();
    const store = track(createRedisStore({ url: server.url, prefix }));
    const raw = track(await rawClient());
    await store.set('a:b', bytes('1'), TTL);
    await store.set('../up', bytes('2'), TTL);
    await store.set('*', bytes('3'), TTL);
    const release = await store.lock('a:b', TTL);

    const mine = (await allKeys(raw)).filter((key) => key.startsWith(prefix));
    expect(mine).toEqual(
      [`${prefix}data:*`, `${prefix}data:../up`, `${prefix}data:a:b`, `${prefix}lock:a:b`].sort(),
    );
    // The value is stored as the raw bytes, with the ttl given.
    expect(await raw.get(`${prefix}data:a:b`)).toBe('1');
    const pttl = await raw.pttl(`${prefix}data:a:b`);
    expect(pttl).toBeGreaterThan(TTL - 5000);
    expect(pttl).toBeLessThanOrEqual(TTL);

    await release!();
    expect(await raw.exists(`${prefix}lock:a:b`)).toBe(0);
  });

  it("uses 'staple:ocsp:' as the default prefix", async () => {
    const store = track(createRedisStore({ url: server.url }));
    const raw = track(await rawClient());
    const key = `default-prefix-${process.pid}`;
    await store.set(key, bytes('x'), TTL);
    expect(await raw.get(`staple:ocsp:data:${key}`)).toBe('x');
    await store.delete(key);
  });

  it('keeps a value at least 1 ms when given a ttl of 0 or less (Redis refuses PX 0)', async () => {
    const prefix = uniquePrefix();
    const store = track(createRedisStore({ url: server.url, prefix }));
    await expect(store.set('zero', bytes('z'), 0)).resolves.toBeUndefined();
    await expect(store.lock('zero', -1)).resolves.toBeTypeOf('function');
  });

  it('rejects a ttl that is not a number', async () => {
    const store = track(createRedisStore({ url: server.url, prefix: uniquePrefix() }));
    const failure = await store.set('nan', bytes('x'), Number.NaN).catch((error) => error);
    expect(isOcspClientError(failure, 'ERR_OCSP_CLIENT_INVALID_ARGUMENT')).toBe(true);
  });

  it('validates its options up front', () => {
    const client = new Redis(server.url, { lazyConnect: true });
    expect(() => createRedisStore({ client, url: server.url })).toThrow(/either client or url/);
    expect(() => createRedisStore({ url: server.url, path: server.path })).toThrow(/either url/);
    expect(() => createRedisStore({ url: server.url, commandTimeoutMs: 0 })).toThrow(
      /commandTimeoutMs/,
    );
    client.disconnect();
  });

  it('works over a client it was given, and leaves that client open on close()', async () => {
    const client = track(await rawClient());
    const errorListeners = client.listenerCount('error');
    const store = createRedisStore({ client, prefix: uniquePrefix() });
    await store.set('given', bytes('yes'), TTL);
    expect(await store.get('given')).toEqual(bytes('yes'));
    const release = await store.lock('given', TTL);
    await release!();
    await store.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('error')).toBe(errorListeners);
    await expect(store.get('given')).rejects.toThrow(/after close/);
  });

  it('waits for the first connection instead of failing the first operation', async () => {
    // Created and used at once: the connection is not ready yet when get() is called.
    const store = track(createRedisStore({ url: server.url, prefix: uniquePrefix() }));
    await expect(store.get('first')).resolves.toBeUndefined();
  });

  it('close() quits its connection', async () => {
    // A server of its own, so that its client list holds this store's connection only.
    const own = await startRedisServer();
    try {
      const store = createRedisStore({ url: own.url, prefix: uniquePrefix() });
      await store.set('k', bytes('v'), TTL);
      await store.lock('k', TTL);
      expect(await otherClients(own)).toBe(1);
      await store.close();
      await store.close();
      expect(await otherClients(own)).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

describe('createRedisStore when Redis goes away', () => {
  // A server of its own: these tests stop and restart it.
  let flaky: RedisServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    flaky = await startRedisServer();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await flaky?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.restoreAllMocks();
  });

  async function eventually<T>(operation: () => Promise<T>, withinMs: number): Promise<T> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      }
    }
  }

  /** Every operation rejects, each within ~1 s; returns the slowest time. */
  async function expectAllFailFast(store: RedisStore): Promise<number> {
    const operations: [string, () => Promise<unknown>][] = [
      ['get', () => store.get('k')],
      ['set', () => store.set('k', bytes('v'), TTL)],
      ['delete', () => store.delete('k')],
      ['lock', () => store.lock('k', TTL)],
    ];
    let slowest = 0;
    for (const [name, operation] of operations) {
      const started = performance.now();
      const failure = await operation().then(
        () => undefined,
        (error: unknown) => error,
      );
      const elapsed = performance.now() - started;
      slowest = Math.max(slowest, elapsed);
      expect(failure, name).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(new RegExp(`^redis store: ${name} failed`));
      expect(elapsed, name).toBeLessThan(1000);
    }
    return slowest;
  }

  it('fails fast while Redis is down, logs the outage once, and recovers after a restart', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const { logger, at } = recordingLogger();
    const store = createRedisStore({ url: flaky.url, prefix: uniquePrefix(), logger });
    cleanups.push(() => store.close());
    await store.set('k', bytes('before'), TTL);
    const release = await store.lock('held', TTL);

    await flaky.stop();
    await expectAllFailFast(store);
    // Later calls, once the outage is known, fail at once.
    await sleep(300);
    expect(await expectAllFailFast(store)).toBeLessThan(100);
    // A release during the outage neither throws nor hangs.
    await expect(release!()).resolves.toBeUndefined();

    expect(at('warn')).toHaveLength(1);
    expect(at('warn')[0]!.message).toMatch(/unavailable/);

    await flaky.restart();
    // Reconnection retries at most every 2 s.
    await eventually(() => store.set('k', bytes('after'), TTL), 4000);
    expect(await store.get('k')).toEqual(bytes('after'));
    expect(at('info')).toHaveLength(1);
    expect(at('info')[0]!.message).toMatch(/reconnected/);
    expect(at('warn')).toHaveLength(1);

    expect(unhandled).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('gives up on a server that stops answering after commandTimeoutMs, and carries on after', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const store = createRedisStore({
      url: flaky.url,
      prefix: uniquePrefix(),
      commandTimeoutMs: 200,
    });
    cleanups.push(() => store.close());
    await store.set('k', bytes('v'), TTL);
    flaky.pause();
    try {
      const started = performance.now();
      const results = await Promise.allSettled([
        store.get('k'),
        store.set('k', bytes('w'), TTL),
        store.delete('other'),
        store.lock('paused', TTL),
      ]);
      const elapsed = performance.now() - started;
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') expect(String(result.reason)).toMatch(/timed out/);
      }
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1000);
    } finally {
      flaky.resume();
    }
    // Same connection, no reconnection needed; the late replies do not confuse later ones.
    await expect(store.get('k')).resolves.toEqual(bytes('w'));
    await store.set('k', bytes('x'), TTL);
    expect(await store.get('k')).toEqual(bytes('x'));
    expect(unhandled).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('starts while Redis is down, and works once it is up', async () => {
    const consoleError = vi.spyOn(console, 'error');
    await flaky.stop();
    const store = createRedisStore({ path: flaky.path, prefix: uniquePrefix() });
    cleanups.push(() => store.close());
    await expectAllFailFast(store);
    await flaky.restart();
    await eventually(() => store.get('k'), 4000);
    await store.set('k', bytes('up'), TTL);
    expect(await store.get('k')).toEqual(bytes('up'));
    expect(unhandled).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('close() while Redis is down is quick and cancels the pending reconnection', async () => {
    const store = createRedisStore({ url: flaky.url, prefix: uniquePrefix() });
    await store.get('k');
    await flaky.stop();
    await sleep(300);
    const started = performance.now();
    await store.close();
    expect(performance.now() - started).toBeLessThan(100);
    // Past the pending reconnection delay (a few hundred ms this early in the outage): had it
    // not been cancelled, the client would have connected to the restarted server by now.
    await flaky.restart();
    await sleep(800);
    expect(await otherClients(flaky)).toBe(0);
    await expect(store.get('k')).rejects.toThrow(/after close/);
  });

  it('a client given to the store is not reconfigured, but the deadline still holds', async () => {
    // The default ioredis client queues commands while disconnected (offline queue).
    const client = new Redis(flaky.url);
    client.on('error', () => {});
    cleanups.push(async () => client.disconnect());
    const store = createRedisStore({ client, prefix: uniquePrefix(), commandTimeoutMs: 300 });
    cleanups.push(() => store.close());
    await store.set('k', bytes('v'), TTL);
    await flaky.stop();
    const started = performance.now();
    await expect(store.get('k')).rejects.toThrow(/get failed/);
    expect(performance.now() - started).toBeLessThan(1000);
    await flaky.restart();
  });
});
