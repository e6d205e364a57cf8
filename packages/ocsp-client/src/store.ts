/**
 * The store contract. A store keeps bytes under string keys; it knows nothing of OCSP. What a
 * stapler reads back from any store is verified again before it is served, so a store needs to
 * be durable, not trusted.
 *
 * - `get(key)`: the bytes last `set` under `key`, or `undefined` when there are none (or they
 *   have expired). Never throws for a missing key.
 * - `set(key, value, ttlMs)`: keeps `value` for at least `ttlMs` (stores may keep it longer; a
 *   stapler never serves an expired response whatever a store returns).
 * - `delete(key)`: forgets `key`; deleting a missing key is not an error.
 * - `lock(key, ttlMs)` (optional): a lease so that among several staplers sharing the store only
 *   one fetches from the responder per refresh. Resolves to a release function when this caller
 *   holds the lease, or `undefined` when somebody else does. The lease ends by itself after
 *   `ttlMs` even if never released. Stores private to one process need no lock.
 * - `close()` (optional): releases connections and timers. The stapler never closes a store it
 *   was given; its owner does.
 * Any method may reject when the backend is unavailable; the stapler then carries on with its
 * memory copy and its own fetches, and logs.
 */
export interface StapleStore {
  /** For logs and status: 'memory', 'file', 'redis', ... */
  readonly kind: string;
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  lock?(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  close?(): Promise<void>;
}
