/**
 * The store contract (src/store.ts) as tests: every store runs this suite from its own test
 * file, e.g.
 *
 *   describeStoreContract('memory', async () => {
 *     const store = createMemoryStore();
 *     return { store, cleanup: async () => {} };
 *   }, { lock: false, sharedAcrossInstances: false, ttlExact: true });
 *
 * Each test gets a fresh fixture and cleans it up. A few tests wait real time (ttls and leases
 * of 50–100 ms): a store's expiry is its backend's clock, which fake timers cannot move.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StapleStore } from '../src/store.js';

export interface StoreFixture {
  store: StapleStore;
  /**
   * Another instance over the same backend (another node of a fleet). Needed when
   * `sharedAcrossInstances`; the suite closes the instances it gets before `cleanup()`.
   */
  peer?(): Promise<StapleStore>;
  /** Closes `store` and removes whatever the fixture created. */
  cleanup(): Promise<void>;
}

export interface StoreFeatures {
  /** The store implements `lock`. */
  lock: boolean;
  /** Two instances over one backend see each other's values and leases (`peer` is given). */
  sharedAcrossInstances: boolean;
  /** `get` returns `undefined` once a value's ttl has passed (rather than "at least ttl"). */
  ttlExact: boolean;
}

/** Long enough never to expire during a test. */
const TTL = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function allByteValues(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, index) => index);
}

