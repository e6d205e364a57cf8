import { startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisStore,
  createStapler,
  type RedisStore,
  type Stapler,
  type StaplerOptions,
} from '../src/index.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

// A fleet: 20 staplers (as 20 server processes would have), each with its own Redis
// connection, sharing one real redis-server. One of them fetches per certificate per refresh
// window; the others take the response from Redis. Redis going away costs nothing but the
// sharing: every stapler keeps its copy and fetches for itself until Redis is back.

const NODES = 20;
let ocsp: TestOcsp;
let redis: RedisServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await redis?.stop();
});

let fleet: { stapler: Stapler; store: RedisStore }[] = [];
afterEach(async () => {
  await Promise.all(fleet.map(({ stapler }) => stapler.close()));
  await Promise.all(fleet.map(({ store }) => store.close()));
  fleet = [];
  await ocsp?.close();
});

async function startFleet(
  prefix: string,
  short?: { validitySeconds: number; refresh: StaplerOptions['refresh'] },
) {
  ocsp = await startTestOcsp({
    pki: { leaves: [{ name: 'ecdsa', keyType: 'ecdsa-p256' }] },
    ...(short ? { responder: { validitySeconds: short.validitySeconds } } : {}),
  });
  fleet = Array.from({ length: NODES }, () => {
    const store = createRedisStore({ url: redis.url, prefix });
    const stapler = createStapler({
      store,
      lockPollMs: 20,
      fetchOptions: { timeoutMs: 2_000 },
      ...(short ? { refresh: short.refresh } : {}),
    });
    return { stapler, store };
  });
  return ocsp.pki.leaf('ecdsa').chainPem;
}

describe('a fleet sharing one redis-server', () => {
  it('20 staplers make exactly 1 upstream fetch for a certificate, and all staple it', async () => {
    const chain = await startFleet('fleet1:');
    for (const { stapler } of fleet) stapler.add(chain);
    await Promise.all(fleet.map(({ stapler }) => stapler.ready()));
    expect(ocsp.responder.requestCount).toBe(1);
    const staples = fleet.map(({ stapler }) => stapler.get(chain));
    expect(staples.every((s) => s !== undefined)).toBe(true);
    const first = Buffer.from(staples[0]!).toString('hex');
    expect(staples.every((s) => Buffer.from(s!).toString('hex') === first)).toBe(true);
    const sources = fleet.map(({ stapler }) => stapler.status()[0]!.source);
    expect(sources.filter((s) => s === 'responder')).toHaveLength(1);
    expect(sources.filter((s) => s === 'store')).toHaveLength(NODES - 1);
  }, 30_000);

  it('over several refresh windows the fleet still makes one request per window', async () => {
    // Real time, short windows: 4 s of validity, refreshed at 2 s (each node with its own
    // jitter), served until 0.4 s before nextUpdate (10% of the window, under stopBeforeMs).
    const chain = await startFleet('fleet2:', {
      validitySeconds: 4,
      refresh: { stopBeforeMs: 500, minDelayMs: 100 },
    });
    for (const { stapler } of fleet) stapler.add(chain);
    await Promise.all(fleet.map(({ stapler }) => stapler.ready()));
    expect(ocsp.responder.requestCount).toBe(1);
    const windows = 3;
    await new Promise((r) => setTimeout(r, windows * 2_000 + 300));
    await Promise.all(fleet.map(({ stapler }) => stapler.whenIdle()));
    // One request per window for the whole fleet (not 20): consecutive upstream requests are
    // a window apart, never two in one window. (Responses carry whole seconds, so a window
    // starts at the second its response was made: they come a little more often than 2 s.)
    const times = ocsp.responder.requests.map((r) => r.at.getTime());
    expect(times.length).toBeGreaterThanOrEqual(windows);
    expect(times.length).toBeLessThanOrEqual(2 * windows + 1);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(500);
    for (const { stapler } of fleet) expect(stapler.get(chain)).toBeDefined();
    const fetches = fleet.reduce((sum, { stapler }) => sum + stapler.status()[0]!.fetches, 0);
    expect(fetches).toBe(ocsp.responder.requestCount);
  }, 30_000);

  it('Redis killed mid-run: no failed staple, no unhandled error; sharing resumes when it is back', async () => {
    const chain = await startFleet('fleet3:');
    for (const { stapler } of fleet) stapler.add(chain);
    await Promise.all(fleet.map(({ stapler }) => stapler.ready()));
    const before = fleet.map(({ stapler }) => stapler.get(chain));
    expect(before.every((s) => s !== undefined)).toBe(true);

    await redis.stop();
    // Every node refreshes while Redis is down: each keeps serving and fetches for itself.
    await Promise.all(fleet.map(({ stapler }) => stapler.refresh(chain)));
    for (const { stapler } of fleet) {
      expect(stapler.get(chain)).toBeDefined();
      expect(stapler.status()[0]).toMatchObject({ stapling: true, state: 'good' });
    }
    const during = ocsp.responder.requestCount;
    expect(during).toBe(1 + NODES);

    await redis.restart();
    // Wait for the connections to come back, then a refresh is shared again.
    await new Promise((r) => setTimeout(r, 2_500));
    await Promise.all(fleet.map(({ stapler }) => stapler.refresh(chain)));
    for (const { stapler } of fleet) expect(stapler.get(chain)).toBeDefined();
    expect(ocsp.responder.requestCount).toBeLessThan(during + NODES);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
