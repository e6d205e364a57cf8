import type { StapleStore } from './store.js';

/**
 * The default store: this process only. Entries expire after their ttl. No lock: within one
 * process the stapler's single flight already makes one request per certificate.
 *
 * @example
 * const stapler = createStapler({ store: createMemoryStore() });
 */
export function createMemoryStore(): StapleStore {
  const entries = new Map<string, { value: Uint8Array; expires: number }>();
  return {
    kind: 'memory',
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value.slice();
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value: value.slice(), expires: Date.now() + Math.max(1, ttlMs) });
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