/** Deterministic, not compressible, not all one byte. */
function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function describeStoreContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
  features: StoreFeatures,
): void {
  describe(`store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: StapleStore;
    const peers: StapleStore[] = [];

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      for (const peer of peers.splice(0)) await peer.close?.();
      await fixture.cleanup();
    });

    async function peer(): Promise<StapleStore> {
      if (!fixture.peer) throw new Error(`${name}: sharedAcrossInstances needs fixture.peer()`);
      const other = await fixture.peer();
      peers.push(other);
      return other;
    }

    it('has a kind', () => {
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
    });

    it('gets undefined for a key never set', async () => {
      await expect(store.get('never-set')).resolves.toBeUndefined();
    });

    it('round-trips every byte value', async () => {
      const value = allByteValues();
      await store.set('bytes', value, TTL);
      const read = await store.get('bytes');
      expect(read).toBeInstanceOf(Uint8Array);
      expect(read).toEqual(value);
    });

    it('round-trips a 64 KiB value', async () => {
      const value = pseudoRandomBytes(64 * 1024);
      await store.set('large', value, TTL);
      const read = await store.get('large');
      expect(read?.byteLength).toBe(value.byteLength);
      expect(Buffer.from(read!).equals(Buffer.from(value))).toBe(true);
    });

    it('round-trips an empty value as empty, not as missing', async () => {
      await store.set('empty', new Uint8Array(0), TTL);
      const read = await store.get('empty');
      expect(read).toBeInstanceOf(Uint8Array);
      expect(read?.byteLength).toBe(0);
    });

    it('stores a subarray as exactly its own bytes', async () => {
      const backing = pseudoRandomBytes(64, 7);
      const view = backing.subarray(10, 20);
      await store.set('view', view, TTL);
      expect(await store.get('view')).toEqual(backing.slice(10, 20));
    });

    it('overwrites a value', async () => {
      await store.set('key', bytesOf('first, and longer than the second'), TTL);
      await store.set('key', bytesOf('second'), TTL);
      expect(await store.get('key')).toEqual(bytesOf('second'));
    });

    it('deletes a value, and deleting a missing key is not an error', async () => {
      await store.set('doomed', bytesOf('x'), TTL);
      await store.delete('doomed');
      await expect(store.get('doomed')).resolves.toBeUndefined();
      await expect(store.delete('doomed')).resolves.toBeUndefined();
      await expect(store.delete('never-set')).resolves.toBeUndefined();
    });

    it('deleting one key leaves the others', async () => {
      await store.set('keep', bytesOf('keep'), TTL);
      await store.set('drop', bytesOf('drop'), TTL);
      await store.delete('drop');
      expect(await store.get('keep')).toEqual(bytesOf('keep'));
    });

    it(
      features.ttlExact
        ? 'forgets a value once its ttl has passed'
        : 'after its ttl, a value is either gone or exactly what was set',
      async () => {
        const value = bytesOf('short-lived');
        await store.set('ttl', value, 50);
        await sleep(150);
        const read = await store.get('ttl');
        if (features.ttlExact) expect(read).toBeUndefined();
        else if (read !== undefined) expect(read).toEqual(value);
      },
    );

    it('a new ttl on overwrite replaces the old one', async () => {
      await store.set('renewed', bytesOf('old'), 50);
      await store.set('renewed', bytesOf('new'), TTL);
      await sleep(150);
      expect(await store.get('renewed')).toEqual(bytesOf('new'));
    });

    it('accepts a ttl of 0 or less (keeps the value at least that long: no error)', async () => {
      await expect(store.set('zero-ttl', bytesOf('z'), 0)).resolves.toBeUndefined();
      await expect(store.set('negative-ttl', bytesOf('n'), -5)).resolves.toBeUndefined();
      await expect(store.set('fraction-ttl', bytesOf('f'), 0.5)).resolves.toBeUndefined();
    });

    it('keeps keys with odd characters apart', async () => {
      // Pairs that a careless encoding (path joining, URL or filename escaping, glob patterns,
      // case folding, unicode normalisation) would merge or let out of the namespace.
      const keys = [
        'a:b',
        'a/b',
        'a\\b',
        'a%3Ab',
        'a%2Fb',
        'a_b',
        'a b',
        'a:b:',
        ':a:b',
        'A:B',
        '../escape',
        '..',
        '.',
        '/absolute',
        'lock:a',
        'data:a',
        '*',
        'a?b',
        '[ab]',
        'caf\u00e9',
        'cafe\u0301',
        '\u{1F511} key',
        'nul\u0000byte',
        '',
      ];
      for (const [index, key] of keys.entries()) {
        await store.set(key, bytesOf(`value ${index}`), TTL);
      }
      for (const [index, key] of keys.entries()) {
        expect(await store.get(key), JSON.stringify(key)).toEqual(bytesOf(`value ${index}`));
      }
      await store.delete('a:b');
      expect(await store.get('a:b')).toBeUndefined();
      expect(await store.get('a/b')).toEqual(bytesOf(`value ${keys.indexOf('a/b')}`));
    });

    it('returns copies: changing what was set or what was read does not change the store', async () => {
      const value = bytesOf('original');
      await store.set('copy', value, TTL);
      value.fill(0);
      const first = await store.get('copy');
      expect(first).toEqual(bytesOf('original'));
      first!.fill(0);
      expect(await store.get('copy')).toEqual(bytesOf('original'));
    });

    it('handles many concurrent operations on different keys', async () => {
      const keys = Array.from({ length: 50 }, (_, index) => `concurrent-${index}`);
      await Promise.all(
        keys.map((key, index) => store.set(key, pseudoRandomBytes(100, index), TTL)),
      );
      const read = await Promise.all(keys.map((key) => store.get(key)));
      read.forEach((value, index) => {
        expect(value).toEqual(pseudoRandomBytes(100, index));
      });
    });

    if (features.lock) {
      describe('lock', () => {
        function lockOf(target: StapleStore) {
          if (!target.lock) throw new Error(`${name}: features.lock but store.lock is missing`);
          return target.lock.bind(target);
        }

        it('is held by one caller at a time, and free again after release', async () => {
          const lock = lockOf(store);
          const release = await lock('cert', TTL);
          expect(release).toBeTypeOf('function');
          await expect(lock('cert', TTL)).resolves.toBeUndefined();
          await release!();
          const again = await lock('cert', TTL);
          expect(again).toBeTypeOf('function');
          await again!();
        });

        it('locks on different keys are independent', async () => {
          const lock = lockOf(store);
          const one = await lock('one', TTL);
          const two = await lock('two', TTL);
          expect(one).toBeTypeOf('function');
          expect(two).toBeTypeOf('function');
          await one!();
          await expect(lock('two', TTL)).resolves.toBeUndefined();
          await two!();
        });

        it('a lease and a value under the same key do not touch each other', async () => {
          const lock = lockOf(store);
          const release = await lock('shared-name', TTL);
          expect(release).toBeTypeOf('function');
          await store.set('shared-name', bytesOf('value'), TTL);
          await store.set('lock:shared-name', bytesOf('lookalike'), TTL);
          await store.delete('shared-name');
          await store.delete('lock:shared-name');
          await expect(lock('shared-name', TTL)).resolves.toBeUndefined();
          await release!();
          await store.set('after', bytesOf('value'), TTL);
          expect(await store.get('after')).toEqual(bytesOf('value'));
        });

        it('a lease ends by itself after its ttl', async () => {
          const lock = lockOf(store);
          const abandoned = await lock('expiring', 50);
          expect(abandoned).toBeTypeOf('function');
          await sleep(150);
          const next = await lock('expiring', TTL);
          expect(next).toBeTypeOf('function');
          await next!();
        });

        it("a late release does not end the next holder's lease", async () => {
          const lock = lockOf(store);
          const late = await lock('late', 50);
          await sleep(150);
          const current = await lock('late', TTL);
          expect(current).toBeTypeOf('function');
          await late!();
          await expect(lock('late', TTL)).resolves.toBeUndefined();
          await current!();
          const after = await lock('late', TTL);
          expect(after).toBeTypeOf('function');
          await after!();
        });

        it('releasing twice is harmless', async () => {
          const lock = lockOf(store);
          const first = await lock('twice', TTL);
          await first!();
          const second = await lock('twice', TTL);
          await first!();
          await expect(lock('twice', TTL)).resolves.toBeUndefined();
          await second!();
        });

        it('of many concurrent callers exactly one gets the lease', async () => {
          const lock = lockOf(store);
          const results = await Promise.all(Array.from({ length: 20 }, () => lock('race', TTL)));
          const holders = results.filter((release) => release !== undefined);
          expect(holders).toHaveLength(1);
          await holders[0]!();
        });
      });
    }

    if (features.sharedAcrossInstances) {
      describe('shared across instances', () => {
        it("each instance reads the other's values and deletions", async () => {
          const other = await peer();
          await store.set('fleet', bytesOf('from one'), TTL);
          expect(await other.get('fleet')).toEqual(bytesOf('from one'));
          await other.set('fleet', bytesOf('from two'), TTL);
          expect(await store.get('fleet')).toEqual(bytesOf('from two'));
          await store.delete('fleet');
          await expect(other.get('fleet')).resolves.toBeUndefined();
        });

        if (features.lock) {
          it("each instance respects the other's leases", async () => {
            const other = await peer();
            const release = await store.lock!('fleet-lock', TTL);
            expect(release).toBeTypeOf('function');
            await expect(other.lock!('fleet-lock', TTL)).resolves.toBeUndefined();
            await release!();
            const theirs = await other.lock!('fleet-lock', TTL);
            expect(theirs).toBeTypeOf('function');
            await expect(store.lock!('fleet-lock', TTL)).resolves.toBeUndefined();
            await theirs!();
          });

          it('of many instances racing for a lease exactly one wins', async () => {
            const others = await Promise.all([peer(), peer(), peer()]);
            const results = await Promise.all(
              [store, ...others].flatMap((instance) => [
                instance.lock!('fleet-race', TTL),
                instance.lock!('fleet-race', TTL),
              ]),
            );
            const holders = results.filter((release) => release !== undefined);
            expect(holders).toHaveLength(1);
            await holders[0]!();
          });
        }
      });
    }
  });
}
